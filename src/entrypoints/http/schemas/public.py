"""Bodies of the public booking routes (no authentication)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from msgspec import Meta

from entrypoints.http.schemas.common import (
    EMAIL_FORMAT,
    URL_FORMAT,
    Body,
    BookingUnitName,
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
    WhenBody,
)
from entrypoints.http.schemas.reservations import QuoteOut

Quantity = Annotated[int, Meta(ge=1, le=100_000)]
Url = Annotated[str, Meta(max_length=2048), URL_FORMAT]


class PublicOrganisationOut(Out):
    slug: str
    name: str
    timezone: str
    currency: str


class PublicResourceOut(Out):
    id: int
    name: str


class PublicResourceTypeOut(Out):
    id: int
    name: str
    description: str | None
    slot_minutes: int
    max_slots_per_booking: int
    max_quantity: int | None
    price_amount: int
    price_currency: str
    payment_required: bool
    bookable: bool
    resources: list[PublicResourceOut]
    booking_unit: BookingUnitName
    check_in_time: str | None  # night types
    check_out_time: str | None
    min_stay: int | None  # night and day types
    max_stay: int | None
    max_guests: int | None


class SlugCatalogOut(Out):
    organisation: PublicOrganisationOut
    accepts_payments: bool
    resource_types: list[PublicResourceTypeOut]


class TokenResourceOut(Out):
    id: int
    name: str
    capacity: int


class TokenCatalogOut(Out):
    organisation: PublicOrganisationOut
    accepts_payments: bool
    resource: TokenResourceOut
    resource_type: PublicResourceTypeOut


class SlotOut(Out):
    start_time: datetime
    end_time: datetime
    available: bool
    available_quantity: int


class AvailabilityOut(Out):
    date: date
    timezone: str
    resource_type_id: int
    slots: list[SlotOut]


class CalendarDayOut(Out, omit_defaults=True):
    date: date
    available: bool
    available_quantity: int
    free_slots: int | None = None  # slot types
    check_in_allowed: bool | None = None  # night and day types


class CalendarOut(Out):
    resource_type_id: int
    timezone: str
    booking_unit: BookingUnitName
    days: list[CalendarDayOut]


class QuoteBody(TimeBody):
    resource_type_id: Id | None = None
    resource_id: Id | None = None
    quantity: Quantity = 1


class PublicQuoteOut(Out):
    unit_amount: int
    units: int
    subtotal: int
    service_fee: int
    taxes: int
    total: int
    currency: str
    payment_required: bool


class ReserveBody(TimeBody, kw_only=True):
    # A logged-in customer's name and e-mail are the defaults; a guest names them (400 otherwise).
    customer_name: Annotated[str, Meta(max_length=200)] = ""
    customer_email: Annotated[str, Meta(max_length=254)] = ""
    customer_phone: Annotated[str, Meta(max_length=40)] = ""
    resource_type_id: Id | None = None
    resource_id: Id | None = None
    quantity: Quantity = 1
    notes: Text | None = None
    success_url: Url | None = None
    cancel_url: Url | None = None
    payment_method_id: Annotated[str, Meta(min_length=3, max_length=255)] | None = None  # logged in only
    return_url: Url | None = None  # where 3-D Secure comes back to


class PaymentDataOut(Out, omit_defaults=True):
    """`mode` checkout: a hosted Checkout page; `payment_intent`: a saved card charged on the server."""

    provider: str
    mode: str
    amount: int
    currency: str
    status: str
    status_url: str
    checkout_url: str | None = None
    stripe_checkout_session_id: str | None = None
    payment_intent_id: str | None = None
    client_secret: str | None = None  # for stripe.handleNextAction when status is requires_action
    publishable_key: str | None = None
    next_action_url: str | None = None  # requires_action by redirect: send the customer there


class ReserveOut(Out, omit_defaults=True):
    reservation_id: int
    reference: str
    status: StatusName
    payment_status: PaymentStatusName
    requires_payment: bool
    quoted_amount: int
    quoted_currency: str
    hold_expires_at: datetime | None
    manage_token: str | None = None  # left out of checkout-retry's answer
    checkout_url: str | None = None
    stripe_checkout_session_id: str | None = None
    payment_data: PaymentDataOut | None = None


class NamedOut(Out):
    id: int
    name: str


class OrganisationRefOut(Out):
    slug: str
    name: str


class AmountOut(Out):
    amount: int
    currency: str


class ManagedOut(Out):
    reference: str
    status: StatusName
    payment_status: PaymentStatusName
    start_time: datetime
    end_time: datetime
    quantity: int
    booking_unit: BookingUnitName
    check_in: date | None
    check_out: date | None
    nights: int | None
    start_date: date | None
    days: int | None
    adults: int | None
    children: int | None
    version: int
    organisation: OrganisationRefOut
    resource_type: NamedOut
    quote: QuoteOut
    cancellation_policy_snapshot: list[PolicyTierOut]
    refund_if_cancelled_now: AmountOut
    reservation_id: int
    created_at: datetime | None
    dispute_status: DisputeStatusName


class MyBookingList(Out):
    data: list[ManagedOut]
    pagination: Pagination


class RescheduleBody(WhenBody):
    """startTime and endTime, checkIn and checkOut, or startDate and days; the guests stay as booked."""


class RescheduledOut(Out):
    reservation: ManagedOut


class ManageCancelBody(Body):
    reason: Short | None = None


class RefundViewOut(Out):
    eligible: bool
    amount: int
    currency: str
    status: str


class ManagedCancellationOut(Out):
    reservation: ManagedOut
    refund: RefundViewOut


class FindBookingBody(Body):
    email: Annotated[str, Meta(min_length=3, max_length=254), EMAIL_FORMAT]


class OwnerCheckoutBody(Body):
    success_url: Url | None = None
    cancel_url: Url | None = None


class PayBody(Body):
    payment_method_id: Annotated[str, Meta(min_length=3, max_length=255)]
    return_url: Url
