"""Writers that meet on one resource: capacity changes, bookings and cancellations over two processes
never answer 5xx and never overbook (defect 10)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from tests.support.api import WEEK, Staff, with_organisation
from tests.support.payments import sql
from tests.support.servers import Server, base_env

pytestmark = pytest.mark.e2e

SLOTS = 12
OPERATIONS = 240


@pytest.fixture
def two_servers(database_url: str, server: Server) -> Iterator[list[str]]:
    second = Server(base_env(database_url))
    yield [server.url, second.url]
    second.stop()


def slot(index: int) -> tuple[str, str]:
    start = (datetime.now(UTC) + timedelta(days=60)).replace(hour=8, minute=0, second=0, microsecond=0)
    start += timedelta(hours=index)
    return start.isoformat(), (start + timedelta(hours=1)).isoformat()


def test_capacity_changes_bookings_and_cancellations_never_answer_5xx(
    client: httpx.Client, two_servers: list[str], database_url: str
) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type(weeklyHours=WEEK)
    room = owner.resource(rt["id"], capacity=6)
    made: list[int] = []
    rng = random.Random(20261201)
    plan = [rng.choice(["capacity", "book", "book", "public", "cancel"]) for _ in range(OPERATIONS)]

    def run(index: int) -> int:
        kind = plan[index]
        with httpx.Client(base_url=two_servers[index % 2], timeout=60) as http:
            staff = Staff(
                http, owner.email, owner.token, owner.refresh_token, owner.user_id, owner.organisation_id
            )
            start, end = slot(rng.randrange(SLOTS))
            if kind == "capacity":
                r = staff.patch(f"/api/resources/{room['id']}", json={"capacity": 6 + index % 2})
            elif kind == "book":
                r = staff.post(
                    "/api/reservations", json={"resourceId": room["id"], "startTime": start, "endTime": end}
                )
                if r.status_code == 201:
                    made.append(r.json()["id"])
            elif kind == "public":
                r = http.post(
                    f"/api/public/booking/organisations/{owner.slug}/reserve",
                    json={
                        "resourceTypeId": rt["id"],
                        "startTime": start,
                        "endTime": end,
                        "quantity": 1,
                        "customerName": "C",
                        "customerEmail": "c@example.com",
                        "customerPhone": "1",
                    },
                )
            else:
                victim = made.pop() if made else None
                if victim is None:
                    return 200
                r = staff.post(f"/api/reservations/{victim}/cancel", json={})
            return r.status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(run, range(OPERATIONS)))
    assert all(s < 500 for s in statuses), sorted(set(statuses))
    assert statuses.count(201) > 20  # the run did book
    overbooked = sql(
        database_url,
        """
        SELECT count(*) FROM reservation_allocations a JOIN resources r ON r.id = a.resource_id
         WHERE a.resource_id = $1 AND a.holding
           AND (SELECT sum(b.quantity) FROM reservation_allocations b
                 WHERE b.resource_id = a.resource_id AND b.holding
                   AND b.occupied_from <= a.occupied_from AND a.occupied_from < b.occupied_until) > r.capacity
        """,
        room["id"],
    )[0][0]
    assert overbooked == 0


def test_a_capacity_1_booking_waits_only_for_an_overlapping_writer(
    client: httpx.Client, database_url: str
) -> None:
    """An uncommitted holding of 10:00-11:00 on a capacity-1 resource: 11:00-12:00 is booked at once (no
    day lock serialises the day's other times), 10:00-11:00 waits for it and loses once it commits."""
    owner = with_organisation(client)
    rt = owner.resource_type(weeklyHours=WEEK)
    room = owner.resource(rt["id"])["id"]
    day = (datetime.now(UTC) + timedelta(days=70)).replace(hour=10, minute=0, second=0, microsecond=0)

    def at(hours: float) -> str:
        return (day + timedelta(hours=hours)).isoformat()

    loop = asyncio.new_event_loop()
    holder = loop.run_until_complete(asyncpg.connect(database_url))
    try:
        loop.run_until_complete(holder.execute("BEGIN"))
        block = loop.run_until_complete(
            holder.fetchval(
                "INSERT INTO resource_blocks (organisation_id, resource_id, start_time, end_time, reason)"
                " VALUES ($1, $2, $3, $4, 'held open by the test') RETURNING id",
                owner.organisation_id,
                room,
                day,
                day + timedelta(hours=1),
            )
        )
        loop.run_until_complete(
            holder.execute(
                "INSERT INTO reservation_allocations (organisation_id, block_id, resource_id, quantity,"
                " occupied_from, occupied_until) VALUES ($1, $2, $3, 1, $4, $5)",
                owner.organisation_id,
                block,
                room,
                day,
                day + timedelta(hours=1),
            )
        )
        began = time.monotonic()
        next_hour = owner.post(
            "/api/reservations", json={"resourceId": room, "startTime": at(1), "endTime": at(2)}
        )
        took = time.monotonic() - began
        assert next_hour.status_code == 201, next_hour.text
        assert took < 2.5, f"the next hour waited {took:.1f} s for an uncommitted booking it does not overlap"
        with ThreadPoolExecutor(1) as pool:
            overlapping = pool.submit(
                owner.post,
                "/api/reservations",
                json={"resourceId": room, "startTime": at(0), "endTime": at(1)},
            )
            time.sleep(1)
            assert not overlapping.done(), "an overlapping booking did not wait for the uncommitted one"
            loop.run_until_complete(holder.execute("COMMIT"))
            answer = overlapping.result(timeout=30)
        assert answer.status_code == 409, answer.text
        assert answer.json()["code"] == "SLOT_UNAVAILABLE"
    finally:
        loop.run_until_complete(holder.close())
        loop.close()
