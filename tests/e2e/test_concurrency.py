"""No overbooking: concurrent creates on two server processes, and the database's own refusal."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from tests.support.api import Staff, with_organisation
from tests.support.servers import Server, base_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def second_server(database_url: str) -> Iterator[Server]:
    srv = Server(base_env(database_url))
    yield srv
    srv.stop()


async def race(
    urls: list[str], headers: dict[str, str], body: dict[str, object], n: int
) -> list[httpx.Response]:
    clients = [
        httpx.AsyncClient(base_url=u, timeout=60, limits=httpx.Limits(max_connections=n)) for u in urls
    ]
    try:
        start = asyncio.Event()

        async def one(i: int) -> httpx.Response:
            await start.wait()
            return await clients[i % len(clients)].post("/api/reservations", json=body, headers=headers)

        tasks = [asyncio.create_task(one(i)) for i in range(n)]
        await asyncio.sleep(0.2)
        start.set()
        return await asyncio.gather(*tasks)
    finally:
        for c in clients:
            await c.aclose()


def _setup(client: httpx.Client, capacity: int) -> tuple[Staff, dict[str, object]]:
    owner = with_organisation(client)
    rt = owner.resource_type()
    room = owner.resource(rt["id"], capacity=capacity)
    return owner, {
        "resourceId": room["id"],
        "startTime": "2032-01-05T10:00:00Z",
        "endTime": "2032-01-05T11:00:00Z",
    }


def test_fifty_racing_creates_for_one_unit_give_one_reservation(
    client: httpx.Client, server: Server, second_server: Server
) -> None:
    owner, body = _setup(client, capacity=1)
    answers = asyncio.run(race([server.url, second_server.url], owner.headers, body, 50))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(201) == 1, codes
    assert set(codes) == {201, 409}, [a.text for a in answers if a.status_code not in (201, 409)][:2]
    assert all(a.json()["code"] == "SLOT_UNAVAILABLE" for a in answers if a.status_code == 409)
    assert owner.ok("GET", "/api/reservations")["pagination"]["total"] == 1


def test_capacity_three_gives_exactly_three_units(
    client: httpx.Client, server: Server, second_server: Server
) -> None:
    owner, body = _setup(client, capacity=3)
    answers = asyncio.run(race([server.url, second_server.url], owner.headers, body, 50))
    assert sum(a.status_code == 201 for a in answers) == 3
    # with buffers of best fit across resources the same holds: the type now has 3 + 2 units
    rt_id = owner.ok("GET", "/api/resource-types")["data"][0]["id"]
    owner.resource(rt_id, capacity=2)
    best_fit = {
        "resourceTypeId": rt_id,
        "startTime": body["startTime"],
        "endTime": body["endTime"],
        "quantity": 1,
    }
    answers = asyncio.run(race([server.url, second_server.url], owner.headers, best_fit, 30))
    assert sum(a.status_code == 201 for a in answers) == 2
    listed = owner.ok("GET", "/api/reservations?limit=100")["data"]
    assert sum(r["quantity"] for r in listed) == 5


def test_the_database_refuses_a_conflicting_allocation_written_by_any_path(
    client: httpx.Client, database_url: str
) -> None:
    owner, body = _setup(client, capacity=1)
    first = owner.ok("POST", "/api/reservations", 201, json=body)
    pair, body2 = _setup(client, capacity=2)
    for _ in range(2):
        pair.ok("POST", "/api/reservations", 201, json=body2)

    async def bypass() -> list[str]:
        conn = await asyncpg.connect(database_url)
        errors = []
        try:
            # a second reservation row written straight into the database, then allocated to the same room
            for org, resource, template in (
                (owner.organisation_id, body["resourceId"], first["id"]),
                (pair.organisation_id, body2["resourceId"], None),
            ):
                source = template or await conn.fetchval(
                    "SELECT id FROM reservations WHERE organisation_id = $1 LIMIT 1", org
                )
                new_id = await conn.fetchval(
                    """INSERT INTO reservations (organisation_id, resource_type_id, reference, start_time, end_time,
                       quantity, status, payment_status, requires_payment, source, quote_unit_amount, quote_units,
                       quote_subtotal, quote_service_fee, quote_taxes, quote_total, quote_currency,
                       cancellation_policy_snapshot, allocation_mode)
                       SELECT organisation_id, resource_type_id, reference || '-X', start_time, end_time, 1,
                              'confirmed', 'not_required', false, 'sql', 0, 1, 0, 0, 0, 0, 'eur', '[]', 'resource'
                         FROM reservations WHERE id = $1 RETURNING id""",
                    source,
                )
                try:
                    await conn.execute(
                        """INSERT INTO reservation_allocations (organisation_id, reservation_id, resource_id, quantity,
                           occupied_from, occupied_until, holding, exclusive)
                           VALUES ($1, $2, $3, 1, '2032-01-05T10:30:00Z', '2032-01-05T10:45:00Z', false, false)""",
                        org,
                        new_id,
                        resource,
                    )
                except asyncpg.PostgresError as exc:
                    errors.append(exc.sqlstate)
            # flipping a cancelled reservation back to confirmed by hand is refused too
            await conn.execute("UPDATE reservations SET status = 'cancelled' WHERE id = $1", first["id"])
            await conn.execute(
                """INSERT INTO reservation_allocations (organisation_id, reservation_id, resource_id, quantity,
                   occupied_from, occupied_until)
                   SELECT organisation_id, id, $2, 1, start_time, end_time FROM reservations
                    WHERE organisation_id = $1 AND source = 'sql'""",
                owner.organisation_id,
                body["resourceId"],
            )
            try:
                await conn.execute("UPDATE reservations SET status = 'confirmed' WHERE id = $1", first["id"])
            except asyncpg.PostgresError as exc:
                errors.append(exc.sqlstate)
        finally:
            await conn.close()
        return errors

    # the writer claimed holding=false/exclusive=false; the triggers derive the truth and refuse all three
    assert asyncio.run(bypass()) == ["23P01", "23P01", "23P01"]
