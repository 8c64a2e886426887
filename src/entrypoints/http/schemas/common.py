"""Shared field types and the pagination envelope."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Annotated

import msgspec
from litestar.params import KwargDefinition
from msgspec import Meta

from application.ports import Page
from domain.access import Role
from domain.payment import DISPUTE_STATUSES
from domain.status import PaymentStatus, ReservationStatus
from domain.stays import BookingUnit, When


class Body(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """A request body: camelCase, unknown fields are a 400."""


class Out(msgspec.Struct, rename="camel", kw_only=True):
    """A response body."""


Aware = Annotated[datetime, Meta(tz=True, description="ISO 8601 with an offset or Z")]
Id = Annotated[int, Meta(ge=1, le=9_007_199_254_740_991)]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Text = Annotated[str, Meta(max_length=2048)]
Short = Annotated[str, Meta(max_length=500)]
Bps = Annotated[int, Meta(ge=0, le=10_000)]
Minutes = Annotated[int, Meta(ge=0, le=527_040)]
Amount = Annotated[int, Meta(ge=0, le=99_999_999)]


Adults = Annotated[int, Meta(ge=1, le=50)]
Children = Annotated[int, Meta(ge=0, le=50)]
DayCount = Annotated[int, Meta(ge=1, le=1000)]


class WhenBody(Body):
    """The fields that name a booking's time: instants for a type booked by the slot, check-in and
    check-out dates by the night, a start date and a number of days by the day."""

    start_time: Aware | None = None
    end_time: Aware | None = None
    check_in: date | None = None
    check_out: date | None = None
    start_date: date | None = None
    days: DayCount | None = None

    def when(self) -> When:
        return When(self.start_time, self.end_time, self.check_in, self.check_out, self.start_date, self.days)


class TimeBody(WhenBody):
    """A booking's time and its guests."""

    adults: Adults | None = None
    children: Children | None = None


class Pagination(Out):
    page: int
    limit: int
    total: int
    total_pages: int
    has_more: bool


def pagination(page: Page[object]) -> Pagination:
    request = page.request
    pages = math.ceil(page.total / request.limit) if page.total else 0
    return Pagination(request.page, request.limit, page.total, pages, request.page < pages)


class PolicyTierBody(Body):
    min_hours_before: Annotated[int, Meta(ge=0, le=87_600)]
    refund_percent: Annotated[int, Meta(ge=0, le=100)]


class PolicyTierOut(Out):
    min_hours_before: int
    refund_percent: int


MAX_ID = 9_007_199_254_740_991


def ascii_int(text: str) -> int | None:
    """A non-negative integer written in ASCII digits only ('²' and '٣' are digits to Python, not to us)."""
    if not text or not text.isascii() or not text.isdigit() or len(text) > 20:
        return None
    return int(text)


def utc(value: datetime | None) -> datetime | None:
    """Responses always carry UTC instants."""
    return value.astimezone(UTC) if value is not None else None


class _Documented(KwargDefinition):
    """What the OpenAPI document says of a field beyond its type (msgspec ignores it)."""

    def __hash__(self) -> int:  # schema_extra is a dict, and typing hashes Annotated metadata in unions
        return id(self)


def _one_of(*values: str) -> KwargDefinition:
    """A string from a closed set, said as an enum in the OpenAPI document (the value stays a str)."""
    return _Documented(schema_extra={"enum": list(values)})


StatusName = Annotated[str, _one_of(*(s.value for s in ReservationStatus))]
PaymentStatusName = Annotated[str, _one_of(*(s.value for s in PaymentStatus))]
BookingUnitName = Annotated[str, _one_of(*(u.value for u in BookingUnit))]
RoleName = Annotated[str, _one_of(*(r.value for r in Role))]
DisputeStatusName = Annotated[str, _one_of(*DISPUTE_STATUSES)]
# A list filter of reservation statuses (`?status=confirmed&status=pending`).
STATUS_FILTER = {"items": {"type": "string", "enum": [s.value for s in ReservationStatus]}}

# Formats the document states for strings that are addresses.
EMAIL_FORMAT = _Documented(schema_extra={"format": "email"})
URL_FORMAT = _Documented(schema_extra={"format": "uri"})
DeliveryStatusName = Annotated[str, _one_of("pending", "succeeded", "failed")]
ConnectStatusName = Annotated[str, _one_of("onboarding_required", "pending_verification", "connected")]
LedgerKindName = Annotated[str, _one_of("payment", "refund")]
