"""The reservation: what was booked, for whom, at what price, and where it stands."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.allocation import Allocation
from domain.cancellation import PolicyTier
from domain.errors import AlreadyCancelled, InvalidInput
from domain.money import Quote
from domain.status import PaymentStatus, ReservationStatus, check_transition, is_holding

# Crockford-style alphabet without 0/O, 1/I/L: a reference read over the phone stays unambiguous.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
MAX_NOTES = 2048
MAX_PAYMENT_RETRIES = 5  # checkout-retry gives a reservation at most this many more Checkout Sessions
# Payment states in which no retry may start: money is moving or has arrived.
_PAID_OR_PAYING = frozenset(
    {
        PaymentStatus.PROCESSING,
        PaymentStatus.SUCCEEDED,
        PaymentStatus.REFUNDED,
        PaymentStatus.PARTIALLY_REFUNDED,
    }
)


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


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


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
    if end - start > timedelta(days=31):
        raise InvalidInput("a reservation lasts at most 31 days", "endTime")


@dataclass
class Reservation:
    id: int
    organisation_id: int
    resource_type_id: int
    reference: str
    start_time: datetime
    end_time: datetime
    quantity: int
    status: ReservationStatus
    payment_status: PaymentStatus
    quote: Quote
    customer: Customer = field(default_factory=Customer)
    notes: str | None = None
    source: str = "staff"
    requires_payment: bool = False
    payment_required_snapshot: bool = False
    approval_required: bool = False  # the type's requiresApproval when it was booked
    cancellation_policy_snapshot: tuple[PolicyTier, ...] = ()
    allocations: list[Allocation] = field(default_factory=list)
    allocation_mode: str = "best_fit"
    hold_expires_at: datetime | None = None
    stripe_checkout_session_id: str | None = None
    checkout_attempt: int = 0
    checkout_claimed_until: datetime | None = None  # a checkout-retry is opening a session until then
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    created_by_user_id: int | None = None
    api_key_id: int | None = None
    manage_token_nonce: str | None = None
    deleted_at: datetime | None = None  # removed by staff: history only, never booked again

    @property
    def resource_ids(self) -> list[int]:
        return [a.resource_id for a in self.allocations]

    def holds_capacity(self, now: datetime) -> bool:
        return is_holding(self.status, self.hold_expires_at, now)

    @property
    def awaits_approval(self) -> bool:
        """Paid, or free, and waiting for staff to confirm it (a type that requires approval)."""
        return self.status == ReservationStatus.PENDING

    @property
    def paid_status(self) -> ReservationStatus:
        """Where a payment takes a reservation awaiting it: confirmed, or pending when staff approve first."""
        return ReservationStatus.PENDING if self.approval_required else ReservationStatus.CONFIRMED

    def payment_retry_open(self, now: datetime) -> bool:
        """Whether another payment attempt may start now, capacity apart (checked where usage is known):
        awaiting payment or lapsed, nothing paid or in flight, under the retry limit, no retry running."""
        return (
            self.requires_payment
            and self.deleted_at is None
            and self.status in (ReservationStatus.PENDING_PAYMENT, ReservationStatus.EXPIRED)
            and self.payment_status not in _PAID_OR_PAYING
            and self.checkout_attempt <= MAX_PAYMENT_RETRIES
            and (self.checkout_claimed_until is None or self.checkout_claimed_until <= now)
        )

    def move_to(self, target: ReservationStatus, now: datetime) -> None:
        """Change status along the status machine, stamping confirmation and cancellation times."""
        if target == ReservationStatus.CANCELLED and self.status == ReservationStatus.CANCELLED:
            raise AlreadyCancelled("the reservation is already cancelled")
        check_transition(self.status, target, self.start_time, now)
        self.status = target
        if target == ReservationStatus.CONFIRMED:
            self.confirmed_at = now
        if target == ReservationStatus.CANCELLED:
            self.cancelled_at = now
