"""The payment provider's events, each effective once: the event id is recorded in the transaction of its
effects. The gateway hands them over typed; nothing here reads the provider's wire format."""

from __future__ import annotations

import logging
from dataclasses import replace

from application.intents import apply_intent
from application.payment_ports import (
    INTENT_MODE,
    AccountUpdated,
    ChargeRefunded,
    CheckoutCompleted,
    CheckoutExpired,
    CheckoutPaidLater,
    CheckoutPaymentFailed,
    CheckoutSession,
    DisputeChanged,
    IntentChanged,
    OtherEvent,
    PaymentGateway,
    PaymentIntentFailed,
    ProviderEvent,
)
from application.payments import Cashier, settle
from application.ports import Clock, Metrics, UnitOfWork, UnitOfWorkFactory
from domain.catalog import StripeAccount
from domain.payment import Refund, dispute_status_of
from domain.reservation import Reservation

log = logging.getLogger("booking.webhooks")


def _id(value: object) -> int | None:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


async def reservation_of(
    uow: UnitOfWork, metadata: dict[str, str], session_id: str | None = None
) -> Reservation | None:
    """The reservation an event names in its metadata (locked), else by its Checkout Session; deleted ones
    too, since money that reaches them must go back."""
    reservation_id, organisation_id = (
        _id(metadata.get("reservation_id")),
        _id(metadata.get("organisation_id")),
    )
    if reservation_id is not None and organisation_id is not None:
        return await uow.reservations.get(organisation_id, reservation_id, lock=True, include_deleted=True)
    if session_id:
        return await uow.reservations.by_checkout_session(session_id, lock=True, include_deleted=True)
    return None


KINDS: dict[type[ProviderEvent], str] = {
    CheckoutCompleted: "checkout.session.completed",
    CheckoutPaidLater: "checkout.session.async_payment_succeeded",
    CheckoutPaymentFailed: "checkout.session.async_payment_failed",
    CheckoutExpired: "checkout.session.expired",
    PaymentIntentFailed: "payment_intent.payment_failed",
    ChargeRefunded: "charge.refunded",
    DisputeChanged: "charge.dispute",
    IntentChanged: "payment_intent",
    AccountUpdated: "account.updated",
}


def kind_of(event: ProviderEvent) -> str:
    """The provider's name of an event, for metrics and the ledger of processed events."""
    return event.type if isinstance(event, OtherEvent) else KINDS[type(event)]


class HandleProviderEvent:
    """Apply a provider event once: 'processed', 'already_processed' or 'ignored'. A failure changes nothing
    (the event id is recorded in the transaction of its effects), so the provider's retry can succeed."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        gateway: PaymentGateway,
        cashier: Cashier,
        metrics: Metrics,
    ) -> None:
        self.uow, self.clock, self.gateway, self.cashier, self.metrics = uow, clock, gateway, cashier, metrics

    async def __call__(self, event: ProviderEvent) -> str:
        kind = kind_of(event)
        outcome = "failed"
        try:
            if isinstance(event, OtherEvent):
                outcome = "ignored"
                return outcome
            async with self.uow() as uow:
                if not await uow.payments.record_event(event.id, kind):
                    outcome = "already_processed"
                    return outcome
                await self._apply(uow, event)
                await uow.commit()
            outcome = "processed"
            return outcome
        finally:
            self.metrics.webhook_event(kind if not isinstance(event, OtherEvent) else "other", outcome)

    async def _apply(self, uow: UnitOfWork, event: ProviderEvent) -> None:
        match event:
            case CheckoutCompleted(session=session):
                await self._completed(uow, session)
            case CheckoutPaidLater(session=session):
                await self._completed(uow, replace(session, payment_status="paid"))
            case CheckoutPaymentFailed(session=session):
                await self._failed(uow, session.metadata, session.payment_intent_id, session.id)
            case CheckoutExpired(session=session):
                reservation = await reservation_of(uow, session.metadata, session.id)
                if reservation is not None:
                    await self.cashier.session_expired(uow, reservation, session.id)
            case PaymentIntentFailed(intent_id=intent, metadata=metadata):
                await self._failed(uow, metadata, intent, None)
            case ChargeRefunded():
                await self._charge_refunded(uow, event)
            case DisputeChanged():
                await self._dispute(uow, event)
            case IntentChanged(intent=intent) if intent.ours:
                reservation = await reservation_of(uow, intent.metadata)
                if reservation is not None:
                    await apply_intent(uow, self.cashier, reservation, intent)
            case AccountUpdated():
                await self._account_updated(uow, event)

    async def _completed(self, uow: UnitOfWork, session: CheckoutSession) -> None:
        reservation = await reservation_of(uow, session.metadata, session.id)
        intent = session.payment_intent_id
        if intent is None or session.payment_status == "no_payment_required":
            return
        settled = session.payment_status == "paid"
        if reservation is None:
            if settled:
                await self._refund_unknown(uow, session)
            return
        await self.cashier.received(
            uow,
            reservation,
            intent,
            session.amount_total or 0,
            session.currency or reservation.quote.currency,
            session.id,
            settled,
        )

    async def _refund_unknown(self, uow: UnitOfWork, session: CheckoutSession) -> None:
        """A paid session of one of our organisations with no reservation behind it: the money goes back."""
        organisation_id = _id(session.metadata.get("organisation_id"))
        if organisation_id is None or await uow.organisations.by_id(organisation_id) is None:
            return  # not a session this platform made
        amount, intent = session.amount_total or 0, session.payment_intent_id
        if amount > 0 and intent:
            await self.gateway.refund(intent, amount, "requested_by_customer", f"refund:{intent}:unknown")
            log.warning("refunded %s for checkout session %s of no known reservation", amount, session.id)

    async def _failed(
        self, uow: UnitOfWork, metadata: dict[str, str], intent: str | None, session_id: str | None
    ) -> None:
        reservation = await reservation_of(uow, metadata, session_id)
        if reservation is None:
            return
        if metadata.get("mode") == INTENT_MODE and intent != reservation.stripe_payment_intent_id:
            return  # a declined earlier attempt: the current one is not failed by it
        await self.cashier.failed(uow, reservation, intent)

    async def _charge_refunded(self, uow: UnitOfWork, charge: ChargeRefunded) -> None:
        """Refunds made anywhere, the dashboard included, enter the ledger once each."""
        payment = await uow.payments.by_intent_anywhere(charge.intent_id) if charge.intent_id else None
        if payment is None:
            return
        reservation = await uow.reservations.get(
            payment.organisation_id, payment.reservation_id, lock=True, include_deleted=True
        )
        if reservation is None:
            return
        for item in charge.refunds:
            refund = Refund(0, payment.id, item.amount, payment.currency, item.status, item.id, item.reason)
            await self._note_refund(uow, reservation, refund)
        _, refunds = await uow.payments.of_reservation(payment.organisation_id, reservation.id)
        known = sum(r.amount for r in refunds if r.payment_id == payment.id and r.status != "failed")
        missing = charge.amount_refunded - known
        if missing > 0:  # refunds the event does not list: record the difference, once per total
            stripe_id = f"{charge.charge_id}:{charge.amount_refunded}"
            refund = Refund(0, payment.id, missing, payment.currency, "succeeded", stripe_id, None)
            await self._note_refund(uow, reservation, refund)
        await settle(uow, reservation)
        await uow.reservations.update(reservation)

    async def _dispute(self, uow: UnitOfWork, dispute: DisputeChanged) -> None:
        """A chargeback: the reservation's disputeStatus follows it, payment.disputed is recorded on each
        change, and a lost one leaves the ledger as a refund of its amount (once)."""
        payment = await uow.payments.by_intent_anywhere(dispute.intent_id) if dispute.intent_id else None
        if payment is None:
            log.warning("dispute %s names no payment of ours", dispute.dispute_id)
            return
        reservation = await uow.reservations.get(
            payment.organisation_id, payment.reservation_id, lock=True, include_deleted=True
        )
        if reservation is None:
            return
        status = dispute_status_of(dispute.status)
        currency = dispute.currency or payment.currency
        reservation.disputed(self.clock.now(), status, dispute.amount, currency, dispute.dispute_id)
        if status == "lost":
            lost = Refund(
                0,
                payment.id,
                dispute.amount,
                currency,
                "succeeded",
                f"dispute:{dispute.dispute_id}",
                "dispute_lost",
            )
            await uow.payments.add_refund(reservation.organisation_id, reservation.id, lost)
            await settle(uow, reservation)
        await uow.reservations.update(reservation)

    async def _note_refund(self, uow: UnitOfWork, reservation: Reservation, refund: Refund) -> None:
        """A refund made at the provider enters the ledger once; payment.refunded is recorded that time."""
        recorded = await uow.payments.add_refund(reservation.organisation_id, reservation.id, refund)
        if recorded is not None:
            reservation.refunded(
                self.clock.now(), recorded.amount, recorded.currency, recorded.stripe_refund_id
            )

    async def _account_updated(self, uow: UnitOfWork, event: AccountUpdated) -> None:
        account = event.account
        org = await uow.organisations.by_stripe_account(account.id)
        if org is not None:
            state = StripeAccount(
                account.id, account.charges_enabled, account.payouts_enabled, account.details_submitted
            )
            await uow.organisations.set_stripe(org.id, state)
