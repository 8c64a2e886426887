"""polyfactory factories for the domain objects the use-case tests do not care about in detail, and a
`Shop` that puts an organisation with one resource type and its resources into a fake World."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from polyfactory import Use
from polyfactory.factories import DataclassFactory

from domain.access import Role
from domain.allocation import Allocation
from domain.booking import Customer
from domain.cancellation import DEFAULT_POLICY
from domain.catalog import Organisation, Resource, ResourceType, StripeAccount
from domain.hours import WEEKDAYS, Interval, OpeningHours
from domain.identity import Caller
from domain.money import Quote
from domain.reservation import Reservation
from domain.status import PaymentStatus, ReservationStatus
from domain.stays import BookingUnit
from tests.unit.application.fakes import NOW, World

ALL_DAY = OpeningHours({day: (Interval("00:00", "24:00"),) for day in WEEKDAYS})


class OrganisationFactory(DataclassFactory[Organisation]):
    id = 1
    slug = Use(lambda: "acme-spa")
    timezone = "Europe/Berlin"
    currency = "eur"
    service_fee_bps = 0
    tax_bps = 0
    commission_bps = None
    cancellation_policy = DEFAULT_POLICY
    public_booking_enabled = True
    reschedule_min_hours_before = 24
    stripe = StripeAccount("acct_1", True, True, True)
    locale = "en"
    notification_email = "desk@acme.example"
    description = None
    brand_color = None


class ResourceTypeFactory(DataclassFactory[ResourceType]):
    organisation_id = 1
    slot_minutes = 60
    slot_interval_minutes = None
    max_slots_per_booking = 1
    buffer_before_minutes = 0
    buffer_after_minutes = 0
    min_notice_minutes = 0
    max_advance_days = 365
    max_quantity = None
    price_amount = 5000
    price_currency = "eur"
    payment_required = True
    requires_approval = False
    publicly_bookable = True
    hours = ALL_DAY
    booking_unit = BookingUnit.SLOT
    check_in_time = "15:00"
    check_out_time = "11:00"
    min_stay = 1
    max_stay = 30
    max_guests = None


class ResourceFactory(DataclassFactory[Resource]):
    organisation_id = 1
    capacity = 1
    is_active = True


class ReservationFactory(DataclassFactory[Reservation]):
    """A confirmed, free reservation of one unit on resource 1, a day from now, unless told otherwise."""

    organisation_id = 1
    resource_type_id = 1
    start_time = NOW + timedelta(days=10)
    end_time = NOW + timedelta(days=10, hours=1)
    quantity = 1
    status = ReservationStatus.CONFIRMED
    payment_status = PaymentStatus.NOT_REQUIRED
    quote = Quote(5000, 1, 5000, 0, 0, 5000, "eur")
    customer = Customer("Jo", "jo@example.com", None)
    requires_payment = False
    approval_required = False
    cancellation_policy_snapshot = DEFAULT_POLICY
    allocations = Use(lambda: [Allocation(1, 1)])
    allocation_mode = "best_fit"
    hold_expires_at = None
    stripe_checkout_session_id = None
    checkout_attempt = 0
    checkout_claimed_until = None
    deleted_at = None
    stay = None
    adults = None
    children = None
    events = Use(list)
    version = 1
    customer_user_id = None
    dispute_status = "none"


@dataclass
class Shop:
    """An organisation (id 1) with a payment-required type (id 1) and its resources, in a World."""

    world: World = field(default_factory=World)
    capacity: int = 1
    resources: int = 1
    type_fields: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.org = OrganisationFactory.build()
        self.type = ResourceTypeFactory.build(id=1, **self.type_fields)
        self.world.organisations[1] = self.org
        self.world.resource_types[1] = self.type
        for rid in range(1, self.resources + 1):
            self.world.resources[rid] = ResourceFactory.build(
                id=rid, resource_type_id=1, capacity=self.capacity
            )
        self.world.ids = itertools.count(1000)

    def put(self, **fields: Any) -> Reservation:
        """A reservation stored as if the database had it."""
        made = ReservationFactory.build(
            id=self.world.next_id(), reference=f"ACM-{len(self.world.reservations):06d}", **fields
        )
        self.world.reservations[made.id] = made
        if made.stripe_checkout_session_id:
            self.world.sessions[made.stripe_checkout_session_id] = made.id
        return made

    def held(self, session_id: str, start: datetime | None = None, **fields: Any) -> Reservation:
        """A payment hold with an open Checkout Session."""
        base = {
            "status": ReservationStatus.PENDING_PAYMENT,
            "payment_status": PaymentStatus.PENDING,
            "requires_payment": True,
            "hold_expires_at": NOW + timedelta(minutes=31),
            "stripe_checkout_session_id": session_id,
            "checkout_attempt": 1,
        }
        if start is not None:
            base |= {"start_time": start, "end_time": start + timedelta(hours=1)}
        return self.put(**(base | fields))

    def now(self, reservation_id: int) -> Reservation:
        return self.world.reservations[reservation_id]


def staff(role: Role = Role.OWNER) -> Caller:
    return Caller(user_id=1, organisation_id=1, role=role)


__all__ = ["Shop", "replace", "staff"]
