"""The outgoing mail queue and reminder marks as the database would keep them, a composer that shows
what it was given, and a mail server that can refuse."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from application.mail_ports import PENDING, Booked, Letter, MailRefused, Message, OutgoingMail
from domain.notifications import REMINDER_AHEAD
from domain.reservation import Reservation
from domain.status import ReservationStatus


@dataclass
class MailWorld:
    queue: dict[int, OutgoingMail] = field(default_factory=dict)
    claimed: dict[int, datetime] = field(default_factory=dict)
    reminded: dict[int, datetime] = field(default_factory=dict)  # reservation -> the start reminded for
    next_id: int = 0


class _Mail:
    world: Any

    @property
    def w(self) -> MailWorld:  # read each time: a savepoint's rollback swaps the world's parts
        return self.world.mail  # type: ignore[no-any-return]


class FakeMailQueue(_Mail):
    def __init__(self, world: Any, now: Any) -> None:
        self.world = world
        self.now = now

    async def add(self, mails: list[OutgoingMail]) -> int:
        added = 0
        for m in mails:
            key = (m.event_key, m.kind, m.recipient)
            if any((q.event_key, q.kind, q.recipient) == key for q in self.w.queue.values()):
                continue  # the unique constraint
            self.w.next_id += 1
            made = replace(m, id=self.w.next_id, created_at=self.now(), next_attempt_at=self.now())
            self.w.queue[made.id] = made
            added += 1
        return added

    async def claim(self, now: datetime, until: datetime, limit: int) -> list[OutgoingMail]:
        due = [
            m
            for m in sorted(self.w.queue.values(), key=lambda m: m.id)
            if m.status == PENDING
            and m.next_attempt_at is not None
            and m.next_attempt_at <= now
            and self.w.claimed.get(m.id, now) <= now
        ][:limit]
        claimed = []
        for m in due:
            self.w.queue[m.id] = made = replace(m, attempt=m.attempt + 1)
            self.w.claimed[m.id] = until
            claimed.append(made)
        return claimed

    async def record(self, mail: OutgoingMail, now: datetime) -> None:
        self.w.queue[mail.id] = mail
        self.w.claimed.pop(mail.id, None)

    async def purge(self, before: datetime, limit: int) -> int:
        return 0


class FakeReminders(_Mail):
    def __init__(self, world: Any) -> None:
        self.world = world

    async def due(self, now: datetime, limit: int) -> list[Reservation]:
        return [
            r
            for r in self.world.reservations.values()
            if r.status == ReservationStatus.CONFIRMED
            and r.customer.email
            and now < r.start_time <= now + REMINDER_AHEAD
            and self.w.reminded.get(r.id) != r.start_time
        ][:limit]

    async def mark(self, reservation: Reservation) -> None:
        self.w.reminded[reservation.id] = reservation.start_time

    async def upcoming_for(
        self, organisation_id: int, email: str, now: datetime, limit: int
    ) -> list[Reservation]:
        return [
            r
            for r in sorted(self.world.reservations.values(), key=lambda r: r.start_time)
            if r.organisation_id == organisation_id
            and (r.customer.email or "").lower() == email.lower()
            and r.status in (ReservationStatus.PENDING, ReservationStatus.CONFIRMED)
            and r.end_time > now
        ][:limit]


class ShowingComposer:
    """Writes the letter's facts into the message so a test can read them back."""

    def compose(self, letter: Letter, sender: str, recipient: str, message_id: str) -> Message:
        facts = [f"{b.reference} {b.start.isoformat()} {b.manage_url}" for b in letter.bookings]
        return Message(
            sender,
            recipient,
            f"{letter.kind.value} {letter.locale}",
            "\n".join(facts) + f"\n{letter.payload}",
            "<p></p>",
            message_id,
            [("b.ics", "text/calendar", letter.calendar)] if letter.calendar else [],
        )


@dataclass
class FakeMailServer:
    """Refuses the first `refusals` messages, then keeps every message it accepts."""

    refusals: int = 0
    accepted: list[Message] = field(default_factory=list)
    refused: int = 0

    async def send(self, message: Message) -> None:
        if self.refused < self.refusals:
            self.refused += 1
            raise MailRefused("451 try again later")
        self.accepted.append(message)


class OneEventCalendar:
    def booking(
        self, booked: Booked, organisation_name: str, uid: str, sequence: int, cancelled: bool
    ) -> bytes:
        return f"BEGIN:VCALENDAR\nUID:{uid}\nSEQUENCE:{sequence}\nEND:VCALENDAR".encode()
