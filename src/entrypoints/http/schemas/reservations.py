"""Bodies of the staff reservation routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, UnsetType

from domain.stays import When
from entrypoints.http.schemas.common import (
    Adults,
    Aware,
    Body,
    BookingUnitName,
    Children,
    DayCount,
    DisputeStatusName,
    Id,
    Out,
    Pagination,
    PaymentStatusName,
    PolicyTierOut,
    Short,
    StatusName,
    Text,
    TimeBody,
)

Quantity = Annotated[int, Meta(ge=1, le=100_000)]
Ids = Annotated[list[Id], Meta(min_length=1, max_length=100)]


class CustomerBody(Body):
    name: Annotated[str, Meta(max_length=200)] | None = None
    email: Annotated[str, Meta(max_length=254)] | None = None
    phone: Annotated[str, Meta(max_length=40)] | None = None


class ReservationBody(TimeBody):
    quantity: Quantity | None = None
    customer_info: CustomerBody | None = None
    notes: Text | None = None
    resource_type_id: Id | None = None
    resource_id: Id | None = None
    resource_ids: Ids | None = None
    status: Literal["pending", "confirmed", "waitlist"] = "confirmed"


class ReservationPatch(Body):
    start_time: Aware | UnsetType = UNSET
    end_time: Aware | UnsetType = UNSET
    check_in: date | UnsetType = UNSET
    check_out: date | UnsetType = UNSET
    start_date: date | UnsetType = UNSET
    days: DayCount | UnsetType = UNSET
    adults: Adults | UnsetType | None = UNSET
    children: Children | UnsetType | None = UNSET
    quantity: Quantity | UnsetType = UNSET
    customer_info: CustomerBody | UnsetType = UNSET
    notes: Text | UnsetType | None = UNSET
    status: (
        Literal[
            "pending",
            "confirmed",
            "cancelled",
            "completed",
            "no_show",
            "waitlist",
            "pending_payment",
            "expired",
        ]
        | UnsetType
    ) = UNSET
    resource_id: Id | UnsetType = UNSET
    resource_ids: Ids | UnsetType = UNSET

    def when(self) -> When:
        """The time fields this change names (the others are taken from the reservation)."""
        values = (self.start_time, self.end_time, self.check_in, self.check_out, self.start_date, self.days)
        return When(*(None if v is UNSET else v for v in values))  # type: ignore[arg-type]


class CancelBody(Body):
    reason: Short | None = None
    refund: Literal["policy", "full", "none"] = "policy"


class AllocationOut(Out):
    resource_id: int
    quantity: int


class CustomerOut(Out):
    name: str | None
    email: str | None
    phone: str | None


class QuoteOut(Out):
    unit_amount: int
    units: int
    subtotal: int
    service_fee: int
    taxes: int
    total: int
    currency: str


class ReservationOut(Out):
    id: int
    reference: str
    organisation_id: int
    resource_type_id: int
    allocations: list[AllocationOut]
    resource_ids: list[int]
    start_time: datetime
    end_time: datetime
    booking_unit: BookingUnitName
    check_in: date | None  # night types
    check_out: date | None
    nights: int | None
    start_date: date | None  # day types
    days: int | None
    adults: int | None
    children: int | None
    quantity: int
    status: StatusName
    payment_status: PaymentStatusName
    requires_payment: bool
    customer_info: CustomerOut
    notes: str | None
    source: str
    quoted_unit_amount: int
    quoted_total_amount: int
    quoted_currency: str
    payment_required_snapshot: bool
    quote: QuoteOut
    cancellation_policy_snapshot: list[PolicyTierOut]
    hold_expires_at: datetime | None
    stripe_checkout_session_id: str | None
    version: int
    created_at: datetime | None
    updated_at: datetime | None
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    customer_user_id: int | None
    dispute_status: DisputeStatusName


class ReservationList(Out):
    data: list[ReservationOut]
    pagination: Pagination


class RefundOutcomeOut(Out):
    eligible: bool
    amount: int
    currency: str
    status: str


class CancellationOut(Out):
    reservation: ReservationOut
    refund: RefundOutcomeOut
