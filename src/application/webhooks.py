"""Stripe's events, each effective once: the event id is recorded in the transaction of its effects."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from application.context import Context
from application.payment_ports import PaymentEvent
from application.payments import checkout_expired, payment_failed, payment_received, settle
from application.ports import UnitOfWork
from domain.catalog import StripeAccount
from domain.payment import Refund
from domain.reservation import Reservation

log = logging.getLogger("booking.webhooks")

Handler = Callable[[Context, UnitOfWork, dict[str, Any]], Awaitable[None]]


async def reservation_of(uow: UnitOfWork, obj: dict[str, Any]) -> Reservation | None:
    """The reservation an event's object names in its metadata (locked), else by its Checkout Session."""
    metadata = obj.get("metadata") or {}
    reservation_id = _id(metadata.get("reservation_id"))
    organisation_id = _id(metadata.get("organisation_id"))
    if reservation_id is not None and organisation_id is not None:
        return await uow.reservations.get(organisation_id, reservation_id, lock=True, include_deleted=True)
    if obj.get("object") == "checkout.session" and obj.get("id"):
        return await uow.reservations.by_checkout_session(obj["id"], lock=True, include_deleted=True)
    return None


async def _refund_unknown(ctx: Context, uow: UnitOfWork, session: dict[str, Any], intent: str) -> None:
    """A paid session of one of our organisations whose reservation does not exist: the money goes back."""
    organisation_id = _id((session.get("metadata") or {}).get("organisation_id"))
    if organisation_id is None or await uow.organisations.by_id(organisation_id) is None:
        return  # not a session this platform made
    amount = int(session.get("amount_total") or 0)
    if amount > 0:
        await ctx.gateway.refund(intent, amount, "requested_by_customer", f"refund:{intent}:unknown")
        log.warning("refunded %s for checkout session %s of no known reservation", amount, session.get("id"))


def _id(value: object) -> int | None:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def _intent_id(obj: dict[str, Any]) -> str | None:
    intent = obj.get("payment_intent")
    return intent.get("id") if isinstance(intent, dict) else intent


async def _completed(ctx: Context, uow: UnitOfWork, session: dict[str, Any]) -> None:
    reservation = await reservation_of(uow, session)
    intent = _intent_id(session)
    if intent is None or session.get("payment_status") == "no_payment_required":
        return
    settled = session.get("payment_status") == "paid"
    if reservation is None:
        if settled:
            await _refund_unknown(ctx, uow, session, intent)
        return
    await payment_received(
        ctx,
        uow,
        reservation,
        intent,
        int(session.get("amount_total") or 0),
        session.get("currency") or reservation.quote.currency,
        session.get("id"),
        settled,
        ctx.clock.now(),
    )


async def _async_succeeded(ctx: Context, uow: UnitOfWork, session: dict[str, Any]) -> None:
    await _completed(ctx, uow, session | {"payment_status": "paid"})


async def _async_failed(ctx: Context, uow: UnitOfWork, session: dict[str, Any]) -> None:
    reservation = await reservation_of(uow, session)
    if reservation is not None:
        await payment_failed(uow, reservation, _intent_id(session), ctx.clock.now())


async def _expired(ctx: Context, uow: UnitOfWork, session: dict[str, Any]) -> None:
    reservation = await reservation_of(uow, session)
    if reservation is not None:
        await checkout_expired(uow, reservation, session["id"], ctx.clock.now())


async def _intent_failed(ctx: Context, uow: UnitOfWork, intent: dict[str, Any]) -> None:
    reservation = await reservation_of(uow, intent)
    if reservation is not None:
        await payment_failed(uow, reservation, intent.get("id"), ctx.clock.now())


async def _charge_refunded(ctx: Context, uow: UnitOfWork, charge: dict[str, Any]) -> None:
    """Refunds made anywhere, the dashboard included, enter the ledger once each."""
    intent = _intent_id(charge)
    payment = await uow.payments.by_intent_anywhere(intent) if intent else None
    if payment is None:
        return
    reservation = await uow.reservations.get(
        payment.organisation_id, payment.reservation_id, lock=True, include_deleted=True
    )
    if reservation is None:
        return
    listed = (charge.get("refunds") or {}).get("data") or []
    for item in listed:
        refund = Refund(
            0,
            payment.id,
            int(item["amount"]),
            payment.currency,
            item.get("status") or "succeeded",
            item["id"],
            item.get("reason"),
        )
        await _note_refund(ctx, uow, reservation, refund)
    _, refunds = await uow.payments.of_reservation(payment.organisation_id, reservation.id)
    known = sum(r.amount for r in refunds if r.payment_id == payment.id and r.status != "failed")
    missing = int(charge.get("amount_refunded") or 0) - known
    if missing > 0:  # refunds the event does not list: record the difference, once per total
        refund = Refund(
            0,
            payment.id,
            missing,
            payment.currency,
            "succeeded",
            f"{charge.get('id')}:{charge.get('amount_refunded')}",
            None,
        )
        await _note_refund(ctx, uow, reservation, refund)
    await settle(uow, reservation)
    await uow.reservations.update(reservation)


async def _note_refund(ctx: Context, uow: UnitOfWork, reservation: Reservation, refund: Refund) -> None:
    """A refund made at the provider enters the ledger once; the first time, payment.refunded is recorded."""
    recorded = await uow.payments.add_refund(reservation.organisation_id, reservation.id, refund)
    if recorded is not None:
        reservation.refunded(ctx.clock.now(), recorded.amount, recorded.currency, recorded.stripe_refund_id)


async def _account_updated(ctx: Context, uow: UnitOfWork, account: dict[str, Any]) -> None:
    org = await uow.organisations.by_stripe_account(account["id"])
    if org is not None:
        state = StripeAccount(
            account["id"],
            bool(account.get("charges_enabled")),
            bool(account.get("payouts_enabled")),
            bool(account.get("details_submitted")),
        )
        await uow.organisations.set_stripe(org.id, state)


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _completed,
    "checkout.session.async_payment_succeeded": _async_succeeded,
    "checkout.session.async_payment_failed": _async_failed,
    "checkout.session.expired": _expired,
    "payment_intent.payment_failed": _intent_failed,
    "charge.refunded": _charge_refunded,
    "account.updated": _account_updated,
}


async def handle_event(ctx: Context, event: PaymentEvent) -> str:
    """Apply an event once: 'processed', 'already_processed' or 'ignored'. Any failure changes nothing."""
    handler = HANDLERS.get(event.type)
    outcome = "failed"
    try:
        if handler is None:
            outcome = "ignored"
            return outcome
        async with ctx.uow() as uow:
            if not await uow.payments.record_event(event.id, event.type):
                outcome = "already_processed"
                return outcome
            await handler(ctx, uow, event.data)
            await uow.commit()
        outcome = "processed"
        return outcome
    finally:
        ctx.metrics.webhook_event(event.type if handler else "other", outcome)
