"""Outgoing webhooks end to end (API.md section 10): real server and worker processes, a receiver on
loopback, every signature checked by the `standardwebhooks` package's own verifier."""

from __future__ import annotations

import signal
import time
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.support.api import WEEK, Staff, by_api_key, member, with_organisation
from tests.support.payments import Shop, send, sql, start_at, wait_for
from tests.support.receiver import Receiver, receiving
from tests.support.servers import Server, Worker, base_env, run_worker

pytestmark = pytest.mark.e2e

FAST = {"WEBHOOK_RETRY_SCALE": "0.001", "WORKER_INTERVAL_SECONDS": "1"}  # 5 s -> 5 ms, 5 min -> 0.3 s, ...


def endpoint(owner: Staff, url: str, events: list[str] | None = None) -> dict[str, Any]:
    body = {"url": url, "events": events or ["*"], "description": "the tests' receiver"}
    return owner.ok("POST", "/api/webhook-endpoints", 201, json=body)  # type: ignore[no-any-return]


def worker(database_url: str, **env: str) -> Worker:
    return run_worker(base_env(database_url, **FAST, **env))


def verified(secret: str, receiver: Receiver) -> None:
    for r in receiver.received:
        Webhook(secret).verify(r.body, r.headers)


def test_endpoints_are_managed_by_admins_and_their_secret_is_shown_once(client: httpx.Client) -> None:
    owner = with_organisation(client)
    made = endpoint(owner, "http://127.0.0.1:9/in", ["reservation.confirmed", "payment.succeeded"])
    assert made["secret"].startswith("whsec_")
    assert (made["enabled"], made["events"]) == (True, ["payment.succeeded", "reservation.confirmed"])
    shown = owner.ok("GET", f"/api/webhook-endpoints/{made['id']}")
    assert "secret" not in shown
    assert owner.ok("GET", "/api/webhook-endpoints")["pagination"]["total"] == 1
    changed = owner.ok(
        "PATCH", f"/api/webhook-endpoints/{made['id']}", json={"events": ["*"], "enabled": False}
    )
    assert (changed["events"], changed["enabled"]) == (["*"], False)
    rotated = owner.ok("POST", f"/api/webhook-endpoints/{made['id']}/rotate-secret")
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != made["secret"]
    for body, field in (
        ({"url": "ftp://hooks.example/in", "events": ["*"]}, "url"),
        ({"url": "http://127.0.0.1:9/in", "events": ["reservation.exploded"]}, "events"),
        ({"url": "http://127.0.0.1:9/in", "events": []}, "events"),
        ({"url": "https://user:pw@hooks.example/in", "events": ["*"]}, "url"),
    ):
        refused = owner.post("/api/webhook-endpoints", json=body)
        assert refused.status_code == 400, refused.text
        assert refused.json()["errors"][0]["field"] == field
    # staff may not; an API key needs the scope
    staff = member(client, owner, "staff")
    assert staff.get("/api/webhook-endpoints").status_code == 403
    reader = owner.ok(
        "POST",
        "/api/api-keys",
        201,
        json={"name": "ops", "organisationId": owner.organisation_id, "scopes": ["webhooks:read"]},
    )
    key = by_api_key(client, reader["key"])
    assert key.get("/api/webhook-endpoints").status_code == 200
    assert (
        key.post("/api/webhook-endpoints", json={"url": "https://a.example/x", "events": ["*"]}).status_code
        == 403
    )
    owner.ok("DELETE", f"/api/webhook-endpoints/{made['id']}", 204)
    assert owner.get(f"/api/webhook-endpoints/{made['id']}").status_code == 404


def test_the_stored_secret_is_sealed(client: httpx.Client, database_url: str) -> None:
    owner = with_organisation(client)
    made = endpoint(owner, "http://127.0.0.1:9/in")
    sealed = sql(database_url, "SELECT secret_sealed FROM webhook_endpoints WHERE id = $1", made["id"])[0][0]
    dump = sql(
        database_url, "SELECT row_to_json(w)::text AS row FROM webhook_endpoints w WHERE id = $1", made["id"]
    )
    raw = made["secret"].removeprefix("whsec_")
    assert raw.encode() not in bytes(sealed)
    assert raw not in dump[0]["row"]
    assert made["secret"] not in dump[0]["row"]


def test_private_targets_are_refused_at_save_when_outgoing_requests_must_stay_public(
    database_url: str,
) -> None:
    strict = Server(base_env(database_url, OUTBOUND_ALLOW_PRIVATE="false"))
    try:
        with httpx.Client(base_url=strict.url, timeout=30) as client:
            owner = with_organisation(client)
            for url in (
                "http://127.0.0.1:8080/in",
                "http://localhost/in",  # a name that resolves to loopback
                "http://10.0.0.1/in",
                "http://192.168.0.10/in",
                "http://169.254.169.254/latest/meta-data",
                "http://[::1]/in",
                "http://[::ffff:127.0.0.1]/in",
                "http://[fe80::1]/in",
                "http://224.0.0.1/in",
                "http://0.0.0.0/in",
            ):
                refused = owner.post("/api/webhook-endpoints", json={"url": url, "events": ["*"]})
                assert refused.status_code == 400, (url, refused.text)
                assert refused.json()["errors"][0]["field"] == "url"
            assert owner.ok("GET", "/api/webhook-endpoints")["pagination"]["total"] == 0
    finally:
        strict.stop()


def _life(http: httpx.Client, standin: Any, shop: Shop) -> int:
    """A paid booking's life: reserved, paid (payment succeeded, confirmed), moved, cancelled and refunded."""
    made = shop.reserve(http, start_at(days=40)).json()
    assert send(http, standin.pay(made["stripeCheckoutSessionId"])["event"]).status_code == 200
    later = start_at(days=41)
    moved = http.post(
        f"/api/public/reservations/{made['manageToken']}/reschedule",
        json={"startTime": later.isoformat(), "endTime": later.replace(hour=later.hour + 1).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    shop.owner.ok("POST", f"/api/reservations/{made['reservationId']}/cancel", json={"refund": "full"})
    return int(made["reservationId"])


def test_a_booking_life_reaches_a_failing_receiver_once_per_event_all_signed(
    http: httpx.Client, standin: Any, shop: Shop, database_url: str
) -> None:
    with receiving(script=[500, 503, 500]) as receiver:
        hook = endpoint(shop.owner, receiver.url)
        reservation_id = _life(http, standin, shop)
        expected = {
            "reservation.created",
            "payment.succeeded",
            "reservation.confirmed",
            "reservation.rescheduled",
            "reservation.cancelled",
            "payment.refunded",
        }
        running = worker(database_url)
        try:
            kept = wait_for(lambda: (k := receiver.accepted()) and len(k) >= len(expected) and k, timeout=60)
        finally:
            running.stop()
        verified(hook["secret"], receiver)
        types = sorted(_type(r.body) for r in kept.values())
        assert types == sorted(expected)
        assert len(receiver.received) == len(expected) + 3  # three failures, each tried again
        for r in kept.values():
            body = _json(r.body)
            assert body["data"]["reservation"]["id"] == reservation_id
            if body["type"].startswith("payment."):
                assert body["data"]["payment"]["amount"] > 0
        log = shop.owner.ok("GET", f"/api/webhook-endpoints/{hook['id']}/deliveries?limit=100")["data"]
        assert {d["status"] for d in log} == {"succeeded"}
        assert sorted(d["attempt"] for d in log).count(2) == 3


def test_a_killed_worker_loses_none_of_a_burst_and_two_workers_never_repeat_an_attempt(
    client: httpx.Client, database_url: str
) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type(weeklyHours=WEEK)
    room = owner.resource(rt["id"], capacity=1000)["id"]
    with receiving() as receiver:
        hook = endpoint(owner, receiver.url, ["reservation.created"])
        for i in range(500):
            owner.ok(
                "POST",
                "/api/reservations",
                201,
                json={
                    "resourceId": room,
                    "startTime": f"2031-05-0{1 + i % 9}T10:00:00Z",
                    "endTime": f"2031-05-0{1 + i % 9}T11:00:00Z",
                },
            )
        first = worker(database_url)
        wait_for(lambda: len(receiver.received) >= 100, timeout=60)
        first.stop(signal.SIGKILL)
        at_kill = len(receiver.received)
        both = [worker(database_url), worker(database_url)]
        try:
            # What the killed worker had in flight is sent again once its claim lapses (CLAIM, 60 s).
            wait_for(lambda: not undelivered(database_url, hook["id"]), timeout=180)
            time.sleep(1)
        finally:
            for w in both:
                w.stop()
    attempts = [r.headers["booking-delivery"] for r in receiver.received]
    assert len(attempts) == len(set(attempts)), "an attempt was sent twice"
    assert len(receiver.accepted()) == 500
    assert at_kill < 500
    verified(hook["secret"], receiver)
    assert undelivered(database_url, hook["id"]) == 0


def undelivered(database_url: str, endpoint_id: int) -> int:
    rows = sql(
        database_url,
        "SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = $1 AND status <> 'succeeded'",
        endpoint_id,
    )
    return int(rows[0]["n"])


def test_gone_switches_off_redirects_are_not_followed_and_ping_and_redeliver_work(
    client: httpx.Client, database_url: str
) -> None:
    owner = with_organisation(client)
    with receiving(script=[302, 302, 410]) as receiver:
        hook = endpoint(owner, receiver.url)
        owner.ok("POST", f"/api/webhook-endpoints/{hook['id']}/ping", 202)
        running = worker(database_url)
        try:
            wait_for(lambda: len(receiver.received) >= 3, timeout=30)
            log = wait_for(
                lambda: (
                    (d := owner.ok("GET", f"/api/webhook-endpoints/{hook['id']}/deliveries")["data"])
                    and d[0]["status"] == "failed"
                    and d
                ),
                timeout=30,
            )
            assert (log[0]["eventType"], log[0]["responseStatus"], log[0]["attempt"]) == ("ping", 410, 3)
            assert receiver.received[0].answered == 302
            assert all(r.path == "/hooks" for r in receiver.received)  # the Location was never visited
            # a ping does not switch it off; a 410 to a real event does
            owner.ok("POST", f"/api/webhook-endpoints/{hook['id']}/deliveries/{log[0]['id']}/redeliver", 202)
            wait_for(lambda: len(receiver.received) >= 4, timeout=30)
            redelivered = receiver.received[3]
            assert redelivered.headers["webhook-id"] == receiver.received[0].headers["webhook-id"]
            verified(hook["secret"], receiver)
            receiver.script.append(410)
            rt = owner.resource_type(weeklyHours=WEEK)
            room = owner.resource(rt["id"])["id"]
            owner.ok(
                "POST",
                "/api/reservations",
                201,
                json={
                    "resourceId": room,
                    "startTime": "2031-06-01T10:00:00Z",
                    "endTime": "2031-06-01T11:00:00Z",
                },
            )
            wait_for(
                lambda: not owner.ok("GET", f"/api/webhook-endpoints/{hook['id']}")["enabled"], timeout=30
            )
        finally:
            running.stop()


def test_a_target_that_turned_private_is_refused_at_delivery(client: httpx.Client, database_url: str) -> None:
    owner = with_organisation(client)
    with receiving() as receiver:
        hook = endpoint(owner, receiver.url)  # saved where private targets are allowed
        owner.ok("POST", f"/api/webhook-endpoints/{hook['id']}/ping", 202)
        strict = worker(database_url, OUTBOUND_ALLOW_PRIVATE="false")
        try:
            log = wait_for(
                lambda: (
                    (d := owner.ok("GET", f"/api/webhook-endpoints/{hook['id']}/deliveries")["data"])
                    and d[0]["error"]  # recorded, not just claimed (attempt counts up at the claim)
                    and d
                ),
                timeout=30,
            )
        finally:
            strict.stop()
        assert receiver.received == []
        assert "loopback" in (log[0]["error"] or ""), log[0]


def _json(body: bytes) -> Any:
    import json

    return json.loads(body)


def _type(body: bytes) -> str:
    return str(_json(body)["type"])
