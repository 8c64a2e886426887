"""Rows to domain objects and back, for the JSON-shaped parts of the schema."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import date, datetime
from typing import Any

from domain.cancellation import PolicyTier
from domain.catalog import Organisation, Resource, ResourceType, StripeAccount
from domain.events import ReservationEvent
from domain.hours import DateOverride, Interval, OpeningHours
from domain.reservation import Reservation
from domain.stays import BookingUnit


def event_payload(event: ReservationEvent, reservation: Reservation) -> dict[str, Any]:
    """What the outbox keeps of an event: its own fields, and where the reservation stood."""
    values = ((f.name, getattr(event, f.name)) for f in fields(event) if f.name != "occurred_at")
    kept = {name: value.isoformat() if isinstance(value, datetime) else value for name, value in values}
    stood = {
        "status": reservation.status.value,
        "payment_status": reservation.payment_status.value,
        "start_time": reservation.start_time.isoformat(),
        "end_time": reservation.end_time.isoformat(),
    }
    if reservation.stay is not None:
        stood |= {
            "stay_first": reservation.stay.first.isoformat(),
            "stay_last": reservation.stay.last.isoformat(),
        }
    return kept | stood


def policy_to_json(tiers: tuple[PolicyTier, ...]) -> list[dict[str, int]]:
    return [{"minHoursBefore": t.min_hours_before, "refundPercent": t.refund_percent} for t in tiers]


def policy_from_json(value: list[dict[str, int]]) -> tuple[PolicyTier, ...]:
    return tuple(PolicyTier(t["minHoursBefore"], t["refundPercent"]) for t in value)


def weekly_to_json(hours: OpeningHours) -> dict[str, list[dict[str, str]]]:
    return {day: [{"start": i.start, "end": i.end} for i in spans] for day, spans in hours.weekly.items()}


def overrides_to_json(hours: OpeningHours) -> list[dict[str, Any]]:
    return [
        {
            "date": o.day.isoformat(),
            "closed": o.closed,
            "hours": [{"start": i.start, "end": i.end} for i in o.hours],
        }
        for o in hours.overrides
    ]


def hours_from_json(weekly: dict[str, list[dict[str, str]]], overrides: list[dict[str, Any]]) -> OpeningHours:
    return OpeningHours(
        {day: tuple(Interval(i["start"], i["end"]) for i in spans) for day, spans in weekly.items()},
        tuple(
            DateOverride(
                date.fromisoformat(o["date"]),
                o["closed"],
                tuple(Interval(i["start"], i["end"]) for i in o["hours"]),
            )
            for o in overrides
        ),
    )


def organisation(row: Mapping[Any, Any]) -> Organisation:
    return Organisation(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        timezone=row["timezone"],
        currency=row["currency"],
        service_fee_bps=row["service_fee_bps"],
        tax_bps=row["tax_bps"],
        commission_bps=row["commission_bps"],
        cancellation_policy=policy_from_json(row["cancellation_policy"]),
        public_booking_enabled=row["public_booking_enabled"],
        reschedule_min_hours_before=row["reschedule_min_hours_before"],
        stripe=StripeAccount(
            row["stripe_account_id"], row["charges_enabled"], row["payouts_enabled"], row["details_submitted"]
        ),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        locale=row["locale"],
        notification_email=row["notification_email"],
        description=row["description"],
        brand_color=row["brand_color"],
    )


def organisation_values(org: Organisation) -> dict[str, Any]:
    return {
        "slug": org.slug,
        "name": org.name,
        "timezone": org.timezone,
        "currency": org.currency,
        "service_fee_bps": org.service_fee_bps,
        "tax_bps": org.tax_bps,
        "cancellation_policy": policy_to_json(org.cancellation_policy),
        "public_booking_enabled": org.public_booking_enabled,
        "reschedule_min_hours_before": org.reschedule_min_hours_before,
        "locale": org.locale,
        "notification_email": org.notification_email,
        "description": org.description,
        "brand_color": org.brand_color,
    }


TYPE_FIELDS = (
    "name",
    "description",
    "slot_minutes",
    "slot_interval_minutes",
    "max_slots_per_booking",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "min_notice_minutes",
    "max_advance_days",
    "max_quantity",
    "price_amount",
    "price_currency",
    "payment_required",
    "requires_approval",
    "publicly_bookable",
    "check_in_time",
    "check_out_time",
    "min_stay",
    "max_stay",
    "max_guests",
)


def resource_type(row: Mapping[Any, Any], prefix: str = "") -> ResourceType:
    fields = {name: row[prefix + name] for name in TYPE_FIELDS}
    return ResourceType(
        id=row[prefix + "id"],
        organisation_id=row[prefix + "organisation_id"],
        hours=hours_from_json(row[prefix + "weekly_hours"], row[prefix + "date_overrides"]),
        booking_unit=BookingUnit(row[prefix + "booking_unit"]),
        created_at=row[prefix + "created_at"],
        updated_at=row[prefix + "updated_at"],
        **fields,
    )


def resource_type_values(rt: ResourceType) -> dict[str, Any]:
    values = {name: getattr(rt, name) for name in TYPE_FIELDS}
    values["weekly_hours"] = weekly_to_json(rt.hours)
    values["date_overrides"] = overrides_to_json(rt.hours)
    values["booking_unit"] = rt.booking_unit.value
    return values


def resource(row: Mapping[Any, Any]) -> Resource:
    return Resource(
        id=row["id"],
        organisation_id=row["organisation_id"],
        resource_type_id=row["resource_type_id"],
        name=row["name"],
        capacity=row["capacity"],
        is_active=row["is_active"],
        public_booking_token=row["public_booking_token"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        ical_import_url=row["ical_import_url"],
        ical_last_import_at=row["ical_last_import_at"],
        ical_last_import_error=row["ical_last_import_error"],
    )
