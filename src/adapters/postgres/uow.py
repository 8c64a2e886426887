"""The unit of work: one connection, one transaction, committed once by the use case; the events of the
aggregates it saved are written to the outbox inside that transaction, just before it commits.

A single-statement unit of work (`transactional=False`, on the AUTOCOMMIT engine) serves the hot public
reserve: its one write, a reservation with its allocations and events, is its own transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from adapters.postgres.calendar_repo import SqlBlocks, SqlFeeds, SqlImports
from adapters.postgres.card_repo import SqlSavedCards
from adapters.postgres.catalog_repo import SqlOrganisations, SqlResources, SqlResourceTypes
from adapters.postgres.errors import translated
from adapters.postgres.identity_repo import SqlApiKeys, SqlMemberships, SqlRefreshTokens, SqlUsers
from adapters.postgres.mail_repo import SqlMailQueue, SqlReminders
from adapters.postgres.outbox import PendingEvents, SqlOutbox
from adapters.postgres.payment_repo import SqlPayments
from adapters.postgres.reservation_repo import SqlReservations
from adapters.postgres.webhook_repo import SqlWebhookDeliveries, SqlWebhookEndpoints
from adapters.security import SecretBox
from application.calendar_ports import Blocks, Feeds, Imports
from application.card_ports import SavedCards
from application.mail_ports import MailQueue, Reminders
from application.payment_ports import Payments
from application.ports import (
    ApiKeys,
    Memberships,
    Organisations,
    Outbox,
    RefreshTokens,
    Reservations,
    Resources,
    ResourceTypes,
    Users,
)
from application.webhook_ports import WebhookDeliveries, WebhookEndpoints
from domain.errors import Unavailable


class SqlUnitOfWork:
    users: Users
    memberships: Memberships
    api_keys: ApiKeys
    refresh_tokens: RefreshTokens
    organisations: Organisations
    resource_types: ResourceTypes
    resources: Resources
    reservations: Reservations
    payments: Payments
    outbox: Outbox
    webhook_endpoints: WebhookEndpoints
    webhook_deliveries: WebhookDeliveries
    outgoing_mail: MailQueue
    reminders: Reminders
    blocks: Blocks
    feeds: Feeds
    imports: Imports
    saved_cards: SavedCards

    def __init__(self, engine: AsyncEngine, box: SecretBox, transactional: bool = True) -> None:
        self._engine = engine
        self._box = box
        self._transactional = transactional
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None
        self._pending: list[PendingEvents] = []

    async def __aenter__(self) -> Self:
        async with translated():
            self._conn = await self._engine.connect()
            if self._transactional:
                self._tx = await self._conn.begin()
        conn = self._conn
        self._pending = []
        self.users = SqlUsers(conn)
        self.memberships = SqlMemberships(conn)
        self.api_keys = SqlApiKeys(conn)
        self.refresh_tokens = SqlRefreshTokens(conn)
        self.organisations = SqlOrganisations(conn)
        self.resource_types = SqlResourceTypes(conn)
        self.resources = SqlResources(conn)
        self.reservations = SqlReservations(conn, self._pending, autocommit=not self._transactional)
        self.payments = SqlPayments(conn)
        self.outbox = self._outbox = SqlOutbox(conn)
        endpoints = SqlWebhookEndpoints(conn, self._box)
        self.webhook_endpoints, self.webhook_deliveries = endpoints, SqlWebhookDeliveries(conn, endpoints)
        self.outgoing_mail = SqlMailQueue(conn)
        self.reminders = SqlReminders(conn, self.reservations)
        self.blocks, self.feeds, self.imports = SqlBlocks(conn), SqlFeeds(conn), SqlImports(conn)
        self.saved_cards = SqlSavedCards(conn)
        return self

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        assert self._conn is not None
        async with translated():
            nested = await self._conn.begin_nested()
        recorded = len(self._pending)
        try:
            yield
        except BaseException:
            await nested.rollback()
            del self._pending[recorded:]  # the events of what was undone did not happen
            raise
        else:
            async with translated():
                await nested.commit()

    async def commit(self) -> None:
        if not self._transactional:
            # Each statement committed itself; a change that recorded events needs a transaction.
            assert not self._pending, "events outside a transaction would be lost"
            return
        assert self._tx is not None
        async with translated():
            await self._outbox.append(self._pending)
            self._pending.clear()
            await self._tx.commit()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._pending.clear()
        try:
            if isinstance(exc, Unavailable) and self._conn is not None:
                # The database or this connection failed under us: drop it rather than pool it.
                await self._conn.invalidate()
            elif self._tx is not None and self._tx.is_active:
                await self._tx.rollback()
        except Exception:  # noqa: S110 - a broken connection is discarded below; the first error wins
            pass
        finally:
            if self._conn is not None:
                with suppress(Exception):
                    await self._conn.close()
            self._conn = self._tx = None
