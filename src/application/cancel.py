"""Cancelling a reservation, and the money that goes back: by the snapshot policy, in full, or none."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from application.access import authorize
from application.booking import retrying
from application.checkout import Checkouts
from application.payments import Cashier
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.access import REFUNDS, RESERVATIONS_READ, RESERVATIONS_WRITE
from domain.cancellation import policy_refund, refund_due
from domain.errors import InvalidInput, NotFound, RefundExceedsPayment
from domain.identity import Caller
from domain.payment import Payment, Refund, refundable, refunded_for
from domain.reservation import Reservation

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


def check_reason(reason: str | None) -> None:
    if reason is not None and len(reason) > 500:
        raise InvalidInput("a reason of at most 500 characters", "reason")


def refund_rule(reservation: Reservation, rule: str) -> str:
    """The rule a cancellation refunds by: a paid booking that staff never approved gets everything back."""
    if rule == "policy" and reservation.awaits_approval and reservation.requires_payment:
        return "full"
    return rule


async def money_back(
    uow: UnitOfWork, reservation: Reservation, rule: str, now: datetime
) -> tuple[Payment | None, int]:
    """The booking payment and what a cancellation now gives back of it under the rule."""
    payments, refunds = await uow.payments.of_reservation(reservation.organisation_id, reservation.id)
    left = refundable(payments, refunds)
    booking = next((p for p in payments if p.kind == "booking" and p.amount > refunded_for(p, refunds)), None)
    if booking is None or left <= 0 or rule == "none":
        return booking, 0
    if rule == "full":
        return booking, left
    q = reservation.quote
    by_policy = policy_refund(
        reservation.cancellation_policy_snapshot, q.subtotal, q.taxes, reservation.start_time, now
    )
    already = sum(refunded_for(p, refunds) for p in payments if p.kind == "booking")
    return booking, refund_due(by_policy, already, left)


async def cancel_with_refund(
    uow: UnitOfWork, cashier: Cashier, reservation: Reservation, reason: str | None, rule: str, key: str
) -> Cancellation:
    """Cancel (status machine permitting) and refund by the rule, in the caller's unit of work."""
    now = cashier.clock.now()
    rule = refund_rule(reservation, rule)
    reservation.cancel(reason, now)
    payment, amount = await money_back(uow, reservation, rule, now)
    refund: Refund | None = None
    if payment is not None and amount > 0:
        refund = await cashier.refund(uow, reservation, payment, amount, "requested_by_customer", key)
    saved = await uow.reservations.update(reservation)
    currency = saved.quote.currency
    if refund is None:
        return Cancellation(saved, RefundOutcome(False, 0, currency, "none"))
    return Cancellation(saved, RefundOutcome(True, refund.amount, currency, refund.status))


class CancelReservation:
    """Staff cancel along the status machine; money goes back by the chosen rule (all of it: admins)."""

    def __init__(self, uow: UnitOfWorkFactory, cashier: Cashier, checkouts: Checkouts) -> None:
        self.uow, self.cashier, self.checkouts = uow, cashier, checkouts

    async def __call__(
        self, caller: Caller, reservation_id: int, reason: str | None, refund: str = "policy"
    ) -> Cancellation:
        organisation_id, _ = authorize(caller, REFUNDS if refund == "full" else RESERVATIONS_WRITE)
        check_reason(reason)
        if refund not in REFUND_CHOICES:
            raise InvalidInput("refund is policy, full or none", "refund")
        async with self.uow() as uow:
            found = await uow.reservations.get(organisation_id, reservation_id)
        await self.checkouts.end_open_session(found)  # first, and outside any transaction

        async def attempt() -> Cancellation:
            async with self.uow() as uow:
                current = await uow.reservations.get(organisation_id, reservation_id, lock=True)
                if current is None:
                    raise NotFound("no such reservation")
                key = f"refund:{reservation_id}:cancel"  # a retried attempt asks for the same refund
                done = await cancel_with_refund(uow, self.cashier, current, reason, refund, key)
                await uow.commit()
            return done

        return await retrying(attempt)


class RefundReservation:
    """A staff refund (admin or owner): all that remains by default; never beyond what was paid."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, cashier: Cashier) -> None:
        self.uow, self.clock, self.cashier = uow, clock, cashier

    async def __call__(
        self, caller: Caller, reservation_id: int, amount: int | None, reason: str | None, key: str | None
    ) -> Refund:
        organisation_id, _ = authorize(caller, REFUNDS)
        check_reason(reason)
        if amount is not None and amount <= 0:
            raise InvalidInput("amount must be above 0", "amount")
        async with self.uow() as uow:
            current = await uow.reservations.get(organisation_id, reservation_id, lock=True)
            if current is None:
                raise NotFound("no such reservation")
            payment, left = await money_back(uow, current, "full", self.clock.now())
            if payment is None or left <= 0:
                raise RefundExceedsPayment("nothing paid remains to refund")
            amount = left if amount is None else amount
            if amount > left:
                raise RefundExceedsPayment(f"at most {left} remains to refund")
            idempotency = f"refund:{reservation_id}:{key or uuid.uuid4().hex}"
            made = await self.cashier.refund(uow, current, payment, amount, reason, idempotency)
            await uow.reservations.update(current)
            await uow.commit()
        assert made is not None
        return made


class ReservationLedger:
    """Payments and refunds of a reservation, for staff."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow

    async def __call__(self, caller: Caller, reservation_id: int) -> tuple[list[Payment], list[Refund]]:
        organisation_id, _ = authorize(caller, RESERVATIONS_READ)
        async with self.uow() as uow:
            if await uow.reservations.get(organisation_id, reservation_id) is None:
                raise NotFound("no such reservation")
            return await uow.payments.of_reservation(organisation_id, reservation_id)
