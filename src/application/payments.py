"""What money does to a reservation: confirm it, or give the money back when the booking cannot be kept.

The cashier takes and gives back money for the use cases that need it (webhooks, reconciliation,
cancellations, refunds), always inside their unit of work and guarded by the reservation's current state."""

from __future__ import annotations

from application.holds import expire_lapsed_around
from application.payment_ports import PaymentGateway
from application.ports import Clock, UnitOfWork
from domain.errors import CapacityConflict
from domain.payment import Payment, Refund, refunded_for, reservation_payment_status, settled_status
from domain.reservation import Reservation
from domain.status import ReservationStatus

S = ReservationStatus
KEPT = ("succeeded", "partially_refunded", "refunded")


async def settle(uow: UnitOfWork, reservation: Reservation) -> None:
    """Bring each payment's status and the reservation's paymentStatus in line with the ledger."""
    payments, refunds = await uow.payments.of_reservation(reservation.organisation_id, reservation.id)
    for p in payments:
        if p.status in KEPT:
            status = settled_status(p.amount, refunded_for(p, refunds))
            if status != p.status:
                await uow.payments.set_status(p.organisation_id, p.id, status)
    payments, _ = await uow.payments.of_reservation(reservation.organisation_id, reservation.id)
    reservation.settle(reservation_payment_status(reservation.payment_status, payments))


class Cashier:
    def __init__(self, gateway: PaymentGateway, clock: Clock) -> None:
        self.gateway, self.clock = gateway, clock

    async def refund(
        self,
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
        result = await self.gateway.refund(payment.payment_intent_id, amount, reason, key)
        refund = Refund(0, payment.id, result.amount, payment.currency, result.status, result.id, reason)
        recorded = await uow.payments.add_refund(reservation.organisation_id, reservation.id, refund)
        if recorded is not None:  # None: this provider refund was recorded before (a retried request)
            reservation.refunded(
                self.clock.now(), recorded.amount, recorded.currency, recorded.stripe_refund_id
            )
        await settle(uow, reservation)
        return recorded or refund

    async def received(
        self,
        uow: UnitOfWork,
        reservation: Reservation,
        intent_id: str,
        amount: int,
        currency: str,
        session_id: str | None,
        settled: bool,
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
            await uow.payments.set_status(existing.organisation_id, existing.id, status)
            payment = existing
        if not settled:
            reservation.payment_processing()
            await uow.reservations.update(reservation)
            return
        reservation.paid(self.clock.now(), amount, currency, intent_id)
        if payment.kind == "extra":
            await self.refund(uow, reservation, payment, amount, "duplicate", f"refund:{intent_id}:extra")
            await uow.reservations.update(reservation)
            return
        await self._keep_or_return(uow, reservation, payment, amount)

    async def _keep_or_return(
        self, uow: UnitOfWork, reservation: Reservation, payment: Payment, amount: int
    ) -> None:
        """Confirm the paid reservation (or leave it awaiting approval) if it can still be held; otherwise
        refund the payment in full: a cancelled or deleted booking keeps no money."""
        now = self.clock.now()
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
        key = f"refund:{payment.payment_intent_id}:full"
        await self.refund(uow, reservation, payment, amount, "requested_by_customer", key)
        await uow.reservations.update(reservation)

    async def failed(self, uow: UnitOfWork, reservation: Reservation, intent_id: str | None) -> None:
        """A declined or failed payment: the customer may try again while the hold lasts."""
        if intent_id:
            existing = await uow.payments.by_intent(reservation.organisation_id, intent_id)
            if existing is not None and existing.status == "processing":
                await uow.payments.set_status(existing.organisation_id, existing.id, "failed")
        reservation.payment_failed(self.clock.now(), reservation.quote.total, intent_id)
        await uow.reservations.update(reservation)

    async def session_expired(self, uow: UnitOfWork, reservation: Reservation, session_id: str) -> None:
        """The current Checkout Session expired unpaid: the hold ends (a cancelled hold's session can no
        longer be paid, which ends the wait for word from the provider)."""
        if reservation.stripe_checkout_session_id != session_id or reservation.payment_status not in (
            "pending",
            "failed",
        ):
            return
        reservation.expire_hold(self.clock.now())
        reservation.checkout_ended()
        reservation.payment_link_ended()
        await uow.reservations.update(reservation)
