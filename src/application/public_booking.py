"""Public booking by organisation slug or resource token: catalog, availability, quote, reserve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from application.booking import Target, allocate_on, new_reference, outcome_of, price, retrying
from application.checkout import manage_token, new_manage_nonce, open_session, redirect_url
from application.context import Context
from application.ports import BookingView, CheckoutSession, UnitOfWork, ViewWindow
from domain.allocation import Bookable, buffered, slot_availability
from domain.catalog import Organisation, Resource, ResourceType
from domain.errors import InvalidInput, NotFound, PaymentProviderError, PaymentsUnavailable
from domain.identity import validate_email, validate_name
from domain.money import Quote
from domain.reservation import (
    MAX_NOTES,
    Customer,
    Reservation,
    check_times,
)
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
    session: CheckoutSession | None = None


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


async def _view(ctx: Context, entry: Entry, resource_type_id: int | None, window: ViewWindow) -> BookingView:
    """The public view of one resource type; NotFound for a page or type that is not public."""
    if entry.token is None and resource_type_id is None:
        raise InvalidInput("name the resourceTypeId", "resourceTypeId")
    view = await ctx.reads.booking_view(entry.slug, entry.token, resource_type_id, window, ctx.clock.now())
    if view is None:
        raise NotFound("no such booking page or resource type")
    if entry.token is not None and resource_type_id not in (None, view.resource_type.id):
        raise InvalidInput("the token's resource is of another resource type", "resourceTypeId")
    return view


def _target(view: BookingView, resource_id: int | None) -> Target:
    """The candidates a public request names; on the token route the token fixes the resource."""
    if view.token_resource_id is not None:
        if resource_id not in (None, view.token_resource_id):
            raise InvalidInput("the token fixes the resource", "resourceId")
        resource_id = view.token_resource_id
    if resource_id is not None:
        chosen = [r for r in view.resources if r.id == resource_id]
        if not chosen:
            raise NotFound("no such resource")
        return Target(view.resource_type, chosen, "resource")
    return Target(view.resource_type, view.resources, "best_fit")


async def availability(
    ctx: Context, entry: Entry, day: date, resource_type_id: int | None, resource_id: int | None
) -> Availability:
    """Offered slots of a local date with how many units one booking could still get in each."""
    now = ctx.clock.now()
    view = await _view(ctx, entry, resource_type_id, ViewWindow(day=day))
    target = _target(view, resource_id)
    rt, org = target.resource_type, view.organisation
    bookables = [Bookable(r.id, r.capacity) for r in target.resources]
    slots = offered_slots(rt.hours, day, org.tz, rt.slot_rules, now)
    windows = [buffered(s.start, s.end, rt.buffer_before_minutes, rt.buffer_after_minutes) for s in slots]
    units = slot_availability(bookables, view.usage.occupancies, windows, rt.max_quantity)
    views = [SlotView(slot.start, slot.end, n) for slot, n in zip(slots, units, strict=True)]
    return Availability(day, org.timezone, rt.id, views)


def _checked(view: BookingView, target: Target, request: PublicRequest, now: datetime) -> int:
    """Validate a customer's booking against the type's rules; returns the number of slots."""
    rt = target.resource_type
    check_times(request.start_time, request.end_time)
    limit = rt.max_quantity if rt.max_quantity is not None else sum(r.capacity for r in target.resources)
    if not 1 <= request.quantity <= max(limit, 1):
        raise InvalidInput(f"quantity must be between 1 and {max(limit, 1)}", "quantity")
    return check_public_booking(
        rt.hours,
        view.organisation.tz,
        rt.slot_rules,
        rt.max_slots_per_booking,
        request.start_time,
        request.end_time,
        now,
    )


async def quote(ctx: Context, entry: Entry, request: PublicRequest) -> tuple[Quote, bool]:
    """The price of a booking and whether it must be paid online."""
    check_times(request.start_time, request.end_time)
    window = ViewWindow(start=request.start_time, end=request.end_time)
    view = await _view(ctx, entry, request.resource_type_id, window)
    target = _target(view, request.resource_id)
    _checked(view, target, request, ctx.clock.now())
    rt = target.resource_type
    return price(
        view.organisation, rt, request.start_time, request.end_time, request.quantity
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


def status_url(ctx: Context, entry: Entry) -> str:
    """Where the customer's browser comes back to: our checkout-status route for the page they used."""
    page = f"organisations/{entry.slug}" if entry.slug is not None else entry.token
    return f"{ctx.policy.public_base_url}/api/public/booking/{page}/checkout-status"


async def reserve(ctx: Context, entry: Entry, request: ReserveRequest) -> Reserved:
    """A customer's booking: confirmed (or pending approval) for free types, a payment hold with a
    Checkout Session for paid ones; all or nothing."""
    customer = _customer(request)
    check_times(request.start_time, request.end_time)
    nonce = new_manage_nonce()
    window = ViewWindow(start=request.start_time, end=request.end_time)
    back = status_url(ctx, entry) + "?sessionId={CHECKOUT_SESSION_ID}"
    success = redirect_url(ctx, request.success_url, back, "successUrl")
    cancel = redirect_url(ctx, request.cancel_url, back, "cancelUrl")
    views: list[BookingView] = []

    async def attempt() -> Reservation:
        now = ctx.clock.now()
        view = await _view(ctx, entry, request.resource_type_id, window)
        views.append(view)
        target = _target(view, request.resource_id)
        _checked(view, target, request, now)
        rt, org = target.resource_type, view.organisation
        paid = rt.payment_required
        if paid and not org.accepts_payments():
            raise PaymentsUnavailable("this organisation cannot take payments now")
        occupied = buffered(
            request.start_time, request.end_time, rt.buffer_before_minutes, rt.buffer_after_minutes
        )
        allocations = allocate_on(target, view.usage.occupancies, occupied, request.quantity)
        if paid:
            status, payment = ReservationStatus.PENDING_PAYMENT, PaymentStatus.PENDING
        elif rt.requires_approval:
            status, payment = ReservationStatus.PENDING, PaymentStatus.NOT_REQUIRED
        else:
            status, payment = ReservationStatus.CONFIRMED, PaymentStatus.NOT_REQUIRED
        reservation = Reservation(
            id=0,
            organisation_id=org.id,
            resource_type_id=rt.id,
            reference=new_reference(org),
            start_time=request.start_time,
            end_time=request.end_time,
            quantity=request.quantity,
            status=status,
            payment_status=payment,
            quote=price(org, rt, request.start_time, request.end_time, request.quantity),
            customer=customer,
            notes=request.notes,
            source="public",
            requires_payment=paid,
            payment_required_snapshot=paid,
            cancellation_policy_snapshot=org.cancellation_policy,
            allocations=allocations,
            allocation_mode=target.mode,
            hold_expires_at=hold_until(ctx, now) if paid else None,
            checkout_attempt=1 if paid else 0,
            confirmed_at=now if status == ReservationStatus.CONFIRMED else None,
            manage_token_nonce=nonce,
        )
        if view.usage.lapsed:
            await ctx.writer.expire_holds(view.usage.lapsed, now)
        # One statement, its own transaction: the database checks capacity under its locks as it writes.
        return await ctx.writer.add(reservation, ctx.secret_hash(manage_token(ctx, nonce)))

    try:
        created = await retrying(attempt)
    except Exception as exc:
        ctx.metrics.reservation("public", outcome_of(exc))
        raise
    ctx.metrics.reservation("public", "held" if created.requires_payment else "created")
    token = manage_token(ctx, nonce)
    if not created.requires_payment:
        return Reserved(created, token)
    view = views[-1]
    return await start_checkout(
        ctx, created, view.organisation, view.resource_type.name, success, cancel, token
    )


async def _release(ctx: Context, reservation: Reservation, keep: bool) -> None:
    now = ctx.clock.now()
    async with ctx.uow() as uow:
        if not keep:
            await uow.reservations.delete(reservation.organisation_id, reservation.id, now)
        else:
            current = await uow.reservations.get(reservation.organisation_id, reservation.id, lock=True)
            if current is not None and current.status == ReservationStatus.PENDING_PAYMENT:
                current.move_to(ReservationStatus.EXPIRED, now)
                current.payment_status = PaymentStatus.EXPIRED
                await uow.reservations.update(current)
        await uow.commit()


def hold_until(ctx: Context, now: datetime) -> datetime:
    """HOLD_MINUTES plus one minute: Checkout's expires_at must stay at least 30 minutes ahead."""
    return now + timedelta(minutes=ctx.policy.hold_minutes + 1)


async def start_checkout(
    ctx: Context,
    reservation: Reservation,
    org: Organisation,
    what: str,
    success: str,
    cancel: str,
    token: str,
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


async def organisation_id_of(ctx: Context, entry: Entry, public_only: bool = True) -> int:
    """The organisation behind a slug or token; NotFound otherwise. Checkout status and retry keep
    serving existing reservations when public booking is switched off (public_only=False)."""
    async with ctx.uow() as uow:
        if public_only:
            return (await storefront(uow, entry)).organisation.id
        if entry.token is not None:
            resource = await uow.resources.by_token(entry.token)
            organisation_id = resource.organisation_id if resource is not None else None
        else:
            org = await uow.organisations.by_slug(entry.slug or "")
            organisation_id = org.id if org is not None else None
    if organisation_id is None:
        raise NotFound("no such booking page")
    return organisation_id
