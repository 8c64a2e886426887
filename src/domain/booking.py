"""What a booking asks for before it is a reservation: its times, its reference, its customer."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.errors import InvalidInput

# Crockford-style alphabet without 0/O, 1/I/L: a reference read over the phone stays unambiguous.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
MAX_NOTES = 2048
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
MAX_SPAN = timedelta(days=92)  # the longest stay (90 nights) with its check-in and check-out hours


@dataclass(frozen=True)
class Customer:
    name: str | None = None
    email: str | None = None
    phone: str | None = None


def reference_prefix(slug: str) -> str:
    """Three letters of the organisation's slug, e.g. 'acme-spa' -> 'ACM'."""
    letters = [c for c in slug.upper() if c.isalnum()]
    return "".join(letters[:3]).ljust(3, "X")


def make_reference(slug: str, random_index: list[int]) -> str:
    """A reservation reference such as ACM-7K3QX9 from six random alphabet indexes."""
    suffix = "".join(REFERENCE_ALPHABET[i % len(REFERENCE_ALPHABET)] for i in random_index[:6])
    return f"{reference_prefix(slug)}-{suffix}"


def units_for(start: datetime, end: datetime, slot_minutes: int, quantity: int) -> int:
    """Slots booked (a started slot counts whole) times quantity."""
    slots = math.ceil((end - start) / timedelta(minutes=slot_minutes))
    return max(1, slots) * quantity


def check_times(start: datetime, end: datetime) -> None:
    """Aware instants with the start before the end, within a sane span and between 1900 and 2200."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("instants need an offset or Z", "startTime")
    if not EARLIEST <= start < LATEST:
        raise InvalidInput("startTime must lie between 1900 and 2200", "startTime")
    if not EARLIEST <= end <= LATEST:
        raise InvalidInput("endTime must lie between 1900 and 2200", "endTime")
    if end <= start:
        raise InvalidInput("endTime must be after startTime", "endTime")
    if end - start > MAX_SPAN:
        raise InvalidInput(f"a reservation lasts at most {MAX_SPAN.days} days", "endTime")


def check_notes(notes: str | None) -> None:
    if notes is not None and len(notes) > MAX_NOTES:
        raise InvalidInput(f"notes are at most {MAX_NOTES} characters", "notes")
