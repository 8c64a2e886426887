"""The adversarial availability case of the review (defect 9), and what it does to everyone else.

Anyone may register and make an organisation whose availability is as expensive as the rules allow: a
720-minute slot every minute (721 slots a day), 1440-minute buffers either side, and 3,500 bookings on one
resource of capacity 100,000 around the day asked for. The bench measures that request's latency with four
in flight, and meanwhile `/health` and another tenant's availability, against the same two without it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from bench import load
from bench.seed import WEEK, _plain, owner_of_new_organisation, vacuum

BOOKINGS = 3_500

ADVERSARIAL_SQL = """
WITH made AS (
  INSERT INTO reservations (organisation_id, resource_type_id, reference, start_time, end_time, quantity, status,
         payment_status, requires_payment, source, quote_unit_amount, quote_units, quote_subtotal,
         quote_service_fee, quote_taxes, quote_total, quote_currency, cancellation_policy_snapshot,
         allocation_mode)
  SELECT $1, $2, $5::text || g, $3::timestamptz + (g % 4320) * interval '1 minute',
         $3::timestamptz + (g % 4320) * interval '1 minute' + interval '12 hours', 1, 'confirmed',
         'not_required', false, 'bench', 0, 1, 0, 0, 0, 0, 'eur', '[]', 'resource'
    FROM generate_series(1, $6::bigint) AS g
  RETURNING id, start_time, end_time
)
INSERT INTO reservation_allocations (organisation_id, reservation_id, resource_id, quantity, occupied_from, occupied_until)
SELECT $1, id, $4, 1, start_time - interval '1 day', end_time + interval '1 day' FROM made
"""


@dataclass
class Adversary:
    slug: str
    type_id: int
    day: str


def create_adversary(base_url: str, database_url: str) -> Adversary:
    """The most expensive availability the rules allow, made through the API and bulk SQL."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        auth, org = owner_of_new_organisation(http, "adversary")
        rt = http.post(
            "/api/resource-types",
            headers=auth,
            json={
                "name": "Everything",
                "slotMinutes": 720,
                "slotIntervalMinutes": 1,
                "bufferBeforeMinutes": 1440,
                "bufferAfterMinutes": 1440,
                "weeklyHours": WEEK,
            },
        ).json()
        big = http.post(
            "/api/resources",
            headers=auth,
            json={"name": "Big", "resourceTypeId": rt["id"], "capacity": 100_000},
        ).json()
    day = (datetime.now(UTC) + timedelta(days=20)).replace(hour=0, minute=0, second=0, microsecond=0)

    async def seed() -> None:
        conn = await asyncpg.connect(_plain(database_url))
        try:
            await conn.execute(
                ADVERSARIAL_SQL,
                org["id"],
                rt["id"],
                day - timedelta(days=1),
                big["id"],
                f"A{org['id']}-",
                BOOKINGS,
            )
            await vacuum(conn)
        finally:
            await conn.close()

    asyncio.run(seed())
    return Adversary(str(org["slug"]), rt["id"], day.date().isoformat())


def adversarial_request(adversary: Adversary, host: str) -> load.RequestMaker:
    request = load.get(
        f"/api/public/booking/organisations/{adversary.slug}/availability"
        f"?date={adversary.day}&resourceTypeId={adversary.type_id}",
        host,
    )
    return lambda _: request


async def under_attack(
    host: str, port: int, attack: load.RequestMaker, victims: dict[str, load.RequestMaker], seconds: float
) -> tuple[load.Result, dict[str, load.Result]]:
    """Four adversarial requests in flight for `seconds`, each victim at one connection meanwhile."""
    jobs = [load.run("adversarial availability", host, port, attack, 4, duration=seconds)]
    jobs += [load.run(name, host, port, make, 1, duration=seconds) for name, make in victims.items()]
    attack_result, *victim_results = await asyncio.gather(*jobs)
    return attack_result, dict(zip(victims, victim_results, strict=True))


async def quietly(
    host: str, port: int, victims: dict[str, load.RequestMaker], seconds: float
) -> dict[str, load.Result]:
    jobs = [load.run(name, host, port, make, 1, duration=seconds) for name, make in victims.items()]
    return dict(zip(victims, await asyncio.gather(*jobs), strict=True))
