"""Checkout for payment-required bookings: the session and its hold, reconciliation, and its status.

Provider calls are made outside any transaction; what the provider says is applied under the reservation's
row lock, exactly as the webhook would apply it: a lost webhook ends the same way as a delivered one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from application.intents import apply_intent
from application.payment_ports import CheckoutRequest, CheckoutSession, IntentState, PaymentGateway
from application.payments import Cashier
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.allocation import Bookable, buffered, fits_again
from domain.catalog import Organisation
from domain.errors import InvalidInput, NotFound, PaymentProviderError
from domain.money import application_fee
from domain.reservation import Reservation
from domain.status import PaymentStatus, ReservationStatus

S = ReservationStatus
P = PaymentStatus
RECONCILE_EVERY = timedelta(seconds=5)  # checkout-status asks the provider at most this often per reservation


@dataclass(frozen=True)
class CheckoutTerms:
    """Operator settings of checkout: a hold's length, the platform's rate, where customers may return."""

    hold_minutes: int = 30
    platform_commission_bps: int = 1000
    allowed_redirect_hosts: tuple[str, ...] = ()

    def hold_until(self, now: datetime) -> datetime:
        """HOLD_MINUTES plus one minute: Checkout's expires_at must stay at least 30 minutes ahead."""
        return now + timedelta(minutes=self.hold_minutes + 1)

    def return_url(self, supplied: str | None, default: str, field: str) -> str:
        """A client-supplied return URL, only on an allowed host; else our own status page."""
        if supplied is None:
            return default
        parts = urlsplit(supplied)
        if parts.scheme not in ("https", "http") or parts.hostname not in self.allowed_redirect_hosts:
            raise InvalidInput("the URL must be on one of ALLOWED_REDIRECT_HOSTS", field)
        return supplied


class ManageTokens:
    """The customer's manage token: an HMAC of a random nonce under a key of its own, so it can be shown
    again (checkout's status page) but never derived from what the database keeps."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @staticmethod
    def nonce() -> str:
        return secrets.token_urlsafe(32)

    def token(self, nonce: str) -> str:
        digest = hmac.new(self._key, nonce.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class CardPaid:
    intent: IntentState
    publishable_key: str | None


@dataclass
class Reserved:
    reservation: Reservation
    manage_token: str | None  # None on checkout-retry: a session id must not grant the booking's management
    session: CheckoutSession | None = None
    card: CardPaid | None = None  # a saved card was charged instead of a session opened


async def retry_possible(uow: UnitOfWork, reservation: Reservation, now: datetime) -> bool:
    """Whether checkout-retry would succeed now: the reservation allows another attempt, the organisation
    takes payments, and its hold still stands or, lapsed, its time is still free on its resources."""
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
    attempt = reservation.stripe_checkout_session_id or reservation.stripe_payment_intent_id
    if not reservation.requires_payment or attempt is None:
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


class Checkouts:
    """Checkout Sessions of held reservations, and what the provider says of them."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        gateway: PaymentGateway,
        clock: Clock,
        cashier: Cashier,
        terms: CheckoutTerms,
    ) -> None:
        self.uow, self.gateway, self.clock, self.cashier, self.terms = uow, gateway, clock, cashier, terms

    async def open(
        self,
        reservation: Reservation,
        org: Organisation,
        what: str,
        success: str,
        cancel: str,
        token: str | None,
        retried: bool = False,
    ) -> Reserved:
        """Open the Checkout Session of a held reservation; if the provider fails, the hold is released
        (a new reservation is removed; a `retried` one ends expired and may be retried again)."""
        assert reservation.hold_expires_at is not None
        total = reservation.quote.total
        request = CheckoutRequest(
            reservation_id=reservation.id,
            organisation_id=org.id,
            reference=reservation.reference,
            description=f"{what} ({reservation.reference})",
            amount=total,
            currency=reservation.quote.currency,
            application_fee=application_fee(
                total, org.effective_commission(self.terms.platform_commission_bps)
            ),
            destination=org.stripe.account_id,
            expires_at=reservation.hold_expires_at,
            success_url=success,
            cancel_url=cancel,
            customer_email=reservation.customer.email,
            idempotency_key=f"checkout:{reservation.id}:{reservation.checkout_attempt}",
        )
        try:
            session = await self.gateway.create_checkout(request)
        except PaymentProviderError:
            await self.release(reservation, keep=retried)
            raise
        async with self.uow() as uow:
            await uow.reservations.set_checkout(
                reservation.organisation_id, reservation.id, session.id, self.clock.now()
            )
            await uow.commit()
        reservation.stripe_checkout_session_id = session.id
        return Reserved(reservation, token, session)

    async def release(self, reservation: Reservation, keep: bool) -> None:
        """A new reservation whose payment could not start is removed; a `keep` one ends expired."""
        now = self.clock.now()
        async with self.uow() as uow:
            if not keep:
                await uow.reservations.delete(reservation.organisation_id, reservation.id, now)
            else:
                current = await uow.reservations.get(reservation.organisation_id, reservation.id, lock=True)
                if current is not None and current.status == S.PENDING_PAYMENT:
                    current.expire_hold(now)  # the provider failed: this attempt ends, another may follow
                    await uow.reservations.update(current)
                await uow.reservations.release_checkout(reservation.organisation_id, reservation.id)
            await uow.commit()

    async def apply(self, uow: UnitOfWork, reservation: Reservation, session: CheckoutSession) -> None:
        """What the provider says of a session, applied exactly as the webhook would."""
        if session.status == "complete" and session.payment_intent_id:
            unpaid = session.payment_status != "paid"
            if unpaid and session.payment_intent_status in ("requires_payment_method", "canceled"):
                await self.cashier.failed(uow, reservation, session.payment_intent_id)
                return
            await self.cashier.received(
                uow,
                reservation,
                session.payment_intent_id,
                session.amount_total or reservation.quote.total,
                session.currency or reservation.quote.currency,
                session.id,
                not unpaid,
            )
        elif session.status == "expired":
            await self.cashier.session_expired(uow, reservation, session.id)

    async def reconcile(
        self, organisation_id: int, reservation_id: int, known: Reservation | None = None
    ) -> Reservation | None:
        """Ask the provider about a pending payment and apply the answer; a lost webhook strands nothing.

        The provider is asked outside any transaction; the answer is applied under the reservation's lock,
        and only if the reservation still waits on that session. Returns the reservation as it now stands."""
        reservation = known
        if reservation is None:
            async with self.uow() as uow:
                reservation = await uow.reservations.get(
                    organisation_id, reservation_id, include_deleted=True
                )
        if reservation is not None and reservation.stripe_payment_intent_id and awaiting_word(reservation):
            return await self._reconcile_intent(reservation, reservation.stripe_payment_intent_id)
        session_id = reservation.stripe_checkout_session_id if reservation is not None else None
        if reservation is None or session_id is None or not awaiting_word(reservation):
            return reservation
        session = await self.gateway.retrieve_checkout(session_id)
        if session.status == "open" and reservation.status == S.CANCELLED:
            # Cancelled while its session stayed open (the provider failed then): end it now.
            session = await self.gateway.expire_checkout(session_id)
        async with self.uow() as uow:
            current = await uow.reservations.get(
                organisation_id, reservation_id, lock=True, include_deleted=True
            )
            if (
                current is None
                or current.stripe_checkout_session_id != session_id
                or not awaiting_word(current)
            ):
                return current
            await self.apply(uow, current, session)
            fresh = await uow.reservations.get(organisation_id, reservation_id, include_deleted=True)
            await uow.commit()
        return fresh

    async def _reconcile_intent(self, reservation: Reservation, intent_id: str) -> Reservation | None:
        """The saved-card attempt's PaymentIntent, asked about and applied as its webhook would be."""
        intent = await self.gateway.retrieve_intent(intent_id)
        if intent.status in ("requires_payment_method", "requires_action", "requires_confirmation") and (
            reservation.status == S.CANCELLED
        ):
            intent = await self.gateway.cancel_intent(intent_id)  # a cancelled hold's attempt must end
        async with self.uow() as uow:
            org, rid = reservation.organisation_id, reservation.id
            current = await uow.reservations.get(org, rid, lock=True, include_deleted=True)
            if current is None or current.stripe_payment_intent_id != intent_id or not awaiting_word(current):
                return current
            await apply_intent(uow, self.cashier, current, intent)
            fresh = await uow.reservations.get(org, rid, include_deleted=True)
            await uow.commit()
        return fresh

    async def end_open_session(self, reservation: Reservation | None) -> None:
        """Before an unpaid hold is cancelled or deleted, its Checkout Session stops taking payment.

        A provider failure here does not stop the cancellation: a payment that still lands on a cancelled
        reservation is refunded in full, and reconciliation ends the session later."""
        if reservation is not None and reservation.status == S.PENDING_PAYMENT:
            await self.expire_quietly(reservation.stripe_checkout_session_id)

    async def expire_quietly(self, session_id: str | None) -> None:
        """Expire a Checkout Session that must stop taking payment; a failure is healed by reconciliation."""
        if session_id is not None:
            with suppress(PaymentProviderError):
                await self.gateway.expire_checkout(session_id)


@dataclass(frozen=True)
class CheckoutState:
    reservation: Reservation
    can_retry: bool


class CheckoutStatus:
    """checkout-status: the reservation behind a session of this organisation, reconciled while a payment
    is pending (at most every few seconds), and whether a retry would succeed now."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, checkouts: Checkouts) -> None:
        self.uow, self.clock, self.checkouts = uow, clock, checkouts

    async def __call__(
        self, organisation_id: int, session_id: str | None, intent_id: str | None = None
    ) -> CheckoutState:
        """By `sessionId`, or by `paymentIntentId` for a saved-card payment."""
        now = self.clock.now()
        async with self.uow() as uow:
            if session_id is not None:
                reservation = await uow.reservations.by_checkout_session(session_id)
            elif intent_id is not None:
                reservation = await uow.reservations.by_payment_intent(intent_id)
            else:
                raise InvalidInput("name sessionId or paymentIntentId", "sessionId")
            if reservation is None or reservation.organisation_id != organisation_id:
                raise NotFound("no such checkout session")
            due = awaiting_word(reservation) and await uow.reservations.claim_reconcile(
                reservation.organisation_id, reservation.id, now - RECONCILE_EVERY, now
            )
            await uow.commit()
        if due:
            # With the provider down, answer with what we know; the worker reconciles later.
            with suppress(PaymentProviderError):
                reservation = (
                    await self.checkouts.reconcile(organisation_id, reservation.id, reservation)
                    or reservation
                )
        async with self.uow() as uow:
            retry = await retry_possible(uow, reservation, self.clock.now())
        return CheckoutState(reservation, retry)
