"""Staff reservations: create, list, read, change, delete."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from application.access import authorize
from application.booking import (
    new_reference,
    outcome_of,
    place,
    price,
    resolve_target,
    retrying,
    target_of,
    unplaced,
)
from application.checkout import Checkouts
from application.ports import (
    Clock,
    Metrics,
    Page,
    PageRequest,
    ReservationFilter,
    UnitOfWorkFactory,
)
from domain.access import RESERVATIONS_READ, RESERVATIONS_WRITE
from domain.errors import InvalidInput, InvalidTransition, NotFound, VersionMismatch
from domain.identity import Caller
from domain.reservation import MONEY_HELD, Customer, Draft, Reservation, check_notes, check_times
from domain.status import STAFF_INITIAL, ReservationStatus, takes_capacity_on
from domain.stays import When, check_guests, period_of

READ, WRITE = RESERVATIONS_READ, RESERVATIONS_WRITE
S = ReservationStatus
UNSET = object()


@dataclass(frozen=True)
class NewReservation:
    when: When
    quantity: int | None = None
    customer: Customer = field(default_factory=Customer)
    notes: str | None = None
    resource_type_id: int | None = None
    resource_id: int | None = None
    resource_ids: list[int] | None = None
    status: str = "confirmed"
    adults: int | None = None
    children: int | None = None


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
            rt = target.resource_type
            period = period_of(new.when, rt.stay_rules, org.tz)
            check_times(period.start, period.end)
            check_guests(new.adults, new.children, rt.max_guests, quantity)
            if status == S.WAITLIST:
                allocations = unplaced(target, quantity)
            else:
                allocations = await place(uow, target, period.start, period.end, quantity, now)
            draft = Draft(
                organisation_id=organisation_id,
                resource_type_id=rt.id,
                reference=new_reference(org),
                start_time=period.start,
                end_time=period.end,
                quantity=quantity,
                quote=price(org, rt, period, quantity),
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
                stay=period.stay,
                adults=new.adults,
                children=new.children,
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
    when: When = field(default_factory=When)
    quantity: int | None = None
    customer: Customer | None = None
    notes: object = UNSET
    status: str | None = None
    resource_id: int | None = None
    resource_ids: list[int] | None = None
    adults: object = UNSET
    children: object = UNSET


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
            adults, children = (
                _kept(changes.adults, current.adults),
                _kept(changes.children, current.children),
            )
            period = current.period
            if not changes.when.empty or (adults, children, quantity) != current.guests:
                org = await uow.organisations.by_id(organisation_id)
                rt = await uow.resource_types.get(organisation_id, current.resource_type_id)
                if org is None or rt is None:
                    raise NotFound("no such resource type")
                check_guests(adults, children, rt.max_guests, quantity)
                if not changes.when.empty:
                    rules = replace(rt.stay_rules, unit=current.booking_unit)  # by the unit it was booked
                    period = period_of(changes.when.completed_by(period.when, rules.unit), rules, org.tz)
            moved = moved or period != current.period
            current.reschedule(period, now)
            notes_given = changes.notes is not UNSET
            current.amend(
                now,
                changes.customer,
                changes.notes if notes_given else None,  # type: ignore[arg-type]
                notes_given,
                quantity,
                (adults, children),
            )
            if changes.status:
                current.change_status(S(changes.status), now)
            reallocate = moved or takes_capacity_on(was, current.status)
            if reallocate:
                target = await target_of(uow, current, changes.resource_id, changes.resource_ids)
                if current.holds_capacity(now):
                    placed = await place(
                        uow, target, period.start, period.end, quantity, now, exclude=current.id
                    )
                else:
                    placed = unplaced(target, quantity)
                current.place_on(placed, target.mode)
            saved = await uow.reservations.update(current, reallocate=reallocate)
            await uow.commit()
        return saved

    return await retrying(attempt)


def _kept(value: object, current: int | None) -> int | None:
    """A PATCH field's new value, or the current one when the field was left out."""
    return current if value is UNSET else value  # type: ignore[return-value]


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
