"""Staff reservations: create, list, read, change, delete."""

from __future__ import annotations

from dataclasses import dataclass, field
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
from application.checkout import Checkouts
from application.ports import (
    Clock,
    Metrics,
    Page,
    PageRequest,
    ReservationFilter,
    UnitOfWork,
    UnitOfWorkFactory,
)
from domain.access import RESERVATIONS_READ, RESERVATIONS_WRITE
from domain.errors import InvalidInput, InvalidTransition, NotFound, VersionMismatch
from domain.identity import Caller
from domain.reservation import MONEY_HELD, Customer, Draft, Reservation, check_notes, check_times
from domain.status import STAFF_INITIAL, ReservationStatus, takes_capacity_on

READ, WRITE = RESERVATIONS_READ, RESERVATIONS_WRITE
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


def _quantity(requested: int | None, resource_ids: list[int] | None) -> int:
    quantity = requested if requested is not None else max(1, len(resource_ids or []))
    if not 1 <= quantity <= 100_000:
        raise InvalidInput("quantity must be between 1 and 100000", "quantity")
    return quantity


class CreateReservation:
    """Staff may book outside hours, the grid or the window, never beyond capacity."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, metrics: Metrics) -> None:
        self.uow, self.clock, self.metrics = uow, clock, metrics

    async def __call__(self, caller: Caller, new: NewReservation) -> Reservation:
        return await _create(self.uow, self.clock, self.metrics, caller, new)


async def _create(
    uow_factory: UnitOfWorkFactory, clock: Clock, metrics: Metrics, caller: Caller, new: NewReservation
) -> Reservation:
    organisation_id, _ = authorize(caller, WRITE)
    check_times(new.start_time, new.end_time)
    check_notes(new.notes)
    if new.status not in STAFF_INITIAL:
        raise InvalidInput("status is pending, confirmed or waitlist", "status")
    status = S(new.status)
    quantity = _quantity(new.quantity, new.resource_ids)
    now = clock.now()

    async def attempt() -> Reservation:
        async with uow_factory() as uow:
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
            draft = Draft(
                organisation_id=organisation_id,
                resource_type_id=target.resource_type.id,
                reference=new_reference(org),
                start_time=new.start_time,
                end_time=new.end_time,
                quantity=quantity,
                quote=price(org, target.resource_type, new.start_time, new.end_time, quantity),
                allocations=allocations,
                allocation_mode=target.mode,
                cancellation_policy=org.cancellation_policy,
                customer=new.customer,
                notes=new.notes,
                source="api_key" if caller.is_api_key else "staff",
                payment_required_snapshot=target.resource_type.payment_required,
                approval_required=target.resource_type.requires_approval,
                created_by_user_id=caller.user_id,
                api_key_id=caller.api_key_id,
            )
            reservation = Reservation.book(draft, now, staff_status=status)
            created = await uow.reservations.add(reservation)
            await uow.commit()
        return created

    source = "api_key" if caller.is_api_key else "staff"
    try:
        created = await retrying(attempt)
    except Exception as exc:
        metrics.reservation(source, outcome_of(exc))
        raise
    metrics.reservation(source, "created")
    return created


class ReservationQueries:
    """Staff reading the organisation's reservations."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow

    async def page(self, caller: Caller, query: ReservationFilter, page: PageRequest) -> Page[Reservation]:
        organisation_id, _ = authorize(caller, READ)
        bad = [s for s in query.statuses if s not in S.__members__.values()]
        if bad:
            raise InvalidInput(f"unknown status {bad[0]!r}", "status")
        async with self.uow() as uow:
            return await uow.reservations.page(organisation_id, query, page)

    async def get(self, caller: Caller, reservation_id: int) -> Reservation:
        organisation_id, _ = authorize(caller, READ)
        async with self.uow() as uow:
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


class UpdateReservation:
    """Partial change; capacity re-checked without itself; status only along the status machine."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    async def __call__(
        self, caller: Caller, reservation_id: int, changes: ReservationChanges, if_match: int | None
    ) -> Reservation:
        return await _update(self.uow, self.clock, caller, reservation_id, changes, if_match)


async def _update(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    caller: Caller,
    reservation_id: int,
    changes: ReservationChanges,
    if_match: int | None,
) -> Reservation:
    organisation_id, _ = authorize(caller, WRITE)
    now = clock.now()

    async def attempt() -> Reservation:
        async with uow_factory() as uow:
            current = await uow.reservations.get(organisation_id, reservation_id, lock=True)
            if current is None:
                raise NotFound("no such reservation")
            if if_match is not None and if_match != current.version:
                raise VersionMismatch(f"the reservation is at version {current.version}")
            was = current.status
            quantity = _quantity(changes.quantity or current.quantity, changes.resource_ids)
            moved = (
                changes.quantity is not None or changes.resource_id is not None or bool(changes.resource_ids)
            )
            start, end = changes.start_time or current.start_time, changes.end_time or current.end_time
            moved = moved or (start, end) != (current.start_time, current.end_time)
            current.reschedule(start, end, now)
            notes_given = changes.notes is not UNSET
            current.amend(
                now,
                changes.customer,
                changes.notes if notes_given else None,  # type: ignore[arg-type]
                notes_given,
                quantity,
            )
            if changes.status:
                current.change_status(S(changes.status), now)
            reallocate = moved or takes_capacity_on(was, current.status)
            if reallocate:
                target = await _target_for(uow, current, changes)
                if current.holds_capacity(now):
                    placed = await place(uow, target, start, end, quantity, now, exclude=current.id)
                else:
                    placed = unplaced(target, quantity)
                current.place_on(placed, target.mode)
            saved = await uow.reservations.update(current, reallocate=reallocate)
            await uow.commit()
        return saved

    return await retrying(attempt)


def _check_unpaid(reservation: Reservation) -> None:
    if reservation.payment_status in MONEY_HELD:
        raise InvalidTransition("a paid reservation is refunded before it is deleted")


class DeleteReservation:
    """Remove a reservation and free its capacity; a paid one must be refunded first. An unpaid hold's
    Checkout Session is expired first and the hold cancelled: a payment that still lands is refunded."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, checkouts: Checkouts) -> None:
        self.uow, self.clock, self.checkouts = uow, clock, checkouts

    async def __call__(self, caller: Caller, reservation_id: int) -> None:
        organisation_id, _ = authorize(caller, WRITE)
        async with self.uow() as uow:
            found = await uow.reservations.get(organisation_id, reservation_id)
        if found is None:
            raise NotFound("no such reservation")
        _check_unpaid(found)
        await self.checkouts.end_open_session(found)
        now = self.clock.now()
        async with self.uow() as uow:
            current = await uow.reservations.get(organisation_id, reservation_id, lock=True)
            if current is None:
                raise NotFound("no such reservation")
            _check_unpaid(current)
            if current.status == S.PENDING_PAYMENT:
                current.cancel("deleted", now)  # a payment that still lands on it is refunded
                await uow.reservations.update(current)
            await uow.reservations.delete(organisation_id, reservation_id, now)
            await uow.commit()
