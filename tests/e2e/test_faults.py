"""Scale-out under faults: two API processes and two workers on one PostgreSQL and one Redis, a mixed load
of availability, reserve, pay (stand-in plus signed webhooks), cancel and refund, while an API process is
killed with SIGKILL, PostgreSQL restarts and Redis stops. Afterwards the promises still hold."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.postgres.embedded import start_embedded
from tests.stripe_standin import StandIn
from tests.support.api import WEEK
from tests.support.payments import CUSTOMER, connected_shop, send, sql, start_at, stripe_env
from tests.support.servers import Server, Worker, base_env, free_port, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LOAD_SECONDS = 45
REDIS = shutil.which("redis-server")

OVERBOOKED = """
SELECT count(*) FROM (
  SELECT p.resource_id, p.instant
    FROM (SELECT DISTINCT resource_id, occupied_from AS instant FROM reservation_allocations WHERE holding) AS p
    JOIN reservation_allocations b
      ON b.resource_id = p.resource_id AND b.holding
     AND b.occupied_from <= p.instant AND p.instant < b.occupied_until
    JOIN resources r ON r.id = p.resource_id
   GROUP BY p.resource_id, p.instant
  HAVING sum(b.quantity) > max(r.capacity)
) AS over
"""
# Money kept without a booking: a received payment whose reservation is not a kept booking and whose
# refunds do not add up to it.
MONEY_WITHOUT_BOOKING = """
SELECT count(*) FROM payments p
  JOIN reservations r ON r.id = p.reservation_id
 WHERE p.status IN ('succeeded', 'partially_refunded', 'refunded')
   AND NOT (p.kind = 'booking' AND r.status IN ('confirmed', 'completed', 'cancelled'))
   AND p.amount > coalesce((SELECT sum(f.amount) FROM refunds f WHERE f.payment_id = p.id AND f.status <> 'failed'), 0)
"""
HALF_WRITTEN = """
SELECT count(*) FROM reservations r
 WHERE r.deleted_at IS NULL AND r.status IN ('pending', 'confirmed', 'pending_payment')
   AND NOT EXISTS (SELECT 1 FROM reservation_allocations a WHERE a.reservation_id = r.id)
"""
STALE_HOLDS = """
SELECT count(*) FROM reservations
 WHERE status = 'pending_payment' AND hold_expires_at < now() - interval '30 seconds'
"""


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, what: str) -> None:
        with self.lock:
            self.outcomes[what] += 1


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A PostgreSQL of this test's own, so that it can be restarted."""
    data = tmp_path_factory.mktemp("faults") / "pg"
    url = start_embedded(data, "booking").replace("+asyncpg", "")
    return url, data


@pytest.fixture(scope="module")
def redis() -> Iterator[subprocess.Popen[bytes]]:
    if REDIS is None:
        pytest.skip("redis-server is not installed on this machine")
    port = free_port()
    process = subprocess.Popen(
        [REDIS, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    process.port = port  # type: ignore[attr-defined]
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def stop_postgres(data: Path) -> None:
    from pgserver._commands import pg_ctl

    pg_ctl(
        ["-w", "-m", "fast", "stop"], pgdata=data, user="pgserver" if os.geteuid() == 0 else None, timeout=60
    )


def start_postgres(data: Path) -> None:
    import pgserver

    pgserver.get_server(data).ensure_postgres_running()  # type: ignore[attr-defined]


def test_scale_out_with_kill_restart_and_redis_down(postgres: tuple[str, Path], redis: Any) -> None:
    url, data = postgres
    env_base = base_env(url)
    assert run_cli("migrate", env=env_base).returncode == 0
    with StandIn.start() as standin:
        env = base_env(
            url,
            **stripe_env(standin),
            REDIS_URL=f"redis://127.0.0.1:{redis.port}/0",
            RATE_LIMIT_ENABLED="true",
            RATE_LIMIT_PUBLIC_RESERVE="100000/minute",
            RATE_LIMIT_PUBLIC_AVAILABILITY="100000/minute",
            RATE_LIMIT_PUBLIC_CHECKOUT_STATUS="100000/minute",
            RATE_LIMIT_PUBLIC_CATALOG="100000/minute",
            RATE_LIMIT_AUTH_LOGIN="100000/minute",
            WORKER_INTERVAL_SECONDS="1",
            DB_POOL_SIZE="5",
        )
        apis = [Server(env), Server(env)]
        workers = [Worker(env), Worker(env)]
        try:
            _run(apis, workers, standin, url, data, redis)
        finally:
            for process in (*apis, *workers):
                process.stop(
                    signal.SIGKILL
                    if process.process.poll() is None and process is apis[0]
                    else signal.SIGTERM
                )


def _run(
    apis: list[Server], workers: list[Worker], standin: StandIn, url: str, data: Path, redis: Any
) -> None:
    admin = httpx.Client(base_url=apis[1].url, timeout=30)
    shop = connected_shop(admin, standin, url, capacity=2)
    free_type = shop.owner.resource_type(weeklyHours=WEEK)
    shop.owner.resource(free_type["id"], capacity=3)
    tally = Tally()
    stop = threading.Event()
    alive = [True, True]
    paid: list[dict[str, Any]] = []

    def client_loop(seed: int) -> None:
        rng = random.Random(seed)
        clients = [httpx.Client(base_url=a.url, timeout=15) for a in apis]
        while not stop.is_set():
            which = rng.choice([i for i in (0, 1) if alive[i]])
            http = clients[which]
            start = start_at(days=rng.randint(2, 40), hour=rng.randint(0, 22))
            try:
                action = rng.random()
                if action < 0.35:
                    r = http.get(
                        f"/api/public/booking/organisations/{shop.owner.slug}/availability",
                        params={"date": str(start.date()), "resourceTypeId": free_type["id"]},
                    )
                    tally.add(f"availability {r.status_code}")
                elif action < 0.6:
                    body = {
                        "resourceTypeId": free_type["id"],
                        "startTime": start.isoformat(),
                        "endTime": (start + timedelta(hours=1)).isoformat(),
                    } | CUSTOMER
                    r = http.post(f"/api/public/booking/organisations/{shop.owner.slug}/reserve", json=body)
                    tally.add(f"reserve {r.status_code}")
                    if r.status_code == 201 and rng.random() < 0.3:
                        c = http.post(f"/api/public/reservations/{r.json()['manageToken']}/cancel", json={})
                        tally.add(f"cancel {c.status_code}")
                else:
                    r = shop.reserve(http, start)
                    tally.add(f"paid reserve {r.status_code}")
                    if r.status_code != 201:
                        continue
                    made = r.json()
                    event = standin.pay(made["stripeCheckoutSessionId"])["event"]
                    if rng.random() < 0.8:  # one webhook in five is lost
                        w = send(http, event)
                        tally.add(f"webhook {w.status_code}")
                    paid.append(made)
            except httpx.HTTPError:
                tally.add(f"transport error on api {which + 1}")

    threads = [threading.Thread(target=client_loop, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    began = time.monotonic()

    def at(second: float) -> None:
        time.sleep(max(0.0, began + second - time.monotonic()))

    at(10)
    alive[0] = False
    os.killpg(apis[0].process.pid, signal.SIGKILL)  # no goodbye: whatever was in flight is lost
    tally.add("fault: api 1 killed")
    at(16)
    stop_postgres(data)
    tally.add("fault: postgres stopped")
    time.sleep(2)
    down = httpx.get(f"{apis[1].url}/ready", timeout=5)
    refused = httpx.get(f"{apis[1].url}/api/public/booking/organisations/{shop.owner.slug}", timeout=15)
    start_postgres(data)
    tally.add("fault: postgres started again")
    up = httpx.get(f"{apis[1].url}/ready", timeout=5)
    at(28)
    redis.kill()
    redis.wait()
    tally.add("fault: redis stopped")
    at(LOAD_SECONDS)
    stop.set()
    for t in threads:
        t.join(timeout=60)

    # refunds through the surviving instance, some partial
    for made in paid[:10]:
        admin.post(
            f"/api/reservations/{made['reservationId']}/refund",
            json={"amount": 100},
            headers=shop.owner.headers,
        )
    # the customers come back to the status page: lost webhooks are healed through the surviving instance
    for made in paid:
        admin.get(
            f"/api/public/booking/organisations/{shop.owner.slug}/checkout-status",
            params={"sessionId": made["stripeCheckoutSessionId"]},
        )
    # time passes for the holds nobody paid: the workers expire them
    sql(
        url,
        "UPDATE reservations SET hold_expires_at = now() - interval '1 minute' WHERE status = 'pending_payment'",
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and sql(url, STALE_HOLDS)[0][0]:
        time.sleep(0.5)

    outcomes = tally.outcomes
    print(f"\nscale-out under faults, {LOAD_SECONDS} s: {dict(sorted(outcomes.items()))}")
    assert sql(url, OVERBOOKED)[0][0] == 0, "a resource is above capacity at some instant"
    assert sql(url, MONEY_WITHOUT_BOOKING)[0][0] == 0, "money is kept without a booking"
    assert sql(url, HALF_WRITTEN)[0][0] == 0, "a reservation holds without allocations"
    assert sql(url, STALE_HOLDS)[0][0] == 0, "a payment hold outlived its end"
    # /ready told the truth, requests failed cleanly while the database was down and succeeded after
    assert (down.status_code, up.status_code) == (503, 200)
    assert refused.status_code == 503
    assert refused.json()["code"] == "SERVICE_UNAVAILABLE"
    assert refused.headers["retry-after"]
    # the service kept serving through every fault
    assert outcomes["reserve 201"] > 20
    assert outcomes["paid reserve 201"] > 10
    assert not [k for k in outcomes if k.split()[-1].startswith("5") and not k.endswith(("503", "502"))], (
        outcomes
    )
    assert all(w.process.poll() is None for w in workers), "a worker died"
    assert "rate limiting is failing open" in apis[1].log()
    after = httpx.get(f"{apis[1].url}/api/public/booking/organisations/{shop.owner.slug}")
    assert after.status_code == 200
