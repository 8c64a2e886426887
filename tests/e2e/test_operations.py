"""Operating the service: request ids, JSON access logs, metrics, CORS, security headers, body limits."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.support.api import with_organisation
from tests.support.servers import Server, base_env, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def edge_server(database_url: str) -> Iterator[Server]:
    srv = Server(base_env(database_url, CORS_ORIGINS="https://widget.example", MAX_BODY_BYTES="4096"))
    yield srv
    srv.stop()


def test_request_ids_are_echoed_and_logged_with_one_access_line(edge_server: Server) -> None:
    with httpx.Client(base_url=edge_server.url) as http:
        mine = http.get("/health", headers={"X-Request-Id": "trace-abc.123"})
        assert mine.headers["x-request-id"] == "trace-abc.123"
        made = http.get("/health").headers["x-request-id"]
        assert len(made) == 32
        junk = http.get("/health", headers={"X-Request-Id": "bad id with spaces"}).headers["x-request-id"]
        assert junk != "bad id with spaces"
        http.get("/no/such/route", headers={"X-Request-Id": "trace-missing"})
    lines = [json.loads(line) for line in edge_server.log().splitlines() if line.startswith("{")]
    access = [entry for entry in lines if entry.get("event") == "access"]
    assert [a for a in access if a.get("request_id") == "trace-abc.123"] == [
        {
            **next(a for a in access if a.get("request_id") == "trace-abc.123"),
            "route": "/health",
            "status": 200,
        }
    ]
    missing = [a for a in access if a.get("request_id") == "trace-missing"]
    assert len(missing) == 1
    assert (missing[0]["route"], missing[0]["status"]) == ("unmatched", 404)
    assert all({"ts", "level", "logger", "message"} <= set(entry) for entry in lines)


def test_metrics_count_requests_reservations_and_limits(edge_server: Server) -> None:
    with httpx.Client(base_url=edge_server.url) as http:
        owner = with_organisation(http)
        rt = owner.resource_type()
        room = owner.resource(rt["id"])
        body = {
            "resourceId": room["id"],
            "startTime": "2031-01-01T10:00:00Z",
            "endTime": "2031-01-01T11:00:00Z",
        }
        owner.ok("POST", "/api/reservations", 201, json=body)
        assert owner.post("/api/reservations", json=body).status_code == 409
        page = http.get("/metrics")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain")
    text = page.text
    assert 'booking_http_requests_total{method="POST",route="/api/reservations",status="201"}' in text
    assert (
        'booking_http_request_duration_seconds_bucket{le="0.1",method="POST",route="/api/reservations"}'
        in text
    )
    assert 'booking_reservations_total{outcome="created",source="staff"}' in text
    assert 'booking_reservations_total{outcome="slot_unavailable",source="staff"}' in text
    for name in (
        "booking_webhook_events_total",
        "booking_rate_limit_rejections_total",
        "booking_holds_expired_total",
        "booking_payments_reconciled_total",
    ):
        assert f"# TYPE {name} counter" in text


def test_cors_for_public_routes_only_and_security_headers(edge_server: Server) -> None:
    widget = {"Origin": "https://widget.example"}
    with httpx.Client(base_url=edge_server.url) as http:
        owner = with_organisation(http)
        public = http.get(f"/api/public/booking/organisations/{owner.slug}", headers=widget)
        assert public.headers["access-control-allow-origin"] == "https://widget.example"
        preflight = http.options(
            f"/api/public/booking/organisations/{owner.slug}/reserve",
            headers=widget
            | {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
        )
        assert preflight.status_code == 204
        assert "POST" in preflight.headers["access-control-allow-methods"]
        stranger = http.get(
            f"/api/public/booking/organisations/{owner.slug}", headers={"Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in stranger.headers
        staff = owner.get("/api/resource-types", headers=widget)
        assert "access-control-allow-origin" not in staff.headers  # staff routes are not for other sites
        assert staff.headers["x-content-type-options"] == "nosniff"
        assert staff.headers["x-frame-options"] == "DENY"
        assert staff.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in staff.headers["content-security-policy"]


def test_bodies_over_the_limit_are_refused(edge_server: Server) -> None:
    with httpx.Client(base_url=edge_server.url) as http:
        big = http.post(
            "/api/auth/register",
            content=b"{" + b" " * 10_000 + b"}",
            headers={"content-type": "application/json"},
        )
    assert big.status_code == 413
    assert big.headers["content-type"].startswith("application/problem+json")
    assert big.json()["code"] == "PAYLOAD_TOO_LARGE"


def test_sigterm_finishes_requests_in_flight_and_refuses_new_ones(database_url: str) -> None:
    """`booking serve --workers 2`: a request waiting on the database when SIGTERM arrives still completes."""
    srv = Server(base_env(database_url), workers=2)
    http = httpx.Client(base_url=srv.url, timeout=30)
    owner = with_organisation(http)
    room = owner.resource(owner.resource_type()["id"])
    release = threading.Event()
    locked = threading.Event()

    async def hold_lock() -> None:  # keeps new reservations waiting until released
        conn = await asyncpg.connect(database_url)
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("LOCK TABLE reservations IN SHARE ROW EXCLUSIVE MODE")
        locked.set()
        while not release.is_set():
            await asyncio.sleep(0.05)
        await transaction.rollback()
        await conn.close()

    locker = threading.Thread(target=lambda: asyncio.run(hold_lock()))
    locker.start()
    assert locked.wait(10)
    answer: dict[str, int] = {}
    body = {"resourceId": room["id"], "startTime": "2031-02-03T10:00:00Z", "endTime": "2031-02-03T11:00:00Z"}
    in_flight = threading.Thread(
        target=lambda: answer.update(status=owner.post("/api/reservations", json=body).status_code)
    )
    in_flight.start()
    time.sleep(0.7)
    os.kill(srv.process.pid, signal.SIGTERM)
    time.sleep(0.7)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{srv.url}/health", timeout=3)
    release.set()
    in_flight.join(30)
    locker.join(30)
    assert answer == {"status": 201}
    assert srv.process.wait(timeout=30) == 0
    srv.stop()
    logs = srv.log()
    assert "Application shutdown complete." in logs
    http.close()


def test_pgbouncer_mode_serves_without_statement_caches_or_startup_parameters(database_url: str) -> None:
    """DB_PGBOUNCER=true: the settings PgBouncer's transaction pooling needs; the whole booking path still works."""
    srv = Server(base_env(database_url, DB_PGBOUNCER="true"))
    try:
        with httpx.Client(base_url=srv.url) as http:
            owner = with_organisation(http)
            rt = owner.resource_type()
            room = owner.resource(rt["id"])
            for hour in (10, 11, 12):
                body = {
                    "resourceId": room["id"],
                    "startTime": f"2031-04-01T{hour}:00:00Z",
                    "endTime": f"2031-04-01T{hour + 1}:00:00Z",
                }
                owner.ok("POST", "/api/reservations", 201, json=body)
            assert owner.post("/api/reservations", json=body).status_code == 409
            found = http.get(
                f"/api/public/booking/organisations/{owner.slug}/availability",
                params={"date": "2031-04-01", "resourceTypeId": rt["id"]},
            )
            assert found.status_code == 200
    finally:
        srv.stop()


PGBOUNCER = shutil.which("pgbouncer")


@pytest.mark.skipif(PGBOUNCER is None, reason="pgbouncer is not installed on this machine")
def test_behind_a_real_pgbouncer_in_transaction_mode(database_url: str, tmp_path: Path) -> None:
    """Transaction pooling: consecutive transactions land on different server connections; bookings,
    reads and the capacity race still behave."""
    url = make_url(database_url)
    socket_dir = url.query.get("host")
    target = f"host={socket_dir}" if socket_dir else f"host={url.host} port={url.port or 5432}"
    port = free_port()
    (tmp_path / "users.txt").write_text(f'"{url.username}" ""\n')
    (tmp_path / "pgbouncer.ini").write_text(
        f"[databases]\n* = {target}\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\n"
        f"auth_type = trust\nauth_file = {tmp_path}/users.txt\npool_mode = transaction\n"
        f"default_pool_size = 4\nmax_client_conn = 200\nunix_socket_dir =\n"
    )
    tmp_path.chmod(0o755)
    # As root, pgbouncer must switch user: to the embedded server's owner when it has to reach its socket.
    owner = pwd.getpwuid(Path(socket_dir).stat().st_uid).pw_name if socket_dir else "nobody"
    user = ["-u", owner] if os.geteuid() == 0 else []
    bouncer = subprocess.Popen(
        [PGBOUNCER, *user, str(tmp_path / "pgbouncer.ini")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(0.5)
        through = f"postgresql://{url.username}@127.0.0.1:{port}/{url.database}"
        srv = Server(base_env(through, DB_PGBOUNCER="true", DB_POOL_SIZE="8"))
        try:
            with httpx.Client(base_url=srv.url, timeout=30) as http:
                owner = with_organisation(http)
                rt = owner.resource_type()
                room = owner.resource(rt["id"])
                body = {
                    "resourceId": room["id"],
                    "startTime": "2031-05-01T10:00:00Z",
                    "endTime": "2031-05-01T11:00:00Z",
                }
                with ThreadPoolExecutor(16) as pool:
                    codes = sorted(
                        pool.map(lambda _: owner.post("/api/reservations", json=body).status_code, range(16))
                    )
                assert codes.count(201) == 1, codes
                assert set(codes) == {201, 409}
                found = http.get(
                    f"/api/public/booking/organisations/{owner.slug}/availability",
                    params={"date": "2031-05-01", "resourceTypeId": rt["id"]},
                )
                assert found.status_code == 200
                assert owner.ok("GET", "/api/reservations")["pagination"]["total"] == 1
        finally:
            srv.stop()
    finally:
        bouncer.terminate()
        bouncer.wait(10)


def test_metrics_add_up_across_worker_processes(database_url: str) -> None:
    srv = Server(base_env(database_url), workers=2)
    try:
        for _ in range(30):
            with httpx.Client(
                base_url=srv.url
            ) as fresh:  # a new connection each time: both workers serve some
                assert fresh.get("/health", headers={"X-Request-Id": "count-me"}).status_code == 200
        pattern = r'booking_http_requests_total\{method="GET",route="/health",status="200"\} ([0-9.]+)'
        seen = {float(re.search(pattern, httpx.get(f"{srv.url}/metrics").text)[1]) for _ in range(6)}  # type: ignore[index]
        assert seen == {30.0}  # whichever worker answers /metrics, it counts every worker's requests
        pids = {
            json.loads(line).get("message")
            for line in srv.log().splitlines()
            if "Started server process" in line
        }
        assert len(pids) == 2
    finally:
        srv.stop()
