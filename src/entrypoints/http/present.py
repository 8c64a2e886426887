"""Domain objects as response bodies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date

from domain.cancellation import PolicyTier
from domain.catalog import Organisation, Resource, ResourceType
from domain.identity import ApiKey
from domain.money import Quote
from domain.reservation import Reservation
from domain.stays import BookingUnit, Stay
from entrypoints.http.schemas.catalog import DateOverrideOut, IntervalOut, ResourceOut, ResourceTypeOut
from entrypoints.http.schemas.common import PolicyTierOut, utc
from entrypoints.http.schemas.identity import ApiKeyOut
from entrypoints.http.schemas.organisations import OrganisationOut, StripeStatusOut
from entrypoints.http.schemas.reservations import AllocationOut, CustomerOut, QuoteOut, ReservationOut


def policy(tiers: tuple[PolicyTier, ...]) -> list[PolicyTierOut]:
    return [PolicyTierOut(t.min_hours_before, t.refund_percent) for t in tiers]


def organisation(org: Organisation, platform_commission_bps: int) -> OrganisationOut:
    return OrganisationOut(
        id=org.id,
        name=org.name,
        slug=org.slug,
        timezone=org.timezone,
        currency=org.currency,
        service_fee_bps=org.service_fee_bps,
        tax_bps=org.tax_bps,
        commission_bps=org.effective_commission(platform_commission_bps),
        cancellation_policy=policy(org.cancellation_policy),
        public_booking_enabled=org.public_booking_enabled,
        reschedule_min_hours_before=org.reschedule_min_hours_before,
        locale=org.locale,
        notification_email=org.notification_email,
        description=org.description,
        brand_color=org.brand_color,
        stripe=StripeStatusOut(org.stripe.status, org.stripe.charges_enabled, org.stripe.payouts_enabled),
        created_at=utc(org.created_at),
        updated_at=utc(org.updated_at),
    )


def resource_type(rt: ResourceType) -> ResourceTypeOut:
    return ResourceTypeOut(
        id=rt.id,
        organisation_id=rt.organisation_id,
        name=rt.name,
        description=rt.description,
        slot_minutes=rt.slot_minutes,
        slot_interval_minutes=rt.slot_interval_minutes or rt.slot_minutes,
        max_slots_per_booking=rt.max_slots_per_booking,
        buffer_before_minutes=rt.buffer_before_minutes,
        buffer_after_minutes=rt.buffer_after_minutes,
        min_notice_minutes=rt.min_notice_minutes,
        max_advance_days=rt.max_advance_days,
        max_quantity=rt.max_quantity,
        price_amount=rt.price_amount,
        price_currency=rt.price_currency or "",
        payment_required=rt.payment_required,
        requires_approval=rt.requires_approval,
        publicly_bookable=rt.publicly_bookable,
        booking_unit=rt.booking_unit.value,
        check_in_time=rt.check_in_time,
        check_out_time=rt.check_out_time,
        min_stay=rt.min_stay,
        max_stay=rt.max_stay,
        max_guests=rt.max_guests,
        weekly_hours={
            day: [IntervalOut(i.start, i.end) for i in spans] for day, spans in rt.hours.weekly.items()
        },
        date_overrides=[
            DateOverrideOut(o.day, o.closed, [IntervalOut(i.start, i.end) for i in o.hours])
            for o in rt.hours.overrides
        ],
        created_at=utc(rt.created_at),
        updated_at=utc(rt.updated_at),
    )


def resource(r: Resource) -> ResourceOut:
    return ResourceOut(
        id=r.id,
        organisation_id=r.organisation_id,
        resource_type_id=r.resource_type_id,
        name=r.name,
        capacity=r.capacity,
        is_active=r.is_active,
        created_at=utc(r.created_at),
        updated_at=utc(r.updated_at),
        ical_import_url=r.ical_import_url,
        ical_last_import_at=utc(r.ical_last_import_at),
        ical_last_import_error=r.ical_last_import_error,
    )


def api_key(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=list(key.scopes),
        expires_at=utc(key.expires_at),
        organisation_id=key.organisation_id,
        last_used_at=utc(key.last_used_at),
        created_at=utc(key.created_at),
    )


def quote(q: Quote) -> QuoteOut:
    return QuoteOut(q.unit_amount, q.units, q.subtotal, q.service_fee, q.taxes, q.total, q.currency)


@dataclass(frozen=True)
class StayFields:
    """A reservation's dates as the API spells them: check-in, check-out and nights for a night type, start
    date and days for a day type, none for a booking by the slot."""

    check_in: date | None = None
    check_out: date | None = None
    nights: int | None = None
    start_date: date | None = None
    days: int | None = None


def stay_fields(stay: Stay | None) -> StayFields:
    if stay is None:
        return StayFields()
    if stay.unit == BookingUnit.NIGHT:
        return StayFields(check_in=stay.first, check_out=stay.last, nights=stay.count)
    return StayFields(start_date=stay.first, days=stay.count)


def reservation(r: Reservation) -> ReservationOut:
    dates = stay_fields(r.stay)
    return ReservationOut(
        id=r.id,
        reference=r.reference,
        organisation_id=r.organisation_id,
        resource_type_id=r.resource_type_id,
        allocations=[AllocationOut(a.resource_id, a.quantity) for a in r.allocations],
        resource_ids=r.resource_ids,
        start_time=r.start_time.astimezone(UTC),
        end_time=r.end_time.astimezone(UTC),
        booking_unit=r.booking_unit.value,
        check_in=dates.check_in,
        check_out=dates.check_out,
        nights=dates.nights,
        start_date=dates.start_date,
        days=dates.days,
        adults=r.adults,
        children=r.children,
        quantity=r.quantity,
        status=r.status.value,
        payment_status=r.payment_status.value,
        requires_payment=r.requires_payment,
        customer_info=CustomerOut(r.customer.name, r.customer.email, r.customer.phone),
        notes=r.notes,
        source=r.source,
        quoted_unit_amount=r.quote.unit_amount,
        quoted_total_amount=r.quote.total,
        quoted_currency=r.quote.currency,
        payment_required_snapshot=r.payment_required_snapshot,
        quote=quote(r.quote),
        cancellation_policy_snapshot=policy(r.cancellation_policy_snapshot),
        hold_expires_at=utc(r.hold_expires_at),
        stripe_checkout_session_id=r.stripe_checkout_session_id,
        version=r.version,
        created_at=utc(r.created_at),
        updated_at=utc(r.updated_at),
        confirmed_at=utc(r.confirmed_at),
        cancelled_at=utc(r.cancelled_at),
        cancel_reason=r.cancel_reason,
        customer_user_id=r.customer_user_id,
        dispute_status=r.dispute_status,
    )
