"""Calendars (API.md section 12): blocks on a resource, the staff feeds and the customer's own booking as
iCalendar, and the import of other channels' feeds as blocks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from application.access import authorize, no_api_keys
from application.calendar_ports import CalendarSource, FeedOwner, FeedWriter, ImportFailed, ImportJob
from application.checkout import ManageTokens
from application.mail import booked_as_told
from application.mail_ports import CalendarWriter
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.self_service import BookingKey, SelfService
from domain.access import CATALOG_READ, CATALOG_WRITE, RESERVATIONS_READ, Role
from domain.calendars import (
    FEED_AHEAD,
    FEED_PAST,
    IMPORT_AHEAD,
    IMPORT_EVERY,
    IMPORTED,
    MANUAL,
    Block,
    Busy,
    busy_spans,
    in_feed,
    validate_block,
)
from domain.catalog import Resource
from domain.errors import CapacityConflict, Forbidden, NotFound
from domain.identity import Caller
from domain.status import ReservationStatus

log = logging.getLogger("booking.calendars")
FeedUrl = Callable[[str], str]  # a feed token -> the URL calendar applications subscribe to
IMPORT_BATCH = 20


async def _resource(uow: UnitOfWork, organisation_id: int, resource_id: int) -> Resource:
    found = await uow.resources.get(organisation_id, resource_id)
    if found is None:
        raise NotFound("no such resource")
    return found


class BlockAdmin:
    """Blocks staff set by hand: refused over holding bookings, honoured by every read and by reserve."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    async def create(
        self, caller: Caller, resource_id: int, start: datetime, end: datetime, reason: str | None
    ) -> Block:
        organisation_id, _ = authorize(caller, CATALOG_WRITE)
        validate_block(start, end, reason)
        async with self.uow() as uow:
            await _resource(uow, organisation_id, resource_id)
            block = await uow.blocks.add(Block(0, organisation_id, resource_id, start, end, reason, MANUAL))
            await uow.commit()
        return block

    async def list(self, caller: Caller, resource_id: int) -> list[Block]:
        """Blocks that have not ended, soonest first."""
        organisation_id, _ = authorize(caller, CATALOG_READ)
        async with self.uow() as uow:
            await _resource(uow, organisation_id, resource_id)
            return await uow.blocks.of_resource(organisation_id, resource_id, self.clock.now())

    async def delete(self, caller: Caller, resource_id: int, block_id: int) -> None:
        organisation_id, _ = authorize(caller, CATALOG_WRITE)
        async with self.uow() as uow:
            if not await uow.blocks.delete(organisation_id, resource_id, block_id):
                raise NotFound("no such block")
            await uow.commit()


class CalendarFeeds:
    """Feed URLs for staff (the organisation's and each resource's), regenerated at will; the feeds."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        tokens: ManageTokens,
        secret_hash: Callable[[str], str],
        writer: FeedWriter,
    ) -> None:
        self.uow, self.clock, self.tokens, self.secret_hash = uow, clock, tokens, secret_hash
        self.writer = writer

    async def _owner(
        self, uow: UnitOfWork, caller: Caller, organisation_id: int | None, resource_id: int | None
    ) -> FeedOwner:
        if resource_id is None:
            no_api_keys(caller)
            assert organisation_id is not None
            role = await uow.memberships.role(organisation_id, caller.user_id)
            if role is None:
                raise NotFound("no such organisation")
            if not role.at_least(Role.STAFF):
                raise Forbidden("that needs the staff role or higher")
            return FeedOwner(organisation_id, None)
        org, _ = authorize(caller, RESERVATIONS_READ)  # a feed shows bookings and their customers
        await _resource(uow, org, resource_id)
        return FeedOwner(org, resource_id)

    async def token(
        self,
        caller: Caller,
        organisation_id: int | None = None,
        resource_id: int | None = None,
        renew: bool = False,
    ) -> str:
        """The feed's token, made on first use; `renew` replaces it (the old one answers 404 from now)."""
        async with self.uow() as uow:
            owner = await self._owner(uow, caller, organisation_id, resource_id)
            nonce = None if renew else await uow.feeds.nonce(owner)
            if nonce is None:
                nonce = self.tokens.nonce()
                await uow.feeds.set_token(owner, nonce, self.secret_hash(self.tokens.token(nonce)))
                await uow.commit()
        return self.tokens.token(nonce)

    async def feed(self, token: str) -> bytes:
        """The feed of this token: NotFound for a token that is not (or no longer) one."""
        now = self.clock.now()
        async with self.uow() as uow:
            owner = await uow.feeds.owner_of(self.secret_hash(token))
            if owner is None:
                raise NotFound("no such feed")
            org = await uow.organisations.by_id(owner.organisation_id)
            found = await uow.feeds.bookings(owner, now - FEED_PAST, now + FEED_AHEAD)
        listed = [b for b in found if in_feed(b.start, b.end, b.cancelled_at, now)]
        return self.writer.feed(org.name if org else "Bookings", listed)


class ImportCalendars:
    """A job: each resource's `icalImportUrl` read every 15 minutes, its events (recurring ones expanded a
    year ahead) kept as the resource's imported blocks; a feed that fails keeps its last blocks."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, source: CalendarSource) -> None:
        self.uow, self.clock, self.source = uow, clock, source

    async def __call__(self) -> int:
        now = self.clock.now()
        async with self.uow() as uow:
            due = await uow.imports.due(now, now + IMPORT_EVERY, IMPORT_BATCH)
            await uow.commit()
        for job in due:
            await self._import(job, now)
        return len(due)

    async def _import(self, job: ImportJob, now: datetime) -> None:
        try:
            fetched = await self.source.read(job, now, now + IMPORT_AHEAD)
        except ImportFailed as failed:
            log.warning("calendar import for resource %s failed: %s", job.resource_id, failed)
            async with self.uow() as uow:
                await uow.imports.record(job.resource_id, now, str(failed), None)
                await uow.commit()
            return
        skipped = 0
        async with self.uow() as uow:
            if fetched.changed:
                skipped = await self._keep_in_step(uow, job, fetched.events, now)
            error = (
                f"{skipped} imported event(s) overlap bookings or blocks here and were left out"
                if skipped
                else None
            )
            await uow.imports.record(job.resource_id, now, error, fetched)
            await uow.commit()

    async def _keep_in_step(self, uow: UnitOfWork, job: ImportJob, events: list[Busy], now: datetime) -> int:
        """Imported blocks as the feed has them now: gone ones removed, new or changed ones added; one that
        overlaps a booking is left out (and counted), never the booking."""
        wanted = {(b.uid, b.start, b.end): b for b in busy_spans(events, now)}
        kept = set()
        for block in await uow.blocks.imported(job.organisation_id, job.resource_id):
            key = (block.import_uid, block.start_time, block.end_time)
            if key in wanted:
                kept.add(key)
            else:
                await uow.blocks.delete(job.organisation_id, job.resource_id, block.id)
        skipped = 0
        for key, busy in wanted.items():
            if key in kept:
                continue
            block = Block(
                0, job.organisation_id, job.resource_id, busy.start, busy.end, None, IMPORTED, busy.uid
            )
            try:
                async with uow.savepoint():
                    await uow.blocks.add(replace(block, reason="imported"))
            except CapacityConflict:
                skipped += 1
        return skipped


class BookingCalendar:
    """The customer's own booking as an .ics download, by its manage token or the customer's reference."""

    def __init__(self, self_service: SelfService, writer: CalendarWriter) -> None:
        self.self_service, self.writer = self_service, writer

    async def __call__(self, key: BookingKey) -> bytes:
        managed = await self.self_service.view(key)
        r = managed.reservation
        shown = booked_as_told(r, managed.resource_type.name if managed.resource_type else "", None)
        cancelled = r.status == ReservationStatus.CANCELLED
        return self.writer.booking(
            shown, managed.organisation.name, f"{r.reference}@booking", r.version, cancelled
        )
