"""Bodies of the organisation and member routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, UnsetType

from entrypoints.http.schemas.common import (
    EMAIL_FORMAT,
    Body,
    Bps,
    Name,
    Out,
    Pagination,
    PolicyTierBody,
    PolicyTierOut,
)

Slug = Annotated[str, Meta(min_length=1, max_length=63)]
Zone = Annotated[str, Meta(min_length=1, max_length=64)]
Currency = Annotated[str, Meta(min_length=3, max_length=3)]
Policy = Annotated[list[PolicyTierBody], Meta(max_length=20)]
Hours = Annotated[int, Meta(ge=0, le=8760)]
RoleName = Literal["owner", "admin", "staff", "viewer"]
Locale = Literal["en", "de"]
Email = Annotated[str, Meta(min_length=3, max_length=254), EMAIL_FORMAT]
Description = Annotated[str, Meta(max_length=2000)]
BrandColor = Annotated[str, Meta(pattern="^#[0-9a-fA-F]{6}$")]


class OrganisationBody(Body):
    name: Name
    slug: Slug
    timezone: Zone
    currency: Currency
    service_fee_bps: Bps = 0
    tax_bps: Bps = 0
    cancellation_policy: Policy | None = None
    public_booking_enabled: bool = True
    reschedule_min_hours_before: Hours = 24
    locale: Locale = "en"
    notification_email: Email | None = None
    description: Description | None = None
    brand_color: BrandColor | None = None


class OrganisationPatch(Body):
    name: Name | UnsetType = UNSET
    timezone: Zone | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    service_fee_bps: Bps | UnsetType = UNSET
    tax_bps: Bps | UnsetType = UNSET
    cancellation_policy: Policy | UnsetType = UNSET
    public_booking_enabled: bool | UnsetType = UNSET
    reschedule_min_hours_before: Hours | UnsetType = UNSET
    locale: Locale | UnsetType = UNSET
    notification_email: Email | UnsetType | None = UNSET
    description: Description | UnsetType | None = UNSET
    brand_color: BrandColor | UnsetType | None = UNSET
    commission_bps: int | UnsetType | None = UNSET  # read-only: naming it is a 400


class StripeStatusOut(Out):
    status: str
    charges_enabled: bool
    payouts_enabled: bool


class OrganisationOut(Out):
    id: int
    name: str
    slug: str
    timezone: str
    currency: str
    service_fee_bps: int
    tax_bps: int
    commission_bps: int
    cancellation_policy: list[PolicyTierOut]
    public_booking_enabled: bool
    reschedule_min_hours_before: int
    locale: str
    notification_email: str | None
    description: str | None
    brand_color: str | None
    stripe: StripeStatusOut
    created_at: datetime | None
    updated_at: datetime | None


class OrganisationList(Out):
    data: list[OrganisationOut]
    pagination: Pagination


class MemberBody(Body):
    email: Annotated[str, Meta(min_length=3, max_length=254), EMAIL_FORMAT]
    role: RoleName


class MemberPatch(Body):
    role: RoleName


class MemberOut(Out):
    user_id: int
    email: str
    name: str
    role: RoleName
    joined_at: datetime | None


class MemberList(Out):
    data: list[MemberOut]
    pagination: Pagination
