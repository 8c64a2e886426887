"""The reservation aggregate: what was booked, for whom, at what price, and where it stands.

Every change of its status, hold or payment state is one of its methods below; each enforces the status
machine and records what happened in `events`, which the unit of work writes to the outbox in the same
transaction. Nothing outside the domain assigns those fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.allocation import Allocation
from domain.booking import (  # re-exported: where a booking's helpers have always been found
    MAX_NOTES,
    REFERENCE_ALPHABET,
    Customer,
    check_notes,
    check_times,
    make_reference,
    units_for,
)
from domain.cancellation import PolicyTier
from domain.errors import AlreadyCancelled, InvalidTransition, RescheduleNotPossible
from domain.events import (
    HoldExpired,
    PaymentDisputed,
    PaymentFailed,
    PaymentRefunded,
    PaymentSucceeded,
    ReservationCancelled,
    ReservationCompleted,
    ReservationConfirmed,
    ReservationCreated,
    ReservationEvent,
    ReservationNoShow,
    ReservationRescheduled,
    ReservationUpdated,
)
from domain.money import Quote
from domain.payment import DISPUTE_STATUSES
from domain.status import STAFF_TARGETS, PaymentStatus, ReservationStatus, check_transition, is_holding
from domain.stays import BookingUnit, Period, Stay

__all__ = [
    "MAX_NOTES",
    "MAX_PAYMENT_RETRIES",
    "MONEY_HELD",
    "REFERENCE_ALPHABET",
    "Customer",
    "Draft",
    "Reservation",
    "check_notes",
    "check_times",
    "make_reference",
    "units_for",
]

S, P = ReservationStatus, PaymentStatus
MAX_PAYMENT_RETRIES = 5  # checkout-retry gives a reservation at most this many more Checkout Sessions
# Payment states in which no retry may start: money is moving or has arrived.
_PAID_OR_PAYING = frozenset({P.PROCESSING, P.SUCCEEDED, P.REFUNDED, P.PARTIALLY_REFUNDED})
# Payment states in which the reservation holds the customer's money (or is about to).
MONEY_HELD = frozenset({P.SUCCEEDED, P.PARTIALLY_REFUNDED, P.PROCESSING})
# What a customer may move: a booking that stands (a payment hold is paid or let go first).
_MOVABLE = frozenset({S.CONFIRMED, S.PENDING})


@dataclass(frozen=True)
class Draft:
    """Everything a new reservation is made of, before the rules decide where it starts."""

    organisation_id: int
    resource_type_id: int
    reference: str
    start_time: datetime
    end_time: datetime
    quantity: int
    quote: Quote
    allocations: list[Allocation]
    allocation_mode: str
    cancellation_policy: tuple[PolicyTier, ...]
    customer: Customer = field(default_factory=Customer)
    notes: str | None = None
    source: str = "staff"
    payment_required_snapshot: bool = False
    approval_required: bool = False
    created_by_user_id: int | None = None
    api_key_id: int | None = None
    manage_token_nonce: str | None = None
    stay: Stay | None = None
    adults: int | None = None
    children: int | None = None
    customer_user_id: int | None = None  # the customer's own account, when they booked logged in


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
    stay: Stay | None = None  # the nights or days of a stay; None for a booking by the slot
    adults: int | None = None
    children: int | None = None
    customer_user_id: int | None = None  # the customer's own account, when they booked logged in
    dispute_status: str = "none"  # none, open, won, lost
    stripe_payment_intent_id: str | None = None  # the saved-card attempt in flight, if any
    events: list[ReservationEvent] = field(default_factory=list, compare=False, repr=False)

    # -- creation -----------------------------------------------------------------------------------

    @classmethod
    def book(
        cls,
        draft: Draft,
        now: datetime,
        *,
        hold_until: datetime | None = None,
        staff_status: ReservationStatus | None = None,
    ) -> Reservation:
        """A new reservation where the type's rules start it: a payment hold until `hold_until` when it is
        paid online, else pending when the type requires approval, else confirmed (staff choose)."""
        if hold_until is not None:
            status, payment = S.PENDING_PAYMENT, P.PENDING
        elif staff_status is not None:
            status, payment = staff_status, P.NOT_REQUIRED
        else:
            status = S.PENDING if draft.approval_required else S.CONFIRMED
            payment = P.NOT_REQUIRED
        made = cls(
            id=0,
            organisation_id=draft.organisation_id,
            resource_type_id=draft.resource_type_id,
            reference=draft.reference,
            start_time=draft.start_time,
            end_time=draft.end_time,
            quantity=draft.quantity,
            status=status,
            payment_status=payment,
            quote=draft.quote,
            customer=draft.customer,
            notes=draft.notes,
            source=draft.source,
            requires_payment=hold_until is not None,
            payment_required_snapshot=draft.payment_required_snapshot,
            approval_required=draft.approval_required,
            cancellation_policy_snapshot=draft.cancellation_policy,
            allocations=list(draft.allocations),
            allocation_mode=draft.allocation_mode,
            hold_expires_at=hold_until,
            checkout_attempt=1 if hold_until is not None else 0,
            confirmed_at=now if status == S.CONFIRMED else None,
            created_by_user_id=draft.created_by_user_id,
            api_key_id=draft.api_key_id,
            manage_token_nonce=draft.manage_token_nonce,
            stay=draft.stay,
            adults=draft.adults,
            children=draft.children,
            customer_user_id=draft.customer_user_id,
        )
        made.events.append(ReservationCreated(now))
        return made

    # -- what it is ---------------------------------------------------------------------------------

    @property
    def booking_unit(self) -> BookingUnit:
        return self.stay.unit if self.stay is not None else BookingUnit.SLOT

    @property
    def period(self) -> Period:
        return Period(self.start_time, self.end_time, self.stay)

    @property
    def guests(self) -> tuple[int | None, int | None, int]:
        """Adults, children and units booked: what the type's maxGuests is checked against."""
        return self.adults, self.children, self.quantity

    @property
    def resource_ids(self) -> list[int]:
        return [a.resource_id for a in self.allocations]

    def holds_capacity(self, now: datetime) -> bool:
        return is_holding(self.status, self.hold_expires_at, now)

    @property
    def awaits_approval(self) -> bool:
        """Waiting for staff to confirm it (a type that requires approval), paid or free."""
        return self.status == S.PENDING

    @property
    def paid_status(self) -> ReservationStatus:
        """Where a payment takes a reservation awaiting it: confirmed, or pending when staff approve first."""
        return S.PENDING if self.approval_required else S.CONFIRMED

    def payment_retry_open(self, now: datetime) -> bool:
        """Whether another payment attempt may start now, capacity apart (checked where usage is known):
        awaiting payment or lapsed, nothing paid or in flight, under the retry limit, no retry running."""
        return (
            self.requires_payment
            and self.deleted_at is None
            and self.status in (S.PENDING_PAYMENT, S.EXPIRED)
            and self.payment_status not in _PAID_OR_PAYING
            and self.checkout_attempt <= MAX_PAYMENT_RETRIES
            and (self.checkout_claimed_until is None or self.checkout_claimed_until <= now)
        )

    # -- staff changes ------------------------------------------------------------------------------

    def change_status(self, target: ReservationStatus, now: datetime) -> None:
        """A status staff ask for (PATCH): along the status machine, by the transition that means it."""
        if target not in STAFF_TARGETS or target == self.status:
            raise InvalidTransition(f"a {self.status} reservation cannot become {target}")
        if target == S.CONFIRMED:
            self.confirm(now)
        elif target == S.CANCELLED:
            if self.payment_status in MONEY_HELD:
                raise InvalidTransition(
                    "a paid reservation is cancelled with POST /api/reservations/{id}/cancel, "
                    "which decides the refund"
                )
            self.cancel(None, now)
        elif target == S.COMPLETED:
            self.complete(now)
        elif target == S.NO_SHOW:
            self.mark_no_show(now)
        else:
            self._move(target, now)
            self.events.append(ReservationUpdated(now))

    def confirm(self, now: datetime) -> None:
        """Staff confirm: a pending or waitlisted booking, or a paid one awaiting approval."""
        if self.requires_payment and not (self.awaits_approval and self.payment_status in MONEY_HELD):
            raise InvalidTransition("a payment-required reservation is confirmed by its payment")
        self._move(S.CONFIRMED, now)
        self.events.append(ReservationConfirmed(now))

    def cancel(self, reason: str | None, now: datetime) -> None:
        self._move(S.CANCELLED, now)
        self.cancel_reason = reason
        self.events.append(ReservationCancelled(now, reason))

    def complete(self, now: datetime) -> None:
        self._move(S.COMPLETED, now)
        self.events.append(ReservationCompleted(now))

    def mark_no_show(self, now: datetime) -> None:
        self._move(S.NO_SHOW, now)
        self.events.append(ReservationNoShow(now))

    def reschedule(self, period: Period, now: datetime) -> None:
        """Move to another time (capacity is the caller's to check, on its resources)."""
        check_times(period.start, period.end)
        if period == self.period:
            return
        previous = (self.start_time, self.end_time)
        self.start_time, self.end_time, self.stay = period.start, period.end, period.stay
        self.events.append(ReservationRescheduled(now, *previous))

    def reschedule_by_customer(
        self, period: Period, total: int, now: datetime, min_hours_before: int
    ) -> None:
        """The customer moves the booking: one that stands, until `min_hours_before` its start, to a time
        whose quote comes to the same `total` (the public rules and capacity are the caller's to check)."""
        self.check_movable_by_customer(now, min_hours_before)
        if total != self.quote.total:
            raise RescheduleNotPossible("the new time has another price; cancel and book it instead")
        self.reschedule(period, now)

    def check_movable_by_customer(self, now: datetime, min_hours_before: int) -> None:
        """RescheduleNotPossible unless the customer may still move it: it stands and starts later than
        `min_hours_before` from now."""
        if self.status not in _MOVABLE:
            raise RescheduleNotPossible(f"a {self.status} booking cannot be moved online")
        if now > self.start_time - timedelta(hours=min_hours_before):
            raise RescheduleNotPossible(
                f"a booking can be moved online until {min_hours_before} hours before it starts"
            )

    def amend(
        self,
        now: datetime,
        customer: Customer | None = None,
        notes: str | None = None,
        change_notes: bool = False,
        quantity: int | None = None,
        guests: tuple[int | None, int | None] | None = None,
    ) -> None:
        """New details: the customer, notes, the number of units, or the adults and children."""
        if change_notes:
            check_notes(notes)
        before = (self.customer, self.notes, self.quantity, self.adults, self.children)
        self.customer = customer or self.customer
        self.notes = notes if change_notes else self.notes
        self.quantity = quantity or self.quantity
        if guests is not None:
            self.adults, self.children = guests
        if (self.customer, self.notes, self.quantity, self.adults, self.children) != before:
            self.events.append(ReservationUpdated(now))

    def place_on(self, allocations: list[Allocation], mode: str) -> None:
        """The resources it occupies (chosen by allocation, checked by the database)."""
        self.allocations = list(allocations)
        self.allocation_mode = mode

    # -- payment ------------------------------------------------------------------------------------

    def payment_arrived(self, now: datetime) -> None:
        """A payment took a hold, lapsed or not: confirmed, or pending when staff approve first."""
        if self.status not in (S.PENDING_PAYMENT, S.EXPIRED):
            raise InvalidTransition(f"a {self.status} reservation awaits no payment")
        if self.status == S.EXPIRED:
            self._move(S.PENDING_PAYMENT, now)
        target = self.paid_status
        self._move(target, now)
        self.hold_expires_at = None
        self.events.append(ReservationConfirmed(now) if target == S.CONFIRMED else ReservationUpdated(now))

    def payment_processing(self) -> None:
        """The payment is on its way (a bank transfer, a delayed method): no retry meanwhile."""
        if self.status == S.PENDING_PAYMENT:
            self.payment_status = P.PROCESSING

    def payment_failed(self, now: datetime, amount: int = 0, stripe_id: str | None = None) -> None:
        """A declined or failed payment: the customer may try again while the hold lasts."""
        if self.status == S.PENDING_PAYMENT and self.payment_status in (P.PENDING, P.PROCESSING):
            self.payment_status = P.FAILED
            self.events.append(PaymentFailed(now, amount, self.quote.currency, stripe_id))

    def expire_hold(self, now: datetime) -> None:
        """The hold ended unpaid: the time is free again; a later payment confirms only if it still is."""
        if self.status != S.PENDING_PAYMENT:
            return
        self._move(S.EXPIRED, now)
        if self.payment_status in (P.PENDING, P.FAILED):
            self.payment_status = P.EXPIRED
        self.events.append(HoldExpired(now))

    def renew_hold(self, until: datetime, now: datetime) -> None:
        """Another payment attempt: the hold runs again until `until` (a lapsed one takes the time back)."""
        if self.status == S.EXPIRED:
            self._move(S.PENDING_PAYMENT, now)
        if self.status != S.PENDING_PAYMENT:
            raise InvalidTransition(f"a {self.status} reservation awaits no payment")
        self.hold_expires_at = until
        self.payment_status = P.PENDING

    def payment_link_opened(self) -> None:
        """Staff sent a payment link for a booking they made: it stays as it is, its money is awaited."""
        if self.status not in (S.CONFIRMED, S.PENDING) or self.deleted_at is not None:
            raise InvalidTransition(f"a {self.status} reservation is not paid by link")
        if self.payment_status in _PAID_OR_PAYING:
            raise InvalidTransition("this reservation is paid or being paid")
        self.payment_status = P.PENDING

    def payment_link_ended(self) -> None:
        """The link expired unpaid: nothing is awaited any more (the booking itself never depended on it)."""
        if self.status in (S.CONFIRMED, S.PENDING, S.COMPLETED) and self.payment_status == P.PENDING:
            self.payment_status = P.NOT_REQUIRED

    def count_attempt(self) -> None:
        """One more Checkout Session for this reservation (its idempotency key counts them)."""
        self.checkout_attempt += 1

    def checkout_ended(self) -> None:
        """The session of a cancelled hold can no longer be paid: nothing more is awaited of it."""
        if self.status == S.CANCELLED and self.payment_status in (P.PENDING, P.FAILED):
            self.payment_status = P.EXPIRED

    def settle(self, status: PaymentStatus) -> None:
        """The payment status the ledger adds up to."""
        self.payment_status = status

    def paid(self, now: datetime, amount: int, currency: str, stripe_id: str | None) -> None:
        self.events.append(PaymentSucceeded(now, amount, currency, stripe_id))

    def refunded(self, now: datetime, amount: int, currency: str, stripe_id: str | None) -> None:
        self.events.append(PaymentRefunded(now, amount, currency, stripe_id))

    def disputed(self, now: datetime, status: str, amount: int, currency: str, stripe_id: str | None) -> bool:
        """A chargeback opened, changed or closed at the provider; True when the status moved (and
        payment.disputed was recorded)."""
        if status not in DISPUTE_STATUSES:
            raise ValueError(f"not a dispute status: {status}")
        if status == self.dispute_status:
            return False
        self.dispute_status = status
        self.events.append(PaymentDisputed(now, amount, currency, stripe_id, status))
        return True

    # -- the status machine -------------------------------------------------------------------------

    def _move(self, target: ReservationStatus, now: datetime) -> None:
        """Change status along the status machine, stamping confirmation and cancellation times."""
        if target == S.CANCELLED and self.status == S.CANCELLED:
            raise AlreadyCancelled("the reservation is already cancelled")
        check_transition(self.status, target, self.start_time, now)
        self.status = target
        if target == S.CONFIRMED:
            self.confirmed_at = now
        if target == S.CANCELLED:
            self.cancelled_at = now
