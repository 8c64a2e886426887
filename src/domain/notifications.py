"""Who is told what by e-mail (API.md section 11): the one place that maps an event to its messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

REMINDER_AHEAD = timedelta(hours=24)
# Retries while the SMTP server refuses: soon at first, then every few minutes, for two days.
MAIL_RETRY_DELAYS = tuple(timedelta(seconds=s) for s in (10, 60, 300, 900, 1800))
MAIL_RETRY_EVERY = timedelta(hours=1)
MAIL_GIVE_UP_AFTER = timedelta(days=2)


class Mail(StrEnum):
    RECEIVED = "received"  # awaiting the organisation's approval
    CONFIRMED = "confirmed"
    RECEIPT = "receipt"
    PAYMENT_FAILED = "payment_failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"
    REMINDER = "reminder"
    FIND_BOOKING = "find_booking"
    PAYMENT_LINK = "payment_link"
    ORGANISATION_NEW = "organisation_new"
    ORGANISATION_CANCELLED = "organisation_cancelled"


class Audience(StrEnum):
    CUSTOMER = "customer"
    ORGANISATION = "organisation"


@dataclass(frozen=True)
class Recipients:
    """What is known of who could be told about one reservation."""

    customer_email: str | None
    organisation_email: str | None
    made_by_customer: bool  # public routes and customer accounts, not staff or API keys


_FOR_CUSTOMER = {
    "reservation.confirmed": Mail.CONFIRMED,
    "payment.succeeded": Mail.RECEIPT,
    "payment.failed": Mail.PAYMENT_FAILED,
    "reservation.expired": Mail.EXPIRED,
    "reservation.cancelled": Mail.CANCELLED,
    "reservation.rescheduled": Mail.RESCHEDULED,
}
_FOR_ORGANISATION = {
    "reservation.created": Mail.ORGANISATION_NEW,
    "reservation.cancelled": Mail.ORGANISATION_CANCELLED,
}


def mails_for(event_type: str, status_then: str, who: Recipients) -> list[tuple[Mail, str]]:
    """The messages one event sends, each with its address: a booking made confirmed is told as confirmed,
    one awaiting approval as received, one awaiting payment not yet (its payment or expiry tells)."""
    found: list[tuple[Mail, str]] = []
    customer = _FOR_CUSTOMER.get(event_type)
    if event_type == "reservation.created":
        customer = {"confirmed": Mail.CONFIRMED, "pending": Mail.RECEIVED}.get(status_then)
    if customer is not None and who.customer_email:
        found.append((customer, who.customer_email))
    staff = _FOR_ORGANISATION.get(event_type)
    if staff is not None and who.made_by_customer and who.organisation_email:
        found.append((staff, who.organisation_email))
    return found


def reminder_due(start: datetime, booked_at: datetime, reminded_for: datetime | None, now: datetime) -> bool:
    """A reminder once per start time, within the 24 h before it, unless it was booked inside them."""
    opens = start - REMINDER_AHEAD
    return reminded_for != start and opens <= now < start and booked_at < opens


def next_mail_attempt(attempts: int, first: datetime, now: datetime, scale: float = 1.0) -> datetime | None:
    """When to try a refused message again, or None once it has been refused for two days (`scale` < 1
    runs the schedule faster, for tests)."""
    delay = MAIL_RETRY_DELAYS[attempts - 1] if 0 < attempts <= len(MAIL_RETRY_DELAYS) else MAIL_RETRY_EVERY
    due = now + delay * scale
    return due if due <= first + MAIL_GIVE_UP_AFTER * scale else None
