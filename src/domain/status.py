"""The reservation status machine and the payment status."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from domain.errors import InvalidTransition


class ReservationStatus(StrEnum):
    PENDING = "pending"
    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    WAITLIST = "waitlist"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


class PaymentStatus(StrEnum):
    NOT_REQUIRED = "not_required"
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


S = ReservationStatus

ALLOWED: dict[ReservationStatus, frozenset[ReservationStatus]] = {
    S.PENDING: frozenset({S.CONFIRMED, S.CANCELLED}),
    # paid: confirmed, or pending when the type requires approval
    S.PENDING_PAYMENT: frozenset({S.CONFIRMED, S.PENDING, S.EXPIRED, S.CANCELLED}),
    S.EXPIRED: frozenset({S.PENDING_PAYMENT}),
    S.CONFIRMED: frozenset({S.COMPLETED, S.CANCELLED, S.NO_SHOW}),
    S.WAITLIST: frozenset({S.PENDING, S.CONFIRMED, S.CANCELLED}),
    S.CANCELLED: frozenset(),
    S.COMPLETED: frozenset(),
    S.NO_SHOW: frozenset(),
}

# Statuses whose allocations take capacity (pending_payment only while its hold lasts).
HOLDING = frozenset({S.PENDING, S.CONFIRMED, S.PENDING_PAYMENT})
STAFF_INITIAL = frozenset({S.PENDING, S.CONFIRMED, S.WAITLIST})
# Moves a staff PATCH may make; expired -> pending_payment belongs to checkout-retry alone.
STAFF_TARGETS = frozenset({S.PENDING, S.CONFIRMED, S.CANCELLED, S.COMPLETED, S.NO_SHOW})


def is_holding(status: ReservationStatus, hold_expires_at: datetime | None, now: datetime) -> bool:
    """Whether a reservation in this status takes capacity at `now`."""
    if status == S.PENDING_PAYMENT:
        return hold_expires_at is None or hold_expires_at > now
    return status in HOLDING


def check_transition(
    current: ReservationStatus, target: ReservationStatus, start_time: datetime, now: datetime
) -> None:
    """Raise InvalidTransition unless the status machine allows current -> target now."""
    if target not in ALLOWED[current]:
        raise InvalidTransition(f"a {current} reservation cannot become {target}")
    if target in (S.COMPLETED, S.NO_SHOW) and start_time > now:
        raise InvalidTransition(f"a reservation becomes {target} only once it has started")


def takes_capacity_on(current: ReservationStatus, target: ReservationStatus) -> bool:
    """Whether the move needs a capacity check: from holding nothing to holding."""
    return target in HOLDING and current not in HOLDING
