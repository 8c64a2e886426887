"""Staff reservations: create, list, read, change, delete."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from application.access import authorize
from application.booking import (
    Target,
    new_reference,
    outcome_of,
    place,
    price,
    resolve_target,
    retrying,
    unplaced,
)
from application.checkout import end_open_session
from application.context import Context
from application.ports import Page, PageRequest, ReservationFilter, UnitOfWork
from domain.access import Permission, Role
from domain.errors import InvalidInput, InvalidTransition, NotFound, VersionMismatch
from domain.identity import Caller
from domain.reservation import MAX_NOTES, Customer, Reservation, check_times
from domain.status import STAFF_INITIAL, STAFF_TARGETS, PaymentStatus, ReservationStatus, takes_capacity_on

READ = Permission(Role.VIEWER, "reservations:read")
# Payment states in which the reservation holds the customer's money (or is about to).
MONEY_HELD = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.PROCESSING})
WRITE = Permission(Role.STAFF, "reservations:write")
S = ReservationStatus
UNSET = object()


@dataclass(frozen=True)
class NewReservation:
    start_time: datetime
    end_time: datetime
    quantity: int | None = None
    customer: Customer = field(default_factory=Customer)
    notes: str | None = None
    resource_type_id: int | None = None
    resource_id: int | None = None
    resource_ids: list[int] | None = None
    status: str = "confirmed"


def _check_notes(notes: str | None) -> None:
    if notes is not None and len(notes) > MAX_NOTES:
        raise InvalidInput(f"notes are at most {MAX_NOTES} characters", "notes")


def _quantity(requested: int | None, resource_ids: list[int] | None) -> int:
    quantity = requested if requested is not None else max(1, len(resource_ids or []))
    if not 1 <= quantity <= 100_000:
        raise InvalidInput("quantity must be between 1 and 100000", "quantity")
    return quantity


async def create_reservation(ctx: Context, caller: Caller, new: NewReservation) -> Reservation:
    """Staff may book outside hours, the grid or the window, never beyond capacity."""
    organisation_id, _ = authorize(caller, WRITE)
    check_times(new.start_time, new.end_time)
    _check_notes(new.notes)
    if new.status not in STAFF_INITIAL:
        raise InvalidInput("status is pending, confirmed or waitlist", "status")
    status = S(new.status)
    quantity = _quantity(new.quantity, new.resource_ids)
    now = ctx.clock.now()

    async def attempt() -> Reservation:
        async with ctx.uow() as uow:
            org = await uow.organisations.by_id(organisation_id)
            if org is None:
                raise NotFound("no such organisation")
            target = await resolve_target(
                uow, organisation_id, new.resource_type_id, new.resource_id, new.resource_ids
            )
            if status == S.WAITLIST:
                allocations = unplaced(target, quantity)
            else:
                allocations = await place(uow, target, new.start_time, new.end_time, quantity, now)
            reservation = Reservation(
                id=0,
                organisation_id=organisation_id,
                resource_type_id=target.resource_type.id,
                reference=new_reference(org),
                start_time=new.start_time,
                end_time=new.end_time,
                quantity=quantity,
                status=status,
                payment_status=PaymentStatus.NOT_REQUIRED,
                quote=price(org, target.resource_type, new.start_time, new.end_time, quantity),
                customer=new.customer,
                notes=new.notes,
                source="api_key" if caller.is_api_key else "staff",
                requires_payment=False,
                payment_required_snapshot=target.resource_type.payment_required,
                approval_required=target.resource_type.requires_approval,
                cancellation_policy_snapshot=org.cancellation_policy,
                allocations=allocations,
                allocation_mode=target.mode,
                confirmed_at=now if status == S.CONFIRMED else None,
                created_by_user_id=caller.user_id,
                api_key_id=caller.api_key_id,
            )
            created = await uow.reservations.add(reservation)
            await uow.commit()
        return created

    source = "api_key" if caller.is_api_key else "staff"
    try:
        created = await retrying(attempt)
    except Exception as exc:
        ctx.metrics.reservation(source, outcome_of(exc))
        raise
    ctx.metrics.reservation(source, "created")
    return created


async def list_reservations(
    ctx: Context, caller: Caller, query: ReservationFilter, page: PageRequest
) -> Page[Reservation]:
    organisation_id, _ = authorize(caller, READ)
    bad = [s for s in query.statuses if s not in S.__members__.values()]
    if bad:
        raise InvalidInput(f"unknown status {bad[0]!r}", "status")
    async with ctx.uow() as uow:
        return await uow.reservations.page(organisation_id, query, page)


async def get_reservation(ctx: Context, caller: Caller, reservation_id: int) -> Reservation:
    organisation_id, _ = authorize(caller, READ)
    async with ctx.uow() as uow:
        found = await uow.reservations.get(organisation_id, reservation_id)
    if found is None:
        raise NotFound("no such reservation")
    return found


@dataclass(frozen=True)
class ReservationChanges:
    start_time: datetime | None = None
    end_time: datetime | None = None
    quantity: int | None = None
    customer: Customer | None = None
    notes: object = UNSET
    status: str | None = None
    resource_id: int | None = None
    resource_ids: list[int] | None = None


async def _target_for(uow: UnitOfWork, current: Reservation, changes: ReservationChanges) -> Target:
    if changes.resource_id is not None or changes.resource_ids:
        return await resolve_target(
            uow, current.organisation_id, current.resource_type_id, changes.resource_id, changes.resource_ids
        )
    if current.allocation_mode == "best_fit":
        return await resolve_target(uow, current.organisation_id, current.resource_type_id, None, None)
    ids = current.resource_ids
    single = ids[0] if current.allocation_mode == "resource" else None
    return await resolve_target(
        uow, current.organisation_id, current.resource_type_id, single, None if single else ids
    )


async def update_reservation(
    ctx: Context, caller: Caller, reservation_id: int, changes: ReservationChanges, if_match: int | None
) -> Reservation:
    """Partial change; capacity re-checked without itself; status only along the status machine."""
    organisation_id, _ = authorize(caller, WRITE)
    now = ctx.clock.now()

    async def attempt() -> Reservation:
        async with ctx.uow() as uow:
            current = await uow.reservations.get(organisation_id, reservation_id, lock=True)
            if current is None:
                raise NotFound("no such reservation")
            if if_match is not None and if_match != current.version:
                raise VersionMismatch(f"the reservation is at version {current.version}")
            start = changes.start_time or current.start_time
            end = changes.end_time or current.end_time
            check_times(start, end)
            if changes.notes is not UNSET:
                _check_notes(changes.notes)  # type: ignore[arg-type]
            moved = (start, end) != (current.start_time, current.end_time) or changes.quantity is not None
            moved = moved or changes.resource_id is not None or bool(changes.resource_ids)
            target_status = S(changes.status) if changes.status else current.status
            if changes.status:
                if target_status not in STAFF_TARGETS or target_status == current.status:
                    raise InvalidTransition(f"a {current.status} reservation cannot become {target_status}")
                if target_status == S.CONFIRMED and current.requires_payment and not current.awaits_approval:
                    raise InvalidTransition("a payment-required reservation is confirmed by its payment")
                if target_status == S.CANCELLED and current.payment_status in MONEY_HELD:
                    raise InvalidTransition(
                        "a paid reservation is cancelled with POST /api/reservations/{id}/cancel, "
                        "which decides the refund"
                    )
            quantity = _quantity(changes.quantity or current.quantity, changes.resource_ids)
            updated = replace(
                current,
                start_time=start,
                end_time=end,
                quantity=quantity,
                customer=changes.customer or current.customer,
                notes=current.notes if changes.notes is UNSET else changes.notes,  # type: ignore[arg-type]
            )
            if changes.status:
                updated.move_to(target_status, now)
            holds = updated.holds_capacity(now)
            reallocate = moved or takes_capacity_on(current.status, target_status)
            if reallocate:
                target = await _target_for(uow, current, changes)
                if holds:
                    updated.allocations = await place(
                        uow, target, start, end, quantity, now, exclude=current.id
                    )
                else:
                    updated.allocations = unplaced(target, quantity)
                updated.allocation_mode = target.mode
            saved = await uow.reservations.update(updated, reallocate=reallocate)
            await uow.commit()
        return saved

    return await retrying(attempt)


def _check_unpaid(reservation: Reservation) -> None:
    if reservation.payment_status in MONEY_HELD:
        raise InvalidTransition("a paid reservation is refunded before it is deleted")


async def delete_reservation(ctx: Context, caller: Caller, reservation_id: int) -> None:
    """Remove a reservation and free its capacity; a paid one must be refunded first. An unpaid hold's
    Checkout Session is expired first and the hold cancelled: a payment that still lands is refunded."""
    organisation_id, _ = authorize(caller, WRITE)
    async with ctx.uow() as uow:
        found = await uow.reservations.get(organisation_id, reservation_id)
    if found is None:
        raise NotFound("no such reservation")
    _check_unpaid(found)
    await end_open_session(ctx, found)
    now = ctx.clock.now()
    async with ctx.uow() as uow:
        current = await uow.reservations.get(organisation_id, reservation_id, lock=True)
        if current is None:
            raise NotFound("no such reservation")
        _check_unpaid(current)
        if current.status == S.PENDING_PAYMENT:
            current.move_to(S.CANCELLED, now)
            current.cancel_reason = current.cancel_reason or "deleted"
            await uow.reservations.update(current)
        await uow.reservations.delete(organisation_id, reservation_id, now)
        await uow.commit()
