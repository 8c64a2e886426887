"""Ports of e-mail: the queue of outgoing messages in the store, what writes a message, what sends it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from domain.notifications import Mail
from domain.reservation import Reservation

PENDING, SENT, FAILED = "pending", "sent", "failed"


@dataclass(frozen=True)
class OutgoingMail:
    """One message owed to one address, written when it is sent (from the booking as it is then)."""

    id: int
    organisation_id: int
    reservation_id: int | None
    event_key: str  # with kind and recipient unique: an event replayed sends nothing twice
    kind: Mail
    recipient: str
    payload: dict[str, Any] = field(default_factory=dict)
    attempt: int = 0
    status: str = PENDING
    error: str | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Booked:
    """One booking as a message shows it."""

    reference: str
    type_name: str
    start: datetime
    end: datetime
    status: str
    quantity: int
    total: int
    currency: str
    customer_name: str | None
    manage_url: str | None
    stay_dates: tuple[date, date] | None = None  # check-in and check-out (or first day and the day after)
    unit: str = "slot"  # slot, night or day


@dataclass(frozen=True)
class Letter:
    """Everything a template needs: who writes, in which language and zone, about what."""

    kind: Mail
    organisation_name: str
    locale: str
    timezone: str
    bookings: list[Booked]
    payload: dict[str, Any]
    calendar: bytes | None = None  # the booking as an .ics attachment


@dataclass(frozen=True)
class Message:
    sender: str
    recipient: str
    subject: str
    text: str
    html: str
    message_id: str  # the same on every attempt: a copy sent twice after a crash is recognisably one
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # filename, content type, data


class MailQueue(Protocol):
    async def add(self, mails: list[OutgoingMail]) -> int:
        """Queue these; one already queued for the same event, kind and address is kept, not repeated."""
        ...

    async def claim(self, now: datetime, until: datetime, limit: int) -> list[OutgoingMail]:
        """Due pending messages no other worker holds, each held until `until` and its attempt counted."""
        ...

    async def record(self, mail: OutgoingMail, now: datetime) -> None: ...
    async def purge(self, before: datetime, limit: int) -> int: ...


class Reminders(Protocol):
    async def due(self, now: datetime, limit: int) -> list[Reservation]:
        """Confirmed bookings with a customer e-mail starting within the next 24 h and not yet reminded
        for that start, locked against a second worker."""
        ...

    async def mark(self, reservation: Reservation) -> None:
        """Reminded for its current start."""
        ...

    async def upcoming_for(
        self, organisation_id: int, email: str, now: datetime, limit: int
    ) -> list[Reservation]:
        """The holding bookings of this address with the organisation that have not ended."""
        ...


class Composer(Protocol):
    def compose(self, letter: Letter, sender: str, recipient: str, message_id: str) -> Message: ...


class MailSender(Protocol):
    async def send(self, message: Message) -> None:
        """Hand the message over; MailRefused when the server refuses or cannot be reached."""
        ...


class CalendarWriter(Protocol):
    def booking(
        self, booked: Booked, organisation_name: str, uid: str, sequence: int, cancelled: bool
    ) -> bytes:
        """One booking as an iCalendar document."""
        ...


class MailRefused(Exception):
    """The mail server would not take the message now."""
