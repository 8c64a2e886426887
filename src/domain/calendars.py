"""Calendars (API.md section 12): blocks that make a resource unavailable, what a feed lists, and how
another channel's feed becomes blocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import InvalidInput

MANUAL, IMPORTED = "manual", "import"
MAX_BLOCK = timedelta(days=366)
MAX_REASON = 500
FEED_PAST = timedelta(days=30)  # a feed lists bookings from 30 days back ...
FEED_AHEAD = timedelta(days=365)  # ... to a year ahead; cancelled ones for 30 days after cancelling
IMPORT_EVERY = timedelta(minutes=15)
IMPORT_AHEAD = timedelta(days=365)  # recurring events are expanded this far
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_TIMEOUT_SECONDS = 10.0
MAX_IMPORTED = 2000  # blocks one feed may give a resource


@dataclass(frozen=True)
class Block:
    """A time the resource is unavailable: it takes the whole capacity, like a booking of all of it."""

    id: int
    organisation_id: int
    resource_id: int
    start_time: datetime
    end_time: datetime
    reason: str | None = None
    source: str = MANUAL
    import_uid: str | None = None  # the imported event (and occurrence) it stands for
    created_at: datetime | None = None


@dataclass(frozen=True)
class Busy:
    """One occurrence of an event of an imported feed."""

    uid: str
    start: datetime
    end: datetime


def validate_block(start: datetime, end: datetime, reason: str | None) -> None:
    if end <= start:
        raise InvalidInput("endTime must be after startTime", "endTime")
    if end - start > MAX_BLOCK:
        raise InvalidInput("a block lasts at most 366 days", "endTime")
    if reason is not None and len(reason) > MAX_REASON:
        raise InvalidInput(f"at most {MAX_REASON} characters", "reason")


def busy_spans(events: list[Busy], now: datetime) -> list[Busy]:
    """Imported occurrences as blocks: what has ended is dropped, overlapping or touching ones become one
    (named by the first), so a feed's own overlaps never conflict with each other."""
    ahead = sorted((e for e in events if e.end > now and e.end > e.start), key=lambda e: (e.start, e.uid))
    merged: list[Busy] = []
    for e in ahead:
        if merged and e.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Busy(last.uid, last.start, max(last.end, e.end))
        else:
            merged.append(e)
    return merged[:MAX_IMPORTED]


def in_feed(start: datetime, end: datetime, cancelled_at: datetime | None, now: datetime) -> bool:
    """Whether a booking belongs in a feed now: in its window, and if cancelled, cancelled lately."""
    if end < now - FEED_PAST or start > now + FEED_AHEAD:
        return False
    return cancelled_at is None or cancelled_at >= now - FEED_PAST
