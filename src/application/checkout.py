"""Checkout for payment-required bookings: the session, its status, and another try."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from application.context import Context
from application.payment_ports import CheckoutRequest, CheckoutSession
from application.payments import checkout_expired, payment_failed, payment_received
from application.ports import UnitOfWork
from application.storefront import Entry
from domain.allocation import Bookable, buffered, fits_again
from domain.catalog import Organisation
from domain.errors import InvalidInput, NotFound, PaymentProviderError
from domain.money import application_fee
from domain.reservation import Reservation
from domain.status import PaymentStatus, ReservationStatus

S = ReservationStatus
P = PaymentStatus
RECONCILE_EVERY = timedelta(seconds=5)  # checkout-status asks the provider at most this often per reservation


def new_manage_nonce() -> str:
    return secrets.token_urlsafe(32)


def manage_token(ctx: Context, nonce: str) -> str:
    """The customer's manage token: an HMAC of a random nonce, so it can be shown again but never derived."""
    digest = hmac.new(ctx.policy.manage_token_key, nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def redirect_url(ctx: Context, supplied: str | None, default: str, field: str) -> str:
    """A client-supplied return URL, only on an allowed host; else our own status page."""
    if supplied is None:
        return default
    parts = urlsplit(supplied)
    if parts.scheme not in ("https", "http") or parts.hostname not in ctx.policy.allowed_redirect_hosts:
        raise InvalidInput("the URL must be on one of ALLOWED_REDIRECT_HOSTS", field)
    return supplied


@dataclass(frozen=True)
class Checkout:
    session: CheckoutSession
    status_url: str


async def open_session(
    ctx: Context,
    reservation: Reservation,
    org: Organisation,
    description: str,
    success_url: str,
    cancel_url: str,
    customer_email: str | None,
) -> CheckoutSession:
    """A Checkout Session for the reservation's current attempt, expiring with its hold."""
    assert reservation.hold_expires_at is not None
    total = reservation.quote.total
    request = CheckoutRequest(
        reservation_id=reservation.id,
        organisation_id=org.id,
        reference=reservation.reference,
        description=description,
        amount=total,
        currency=reservation.quote.currency,
        application_fee=application_fee(total, org.effective_commission(ctx.policy.platform_commission_bps)),
        destination=org.stripe.account_id,
        expires_at=reservation.hold_expires_at,
        success_url=success_url,
        cancel_url=cancel_url,
        customer_email=customer_email,
        idempotency_key=f"checkout:{reservation.id}:{reservation.checkout_attempt}",
    )
    return await ctx.gateway.create_checkout(request)


async def retry_possible(uow: UnitOfWork, reservation: Reservation, now: datetime) -> bool:
    """Whether checkout-retry would succeed now: the reservation allows another attempt, and its hold
    still stands or, lapsed, its time is still free on its resources."""
    if not reservation.payment_retry_open(now):
        return False
    org = await uow.organisations.by_id(reservation.organisation_id)
    if org is None or not org.accepts_payments():
        return False
    if reservation.holds_capacity(now):
        return True
    return await still_free(uow, reservation, now)


async def still_free(uow: UnitOfWork, reservation: Reservation, now: datetime) -> bool:
    """Whether each of the reservation's allocations would fit again on its resource now."""
    rt = await uow.resource_types.get(reservation.organisation_id, reservation.resource_type_id)
    if rt is None or not reservation.allocations:
        return False
    window = buffered(
        reservation.start_time, reservation.end_time, rt.buffer_before_minutes, rt.buffer_after_minutes
    )
    ids = reservation.resource_ids
    usage = await uow.reservations.usage(ids, *window, now, exclude=reservation.id)
    resources = {r.id: r for r in await uow.resources.of_types(reservation.organisation_id, [rt.id])}
    bookable = [Bookable(r.id, r.capacity) for rid in ids if (r := resources.get(rid)) is not None]
    return fits_again(reservation.allocations, bookable, usage.occupancies, *window)


def awaiting_word(reservation: Reservation) -> bool:
    """Whether the provider may know something we do not: a payment pending, a hold that ended while its
    session might still have been paid, or a cancelled hold whose session was not seen to end (a lost
    webhook must not keep money without a booking)."""
    if not reservation.requires_payment or reservation.stripe_checkout_session_id is None:
        return False
    if reservation.status == S.PENDING_PAYMENT:
        return True
    if reservation.status == S.CANCELLED:
        return reservation.payment_status in (P.PENDING, P.PROCESSING, P.FAILED)
    return reservation.status == S.EXPIRED and reservation.payment_status in (
        P.EXPIRED,
        P.PROCESSING,
        P.FAILED,
    )


async def apply_session(
    ctx: Context, uow: UnitOfWork, reservation: Reservation, session: CheckoutSession
) -> None:
    """What the provider says of a session, applied exactly as the webhook would."""
    now = ctx.clock.now()
    if session.status == "complete" and session.payment_intent_id:
        unpaid = session.payment_status != "paid"
        if unpaid and session.payment_intent_status in ("requires_payment_method", "canceled"):
            await payment_failed(uow, reservation, session.payment_intent_id, now)
            return
        settled = not unpaid
        await payment_received(
            ctx,
            uow,
            reservation,
            session.payment_intent_id,
            session.amount_total or reservation.quote.total,
            session.currency or reservation.quote.currency,
            session.id,
            settled,
            now,
        )
    elif session.status == "expired":
        await checkout_expired(uow, reservation, session.id, now)


async def reconcile(
    ctx: Context, organisation_id: int, reservation_id: int, known: Reservation | None = None
) -> Reservation | None:
    """Ask the provider about a pending payment and apply the answer; a lost webhook strands nothing.

    The provider is asked outside any transaction; the answer is applied under the reservation's lock,
    and only if the reservation still waits on that session. Returns the reservation as it now stands."""
    reservation = known
    if reservation is None:
        async with ctx.uow() as uow:
            reservation = await uow.reservations.get(organisation_id, reservation_id, include_deleted=True)
    session_id = reservation.stripe_checkout_session_id if reservation is not None else None
    if reservation is None or session_id is None or not awaiting_word(reservation):
        return reservation
    session = await ctx.gateway.retrieve_checkout(session_id)
    if session.status == "open" and reservation.status == S.CANCELLED:
        # Cancelled while its session stayed open (the provider failed then): end it now.
        session = await ctx.gateway.expire_checkout(session_id)
    async with ctx.uow() as uow:
        current = await uow.reservations.get(organisation_id, reservation_id, lock=True, include_deleted=True)
        if current is None or current.stripe_checkout_session_id != session_id or not awaiting_word(current):
            return current
        await apply_session(ctx, uow, current, session)
        fresh = await uow.reservations.get(organisation_id, reservation_id, include_deleted=True)
        await uow.commit()
    return fresh


@dataclass(frozen=True)
class CheckoutState:
    reservation: Reservation
    can_retry: bool


async def checkout_status(ctx: Context, organisation_id: int, session_id: str) -> CheckoutState:
    """The reservation behind a session of this organisation, reconciled while a payment is pending."""
    async with ctx.uow() as uow:
        reservation = await uow.reservations.by_checkout_session(session_id)
        if reservation is None or reservation.organisation_id != organisation_id:
            raise NotFound("no such checkout session")
        due = awaiting_word(reservation) and await uow.reservations.claim_reconcile(
            reservation.organisation_id, reservation.id, ctx.clock.now() - RECONCILE_EVERY, ctx.clock.now()
        )
        await uow.commit()
    if due:
        # With the provider down, answer with what we know; the worker reconciles later.
        with suppress(PaymentProviderError):
            reservation = await reconcile(ctx, organisation_id, reservation.id, reservation) or reservation
    async with ctx.uow() as uow:
        retry = await retry_possible(uow, reservation, ctx.clock.now())
    return CheckoutState(reservation, retry)


@dataclass
class Reserved:
    reservation: Reservation
    manage_token: str | None  # None on checkout-retry: a session id must not grant the booking's management
    session: CheckoutSession | None = None


def status_url(ctx: Context, entry: Entry) -> str:
    """Where the customer's browser comes back to: our checkout-status route for the page they used."""
    page = f"organisations/{entry.slug}" if entry.slug is not None else entry.token
    return f"{ctx.policy.public_base_url}/api/public/booking/{page}/checkout-status"


def hold_until(ctx: Context, now: datetime) -> datetime:
    """HOLD_MINUTES plus one minute: Checkout's expires_at must stay at least 30 minutes ahead."""
    return now + timedelta(minutes=ctx.policy.hold_minutes + 1)


async def _release(ctx: Context, reservation: Reservation, keep: bool) -> None:
    now = ctx.clock.now()
    async with ctx.uow() as uow:
        if not keep:
            await uow.reservations.delete(reservation.organisation_id, reservation.id, now)
        else:
            current = await uow.reservations.get(reservation.organisation_id, reservation.id, lock=True)
            if current is not None and current.status == ReservationStatus.PENDING_PAYMENT:
                current.expire_hold(now)  # the provider failed: this attempt ends, another may follow
                await uow.reservations.update(current)
            await uow.reservations.release_checkout(reservation.organisation_id, reservation.id)
        await uow.commit()


async def start_checkout(
    ctx: Context,
    reservation: Reservation,
    org: Organisation,
    what: str,
    success: str,
    cancel: str,
    token: str | None,
    keep: bool = False,
) -> Reserved:
    """Open the Checkout Session of a held reservation; if the provider fails, the hold is released
    (a new reservation is removed; a retried one, `keep`, ends expired and may be retried again)."""
    description = f"{what} ({reservation.reference})"
    try:
        session = await open_session(
            ctx, reservation, org, description, success, cancel, reservation.customer.email
        )
    except PaymentProviderError:
        await _release(ctx, reservation, keep)
        raise
    async with ctx.uow() as uow:
        await uow.reservations.set_checkout(
            reservation.organisation_id, reservation.id, session.id, ctx.clock.now()
        )
        await uow.commit()
    reservation.stripe_checkout_session_id = session.id
    return Reserved(reservation, token, session)


async def end_open_session(ctx: Context, reservation: Reservation | None) -> None:
    """Before an unpaid hold is cancelled or deleted, its Checkout Session stops taking payment.

    A provider failure here does not stop the cancellation: a payment that still lands on a cancelled
    reservation is refunded in full, and reconciliation ends the session later."""
    if reservation is not None and reservation.status == ReservationStatus.PENDING_PAYMENT:
        await expire_session(ctx, reservation.stripe_checkout_session_id)


async def expire_session(ctx: Context, session_id: str | None) -> None:
    """Expire a Checkout Session that must stop taking payment; a failure is healed by reconciliation."""
    if session_id is not None:
        with suppress(PaymentProviderError):
            await ctx.gateway.expire_checkout(session_id)
