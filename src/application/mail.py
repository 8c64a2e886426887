"""E-mail notifications (API.md section 11): queued from the outbox in the event's own claiming
transaction, written and sent by the worker, retried while the mail server refuses, never twice per event."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from application.mail_ports import (
    FAILED,
    SENT,
    Booked,
    CalendarWriter,
    Composer,
    Letter,
    MailRefused,
    MailSender,
    OutgoingMail,
)
from application.ports import Clock, OutboxEvent, UnitOfWork, UnitOfWorkFactory
from domain.catalog import Organisation
from domain.identity import validate_email
from domain.notifications import Mail, Recipients, mails_for, next_mail_attempt, reminder_due
from domain.reservation import Reservation

log = logging.getLogger("booking.mail")

CLAIM = timedelta(minutes=2)  # a claimed message is another worker's again after this
KEEP_MAIL = timedelta(days=30)
CUSTOMER_SOURCES = ("public", "customer")
ManageUrl = Callable[[Reservation], str | None]  # the customer's own manage link, or None without a token


def _recipients(org: Organisation, reservation: Reservation) -> Recipients:
    return Recipients(
        customer_email=reservation.customer.email,
        organisation_email=org.notification_email,
        made_by_customer=reservation.source in CUSTOMER_SOURCES,
    )


class QueueMail:
    """The outbox consumer: the messages an event owes, queued (one per event, kind and address)."""

    name = "mail"

    async def __call__(self, uow: UnitOfWork, event: OutboxEvent) -> None:
        org = await uow.organisations.by_id(event.organisation_id)
        reservation = await uow.reservations.get(
            event.organisation_id, event.reservation_id, include_deleted=True
        )
        if org is None or reservation is None:
            return
        owed = mails_for(event.type, str(event.payload.get("status", "")), _recipients(org, reservation))
        kept = ("amount", "currency", "reason", "start_time", "end_time", "stay_first", "stay_last")
        payload: dict[str, Any] = {k: event.payload[k] for k in kept if k in event.payload}
        await uow.outgoing_mail.add(
            [
                OutgoingMail(0, org.id, reservation.id, f"evt_{event.id}", kind, address, payload)
                for kind, address in owed
            ]
        )


class RemindCustomers:
    """A job: the reminder 24 h before each confirmed booking's start, once per start time."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    async def __call__(self, limit: int = 500) -> int:
        now = self.clock.now()
        async with self.uow() as uow:
            candidates = await uow.reminders.due(now, limit)
            due = [r for r in candidates if reminder_due(r.start_time, r.created_at or now, None, now)]
            await uow.outgoing_mail.add(
                [
                    OutgoingMail(
                        0,
                        r.organisation_id,
                        r.id,
                        f"reminder_{r.id}_{int(r.start_time.timestamp())}",
                        Mail.REMINDER,
                        r.customer.email or "",
                    )
                    for r in due
                    if r.customer.email
                ]
            )
            for r in candidates:  # booked inside the 24 h: no reminder, and not asked again
                await uow.reminders.mark(r)
            await uow.commit()
        return len(due)


class FindBooking:
    """`find-booking`: the manage links of an address's upcoming bookings, e-mailed to that address only."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    async def __call__(self, slug: str, email: str) -> None:
        address = validate_email(email.strip())
        async with self.uow() as uow:
            org = await uow.organisations.by_slug(slug)
            found = await uow.reminders.upcoming_for(org.id, address, self.clock.now(), 20) if org else []
            if org is None or not found:
                return  # the same answer: nobody learns whether an address has bookings
            ids = [r.id for r in found]
            key = f"find_{secrets.token_hex(12)}"
            mail = OutgoingMail(0, org.id, None, key, Mail.FIND_BOOKING, address, {"reservations": ids})
            await uow.outgoing_mail.add([mail])
            await uow.commit()


class SendMail:
    """One round of sending: claim what is due, write each message from the booking as it is now, send,
    record; a refusal is tried again later, and a booking never waits for it."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        composer: Composer,
        sender: MailSender,
        calendar: CalendarWriter,
        manage_url: ManageUrl,
        mail_from: str,
        retry_scale: float = 1.0,
    ) -> None:
        self.uow, self.clock, self.composer, self.sender = uow, clock, composer, sender
        self.calendar, self.manage_url, self.mail_from = calendar, manage_url, mail_from
        self.scale = retry_scale

    async def __call__(self, batch: int = 32) -> int:
        now = self.clock.now()
        async with self.uow() as uow:
            due = await uow.outgoing_mail.claim(now, now + CLAIM, batch)
            await uow.commit()
        for mail in due:
            await self._send(mail)
        return len(due)

    async def _send(self, mail: OutgoingMail) -> None:
        async with self.uow() as uow:
            letter = await self._letter(uow, mail)
        now = self.clock.now()
        if letter is None:
            done = replace(
                mail, status=FAILED, error="the booking or organisation is gone", next_attempt_at=None
            )
        else:
            message_id = f"<mail-{mail.id}@{self.mail_from.rpartition('@')[2]}>"
            try:
                await self.sender.send(
                    self.composer.compose(letter, self.mail_from, mail.recipient, message_id)
                )
                done = replace(mail, status=SENT, error=None, next_attempt_at=None)
            except MailRefused as refused:
                retry = next_mail_attempt(mail.attempt, mail.created_at or now, now, self.scale)
                done = replace(mail, status=mail.status if retry else FAILED, error=str(refused)[:500])
                done = replace(done, next_attempt_at=retry)
                log.warning("mail %s not sent (attempt %s): %s", mail.id, mail.attempt, refused)
        async with self.uow() as uow:
            await uow.outgoing_mail.record(done, self.clock.now())
            await uow.commit()

    async def _letter(self, uow: UnitOfWork, mail: OutgoingMail) -> Letter | None:
        org = await uow.organisations.by_id(mail.organisation_id)
        if org is None:
            return None
        ids = [mail.reservation_id] if mail.reservation_id else list(mail.payload.get("reservations", []))
        bookings = []
        calendar = None
        for rid in ids:
            reservation = await uow.reservations.get(org.id, rid, include_deleted=True)
            if reservation is None:
                continue
            rt = await uow.resource_types.get(org.id, reservation.resource_type_id)
            booked = _as_then(
                booked_as_told(reservation, rt.name if rt else "", self._link(mail, reservation)),
                mail.payload,
            )
            bookings.append(booked)
            if mail.kind in (Mail.CONFIRMED, Mail.RESCHEDULED):
                uid = f"{reservation.reference}@booking"
                calendar = self.calendar.booking(booked, org.name, uid, reservation.version, cancelled=False)
        if not bookings:
            return None
        payload = mail.payload
        if mail.kind == Mail.CANCELLED and mail.reservation_id:  # the refund the cancellation started, if any
            _, refunds = await uow.payments.of_reservation(org.id, mail.reservation_id)
            back = sum(r.amount for r in refunds if r.status != "failed")
            payload = payload | ({"amount": back, "currency": bookings[0].currency} if back else {})
        return Letter(mail.kind, org.name, org.locale, org.timezone, bookings, payload, calendar)

    def _link(self, mail: OutgoingMail, reservation: Reservation) -> str | None:
        if mail.kind in (Mail.ORGANISATION_NEW, Mail.ORGANISATION_CANCELLED):
            return None  # the customer's link is theirs alone
        return self.manage_url(reservation)


def booked_as_told(r: Reservation, type_name: str, manage_url: str | None) -> Booked:
    return Booked(
        reference=r.reference,
        type_name=type_name,
        start=r.start_time,
        end=r.end_time,
        status=r.status.value,
        quantity=r.quantity,
        total=r.quote.total,
        currency=r.quote.currency,
        customer_name=r.customer.name,
        manage_url=manage_url,
        stay_dates=(r.stay.first, r.stay.last) if r.stay else None,
        unit=r.booking_unit.value,
    )


def _as_then(booked: Booked, payload: dict[str, Any]) -> Booked:
    """The booking's times when the event happened: a message sent later still tells what it is about."""
    if "start_time" not in payload:
        return booked
    stay = None
    if payload.get("stay_first") and payload.get("stay_last"):
        stay = (date.fromisoformat(payload["stay_first"]), date.fromisoformat(payload["stay_last"]))
    return replace(
        booked,
        start=datetime.fromisoformat(payload["start_time"]),
        end=datetime.fromisoformat(payload["end_time"]),
        stay_dates=stay or booked.stay_dates,
    )


class PurgeMail:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    async def __call__(self) -> int:
        async with self.uow() as uow:
            purged = await uow.outgoing_mail.purge(self.clock.now() - KEEP_MAIL, 5_000)
            await uow.commit()
        return purged
