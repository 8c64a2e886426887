"""Placing a reservation on resources under row locks: the one path every booking takes."""

from __future__ import annotations

import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from application.holds import expire_lapsed
from application.ports import UnitOfWork
from domain.allocation import Allocation, Bookable, Occupancy, allocate, buffered
from domain.catalog import Organisation, Resource, ResourceType
from domain.errors import CapacityConflict, Contention, InvalidInput, NotFound, ReferenceCollision
from domain.money import Quote, quote_for
from domain.reservation import REFERENCE_ALPHABET, Reservation, make_reference
from domain.stays import Period, units_booked

T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """What a booking asks for: a type, and optionally the resources it must use."""

    resource_type: ResourceType
    resources: list[Resource]  # the candidates, every active resource of the type when none is chosen
    mode: str  # "resource", "resources" or "best_fit"

    @property
    def chosen(self) -> list[int] | None:
        return None if self.mode == "best_fit" else [r.id for r in self.resources]


async def resolve_target(
    uow: UnitOfWork,
    organisation_id: int,
    resource_type_id: int | None,
    resource_id: int | None,
    resource_ids: list[int] | None,
) -> Target:
    """The type and candidate resources named by a request; NotFound for anything not in the organisation."""
    if resource_id is not None and resource_ids:
        raise InvalidInput("name resourceId or resourceIds, not both", "resourceIds")
    wanted = [resource_id] if resource_id is not None else list(resource_ids or [])
    if len(set(wanted)) != len(wanted):
        raise InvalidInput("a resource is listed twice", "resourceIds")
    chosen = [await uow.resources.get(organisation_id, rid) for rid in wanted]
    if any(r is None for r in chosen):
        raise NotFound("no such resource")
    resources = [r for r in chosen if r is not None]
    type_ids = {r.resource_type_id for r in resources}
    if resource_type_id is None:
        if not resources:
            raise InvalidInput("name a resourceTypeId or a resource", "resourceTypeId")
        if len(type_ids) > 1:
            raise InvalidInput("the resources must be of one type", "resourceIds")
        resource_type_id = type_ids.pop()
    elif type_ids - {resource_type_id}:
        raise InvalidInput("the resources must be of that resource type", "resourceTypeId")
    resource_type = await uow.resource_types.get(organisation_id, resource_type_id)
    if resource_type is None:
        raise NotFound("no such resource type")
    if resources:
        return Target(resource_type, resources, "resource" if resource_id is not None else "resources")
    candidates = await uow.resources.of_types(organisation_id, [resource_type_id])
    return Target(resource_type, [r for r in candidates if r.is_active], "best_fit")


async def target_of(
    uow: UnitOfWork,
    current: Reservation,
    resource_id: int | None = None,
    resource_ids: list[int] | None = None,
) -> Target:
    """Where a reservation may be placed again: the resources a change names, else as it was booked
    (its chosen resources, or any of its type)."""
    if resource_id is not None or resource_ids:
        return await resolve_target(
            uow, current.organisation_id, current.resource_type_id, resource_id, resource_ids
        )
    if current.allocation_mode == "best_fit":
        return await resolve_target(uow, current.organisation_id, current.resource_type_id, None, None)
    ids = current.resource_ids
    single = ids[0] if current.allocation_mode == "resource" else None
    return await resolve_target(
        uow, current.organisation_id, current.resource_type_id, single, None if single else ids
    )


async def place(
    uow: UnitOfWork,
    target: Target,
    start: datetime,
    end: datetime,
    quantity: int,
    now: datetime,
    exclude: int | None = None,
) -> list[Allocation]:
    """Allocate against current usage; the database re-checks under its locks when it is written."""
    ids = [r.id for r in target.resources]
    rt = target.resource_type
    window = buffered(start, end, rt.buffer_before_minutes, rt.buffer_after_minutes)
    usage = await uow.reservations.usage(ids, *window, now, exclude)
    await expire_lapsed(uow, usage.lapsed, now)
    return allocate_on(target, usage.occupancies, window, quantity)


def allocate_on(
    target: Target, occupancies: list[Occupancy], window: tuple[datetime, datetime], quantity: int
) -> list[Allocation]:
    """The allocation for a target; equal fits go in random order so concurrent bookings rarely meet."""
    bookables = [Bookable(r.id, r.capacity, r.is_active) for r in target.resources]
    prefer = [b.id for b in bookables]
    random.shuffle(prefer)
    return allocate(bookables, occupancies, *window, quantity, target.chosen, prefer)


def outcome_of(error: BaseException | None) -> str:
    """The metrics label of a booking attempt's end."""
    if error is None:
        return "created"
    return {
        "CapacityConflict": "slot_unavailable",
        "SlotUnavailable": "slot_unavailable",
        "OutsideBookingWindow": "outside_window",
        "PaymentsUnavailable": "payments_unavailable",
        "InvalidInput": "invalid",
        "NotFound": "not_found",
        "PaymentProviderError": "provider_error",
    }.get(type(error).__name__, "error")


async def retrying(attempt: Callable[[], Awaitable[T]], tries: int = 3) -> T:
    """Run a write attempt again when the database undid it whole: capacity taken meanwhile, a drawn
    reference taken, or a deadlock or serialization conflict. The last failure is the answer."""
    for remaining in range(tries - 1, -1, -1):
        try:
            return await attempt()
        except (CapacityConflict, ReferenceCollision, Contention):
            if not remaining:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def unplaced(target: Target, quantity: int) -> list[Allocation]:
    """Allocations of a reservation that holds nothing (a waitlist entry): where it would go."""
    if target.mode == "best_fit" and target.resources:
        return [Allocation(min(r.id for r in target.resources), quantity)]
    chosen = [r.id for r in target.resources]
    if not chosen:
        raise NotFound("the resource type has no active resources")
    units = [quantity // len(chosen) + (1 if i < quantity % len(chosen) else 0) for i in range(len(chosen))]
    return [Allocation(rid, u) for rid, u in zip(chosen, units, strict=True) if u > 0]


def price(org: Organisation, resource_type: ResourceType, period: Period, quantity: int) -> Quote:
    """The quote for a booking of the type at the organisation's current fee and tax rates: per slot, per
    night or per day."""
    units = units_booked(period, resource_type.slot_minutes, quantity)
    currency = resource_type.price_currency or org.currency
    return quote_for(resource_type.price_amount, units, currency, org.service_fee_bps, org.tax_bps)


def new_reference(org: Organisation) -> str:
    """A short random reference; the database refuses a duplicate and the booking is retried."""
    return make_reference(org.slug, [secrets.randbelow(len(REFERENCE_ALPHABET)) for _ in range(6)])
