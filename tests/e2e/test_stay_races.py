"""Stays and reschedules under races across two server processes: §4's guarantee holds for them too."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.support.api import Staff, with_organisation
from tests.support.payments import sql
from tests.support.servers import Server, base_env

pytestmark = pytest.mark.e2e

GUEST = {"customerName": "Ada Guest", "customerEmail": "ada@example.com", "customerPhone": ""}
FIRST = date(2027, 3, 20)  # the nights around Berlin's spring change


@pytest.fixture(scope="module")
def second_server(database_url: str) -> Iterator[Server]:
    srv = Server(base_env(database_url))
    yield srv
    srv.stop()


async def _race(urls: list[str], calls: list[tuple[str, dict[str, Any]]]) -> list[httpx.Response]:
    """POST every (path, body) at once, alternating between the servers."""
    clients = [
        httpx.AsyncClient(base_url=u, timeout=60, limits=httpx.Limits(max_connections=64)) for u in urls
    ]
    try:
        go = asyncio.Event()

        async def one(i: int, path: str, body: dict[str, Any]) -> httpx.Response:
            await go.wait()
            return await clients[i % len(clients)].post(path, json=body)

        tasks = [asyncio.create_task(one(i, path, body)) for i, (path, body) in enumerate(calls)]
        await asyncio.sleep(0.2)
        go.set()
        return await asyncio.gather(*tasks)
    finally:
        for c in clients:
            await c.aclose()


def race(servers: list[Server], calls: list[tuple[str, dict[str, Any]]]) -> list[httpx.Response]:
    return asyncio.run(_race([s.url for s in servers], calls))


def _villas(client: httpx.Client, capacity: int) -> tuple[Staff, dict[str, Any], dict[str, Any]]:
    owner = with_organisation(client)
    rt = owner.ok(
        "POST", "/api/resource-types", 201, json={"name": "Villa", "bookingUnit": "night", "maxStay": 14}
    )
    villa = owner.resource(rt["id"], capacity=capacity)
    return owner, rt, villa


def _stays(rng: random.Random, n: int) -> list[tuple[int, int]]:
    """(first night offset, nights) of n overlapping stays within 12 nights."""
    return [(offset, rng.randint(1, 6)) for offset in (rng.randint(0, 10) for _ in range(n))]


def _calls(
    owner: Staff, rt: dict[str, Any], stays: list[tuple[int, int]]
) -> list[tuple[str, dict[str, Any]]]:
    path = f"/api/public/booking/organisations/{owner.slug}/reserve"
    return [
        (
            path,
            {
                "resourceTypeId": rt["id"],
                "checkIn": str(FIRST + timedelta(days=offset)),
                "checkOut": str(FIRST + timedelta(days=offset + nights)),
            }
            | GUEST,
        )
        for offset, nights in stays
    ]


def _nights(offset: int, length: int) -> set[int]:
    return set(range(offset, offset + length))


def _peak(stays: list[tuple[int, int]], within: set[int]) -> int:
    return max((sum(1 for o, n in stays if night in _nights(o, n)) for night in within), default=0)


@pytest.mark.parametrize("seed", range(3))
def test_racing_stays_for_overlapping_nights_of_one_villa_let_one_win_per_conflict(
    client: httpx.Client, server: Server, second_server: Server, database_url: str, seed: int
) -> None:
    owner, rt, villa = _villas(client, capacity=1)
    stays = _stays(random.Random(seed), 40)
    answers = race([server, second_server], _calls(owner, rt, stays))
    codes = [a.status_code for a in answers]
    assert set(codes) <= {201, 409}, [a.text for a in answers if a.status_code not in (201, 409)]
    won = [s for s, a in zip(stays, answers, strict=True) if a.status_code == 201]
    lost = [s for s, a in zip(stays, answers, strict=True) if a.status_code == 409]
    print(f"stays: {len(won)} won, {len(lost)} refused")
    assert won
    assert all(a.json()["code"] == "SLOT_UNAVAILABLE" for a in answers if a.status_code == 409)
    # winners never share a night; every loser wanted a night a winner has
    assert _peak(won, set(range(30))) == 1, won
    assert all(_peak(won, _nights(*s)) == 1 for s in lost)
    held = sql(
        database_url,
        "SELECT count(*) AS n FROM reservation_allocations WHERE resource_id = $1 AND holding",
        villa["id"],
    )
    assert held[0]["n"] == len(won)


def test_racing_stays_of_different_lengths_never_put_three_guests_in_a_villa_for_two(
    client: httpx.Client, server: Server, second_server: Server, database_url: str
) -> None:
    owner, rt, villa = _villas(client, capacity=2)
    stays = _stays(random.Random(99), 50)
    answers = race([server, second_server], _calls(owner, rt, stays))
    won = [s for s, a in zip(stays, answers, strict=True) if a.status_code == 201]
    lost = [s for s, a in zip(stays, answers, strict=True) if a.status_code == 409]
    print(f"capacity 2: {len(won)} won, {len(lost)} refused")
    assert won
    assert lost
    assert _peak(won, set(range(30))) <= 2
    assert all(_peak(won, _nights(*s)) == 2 for s in lost)  # each loser met a full night
    # and at every instant, as the database holds it
    rows = sql(
        database_url,
        """SELECT max(used) AS peak FROM (
               SELECT (SELECT sum(b.quantity) FROM reservation_allocations b
                        WHERE b.resource_id = a.resource_id AND b.holding
                          AND b.occupied_from <= a.occupied_from AND a.occupied_from < b.occupied_until) AS used
                 FROM reservation_allocations a WHERE a.resource_id = $1 AND a.holding) AS edges""",
        villa["id"],
    )
    assert rows[0]["peak"] <= 2


def test_racing_reschedules_into_one_free_slot_let_exactly_one_through(
    client: httpx.Client, server: Server, second_server: Server
) -> None:
    owner = with_organisation(client, timezone="UTC")
    rt = owner.resource_type(priceAmount=2000)
    owner.resource(rt["id"])
    path = f"/api/public/booking/organisations/{owner.slug}/reserve"
    tokens = []
    for hour in range(23):
        body = {
            "resourceTypeId": rt["id"],
            "startTime": f"2027-02-10T{hour:02d}:00:00Z",
            "endTime": f"2027-02-10T{hour + 1:02d}:00:00Z",
        }
        made = client.post(path, json=body | GUEST)
        assert made.status_code == 201, made.text
        tokens.append((hour, made.json()["manageToken"]))
    target = {"startTime": "2027-02-10T23:00:00Z", "endTime": "2027-02-11T00:00:00Z"}
    calls = [(f"/api/public/reservations/{token}/reschedule", target) for _, token in tokens]
    answers = race([server, second_server], calls)
    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) == 1, codes
    assert set(codes) == {200, 409}
    assert all(a.json()["code"] == "SLOT_UNAVAILABLE" for a in answers if a.status_code == 409)
    starts = [client.get(f"/api/public/reservations/{token}").json()["startTime"] for _, token in tokens]
    moved = [s for s in starts if s == target["startTime"]]
    kept = [(hour, s) for (hour, _), s in zip(tokens, starts, strict=True) if s != target["startTime"]]
    assert len(moved) == 1
    assert all(s == f"2027-02-10T{hour:02d}:00:00Z" for hour, s in kept)  # the losers keep their times
    assert len(kept) == len(tokens) - 1
