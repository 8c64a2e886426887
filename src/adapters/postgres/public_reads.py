"""Public booking reads in one round trip, outside any transaction: organisation, type, resources, usage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres import mappers
from adapters.postgres.errors import translated
from adapters.postgres.reservation_repo import usage_of
from application.ports import BookingView, PublicReads, ViewWindow
from domain.catalog import Resource

# The window: the exact buffered interval, or the whole local day widened by the buffers and three hours
# (slots never start before local midnight nor end after the next one; the margin covers DST shifts).
_VIEW = text(
    """
    WITH tok AS (
        SELECT id, organisation_id, resource_type_id FROM resources
         WHERE CAST(:token AS text) IS NOT NULL AND public_booking_token = :token
           AND deleted_at IS NULL AND is_active
    ), org AS (
        SELECT * FROM organisations
         WHERE public_booking_enabled
           AND (slug = :slug OR id = (SELECT organisation_id FROM tok))
    ), rt AS (
        SELECT t.* FROM resource_types t, org
         WHERE t.organisation_id = org.id AND t.deleted_at IS NULL AND t.publicly_bookable
           AND t.id = coalesce((SELECT resource_type_id FROM tok), CAST(:type_id AS bigint))
    ), res AS (
        SELECT r.id, r.organisation_id, r.resource_type_id, r.name, r.capacity, r.public_booking_token
          FROM resources r, rt
         WHERE r.organisation_id = rt.organisation_id AND r.resource_type_id = rt.id
           AND r.deleted_at IS NULL AND r.is_active
    ), win AS (
        SELECT CASE WHEN CAST(:day AS date) IS NULL
                    THEN CAST(:start AS timestamptz) - make_interval(mins => rt.buffer_before_minutes)
                    ELSE (CAST(:day AS date)::timestamp AT TIME ZONE org.timezone)
                         - make_interval(mins => rt.buffer_before_minutes) - interval '3 hours' END AS f,
               CASE WHEN CAST(:day AS date) IS NULL
                    THEN CAST(:end AS timestamptz) + make_interval(mins => rt.buffer_after_minutes)
                    ELSE ((CAST(:day AS date) + 1)::timestamp AT TIME ZONE org.timezone)
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
    SELECT to_jsonb(org) AS org, to_jsonb(rt) AS rt,
           (SELECT coalesce(jsonb_agg(to_jsonb(res) ORDER BY res.id), '[]') FROM res) AS resources,
           (SELECT array_agg(resource_id) FROM occ) AS o_resource,
           (SELECT array_agg(quantity) FROM occ) AS o_quantity,
           (SELECT array_agg(occupied_from) FROM occ) AS o_from,
           (SELECT array_agg(occupied_until) FROM occ) AS o_until,
           (SELECT array_agg(hold_expires_at) FROM occ) AS o_hold,
           (SELECT array_agg(reservation_id) FROM occ) AS o_reservation,
           (SELECT id FROM tok) AS token_resource_id
      FROM org, rt
    """
)

_TIMESTAMPS = ("created_at", "updated_at", "deleted_at")


def _parsed(row: dict[str, Any]) -> dict[str, Any]:
    """A to_jsonb row with its timestamps as datetimes again."""
    for name in _TIMESTAMPS:
        if row.get(name) is not None:
            row[name] = datetime.fromisoformat(row[name])
    return row


class SqlPublicReads(PublicReads):
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
        params = {
            "slug": slug,
            "token": token,
            "type_id": resource_type_id,
            "day": window.day,
            "start": window.start,
            "end": window.end,
        }
        async with translated(), self._engine.connect() as conn:
            row = (await conn.execute(_VIEW, params)).mappings().first()
        if row is None:
            return None
        occupancy_rows = [
            {
                "resource_id": r,
                "quantity": q,
                "occupied_from": f,
                "occupied_until": u,
                "hold_expires_at": h,
                "reservation_id": i,
            }
            for r, q, f, u, h, i in zip(
                row["o_resource"] or [],
                row["o_quantity"] or [],
                row["o_from"] or [],
                row["o_until"] or [],
                row["o_hold"] or [],
                row["o_reservation"] or [],
                strict=True,
            )
        ]
        resources = [
            Resource(
                r["id"],
                r["organisation_id"],
                r["resource_type_id"],
                r["name"],
                r["capacity"],
                True,
                r["public_booking_token"],
            )
            for r in row["resources"]
        ]
        return BookingView(
            organisation=mappers.organisation(_parsed(dict(row["org"]))),
            resource_type=mappers.resource_type(_parsed(dict(row["rt"]))),
            resources=resources,
            usage=usage_of(occupancy_rows, now),
            token_resource_id=row["token_resource_id"],
        )
