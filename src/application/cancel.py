"""Cancelling a reservation, by staff or by the customer's manage token."""

from __future__ import annotations

from dataclasses import dataclass

from application.access import authorize
from application.context import Context
from application.reservations import WRITE
from domain.errors import InvalidInput, NotFound
from domain.identity import Caller
from domain.reservation import Reservation
from domain.status import ReservationStatus

REFUND_CHOICES = ("policy", "full", "none")


@dataclass(frozen=True)
class RefundOutcome:
    eligible: bool
    amount: int
    currency: str
    status: str  # "none", "pending", "succeeded", "failed"


@dataclass(frozen=True)
class Cancellation:
    reservation: Reservation
    refund: RefundOutcome


def _check_reason(reason: str | None) -> None:
    if reason is not None and len(reason) > 500:
        raise InvalidInput("a reason of at most 500 characters", "reason")


async def cancel_reservation(
    ctx: Context, caller: Caller, reservation_id: int, reason: str | None, refund: str = "policy"
) -> Cancellation:
    """Cancel along the status machine; money goes back by the chosen rule (payments come later)."""
    organisation_id, _ = authorize(caller, WRITE)
    _check_reason(reason)
    if refund not in REFUND_CHOICES:
        raise InvalidInput("refund is policy, full or none", "refund")
    now = ctx.clock.now()
    async with ctx.uow() as uow:
        current = await uow.reservations.get(organisation_id, reservation_id, lock=True)
        if current is None:
            raise NotFound("no such reservation")
        current.move_to(ReservationStatus.CANCELLED, now)
        current.cancel_reason = reason
        saved = await uow.reservations.update(current)
        await uow.commit()
    return Cancellation(saved, RefundOutcome(False, 0, saved.quote.currency, "none"))
