"""Payments and refunds of a reservation, and the payment status they add up to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.status import PaymentStatus


@dataclass(frozen=True)
class Payment:
    """Money received for a reservation: the booking's own payment, or an extra one owed back."""

    id: int
    organisation_id: int
    reservation_id: int
    amount: int
    currency: str
    status: str  # processing, succeeded, failed, partially_refunded, refunded
    kind: str = "booking"  # "booking" or "extra"
    payment_intent_id: str | None = None
    checkout_session_id: str | None = None
    charge_id: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Refund:
    id: int
    payment_id: int
    amount: int
    currency: str
    status: str  # pending, succeeded, failed
    stripe_refund_id: str | None = None
    reason: str | None = None
    created_at: datetime | None = None


def settled_status(amount: int, refunded: int) -> str:
    """A received payment's status from what has gone back."""
    if refunded <= 0:
        return "succeeded"
    return "refunded" if refunded >= amount else "partially_refunded"


def refunded_for(payment: Payment, refunds: Sequence[Refund]) -> int:
    return sum(r.amount for r in refunds if r.payment_id == payment.id and r.status != "failed")


def refundable(payments: Sequence[Payment], refunds: Sequence[Refund]) -> int:
    """What the booking payment can still give back."""
    return sum(
        p.amount - refunded_for(p, refunds)
        for p in payments
        if p.kind == "booking" and p.status in ("succeeded", "partially_refunded")
    )


def reservation_payment_status(current: PaymentStatus, payments: Sequence[Payment]) -> PaymentStatus:
    """The reservation's paymentStatus: its booking payment's, or what it was when there is none."""
    booking = [p for p in payments if p.kind == "booking"]
    if not booking:
        return current
    return PaymentStatus(booking[-1].status)


DISPUTE_STATUSES = ("none", "open", "won", "lost")


def dispute_status_of(provider_status: str) -> str:
    """Stripe's dispute status as ours: won and lost are final; an inquiry closed without a chargeback
    (`warning_closed`) leaves no dispute; anything else is open."""
    if provider_status in ("won", "lost"):
        return provider_status
    return "none" if provider_status == "warning_closed" else "open"
