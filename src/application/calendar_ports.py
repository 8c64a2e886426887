"""Ports of calendars: blocks, feed tokens and what a feed lists, resources whose feed is due for import,
and the reader of another channel's feed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.calendars import Block, Busy


@dataclass(frozen=True)
class FeedOwner:
    organisation_id: int
    resource_id: int | None  # None: the organisation's feed of every resource


@dataclass(frozen=True)
class FeedBooking:
    """One booking as a feed lists it."""

    reference: str
    version: int
    start: datetime
    end: datetime
    status: str
    cancelled_at: datetime | None
    type_name: str
    resource_names: str
    customer_name: str | None
    customer_email: str | None
    customer_phone: str | None
    updated_at: datetime | None


@dataclass(frozen=True)
class ImportJob:
    organisation_id: int
    resource_id: int
    url: str
    etag: str | None
    last_modified: str | None
    timezone: str  # the organisation's: all-day events are its local days
    day_times: tuple[str, str] | None  # a night type's check-in and check-out times


@dataclass(frozen=True)
class Fetched:
    changed: bool  # False: 304 Not Modified, the blocks stay as they are
    events: list[Busy]
    etag: str | None = None
    last_modified: str | None = None


class ImportFailed(Exception):
    """The feed could not be read or understood; its blocks of last time stay."""


class Blocks(Protocol):
    async def add(self, block: Block) -> Block:
        """Stored with an allocation of the resource's whole capacity; CapacityConflict over a booking or
        another block (the database decides, so a racing booking and block cannot both win)."""
        ...

    async def of_resource(self, organisation_id: int, resource_id: int, since: datetime) -> list[Block]: ...
    async def delete(self, organisation_id: int, resource_id: int, block_id: int) -> bool: ...
    async def imported(self, organisation_id: int, resource_id: int) -> list[Block]: ...


class Feeds(Protocol):
    async def nonce(self, owner: FeedOwner) -> str | None: ...
    async def set_token(self, owner: FeedOwner, nonce: str, token_hash: str) -> None: ...
    async def owner_of(self, token_hash: str) -> FeedOwner | None: ...
    async def bookings(self, owner: FeedOwner, since: datetime, until: datetime) -> list[FeedBooking]:
        """Holding and cancelled bookings overlapping [since, until) (of the resource, or of them all)."""
        ...


class Imports(Protocol):
    async def due(self, now: datetime, next_at: datetime, limit: int) -> list[ImportJob]:
        """Resources whose feed is due, claimed until `next_at` (no other worker reads them meanwhile)."""
        ...

    async def record(
        self, resource_id: int, now: datetime, error: str | None, fetched: Fetched | None
    ) -> None:
        """How the last attempt went: the error (None: all well) and, when the feed was read, its time and
        validators (a 304 keeps the old ones)."""
        ...


class FeedWriter(Protocol):
    def feed(self, name: str, bookings: list[FeedBooking]) -> bytes:
        """The bookings as an iCalendar feed (customer contact data included: feeds are for staff)."""
        ...


class CalendarSource(Protocol):
    async def read(self, job: ImportJob, since: datetime, until: datetime) -> Fetched:
        """The feed's event occurrences in [since, until), conditionally (ETag, Last-Modified), within the
        time and size limits and the target rules of section 10; ImportFailed otherwise."""
        ...
