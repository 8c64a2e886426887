"""iCalendar documents (RFC 5545) written with the `icalendar` package: one booking for an e-mail or a
customer's download, and the feeds of section 12."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, Event

from application.calendar_ports import FeedBooking
from application.mail_ports import Booked

PRODID = "-//booking-platform//bookings//EN"


@dataclass(frozen=True)
class FeedEntry:
    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    cancelled: bool
    description: str | None = None
    stamp: datetime | None = None


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def _event(entry: FeedEntry) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("sequence", entry.sequence)
    event.add("dtstamp", (entry.stamp or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", entry.start.astimezone(UTC))
    event.add("dtend", entry.end.astimezone(UTC))
    event.add("summary", entry.summary)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    if entry.description:
        event.add("description", entry.description)
    return event


class IcsWriter:
    def booking(
        self, booked: Booked, organisation_name: str, uid: str, sequence: int, cancelled: bool
    ) -> bytes:
        entry = FeedEntry(
            uid=uid,
            sequence=sequence,
            start=booked.start,
            end=booked.end,
            summary=f"{booked.type_name}, {organisation_name} ({booked.reference})",
            cancelled=cancelled,
            description=booked.manage_url,
        )
        cal = _calendar(organisation_name)
        cal.add("method", "PUBLISH")
        cal.add_component(_event(entry))
        return bytes(cal.to_ical())

    def entries(self, name: str, entries: Iterable[FeedEntry]) -> bytes:
        cal = _calendar(name)
        for entry in entries:
            cal.add_component(_event(entry))
        return bytes(cal.to_ical())

    def feed(self, name: str, bookings: list[FeedBooking]) -> bytes:
        """A staff feed: type, reference and customer in the summary, contact details in the description."""
        return self.entries(name, (_entry(b) for b in bookings))


def _entry(b: FeedBooking) -> FeedEntry:
    who = " ".join(x for x in (b.customer_name, b.customer_email, b.customer_phone) if x)
    summary = f"{b.type_name} {b.reference}" + (f", {b.customer_name}" if b.customer_name else "")
    lines = [f"{b.type_name}: {b.resource_names}" if b.resource_names else b.type_name, f"Status: {b.status}"]
    if who:
        lines.append(f"Customer: {who}")
    return FeedEntry(
        uid=f"{b.reference}@booking",
        sequence=b.version,
        start=b.start,
        end=b.end,
        summary=summary,
        cancelled=b.status == "cancelled",
        description="\n".join(lines),
        stamp=b.updated_at,
    )
