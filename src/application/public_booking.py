"""Public booking by organisation slug or resource token: catalog, availability, quote, reserve."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from application.booking import Target, allocate_on, new_reference, outcome_of, price, retrying
from application.checkout import Checkouts, ManageTokens, Reserved
from application.holds import expire_lapsed
from application.ports import Clock, HeavyWork, Metrics, SecretHasher, UnitOfWorkFactory
from application.public_ports import BookingView, PublicReads, ViewWindow
from application.storefront import Entry

if TYPE_CHECKING:  # it imports retry, which imports this module's neighbours
    from application.card_payments import CardPayments
from domain.allocation import Bookable, buffered, slot_availability
from domain.catalog import ResourceType
from domain.errors import InvalidInput, NotFound, PaymentProviderError, PaymentsUnavailable, Unauthorized
from domain.identity import validate_email, validate_name
from domain.money import Quote
from domain.reservation import Customer, Draft, Reservation, check_notes, check_times
from domain.slots import Slot, check_public_booking, offered_slots, slots_per_day
from domain.stays import (
    BookingUnit,
    Period,
    When,
    check_guests,
    check_public_stay,
    one_unit,
    open_alone,
    period_of,
)

# Slots times bookings above which pricing a day takes milliseconds: it leaves the event loop.
HEAVY_AVAILABILITY = 100_000


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
    when: When
    quantity: int = 1
    adults: int | None = None
    children: int | None = None


@dataclass(frozen=True)
class ReserveRequest(PublicRequest):
    customer_name: str = ""
    customer_email: str = ""
    customer_phone: str = ""
    notes: str | None = None
    success_url: str | None = None
    cancel_url: str | None = None
    customer_user_id: int | None = None  # a logged-in customer: the booking is theirs (API.md section 13)
    payment_method_id: str | None = None  # a logged-in customer's saved card, charged instead of Checkout
    return_url: str | None = None  # where 3-D Secure comes back to


def window_of(when: When) -> ViewWindow:
    """What to read for a request: its instants, or the dates of a stay (which of them the type takes is
    known once it is read; the other shape is refused then)."""
    dates = when.dates_named()
    if dates is not None:
        return ViewWindow.days(*dates)
    if when.start_time is None or when.end_time is None:
        raise InvalidInput(
            "name startTime and endTime, checkIn and checkOut, or startDate and days", "startTime"
        )
    check_times(when.start_time, when.end_time)
    return ViewWindow(start=when.start_time, end=when.end_time)


async def view_of(
    reads: PublicReads, clock: Clock, entry: Entry, resource_type_id: int | None, window: ViewWindow
) -> BookingView:
    """The public view of one resource type; NotFound for a page or type that is not public."""
    if entry.token is None and resource_type_id is None:
        raise InvalidInput("name the resourceTypeId", "resourceTypeId")
    view = await reads.booking_view(entry.slug, entry.token, resource_type_id, window, clock.now())
    if view is None:
        raise NotFound("no such booking page or resource type")
    if entry.token is not None and resource_type_id not in (None, view.resource_type.id):
        raise InvalidInput("the token's resource is of another resource type", "resourceTypeId")
    return view


def target_in(view: BookingView, resource_id: int | None) -> Target:
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


def check_public_time(rt: ResourceType, period: Period, tz: ZoneInfo, now: datetime) -> None:
    """The rules a customer's time keeps on top of capacity: the slot grid, hours, notice and window, or
    for a stay its length, start day, closed dates, notice and window. OutsideBookingWindow otherwise."""
    if period.stay is not None:
        check_public_stay(period, rt.stay_rules, rt.hours, now)
        return
    rules = rt.slot_rules
    check_public_booking(rt.hours, tz, rules, rt.max_slots_per_booking, period.start, period.end, now)


def _checked(view: BookingView, target: Target, request: PublicRequest, now: datetime) -> Period:
    """A customer's booking checked against the type's rules; the period it occupies."""
    rt = target.resource_type
    period = period_of(request.when, rt.stay_rules, view.organisation.tz)
    check_times(period.start, period.end)
    limit = rt.max_quantity if rt.max_quantity is not None else sum(r.capacity for r in target.resources)
    if not 1 <= request.quantity <= max(limit, 1):
        raise InvalidInput(f"quantity must be between 1 and {max(limit, 1)}", "quantity")
    check_guests(request.adults, request.children, rt.max_guests, request.quantity)
    check_public_time(rt, period, view.organisation.tz, now)
    return period


class PublicAvailability:
    """Offered slots of a local date with how many units one booking could still get in each."""

    def __init__(self, reads: PublicReads, clock: Clock, heavy: HeavyWork) -> None:
        self.reads, self.clock, self.heavy = reads, clock, heavy

    async def __call__(
        self, entry: Entry, day: date, resource_type_id: int | None, resource_id: int | None
    ) -> Availability:
        now = self.clock.now()
        view = await view_of(self.reads, self.clock, entry, resource_type_id, ViewWindow.days(day))
        target = target_in(view, resource_id)
        rt, org = target.resource_type, view.organisation
        bookables = [Bookable(r.id, r.capacity) for r in target.resources]
        occupancies = view.usage.occupancies

        def priced() -> list[SlotView]:
            slots = offered(rt, day, org.tz, now)
            windows = [
                buffered(s.start, s.end, rt.buffer_before_minutes, rt.buffer_after_minutes) for s in slots
            ]
            units = slot_availability(bookables, occupancies, windows, rt.max_quantity)
            return [SlotView(slot.start, slot.end, n) for slot, n in zip(slots, units, strict=True)]

        heavy = slots_per_day(rt.hours, day, rt.slot_rules) * (1 + len(occupancies)) > HEAVY_AVAILABILITY
        views = await self.heavy.run(priced) if heavy else priced()
        return Availability(day, org.timezone, rt.id, views)


def offered(rt: ResourceType, day: date, tz: ZoneInfo, now: datetime) -> list[Slot]:
    """What a day offers a customer: its slots, or for a night or day type the one-unit stay from that
    date when its dates are open to the public."""
    if rt.booking_unit == BookingUnit.SLOT:
        return offered_slots(rt.hours, day, tz, rt.slot_rules, now)
    period = one_unit(day, rt.stay_rules, tz)
    return [Slot(period.start, period.end)] if open_alone(period, rt.stay_rules, rt.hours, now) else []


class PublicQuote:
    """The price of a booking and whether it must be paid online."""

    def __init__(self, reads: PublicReads, clock: Clock) -> None:
        self.reads, self.clock = reads, clock

    async def __call__(self, entry: Entry, request: PublicRequest) -> tuple[Quote, bool]:
        window = window_of(request.when)
        view = await view_of(self.reads, self.clock, entry, request.resource_type_id, window)
        target = target_in(view, request.resource_id)
        period = _checked(view, target, request, self.clock.now())
        rt = target.resource_type
        return price(view.organisation, rt, period, request.quantity), rt.payment_required


def _customer(request: ReserveRequest) -> Customer:
    name = validate_name(request.customer_name, "customerName")
    email = validate_email(request.customer_email.strip(), "customerEmail")
    phone = request.customer_phone.strip()
    if len(phone) > 40:
        raise InvalidInput("a phone number of at most 40 characters", "customerPhone")
    check_notes(request.notes)
    return Customer(name, email, phone or None)


class PublicReserve:
    """A customer's booking: confirmed (or pending approval) for free types, a payment hold with a
    Checkout Session for paid ones; all or nothing. One read and one write on the hot path."""

    def __init__(
        self,
        reads: PublicReads,
        uow: UnitOfWorkFactory,
        single_statement: UnitOfWorkFactory,
        clock: Clock,
        metrics: Metrics,
        checkouts: Checkouts,
        tokens: ManageTokens,
        secret_hash: SecretHasher,
    ) -> None:
        self.reads, self.uow, self.single_statement, self.clock = reads, uow, single_statement, clock
        self.metrics, self.checkouts, self.tokens, self.secret_hash = metrics, checkouts, tokens, secret_hash
        self.cards: CardPayments | None = None  # set by the composition root: it needs this one's checkouts

    async def _as_user(self, request: ReserveRequest) -> ReserveRequest:
        """A logged-in customer's name and e-mail stand in for what the request leaves out."""
        async with self.uow() as uow:
            user = await uow.users.by_id(request.customer_user_id or 0)
        if user is None:
            raise Unauthorized("the user no longer exists")
        return replace(
            request,
            customer_name=request.customer_name or user.name,
            customer_email=request.customer_email or user.email,
        )

    async def __call__(self, entry: Entry, request: ReserveRequest, status_url: str) -> Reserved:
        """`status_url`: where the customer's browser comes back to after Checkout, by default."""
        if request.customer_user_id is not None:
            request = await self._as_user(request)
        card = None
        if request.payment_method_id is not None:  # checked before anything is booked or charged
            if self.cards is None:
                raise InvalidInput("saved cards are not available here", "paymentMethodId")
            card = await self.cards.card_of(request.customer_user_id, request.payment_method_id)
            card_return = self.cards.return_url(request.return_url)
        customer = _customer(request)
        window = window_of(request.when)
        nonce = self.tokens.nonce()
        back = status_url + "?sessionId={CHECKOUT_SESSION_ID}"
        terms = self.checkouts.terms
        success = terms.return_url(request.success_url, back, "successUrl")
        cancel = terms.return_url(request.cancel_url, back, "cancelUrl")
        views: list[BookingView] = []

        async def attempt() -> Reservation:
            reservation, view = await self._booking(entry, request, window, customer, nonce)
            views.append(view)
            # One statement, its own transaction: the database checks capacity under its locks as it writes.
            async with self.single_statement() as uow:
                return await uow.reservations.add(reservation, self.secret_hash(self.tokens.token(nonce)))

        try:
            created = await retrying(attempt)
        except Exception as exc:
            self.metrics.reservation("public", outcome_of(exc))
            raise
        self.metrics.reservation("public", "held" if created.requires_payment else "created")
        token = self.tokens.token(nonce)
        if not created.requires_payment:
            return Reserved(created, token)
        view = views[-1]
        if card is not None and self.cards is not None:
            try:
                paid = await self.cards.charge(
                    created, view.organisation, view.resource_type, card, card_return
                )
            except PaymentProviderError:
                await self.checkouts.release(created, keep=False)  # as a Checkout that fails to open
                raise
            return replace(paid, manage_token=token)
        return await self.checkouts.open(
            created, view.organisation, view.resource_type.name, success, cancel, token
        )

    async def _booking(
        self, entry: Entry, request: ReserveRequest, window: ViewWindow, customer: Customer, nonce: str
    ) -> tuple[Reservation, BookingView]:
        now = self.clock.now()
        view = await view_of(self.reads, self.clock, entry, request.resource_type_id, window)
        target = target_in(view, request.resource_id)
        period = _checked(view, target, request, now)
        rt, org = target.resource_type, view.organisation
        paid = rt.payment_required
        if paid and not org.accepts_payments():
            raise PaymentsUnavailable("this organisation cannot take payments now")
        occupied = buffered(period.start, period.end, rt.buffer_before_minutes, rt.buffer_after_minutes)
        allocations = allocate_on(target, view.usage.occupancies, occupied, request.quantity)
        draft = Draft(
            organisation_id=org.id,
            resource_type_id=rt.id,
            reference=new_reference(org),
            start_time=period.start,
            end_time=period.end,
            quantity=request.quantity,
            quote=price(org, rt, period, request.quantity),
            allocations=allocations,
            allocation_mode=target.mode,
            cancellation_policy=org.cancellation_policy,
            customer=customer,
            notes=request.notes,
            source="public",
            payment_required_snapshot=paid,
            approval_required=rt.requires_approval,
            manage_token_nonce=nonce,
            stay=period.stay,
            adults=request.adults,
            children=request.children,
            customer_user_id=request.customer_user_id,
        )
        hold = self.checkouts.terms.hold_until(now) if paid else None
        if view.usage.lapsed:  # rare: a lapsed hold the worker has not expired yet is in the way
            async with self.uow() as uow:
                await expire_lapsed(uow, view.usage.lapsed, now)
                await uow.commit()
        return Reservation.book(draft, now, hold_until=hold), view
