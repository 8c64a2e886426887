"""Seed the benchmark organisations: real API calls for the catalog, bulk SQL for the history."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

WEEK = {d: [{"start": "00:00", "end": "24:00"}] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

# Past reservations: per resource one an hour going back in time; all `confirmed`, i.e. still holding
# (as if the completion job never ran), which is the harder case for the availability query.
HISTORY_SQL = """
WITH made AS (
  INSERT INTO reservations (organisation_id, resource_type_id, reference, start_time, end_time, quantity, status,
         payment_status, requires_payment, source, quote_unit_amount, quote_units, quote_subtotal,
         quote_service_fee, quote_taxes, quote_total, quote_currency, cancellation_policy_snapshot,
         allocation_mode, customer_name, customer_email)
  SELECT $1, $2, $6::text || g, $3::timestamptz - ((g / $5) + 1) * interval '1 hour', $3::timestamptz - (g / $5) * interval '1 hour', 1,
         'confirmed', 'not_required', false, 'bench', 1000, 1, 1000, 0, 0, 1000, 'eur', '[]', 'resource',
         'Customer ' || g, 'c' || g || '@example.com'
    FROM generate_series($7::bigint, $8::bigint) AS g
  RETURNING id, reference, start_time, end_time
)
INSERT INTO reservation_allocations (organisation_id, reservation_id, resource_id, quantity, occupied_from, occupied_until)
SELECT $1, id, ($4::bigint[])[(substr(reference, length($6::text) + 1)::bigint % $5) + 1], 1, start_time, end_time FROM made
"""

# Future reservations: per resource one a day at 09:00-10:00 UTC for the next days.
FUTURE_SQL = """
WITH made AS (
  INSERT INTO reservations (organisation_id, resource_type_id, reference, start_time, end_time, quantity, status,
         payment_status, requires_payment, source, quote_unit_amount, quote_units, quote_subtotal,
         quote_service_fee, quote_taxes, quote_total, quote_currency, cancellation_policy_snapshot,
         allocation_mode, customer_name, customer_email)
  SELECT $1, $2, $7::text || g, $3::timestamptz + (g / $5) * interval '1 day', $3::timestamptz + (g / $5) * interval '1 day' + interval '1 hour',
         1, 'confirmed', 'not_required', false, 'bench', 1000, 1, 1000, 0, 0, 1000, 'eur', '[]', 'resource',
         'Customer F' || g, 'f' || g || '@example.com'
    FROM generate_series(0, $6 - 1) AS g
  RETURNING id, reference, start_time, end_time
)
INSERT INTO reservation_allocations (organisation_id, reservation_id, resource_id, quantity, occupied_from, occupied_until)
SELECT $1, id, ($4::bigint[])[(substr(reference, length($7::text) + 1)::bigint % $5) + 1], 1, start_time, end_time FROM made
"""


async def vacuum(conn: asyncpg.Connection) -> None:
    """After a bulk load, as autovacuum would do soon: measurements then start from a settled table."""
    await conn.execute("VACUUM (ANALYZE) reservations")
    await conn.execute("VACUUM (ANALYZE) reservation_allocations")


@dataclass
class Shop:
    organisation_id: int
    slug: str
    type_id: int
    resource_ids: list[int]
    token: str  # staff access token
    history: int = 0


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def owner_of_new_organisation(http: httpx.Client, prefix: str) -> tuple[dict[str, str], dict[str, object]]:
    """Register a user, log in and make an organisation (UTC, eur): its staff headers and the organisation."""
    email = f"{prefix}-{secrets.token_hex(4)}@example.com"
    password = f"{prefix}-password-123"
    http.post(
        "/api/auth/register", json={"email": email, "password": password, "name": prefix}
    ).raise_for_status()
    token = http.post("/api/auth/login", json={"email": email, "password": password}).json()["accessToken"]
    auth = {"Authorization": f"Bearer {token}"}
    slug = f"{prefix}-{secrets.token_hex(4)}"
    org = http.post(
        "/api/organisations",
        headers=auth,
        json={"name": prefix, "slug": slug, "timezone": "UTC", "currency": "eur"},
    ).json()
    auth["X-Organisation-Id"] = str(org["id"])
    return auth, org


def create_shop(base_url: str, resources: int = 20) -> Shop:
    """An organisation with one resource type (open around the clock, 60-minute slots) and its resources."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        auth, org = owner_of_new_organisation(http, "bench")
        rt = http.post(
            "/api/resource-types",
            headers=auth,
            json={
                "name": "Room",
                "slotMinutes": 60,
                "weeklyHours": WEEK,
                "priceAmount": 1000,
                "maxAdvanceDays": 365,
            },
        ).json()
        ids = [
            http.post(
                "/api/resources", headers=auth, json={"name": f"Room {i}", "resourceTypeId": rt["id"]}
            ).json()["id"]
            for i in range(resources)
        ]
    token = auth["Authorization"].removeprefix("Bearer ")
    return Shop(int(str(org["id"])), str(org["slug"]), rt["id"], ids, token)


async def _history(url: str, shop: Shop, first: int, last: int, now: datetime) -> None:
    conn = await asyncpg.connect(_plain(url))
    try:
        step = 10_000
        for low in range(first, last, step):
            high = min(last, low + step) - 1
            await conn.execute(
                HISTORY_SQL,
                shop.organisation_id,
                shop.type_id,
                now,
                shop.resource_ids,
                len(shop.resource_ids),
                f"H{shop.organisation_id}-",  # references are unique across the platform
                low,
                high,
            )
        await vacuum(conn)
    finally:
        await conn.close()


def add_history(url: str, shop: Shop, count: int) -> None:
    """Grow the shop's history by `count` past reservations (older ones than it already has)."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    asyncio.run(_history(url, shop, shop.history, shop.history + count, now))
    shop.history += count


def add_future(url: str, shop: Shop, count: int) -> datetime:
    """`count` future reservations from tomorrow 09:00 UTC, one per resource a day; returns the first day."""
    first = (datetime.now(UTC) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)

    async def go() -> None:
        conn = await asyncpg.connect(_plain(url))
        try:
            await conn.execute(
                FUTURE_SQL,
                shop.organisation_id,
                shop.type_id,
                first,
                shop.resource_ids,
                len(shop.resource_ids),
                count,
                f"F{shop.organisation_id}-",
            )
            await vacuum(conn)
        finally:
            await conn.close()

    asyncio.run(go())
    return first
