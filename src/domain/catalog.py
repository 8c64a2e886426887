"""Organisations, resource types and resources."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from domain.cancellation import DEFAULT_POLICY, PolicyTier
from domain.errors import InvalidInput
from domain.hours import OpeningHours, validate_overrides, validate_weekly
from domain.money import is_currency
from domain.slots import SlotRules
from domain.timezones import is_place_zone, zone

MAX_RESOURCE_TYPES = 100  # per organisation: a catalog page stays one bounded read
MAX_RESOURCES_PER_TYPE = 1000  # availability prices every resource of a type in each request
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$")


def validate_slug(slug: str) -> str:
    """3 to 63 of a-z, 0-9 and '-', not starting or ending with '-'."""
    if not SLUG.match(slug):
        raise InvalidInput(
            "slug: 3 to 63 of a-z, 0-9 and '-', starting and ending with a letter or digit", "slug"
        )
    return slug


def validate_currency(code: str, field_name: str = "currency") -> str:
    """A lowercase ISO 4217 code."""
    if not is_currency(code):
        raise InvalidInput("a lowercase ISO 4217 code such as 'eur'", field_name)
    return code


def validate_timezone(name: str) -> str:
    """An IANA zone name of a place (Europe/Berlin) or UTC."""
    try:
        zone(name)
    except ValueError as exc:
        raise InvalidInput(str(exc), "timezone") from exc
    if not is_place_zone(name):
        raise InvalidInput(f"{name!r} is not the zone of a place; use e.g. Europe/Berlin or UTC", "timezone")
    return name


def validate_bps(value: int, field_name: str) -> int:
    """Basis points from 0 to 10000."""
    if not 0 <= value <= 10_000:
        raise InvalidInput("basis points from 0 to 10000", field_name)
    return value


@dataclass(frozen=True)
class StripeAccount:
    """The organisation's connected Stripe account as Stripe last described it."""

    account_id: str | None = None
    charges_enabled: bool = False
    payouts_enabled: bool = False
    details_submitted: bool = False

    @property
    def status(self) -> str:
        if not self.account_id:
            return "onboarding_required"
        if self.charges_enabled and self.payouts_enabled:
            return "connected"
        return "pending_verification" if self.details_submitted else "onboarding_required"


@dataclass(frozen=True)
class Organisation:
    id: int
    slug: str
    name: str
    timezone: str
    currency: str
    service_fee_bps: int = 0
    tax_bps: int = 0
    commission_bps: int | None = None  # the operator's override; None means the platform's rate
    cancellation_policy: tuple[PolicyTier, ...] = DEFAULT_POLICY
    public_booking_enabled: bool = True
    stripe: StripeAccount = field(default_factory=StripeAccount)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    def effective_commission(self, platform_bps: int) -> int:
        return platform_bps if self.commission_bps is None else self.commission_bps

    def accepts_payments(self, provider_ready: bool = True) -> bool:
        """True while payments can be taken for this organisation."""
        return provider_ready and self.stripe.account_id is not None and self.stripe.charges_enabled


@dataclass(frozen=True)
class ResourceType:
    id: int
    organisation_id: int
    name: str
    slot_minutes: int
    description: str | None = None
    slot_interval_minutes: int | None = None
    max_slots_per_booking: int = 1
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    min_notice_minutes: int = 0
    max_advance_days: int = 365
    max_quantity: int | None = None
    price_amount: int = 0
    price_currency: str | None = None
    payment_required: bool = False
    requires_approval: bool = False
    publicly_bookable: bool = True
    hours: OpeningHours = field(default_factory=OpeningHours)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def slot_rules(self) -> SlotRules:
        return SlotRules(
            self.slot_minutes,
            self.slot_interval_minutes or self.slot_minutes,
            self.min_notice_minutes,
            self.max_advance_days,
        )

    def validated(self, organisation_currency: str) -> ResourceType:
        """This type with its rules checked and its hours normalised; InvalidInput names the field."""
        _range(self.slot_minutes, "slotMinutes", 1, 24 * 60)
        if self.slot_interval_minutes is not None:
            _range(self.slot_interval_minutes, "slotIntervalMinutes", 1, 24 * 60)
        _range(self.max_slots_per_booking, "maxSlotsPerBooking", 1, 1000)
        _range(self.buffer_before_minutes, "bufferBeforeMinutes", 0, 24 * 60)
        _range(self.buffer_after_minutes, "bufferAfterMinutes", 0, 24 * 60)
        _range(self.min_notice_minutes, "minNoticeMinutes", 0, 366 * 24 * 60)
        _range(self.max_advance_days, "maxAdvanceDays", 0, 3660)
        if self.max_quantity is not None:
            _range(self.max_quantity, "maxQuantity", 1, 1_000_000)
        _range(self.price_amount, "priceAmount", 0, 99_999_999)
        currency = validate_currency(self.price_currency or organisation_currency, "priceCurrency")
        if self.payment_required and self.price_amount <= 0:
            raise InvalidInput("a payment-required type needs a priceAmount above 0", "priceAmount")
        if not self.name or len(self.name) > 200:
            raise InvalidInput("a name of 1 to 200 characters", "name")
        hours = OpeningHours(validate_weekly(self.hours.weekly), validate_overrides(self.hours.overrides))
        return replace(self, price_currency=currency, hours=hours)


def _range(value: int, name: str, low: int, high: int) -> None:
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}", name)


@dataclass(frozen=True)
class Resource:
    id: int
    organisation_id: int
    resource_type_id: int
    name: str
    capacity: int = 1
    is_active: bool = True
    public_booking_token: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def validated(self) -> Resource:
        if not self.name or len(self.name) > 200:
            raise InvalidInput("a name of 1 to 200 characters", "name")
        _range(self.capacity, "capacity", 1, 100_000)
        return self


def open_to_public(
    org: Organisation, rt: ResourceType | None = None, resource: Resource | None = None
) -> bool:
    """Whether customers may see and book it: the organisation takes public bookings, the type is publicly
    bookable, the resource active. (The hot read's SQL mirrors this; a test holds the two together.)"""
    return (
        org.public_booking_enabled
        and (rt is None or rt.publicly_bookable)
        and (resource is None or resource.is_active)
    )
