"""Public booking reads in one round trip, outside any transaction: organisation, type, resources, usage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres import mappers
from adapters.postgres.base import raw_connection
from adapters.postgres.reservation_rows import usage_of
from application.public_ports import BookingView, PublicReads, ViewWindow
from domain.catalog import Resource

# What is open to the public is `domain.catalog.open_to_public`, mirrored here (public booking enabled, the
# type publicly bookable, the resource active, nothing deleted); tests/e2e/test_public_booking.py holds the
# two together.
# The window: the exact buffered interval, or local days $4 to $7 from the first's midnight to the midnight
# after the last (a night's: the night of the last date ends the day after), widened by the buffers and three
# hours (slots never start before local midnight nor end after the next one; the margin covers DST shifts).
_VIEW = """
    WITH tok AS (
        SELECT id, organisation_id, resource_type_id FROM resources
         WHERE CAST($1 AS text) IS NOT NULL AND public_booking_token = $1
           AND deleted_at IS NULL AND is_active
    ), org AS (
        SELECT * FROM organisations
         WHERE public_booking_enabled
           AND (slug = $2 OR id = (SELECT organisation_id FROM tok))
    ), rt AS (
        SELECT t.* FROM resource_types t, org
         WHERE t.organisation_id = org.id AND t.deleted_at IS NULL AND t.publicly_bookable
           AND t.id = coalesce((SELECT resource_type_id FROM tok), CAST($3 AS bigint))
    ), res AS (
        SELECT r.id, r.organisation_id, r.resource_type_id, r.name, r.capacity, r.public_booking_token
          FROM resources r, rt
         WHERE r.organisation_id = rt.organisation_id AND r.resource_type_id = rt.id
           AND r.deleted_at IS NULL AND r.is_active
    ), win AS (
        SELECT CASE WHEN CAST($4 AS date) IS NULL
                    THEN CAST($5 AS timestamptz) - make_interval(mins => rt.buffer_before_minutes)
                    ELSE (CAST($4 AS date)::timestamp AT TIME ZONE org.timezone)
                         - make_interval(mins => rt.buffer_before_minutes) - interval '3 hours' END AS f,
               CASE WHEN CAST($4 AS date) IS NULL
                    THEN CAST($6 AS timestamptz) + make_interval(mins => rt.buffer_after_minutes)
                    ELSE ((CAST($7 AS date) + CASE rt.booking_unit WHEN 'night' THEN 2 ELSE 1 END)
                           ::timestamp AT TIME ZONE org.timezone)
                         + make_interval(mins => rt.buffer_after_minutes) + interval '3 hours' END AS u
          FROM rt, org
    ), occ AS (
        SELECT a.resource_id, a.quantity, a.occupied_from, a.occupied_until,
               a.hold_expires_at, a.reservation_id
          FROM reservation_allocations a, win
         WHERE a.holding
           AND int8range(a.resource_id, a.resource_id, '[]')
               && (SELECT int8range(min(id), max(id), '[]') FROM res)
           AND a.resource_id IN (SELECT id FROM res)
           AND tstzrange(a.occupied_from, a.occupied_until) && tstzrange(win.f, win.u)
    )
    SELECT org.id AS o_id, org.slug AS o_slug, org.name AS o_name, org.timezone AS o_timezone,
           org.currency AS o_currency, org.service_fee_bps AS o_service_fee_bps, org.tax_bps AS o_tax_bps,
           org.commission_bps AS o_commission_bps, org.cancellation_policy AS o_cancellation_policy,
           org.public_booking_enabled AS o_public_booking_enabled,
           org.reschedule_min_hours_before AS o_reschedule_min_hours_before,
           org.stripe_account_id AS o_stripe_account_id,
           org.charges_enabled AS o_charges_enabled, org.payouts_enabled AS o_payouts_enabled,
           org.details_submitted AS o_details_submitted, org.created_at AS o_created_at,
           org.updated_at AS o_updated_at, org.locale AS o_locale,
           org.notification_email AS o_notification_email, org.description AS o_description,
           org.brand_color AS o_brand_color,
           rt.*, r.*, a.*, (SELECT id FROM tok) AS token_resource_id
      FROM org, rt,
           LATERAL (SELECT array_agg(id ORDER BY id) AS r_id, array_agg(name ORDER BY id) AS r_name,
                           array_agg(capacity ORDER BY id) AS r_capacity,
                           array_agg(public_booking_token ORDER BY id) AS r_token
                      FROM res) AS r,
           LATERAL (SELECT array_agg(resource_id) AS a_resource, array_agg(quantity) AS a_quantity,
                           array_agg(occupied_from) AS a_from, array_agg(occupied_until) AS a_until,
                           array_agg(hold_expires_at) AS a_hold, array_agg(reservation_id) AS a_reservation
                      FROM occ) AS a
"""

ORGANISATION_COLUMNS = (
    "id",
    "slug",
    "name",
    "timezone",
    "currency",
    "service_fee_bps",
    "tax_bps",
    "commission_bps",
    "cancellation_policy",
    "public_booking_enabled",
    "reschedule_min_hours_before",
    "stripe_account_id",
    "charges_enabled",
    "payouts_enabled",
    "details_submitted",
    "created_at",
    "updated_at",
    "locale",
    "notification_email",
    "description",
    "brand_color",
)
_json = msgspec.json.Decoder()


def _json_value(value: Any) -> Any:
    """jsonb as Python values: the pool's connections decode it already, a bare connection gives text."""
    return _json.decode(value) if isinstance(value, str | bytes) else value


class SqlPublicReads(PublicReads):
    """Reads on a raw asyncpg connection from the shared pool: the hottest query skips the ORM layers."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine  # an AUTOCOMMIT engine: a single read needs no BEGIN and ROLLBACK

    async def booking_view(
        self,
        slug: str | None,
        token: str | None,
        resource_type_id: int | None,
        window: ViewWindow,
        now: datetime,
    ) -> BookingView | None:
        async with raw_connection(self._engine) as raw:
            row = await raw.fetchrow(
                _VIEW,
                token,
                slug,
                resource_type_id,
                window.first_day,
                window.start,
                window.end,
                window.last_day,
            )
        if row is None:
            return None
        org = {name: row["o_" + name] for name in ORGANISATION_COLUMNS}
        org["cancellation_policy"] = _json_value(org["cancellation_policy"])
        rt = dict(row) | {
            "weekly_hours": _json_value(row["weekly_hours"]),
            "date_overrides": _json_value(row["date_overrides"]),
        }
        resources = [
            Resource(rid, row["o_id"], row["id"], name, capacity, True, public_token)
            for rid, name, capacity, public_token in zip(
                row["r_id"] or [],
                row["r_name"] or [],
                row["r_capacity"] or [],
                row["r_token"] or [],
                strict=True,
            )
        ]
        held = [
            {
                "resource_id": r,
                "quantity": q,
                "occupied_from": f,
                "occupied_until": u,
                "hold_expires_at": h,
                "reservation_id": i,
            }
            for r, q, f, u, h, i in zip(
                row["a_resource"] or [],
                row["a_quantity"] or [],
                row["a_from"] or [],
                row["a_until"] or [],
                row["a_hold"] or [],
                row["a_reservation"] or [],
                strict=True,
            )
        ]
        return BookingView(
            organisation=mappers.organisation(org),
            resource_type=mappers.resource_type(rt),
            resources=resources,
            usage=usage_of(held, now),
            token_resource_id=row["token_resource_id"],
        )
