"""Customer self-service by the secret manage token: read the booking, cancel it."""

from __future__ import annotations

from dataclasses import dataclass

from application.cancel import (
    RefundOutcome,
    cancel_with_refund,
    check_reason,
    money_back,
    refund_rule,
)
from application.checkout import end_open_session
from application.context import Context
from domain.catalog import Organisation, ResourceType
from domain.errors import InvalidTransition, NotFound
from domain.reservation import Reservation
from domain.status import ReservationStatus


@dataclass(frozen=True)
class ManagedBooking:
    reservation: Reservation
    organisation: Organisation
    resource_type: ResourceType | None
    refund_if_cancelled_now: int


async def view(ctx: Context, manage_token: str) -> ManagedBooking:
    """The booking behind a manage token; NotFound for any other token."""
    async with ctx.uow() as uow:
        reservation = await uow.reservations.by_manage_token(ctx.secret_hash(manage_token))
        if reservation is None:
            raise NotFound("no such booking")
        org = await uow.organisations.by_id(reservation.organisation_id)
        rt = await uow.resource_types.get(reservation.organisation_id, reservation.resource_type_id)
        cancellable = reservation.status != ReservationStatus.CANCELLED
        rule = refund_rule(reservation, "policy")
        _, amount = await money_back(uow, reservation, rule, ctx.clock.now()) if cancellable else (None, 0)
    assert org is not None
    return ManagedBooking(reservation, org, rt, amount)


async def cancel(ctx: Context, manage_token: str, reason: str | None) -> tuple[ManagedBooking, RefundOutcome]:
    """The customer cancels; the snapshot policy decides any refund."""
    check_reason(reason)
    now = ctx.clock.now()
    token_hash = ctx.secret_hash(manage_token)
    async with ctx.uow() as uow:
        found = await uow.reservations.by_manage_token(token_hash)
    if found is not None and found.start_time > now:
        await end_open_session(ctx, found)  # first, and outside any transaction
    async with ctx.uow() as uow:
        reservation = await uow.reservations.by_manage_token(token_hash, lock=True)
        if reservation is None:
            raise NotFound("no such booking")
        if reservation.status != ReservationStatus.CANCELLED and reservation.start_time <= now:
            raise InvalidTransition("a booking that has started is cancelled by the organisation, not online")
        key = f"refund:{reservation.id}:cancel"
        done = await cancel_with_refund(ctx, uow, reservation, reason, "policy", key)
        saved = done.reservation
        org = await uow.organisations.by_id(saved.organisation_id)
        rt = await uow.resource_types.get(saved.organisation_id, saved.resource_type_id)
        await uow.commit()
    assert org is not None
    return ManagedBooking(saved, org, rt, 0), done.refund


async def organisation_of(ctx: Context, manage_token: str) -> int:
    """The organisation of the booking behind a manage token, for scoping idempotency keys."""
    async with ctx.uow() as uow:
        reservation = await uow.reservations.by_manage_token(ctx.secret_hash(manage_token))
    if reservation is None:
        raise NotFound("no such booking")
    return reservation.organisation_id
