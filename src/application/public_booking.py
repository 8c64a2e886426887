"""Public booking by organisation slug or resource token: catalog, availability, quote, reserve."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

from application.booking import Target, new_reference, place, price
from application.context import Context
from application.ports import UnitOfWork
from domain.allocation import Bookable, available_quantity, buffered, free_capacity
from domain.catalog import Organisation, Resource, ResourceType
from domain.errors import InvalidInput, NotFound, PaymentsUnavailable
from domain.identity import validate_email, validate_name
from domain.money import Quote
from domain.reservation import MAX_NOTES, Customer, Reservation, check_times
from domain.slots import check_public_booking, offered_slots
from domain.status import PaymentStatus, ReservationStatus


@dataclass(frozen=True)
class Entry:
    """How a customer arrived: by the organisation's slug, or by one resource's secret token."""

    slug: str | None = None
    token: str | None = None


@dataclass(frozen=True)
class Storefront:
    organisation: Organisation
    types: list[ResourceType]
    resources: dict[int, list[Resource]]  # active resources by type id
    token_resource: Resource | None = None


@dataclass(frozen=True)
class SlotView:
    start: datetime
    end: datetime
    available_quantity: int


@dataclass(frozen=True)
class Availability:
    day: date
    timezone: str
    resource_type_id: int
    slots: list[SlotView]


@dataclass(frozen=True)
class PublicRequest:
    resource_type_id: int | None
    resource_id: int | None
    start_time: datetime
    end_time: datetime
    quantity: int = 1


@dataclass(frozen=True)
class ReserveRequest(PublicRequest):
    customer_name: str = ""
    customer_email: str = ""
    customer_phone: str = ""
    notes: str | None = None
    success_url: str | None = None
    cancel_url: str | None = None


@dataclass
class Reserved:
    reservation: Reservation
    manage_token: str
    checkout: dict[str, object] | None = field(default=None)


async def storefront(uow: UnitOfWork, entry: Entry) -> Storefront:
    """The public face of an organisation (or of one resource); NotFound when it is not public."""
    token_resource = None
    if entry.token is not None:
        token_resource = await uow.resources.by_token(entry.token)
        if token_resource is None or not token_resource.is_active:
            raise NotFound("no such booking page")
        org = await uow.organisations.by_id(token_resource.organisation_id)
    else:
        org = await uow.organisations.by_slug(entry.slug or "")
    if org is None or not org.public_booking_enabled:
        raise NotFound("no such booking page")
    types = [t for t in await uow.resource_types.all(org.id) if t.publicly_bookable]
    if token_resource is not None:
        types = [t for t in types if t.id == token_resource.resource_type_id]
        if not types:
            raise NotFound("no such booking page")
    by_type: dict[int, list[Resource]] = {t.id: [] for t in types}
    for resource in await uow.resources.of_types(org.id, list(by_type)):
        if resource.is_active:
            by_type[resource.resource_type_id].append(resource)
    return Storefront(org, types, by_type, token_resource)


async def catalog(ctx: Context, entry: Entry) -> Storefront:
    async with ctx.uow() as uow:
        return await storefront(uow, entry)


def _target(front: Storefront, resource_type_id: int | None, resource_id: int | None) -> Target:
    """The type and resources a public request names; on the token route they default to the token's."""
    if front.token_resource is not None:
        own = front.token_resource
        if resource_type_id not in (None, own.resource_type_id):
            raise InvalidInput("the token's resource is of another resource type", "resourceTypeId")
        if resource_id not in (None, own.id):
            raise InvalidInput("the token fixes the resource", "resourceId")
        resource_type_id, resource_id = own.resource_type_id, own.id
    rt = next((t for t in front.types if t.id == resource_type_id), None)
    if rt is None:
        raise NotFound("no such resource type")
    candidates = front.resources.get(rt.id, [])
    if resource_id is not None:
        chosen = [r for r in candidates if r.id == resource_id]
        if not chosen:
            raise NotFound("no such resource")
        return Target(rt, chosen, "resource")
    return Target(rt, candidates, "best_fit")


async def availability(
    ctx: Context, entry: Entry, day: date, resource_type_id: int | None, resource_id: int | None
) -> Availability:
    """Offered slots of a local date with how many units one booking could still get in each."""
    now = ctx.clock.now()
    async with ctx.uow() as uow:
        front = await storefront(uow, entry)
        target = _target(front, resource_type_id, resource_id)
        rt, org = target.resource_type, front.organisation
        slots = offered_slots(rt.hours, day, org.tz, rt.slot_rules, now)
        occupancies = []
        if slots and target.resources:
            window = buffered(
                slots[0].start, slots[-1].end, rt.buffer_before_minutes, rt.buffer_after_minutes
            )
            occupancies = await uow.reservations.occupancies([r.id for r in target.resources], *window, now)
    bookables = [Bookable(r.id, r.capacity, r.is_active) for r in target.resources]
    views = []
    for slot in slots:
        window = buffered(slot.start, slot.end, rt.buffer_before_minutes, rt.buffer_after_minutes)
        if target.mode == "resource":
            units = free_capacity(bookables[0], occupancies, *window)
            units = min(units, rt.max_quantity) if rt.max_quantity is not None else units
        else:
            units = available_quantity(bookables, occupancies, *window, rt.max_quantity)
        views.append(SlotView(slot.start, slot.end, units))
    return Availability(day, org.timezone, rt.id, views)


def _checked(front: Storefront, target: Target, request: PublicRequest, now: datetime) -> int:
    """Validate a customer's booking against the type's rules; returns the number of slots."""
    rt = target.resource_type
    check_times(request.start_time, request.end_time)
    limit = rt.max_quantity if rt.max_quantity is not None else sum(r.capacity for r in target.resources)
    if not 1 <= request.quantity <= max(limit, 1):
        raise InvalidInput(f"quantity must be between 1 and {max(limit, 1)}", "quantity")
    return check_public_booking(
        rt.hours,
        front.organisation.tz,
        rt.slot_rules,
        rt.max_slots_per_booking,
        request.start_time,
        request.end_time,
        now,
    )


async def quote(ctx: Context, entry: Entry, request: PublicRequest) -> tuple[Quote, bool]:
    """The price of a booking and whether it must be paid online."""
    async with ctx.uow() as uow:
        front = await storefront(uow, entry)
    target = _target(front, request.resource_type_id, request.resource_id)
    _checked(front, target, request, ctx.clock.now())
    rt = target.resource_type
    return price(
        front.organisation, rt, request.start_time, request.end_time, request.quantity
    ), rt.payment_required


def _customer(request: ReserveRequest) -> Customer:
    name = validate_name(request.customer_name, "customerName")
    email = validate_email(request.customer_email.strip())
    phone = request.customer_phone.strip()
    if len(phone) > 40:
        raise InvalidInput("a phone number of at most 40 characters", "customerPhone")
    if request.notes is not None and len(request.notes) > MAX_NOTES:
        raise InvalidInput(f"notes are at most {MAX_NOTES} characters", "notes")
    return Customer(name, email, phone or None)


async def reserve(ctx: Context, entry: Entry, request: ReserveRequest) -> Reserved:
    """A customer's booking: confirmed (or pending approval) for free types; all or nothing."""
    customer = _customer(request)
    now = ctx.clock.now()
    manage_token = secrets.token_urlsafe(32)
    async with ctx.uow() as uow:
        front = await storefront(uow, entry)
        target = _target(front, request.resource_type_id, request.resource_id)
        _checked(front, target, request, now)
        rt, org = target.resource_type, front.organisation
        if rt.payment_required:
            raise PaymentsUnavailable("this organisation cannot take payments now")
        allocations = await place(uow, target, request.start_time, request.end_time, request.quantity, now)
        status = ReservationStatus.PENDING if rt.requires_approval else ReservationStatus.CONFIRMED
        reservation = Reservation(
            id=0,
            organisation_id=org.id,
            resource_type_id=rt.id,
            reference=await new_reference(uow, org),
            start_time=request.start_time,
            end_time=request.end_time,
            quantity=request.quantity,
            status=status,
            payment_status=PaymentStatus.NOT_REQUIRED,
            quote=price(org, rt, request.start_time, request.end_time, request.quantity),
            customer=customer,
            notes=request.notes,
            source="public",
            payment_required_snapshot=rt.payment_required,
            cancellation_policy_snapshot=org.cancellation_policy,
            allocations=allocations,
            allocation_mode=target.mode,
            confirmed_at=now if status == ReservationStatus.CONFIRMED else None,
        )
        created = await uow.reservations.add(reservation, ctx.secret_hash(manage_token))
        await uow.commit()
    return Reserved(created, manage_token)


async def organisation_id_of(ctx: Context, entry: Entry) -> int:
    """The organisation behind a slug or token, for scoping idempotency keys; NotFound otherwise."""
    async with ctx.uow() as uow:
        return (await storefront(uow, entry)).organisation.id
