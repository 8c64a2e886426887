"""Bodies of the resource-type and resource routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, UnsetType

from entrypoints.http.schemas.common import (
    Amount,
    Body,
    BookingUnitName,
    Id,
    Minutes,
    Name,
    Out,
    Pagination,
    Text,
)

HHMM = Annotated[str, Meta(min_length=5, max_length=5, pattern=r"^\d\d:\d\d$")]
SlotLength = Annotated[int, Meta(ge=1, le=1440)]
Positive = Annotated[int, Meta(ge=1, le=1_000_000)]
Days = Annotated[int, Meta(ge=0, le=3660)]
Currency = Annotated[str, Meta(min_length=3, max_length=3)]


class IntervalBody(Body):
    start: HHMM
    end: HHMM


class IntervalOut(Out):
    start: str
    end: str


Day = Annotated[list[IntervalBody], Meta(max_length=48)]


class WeeklyHoursBody(Body):
    mon: Day = []
    tue: Day = []
    wed: Day = []
    thu: Day = []
    fri: Day = []
    sat: Day = []
    sun: Day = []


class DateOverrideBody(Body):
    date: date
    closed: bool = False
    hours: Day = []


class DateOverrideOut(Out):
    date: date
    closed: bool
    hours: list[IntervalOut]


Overrides = Annotated[list[DateOverrideBody], Meta(max_length=1000)]


Unit = Literal["slot", "night", "day"]
StayLength = Annotated[int, Meta(ge=1, le=1000)]
Guests = Annotated[int, Meta(ge=1, le=1000)]


class ResourceTypeBody(Body):
    name: Name
    slot_minutes: SlotLength | None = None  # required by the slot; a night or day type has none
    weekly_hours: WeeklyHoursBody | None = None  # required by the slot; for stays, the start weekdays
    booking_unit: Unit = "slot"
    check_in_time: HHMM = "15:00"
    check_out_time: HHMM = "11:00"
    min_stay: StayLength = 1
    max_stay: StayLength = 30
    max_guests: Guests | None = None
    description: Text | None = None
    slot_interval_minutes: SlotLength | None = None
    max_slots_per_booking: Annotated[int, Meta(ge=1, le=1000)] = 1
    buffer_before_minutes: Annotated[int, Meta(ge=0, le=1440)] = 0
    buffer_after_minutes: Annotated[int, Meta(ge=0, le=1440)] = 0
    min_notice_minutes: Minutes = 0
    max_advance_days: Days = 365
    max_quantity: Positive | None = None
    price_amount: Amount = 0
    price_currency: Currency | None = None
    payment_required: bool = False
    requires_approval: bool = False
    publicly_bookable: bool = True
    date_overrides: Overrides = []


class ResourceTypePatch(Body):
    name: Name | UnsetType = UNSET
    booking_unit: Unit | UnsetType = UNSET
    check_in_time: HHMM | UnsetType = UNSET
    check_out_time: HHMM | UnsetType = UNSET
    min_stay: StayLength | UnsetType = UNSET
    max_stay: StayLength | UnsetType = UNSET
    max_guests: Guests | UnsetType | None = UNSET
    slot_minutes: SlotLength | UnsetType = UNSET
    weekly_hours: WeeklyHoursBody | UnsetType = UNSET
    description: Text | UnsetType | None = UNSET
    slot_interval_minutes: SlotLength | UnsetType | None = UNSET
    max_slots_per_booking: Annotated[int, Meta(ge=1, le=1000)] | UnsetType = UNSET
    buffer_before_minutes: Annotated[int, Meta(ge=0, le=1440)] | UnsetType = UNSET
    buffer_after_minutes: Annotated[int, Meta(ge=0, le=1440)] | UnsetType = UNSET
    min_notice_minutes: Minutes | UnsetType = UNSET
    max_advance_days: Days | UnsetType = UNSET
    max_quantity: Positive | UnsetType | None = UNSET
    price_amount: Amount | UnsetType = UNSET
    price_currency: Currency | UnsetType = UNSET
    payment_required: bool | UnsetType = UNSET
    requires_approval: bool | UnsetType = UNSET
    publicly_bookable: bool | UnsetType = UNSET
    date_overrides: Overrides | UnsetType = UNSET


class ResourceTypeOut(Out):
    id: int
    organisation_id: int
    name: str
    description: str | None
    slot_minutes: int
    slot_interval_minutes: int
    max_slots_per_booking: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    min_notice_minutes: int
    max_advance_days: int
    max_quantity: int | None
    price_amount: int
    price_currency: str
    payment_required: bool
    requires_approval: bool
    publicly_bookable: bool
    booking_unit: BookingUnitName
    check_in_time: str
    check_out_time: str
    min_stay: int
    max_stay: int
    max_guests: int | None
    weekly_hours: dict[str, list[IntervalOut]]
    date_overrides: list[DateOverrideOut]
    created_at: datetime | None
    updated_at: datetime | None


class ResourceTypeList(Out):
    data: list[ResourceTypeOut]
    pagination: Pagination


class ResourceBody(Body):
    name: Name
    resource_type_id: Id
    capacity: Annotated[int, Meta(ge=1, le=100_000)] = 1
    is_active: bool = True


class ResourcePatch(Body):
    name: Name | UnsetType = UNSET
    resource_type_id: Id | UnsetType = UNSET
    capacity: Annotated[int, Meta(ge=1, le=100_000)] | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET
    ical_import_url: Annotated[str, Meta(min_length=1, max_length=2000)] | UnsetType | None = UNSET


class ResourceOut(Out):
    id: int
    organisation_id: int
    resource_type_id: int
    name: str
    capacity: int
    is_active: bool
    created_at: datetime | None
    updated_at: datetime | None
    ical_import_url: str | None
    ical_last_import_at: datetime | None
    ical_last_import_error: str | None


class ResourceList(Out):
    data: list[ResourceOut]
    pagination: Pagination


class PublicTokenOut(Out):
    resource_id: int
    public_booking_token: str
    public_booking_url: str
