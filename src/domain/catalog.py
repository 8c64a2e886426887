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
from domain.stays import MAX_STAY, BookingUnit, StayRules
from domain.timezones import is_place_zone, parse_hhmm, zone

MAX_RESOURCE_TYPES = 100  # per organisation: a catalog page stays one bounded read
MAX_RESOURCES_PER_TYPE = 1000  # availability prices every resource of a type in each request
DAY_MINUTES = 24 * 60  # what a night or day type keeps as its slotMinutes, which does not apply to it
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


def validate_hours(value: int, field_name: str = "rescheduleMinHoursBefore") -> int:
    """Hours from 0 to a year."""
    if not 0 <= value <= 8760:
        raise InvalidInput("hours from 0 to 8760", field_name)
    return value


LOCALES = ("en", "de")
BRAND_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def validate_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise InvalidInput(f"one of {', '.join(LOCALES)}", "locale")
    return locale


def validate_brand_color(color: str | None) -> str | None:
    if color is not None and not BRAND_COLOR.match(color):
        raise InvalidInput("a colour as #rrggbb", "brandColor")
    return color.lower() if color else color


def validate_description(text: str | None, longest: int = 2000) -> str | None:
    if text is not None and len(text) > longest:
        raise InvalidInput(f"at most {longest} characters", "description")
    return text


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
    reschedule_min_hours_before: int = 24  # customers may move a booking online until then
    stripe: StripeAccount = field(default_factory=StripeAccount)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    locale: str = "en"  # the language of its e-mails and booking pages
    notification_email: str | None = None  # where it is told of customers' bookings and cancellations
    description: str | None = None
    brand_color: str | None = None

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
    booking_unit: BookingUnit = BookingUnit.SLOT
    check_in_time: str = "15:00"
    check_out_time: str = "11:00"
    min_stay: int = 1
    max_stay: int = 30
    max_guests: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def stay_rules(self) -> StayRules:
        return StayRules(
            self.booking_unit,
            self.check_in_time,
            self.check_out_time,
            self.min_stay,
            self.max_stay,
            self.min_notice_minutes,
            self.max_advance_days,
        )

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
        slot_minutes = self.slot_minutes
        if self.booking_unit == BookingUnit.SLOT:
            if not slot_minutes:
                raise InvalidInput("slotMinutes is required for a type booked by the slot", "slotMinutes")
        else:
            slot_minutes = slot_minutes or DAY_MINUTES
            self._check_stays()
        _range(slot_minutes, "slotMinutes", 1, 24 * 60)
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
        if self.max_guests is not None:
            _range(self.max_guests, "maxGuests", 1, 1000)
        currency = validate_currency(self.price_currency or organisation_currency, "priceCurrency")
        if self.payment_required and self.price_amount <= 0:
            raise InvalidInput("a payment-required type needs a priceAmount above 0", "priceAmount")
        if not self.name or len(self.name) > 200:
            raise InvalidInput("a name of 1 to 200 characters", "name")
        hours = OpeningHours(validate_weekly(self.hours.weekly), validate_overrides(self.hours.overrides))
        return replace(self, price_currency=currency, hours=hours, slot_minutes=slot_minutes)

    def _check_stays(self) -> None:
        """Check-in and check-out times of day, check-out no later than check-in (else consecutive stays
        would overlap), 1 <= minStay <= maxStay <= MAX_STAY."""
        times = {}
        for name, value in (("checkInTime", self.check_in_time), ("checkOutTime", self.check_out_time)):
            try:
                hours, minutes = parse_hhmm(value)
            except ValueError as exc:
                raise InvalidInput(str(exc), name) from exc
            if hours == 24:
                raise InvalidInput("a time of day from 00:00 to 23:59", name)
            times[name] = hours * 60 + minutes
        if self.booking_unit == BookingUnit.NIGHT and times["checkOutTime"] > times["checkInTime"]:
            raise InvalidInput(
                "checkOutTime must not be later than checkInTime, or a stay would overlap the next",
                "checkOutTime",
            )
        _range(self.min_stay, "minStay", 1, MAX_STAY)
        _range(self.max_stay, "maxStay", self.min_stay, MAX_STAY)


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
    ical_import_url: str | None = None  # another channel's feed, kept in step as blocks
    ical_last_import_at: datetime | None = None
    ical_last_import_error: str | None = None

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
