"""Writers that meet on one resource: capacity changes, bookings and cancellations over two processes
never answer 5xx and never overbook (defect 10)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

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
