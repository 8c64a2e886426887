"""checkout-retry: another Checkout Session for the same reservation, while its hold or its capacity lasts."""

from __future__ import annotations

from application.checkout import Reserved, can_retry, hold_until, manage_token, start_checkout, status_url
from application.context import Context
from application.ports import UnitOfWork
from application.storefront import Entry
from domain.errors import CapacityConflict, NotFound, RetryNotPossible
from domain.reservation import Reservation
from domain.status import PaymentStatus, ReservationStatus

S = ReservationStatus


async def _retryable(uow: UnitOfWork, organisation_id: int, session_id: str) -> Reservation:
    reservation = await uow.reservations.by_checkout_session(session_id, lock=True)
    if reservation is None or reservation.organisation_id != organisation_id:
        raise NotFound("no such checkout session")
    if not can_retry(reservation):
        raise RetryNotPossible("this reservation is paid, being paid, cancelled or refunded")
    return reservation


async def checkout_retry(ctx: Context, entry: Entry, organisation_id: int, session_id: str) -> Reserved:
    """Expire the old session, renew the hold (HOLD_MINUTES + 1 from now), open a new session."""
    async with ctx.uow() as uow:
        reservation = await _retryable(uow, organisation_id, session_id)
        org = await uow.organisations.by_id(organisation_id)
        rt = await uow.resource_types.get(organisation_id, reservation.resource_type_id)
    if org is None or rt is None or not org.accepts_payments():
        raise RetryNotPossible("the organisation cannot take payments now")
    if reservation.status == S.PENDING_PAYMENT:
        await ctx.gateway.expire_checkout(session_id)  # the old session must not be payable any more
    now = ctx.clock.now()
    async with ctx.uow() as uow:
        reservation = await _retryable(
            uow, organisation_id, session_id
        )  # a payment may have landed meanwhile
        if reservation.status == S.EXPIRED:
            reservation.move_to(S.PENDING_PAYMENT, now)
        reservation.hold_expires_at = hold_until(ctx, now)
        reservation.payment_status = PaymentStatus.PENDING
        reservation.checkout_attempt += 1
        try:
            async with uow.savepoint():
                reservation = await uow.reservations.update(reservation)
        except CapacityConflict as exc:
            raise RetryNotPossible("the time is no longer free") from exc
        await uow.commit()
    back = status_url(ctx, entry) + "?sessionId={CHECKOUT_SESSION_ID}"
    token = manage_token(ctx, reservation.manage_token_nonce or "")
    return await start_checkout(ctx, reservation, org, rt.name, back, back, token, keep=True)
