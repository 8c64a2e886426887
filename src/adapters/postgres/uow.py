"""The unit of work: one connection, one transaction, committed once by the use case."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from adapters.postgres.catalog_repo import SqlOrganisations, SqlResources, SqlResourceTypes
from adapters.postgres.errors import translated
from adapters.postgres.identity_repo import SqlApiKeys, SqlMemberships, SqlRefreshTokens, SqlUsers
from adapters.postgres.payment_repo import SqlPayments
from adapters.postgres.reservation_repo import SqlReservations
from application.payment_ports import Payments
from application.ports import (
    ApiKeys,
    Memberships,
    Organisations,
    RefreshTokens,
    Reservations,
    Resources,
    ResourceTypes,
    Users,
)
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

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None

    async def __aenter__(self) -> Self:
        async with translated():
            self._conn = await self._engine.connect()
            self._tx = await self._conn.begin()
        conn = self._conn
        self.users = SqlUsers(conn)
        self.memberships = SqlMemberships(conn)
        self.api_keys = SqlApiKeys(conn)
        self.refresh_tokens = SqlRefreshTokens(conn)
        self.organisations = SqlOrganisations(conn)
        self.resource_types = SqlResourceTypes(conn)
        self.resources = SqlResources(conn)
        self.reservations = SqlReservations(conn)
        self.payments = SqlPayments(conn)
        return self

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        assert self._conn is not None
        async with translated():
            nested = await self._conn.begin_nested()
        try:
            yield
        except BaseException:
            await nested.rollback()
            raise
        else:
            async with translated():
                await nested.commit()

    async def commit(self) -> None:
        assert self._tx is not None
        async with translated():
            await self._tx.commit()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
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
