"""What money does to a reservation: confirm it, or give the money back when the booking cannot be kept."""

from __future__ import annotations

from datetime import datetime

from application.context import Context
from application.holds import expire_lapsed_around
from application.ports import UnitOfWork
from domain.errors import CapacityConflict
from domain.payment import Payment, Refund, refunded_for, reservation_payment_status, settled_status
from domain.reservation import Reservation
from domain.status import PaymentStatus, ReservationStatus

S = ReservationStatus
P = PaymentStatus
KEPT = ("succeeded", "partially_refunded", "refunded")


async def refund_payment(
    ctx: Context,
    uow: UnitOfWork,
    reservation: Reservation,
    payment: Payment,
    amount: int,
    reason: str | None,
    key: str,
) -> Refund | None:
    """Send `amount` of a payment back through the provider and record it; one key never refunds twice."""
    if amount <= 0 or not payment.payment_intent_id:
        return None
    result = await ctx.gateway.refund(payment.payment_intent_id, amount, reason, key)
    refund = Refund(0, payment.id, result.amount, payment.currency, result.status, result.id, reason)
    recorded = await uow.payments.add_refund(reservation.organisation_id, reservation.id, refund)
    if recorded is not None:  # None: this provider refund was recorded before (a retried request)
        reservation.refunded(ctx.clock.now(), recorded.amount, recorded.currency, recorded.stripe_refund_id)
    await settle(uow, reservation)
    return recorded or refund


async def settle(uow: UnitOfWork, reservation: Reservation) -> None:
    """Bring each payment's status and the reservation's paymentStatus in line with the ledger."""
    payments, refunds = await uow.payments.of_reservation(reservation.organisation_id, reservation.id)
    for p in payments:
        if p.status in KEPT:
            status = settled_status(p.amount, refunded_for(p, refunds))
            if status != p.status:
                await uow.payments.set_status(p.id, status)
    payments, _ = await uow.payments.of_reservation(reservation.organisation_id, reservation.id)
    reservation.settle(reservation_payment_status(reservation.payment_status, payments))


async def payment_received(
    ctx: Context,
    uow: UnitOfWork,
    reservation: Reservation,
    intent_id: str,
    amount: int,
    currency: str,
    session_id: str | None,
    settled: bool,
    now: datetime,
) -> None:
    """A payment for the reservation (settled, or still processing): confirm it, or refund it in full.

    Guarded by the current state, so a repeated or late event changes nothing more.
    """
    org_id = reservation.organisation_id
    existing = await uow.payments.by_intent(org_id, intent_id)
    if existing is not None and (
        existing.status in KEPT or (existing.status in ("processing", "failed") and not settled)
    ):
        return
    payments, _ = await uow.payments.of_reservation(org_id, reservation.id)
    already_paid = any(
        p.kind == "booking" and p.status in KEPT and p.payment_intent_id != intent_id for p in payments
    )
    status = "succeeded" if settled else "processing"
    if existing is None:
        kind = "extra" if already_paid else "booking"
        payment = await uow.payments.add(
            Payment(0, org_id, reservation.id, amount, currency, status, kind, intent_id, session_id)
        )
    else:
        await uow.payments.set_status(existing.id, status)
        payment = existing
    if not settled:
        reservation.payment_processing()
        await uow.reservations.update(reservation)
        return
    reservation.paid(now, amount, currency, intent_id)
    if payment.kind == "extra":
        await refund_payment(ctx, uow, reservation, payment, amount, "duplicate", f"refund:{intent_id}:extra")
        await uow.reservations.update(reservation)
        return
    await _keep_or_return(ctx, uow, reservation, payment, amount, now)


async def _keep_or_return(
    ctx: Context, uow: UnitOfWork, reservation: Reservation, payment: Payment, amount: int, now: datetime
) -> None:
    """Confirm the paid reservation (or leave it awaiting approval) if it can still be held; otherwise
    refund the payment in full: a cancelled or deleted booking keeps no money."""
    live = reservation.deleted_at is None
    if live and reservation.status in (S.CONFIRMED, S.PENDING, S.COMPLETED, S.NO_SHOW):
        await settle(uow, reservation)
        await uow.reservations.update(reservation)
        return
    if live and reservation.status in (S.PENDING_PAYMENT, S.EXPIRED):
        try:
            async with uow.savepoint():
                if not reservation.holds_capacity(now):
                    await expire_lapsed_around(uow, reservation, now)
                reservation.payment_arrived(now)
                await settle(uow, reservation)
                await uow.reservations.update(reservation)
            return
        except CapacityConflict:
            # The hold lapsed and someone else has the time now: the money goes back.
            fresh = await uow.reservations.get(reservation.organisation_id, reservation.id, lock=True)
            assert fresh is not None
            fresh.events.extend(reservation.events)  # the payment's own event still happened
            reservation = fresh
            reservation.expire_hold(now)
    await refund_payment(
        ctx,
        uow,
        reservation,
        payment,
        amount,
        "requested_by_customer",
        f"refund:{payment.payment_intent_id}:full",
    )
    await uow.reservations.update(reservation)


async def payment_failed(
    uow: UnitOfWork, reservation: Reservation, intent_id: str | None, now: datetime
) -> None:
    """A declined or failed payment: the customer may try again while the hold lasts."""
    if intent_id:
        existing = await uow.payments.by_intent(reservation.organisation_id, intent_id)
        if existing is not None and existing.status == "processing":
            await uow.payments.set_status(existing.id, "failed")
    reservation.payment_failed(now, reservation.quote.total, intent_id)
    await uow.reservations.update(reservation)


async def checkout_expired(uow: UnitOfWork, reservation: Reservation, session_id: str, now: datetime) -> None:
    """The current Checkout Session expired unpaid: the hold ends (a cancelled hold's session can no
    longer be paid, which ends the wait for word from the provider)."""
    if reservation.stripe_checkout_session_id != session_id or reservation.payment_status not in (
        P.PENDING,
        P.FAILED,
    ):
        return
    reservation.expire_hold(now)
    reservation.checkout_ended()
    await uow.reservations.update(reservation)
