"""Every change of a reservation records its event in the same transaction (a transactional outbox), and
workers hand each event to each consumer exactly once, however many of them run."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.api import WEEK, Staff, with_organisation
from tests.support.payments import Shop, send, sql, start_at, wait_for
from tests.support.servers import base_env, run_worker

pytestmark = pytest.mark.e2e


def events_of(database_url: str, reservation_id: int) -> list[str]:
    rows = sql(database_url, "SELECT type FROM outbox WHERE reservation_id = $1 ORDER BY id", reservation_id)
    return [r[0] for r in rows]


def staff_booking(owner: Staff, room: int, hour: int) -> dict[str, Any]:
    return owner.ok(  # type: ignore[no-any-return]
        "POST",
        "/api/reservations",
        201,
        json={
            "resourceId": room,
            "startTime": f"2031-02-03T{hour:02d}:00:00Z",
            "endTime": f"2031-02-03T{hour + 1:02d}:00:00Z",
        },
    )


def test_each_change_records_its_event_and_a_refused_one_records_none(
    client: httpx.Client, database_url: str
) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type(weeklyHours=WEEK)
    room = owner.resource(rt["id"])["id"]
    made = staff_booking(owner, room, 9)
    other = staff_booking(owner, room, 11)
    assert events_of(database_url, made["id"]) == ["reservation.created"]
    # refused for capacity: the whole change is rolled back, its event with it
    clash = owner.patch(
        f"/api/reservations/{other['id']}",
        json={"startTime": "2031-02-03T09:30:00Z", "endTime": "2031-02-03T10:30:00Z"},
    )
    assert clash.status_code == 409
    assert events_of(database_url, other["id"]) == ["reservation.created"]
    owner.ok(
        "PATCH",
        f"/api/reservations/{made['id']}",
        json={"startTime": "2031-02-03T13:00:00Z", "endTime": "2031-02-03T14:00:00Z"},
    )
    owner.ok("PATCH", f"/api/reservations/{made['id']}", json={"notes": "window seat"})
    owner.ok("POST", f"/api/reservations/{made['id']}/cancel", json={})
    assert events_of(database_url, made["id"]) == [
        "reservation.created",
        "reservation.rescheduled",
        "reservation.updated",
        "reservation.cancelled",
    ]
    payload = sql(
        database_url,
        "SELECT payload FROM outbox WHERE reservation_id = $1 AND type = 'reservation.rescheduled'",
        made["id"],
    )[0][0]
    assert "2031-02-03T09:00:00+00:00" in payload  # the time it was moved from


def test_a_paid_booking_life_records_every_event(
    http: httpx.Client, standin: Any, shop: Shop, database_url: str
) -> None:
    made = shop.reserve(http, start_at(days=50)).json()
    assert events_of(database_url, made["reservationId"]) == [
        "reservation.created"
    ]  # the hot path's one statement
    assert send(http, standin.pay(made["stripeCheckoutSessionId"])["event"]).status_code == 200
    shop.owner.ok("POST", f"/api/reservations/{made['reservationId']}/refund", 201, json={"amount": 500})
    assert events_of(database_url, made["reservationId"]) == [
        "reservation.created",
        "payment.succeeded",
        "reservation.confirmed",
        "payment.refunded",
    ]
    lapsing = shop.reserve(http, start_at(days=51)).json()
    sql(
        database_url,
        "UPDATE reservations SET hold_expires_at = now() - interval '1 minute' WHERE id = $1",
        lapsing["reservationId"],
    )
    assert shop.reserve(http, start_at(days=51)).status_code == 201  # expires the lapsed hold in its way
    assert events_of(database_url, lapsing["reservationId"]) == ["reservation.created", "reservation.expired"]


def test_two_workers_hand_each_event_to_each_consumer_once(client: httpx.Client, database_url: str) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type(weeklyHours=WEEK)
    room = owner.resource(rt["id"], capacity=100)["id"]
    made = [staff_booking(owner, room, 6 + i % 12) for i in range(60)]
    ids = [m["id"] for m in made]
    env = base_env(database_url, WORKER_INTERVAL_SECONDS="1")
    workers = [run_worker(env), run_worker(env)]
    try:
        wait_for(
            lambda: (
                sql(
                    database_url,
                    "SELECT count(*) FROM outbox WHERE reservation_id = ANY($1) AND dispatched_at IS NULL",
                    ids,
                )[0][0]
                == 0
            ),
            timeout=30,
        )
    finally:
        for worker in workers:
            worker.stop()
    consumed = sql(
        database_url,
        "SELECT c.consumer, c.attempts, c.done_at IS NOT NULL FROM outbox o JOIN outbox_consumptions c ON c.outbox_id = o.id WHERE o.reservation_id = ANY($1)",
        ids,
    )
    consumers = {"metrics", "webhooks", "mail"}  # every consumer the worker runs
    assert len(consumed) == 60 * len(consumers)
    assert {tuple(r) for r in consumed} == {(c, 1, True) for c in consumers}  # once each, never twice
