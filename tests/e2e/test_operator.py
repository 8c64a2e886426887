"""What an operator and a newcomer meet (defects 21 to 24): one clear line for every refusal, a server
that says why it is not ready, help for every command, the metrics behind a token, the worker's interval."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import databases
from tests.support.api import WEEK, connect_sandbox, with_organisation
from tests.support.payments import sql, start_at, wait_for
from tests.support.servers import ROOT, Server, base_env, run_cli

pytestmark = pytest.mark.e2e

BAD_URLS = {
    "postgresql://postgres@127.0.0.1:1/booking": "refuses connections",
    "postgresql://postgres@no-such-host.invalid/booking": "cannot resolve the database host",
    "mysql://root@127.0.0.1/booking": "must start with postgresql://",
    "not a url at all": "must start with postgresql://",
}


MALFORMED = ["mysql://root@127.0.0.1/booking", "not a url at all"]
CASES = [(c, u) for c in ("migrate", "demo", "set-commission acme-spa 100") for u in BAD_URLS] + [
    ("serve", u)
    for u in MALFORMED  # unreachable, serve keeps serving, unready: see the next test
]


@pytest.mark.parametrize(("command", "url"), CASES)
def test_a_bad_database_url_is_one_clear_line_and_a_non_zero_exit(command: str, url: str) -> None:
    result = run_cli(*command.split(), env=base_env(url), timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"booking {command.split()[0]}: ")
    assert BAD_URLS[url] in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert "password" not in lines[0].lower() or "user or password" in lines[0]


def test_serve_says_when_the_database_is_unreachable_and_stays_unready() -> None:
    env = base_env("postgresql://postgres@127.0.0.1:1/booking")
    process, log = _start(env)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "refuses connections" not in log.read_text():
            time.sleep(0.2)
        assert "the database at 127.0.0.1:1/booking refuses connections" in log.read_text()
        assert httpx.get(f"http://127.0.0.1:{process.port}/ready").status_code == 503
        assert httpx.get(f"http://127.0.0.1:{process.port}/health").status_code == 200
    finally:
        process.stop()


@pytest.fixture
def unmigrated() -> Iterator[str]:
    url = databases.create_database("booking_unmigrated")
    yield url
    databases.drop_database(url)


def test_serve_on_an_unmigrated_database_says_run_migrate_and_stays_unready(unmigrated: str) -> None:
    process, log = _start(base_env(unmigrated))
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "booking migrate" not in log.read_text():
            time.sleep(0.2)
        assert "is not migrated to this version: run `booking migrate`" in log.read_text()
        ready = httpx.get(f"http://127.0.0.1:{process.port}/ready")
        assert (ready.status_code, ready.json()["database"]) == (503, "not migrated")
        assert run_cli("migrate", env=base_env(unmigrated)).returncode == 0
        assert httpx.get(f"http://127.0.0.1:{process.port}/ready").status_code == 200  # ready once migrated
    finally:
        process.stop()


@pytest.mark.parametrize(
    ("variable", "value"),
    [("RATE_LIMIT_PUBLIC_RESERVE", "many"), ("RATE_LIMIT_NOPE", "1/minute"), ("HOLD_MINUTES", "1440")],
)
def test_serve_refuses_a_malformed_setting_before_serving(
    database_url: str, variable: str, value: str
) -> None:
    result = run_cli("serve", env=base_env(database_url, **{variable: value}), timeout=60)
    assert result.returncode != 0
    assert "Serving on" not in result.stdout
    assert result.stderr.strip().startswith("booking serve: refusing to start: ")
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_says_what_it_applied(unmigrated: str) -> None:
    first = run_cli("migrate", env=base_env(unmigrated))
    assert first.returncode == 0
    assert "Applied 0001: initial schema" in first.stdout
    assert "Applied 0004" in first.stdout
    again = run_cli("migrate", env=base_env(unmigrated))
    assert again.stdout.strip().startswith("Nothing to apply")


def test_every_command_explains_itself() -> None:
    env = base_env("postgresql://unused@127.0.0.1/unused")
    top = run_cli("--help", env=env)
    assert top.returncode == 0
    for command in ("serve", "migrate", "worker", "demo", "set-commission"):
        assert command in top.stdout
        helped = run_cli(command, "--help", env=env)
        assert helped.returncode == 0
        assert "Environment:" in helped.stdout, command
        assert "DATABASE_URL" in helped.stdout, command
    serve = run_cli("serve", "--help", env=env).stdout
    assert "(default: 8000)" in serve
    assert "(default: 1)" in serve
    assert "JWT_SECRET" in serve
    version = run_cli("--version", env=env)
    assert version.returncode == 0
    assert version.stdout.startswith("booking ")


def test_demo_elsewhere_leaves_the_embedded_login_alone(database_url: str, tmp_path: Path) -> None:
    """Defect 22: `booking demo` against another database overwrote ./.booking/demo-credentials.txt."""
    kept = tmp_path / ".booking" / "demo-credentials.txt"
    kept.parent.mkdir()
    kept.write_text("owner@acme-spa.example\nthe-embedded-password\n")
    url = databases.create_database("booking_demo")
    try:
        assert run_cli("migrate", env=base_env(url)).returncode == 0
        shown = run_cli("demo", env=base_env(url), cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        assert "staff login:   owner@acme-spa.example / " in shown.stdout
        assert kept.read_text() == "owner@acme-spa.example\nthe-embedded-password\n"
        refused = run_cli("demo", env=base_env(url, APP_ENV="production"), cwd=tmp_path)
        assert refused.returncode != 0
        assert "production" in refused.stderr
    finally:
        databases.drop_database(url)


def test_metrics_behind_a_token_with_one_charset_and_head(database_url: str) -> None:
    """Defect 21: /metrics was public, repeated its charset and answered HEAD with 405."""
    srv = Server(base_env(database_url, METRICS_TOKEN="metrics-token-of-the-operator"))
    try:
        assert httpx.get(f"{srv.url}/metrics").status_code == 401
        assert httpx.get(f"{srv.url}/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        auth = {"Authorization": "Bearer metrics-token-of-the-operator"}
        page = httpx.get(f"{srv.url}/metrics", headers=auth)
        assert page.status_code == 200
        assert page.headers["content-type"].count("charset") == 1
        assert "booking_http_requests_total" in page.text
        head = httpx.head(f"{srv.url}/metrics", headers=auth)
        assert (head.status_code, head.content) == (200, b"")
    finally:
        srv.stop()


def test_the_in_process_worker_keeps_worker_interval_seconds(database_url: str) -> None:
    """Defect 24: the worker inside `serve` ran every 10 s whatever WORKER_INTERVAL_SECONDS said."""
    srv = Server(base_env(database_url, RUN_WORKER="true", WORKER_INTERVAL_SECONDS="1"))
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as http:
            owner = with_organisation(http)
            connect_sandbox(owner)
            rt = owner.resource_type(weeklyHours=WEEK, paymentRequired=True, priceAmount=3000)
            owner.resource(rt["id"])
            for hour in (10, 12):
                start = start_at(days=9, hour=hour)
                held = http.post(
                    f"/api/public/booking/organisations/{owner.slug}/reserve",
                    json={
                        "resourceTypeId": rt["id"],
                        "startTime": start.isoformat(),
                        "endTime": start.replace(hour=hour + 1).isoformat(),
                        "customerName": "W",
                        "customerEmail": "w@example.com",
                        "customerPhone": "1",
                    },
                ).json()
                lapsed_at = time.monotonic()
                sql(
                    database_url,
                    "UPDATE reservations SET hold_expires_at = now() WHERE id = $1",
                    held["reservationId"],
                )
                wait_for(
                    lambda rid=held["reservationId"]: (
                        owner.ok("GET", f"/api/reservations/{rid}")["status"] == "expired"
                    ),
                    timeout=4,
                )
                assert time.monotonic() - lapsed_at < 4
    finally:
        srv.stop()


class _Started:
    def __init__(self, process: object, port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log

    def stop(self) -> None:
        import os
        import signal

        os.killpg(self.process.pid, signal.SIGTERM)  # type: ignore[attr-defined]
        self.process.wait(timeout=30)  # type: ignore[attr-defined]


def _start(env: dict[str, str]) -> tuple[_Started, Path]:
    """`booking serve` without waiting for /ready (it is not expected to become ready)."""
    import subprocess
    import tempfile

    from tests.support.servers import BIN, free_port

    port = free_port()
    log = Path(tempfile.mkstemp(prefix="booking-unready-", suffix=".log")[1])
    process = subprocess.Popen(
        [str(BIN / "booking"), "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return _Started(process, port, log), log


def test_outside_production_return_pages_on_the_server_itself_are_allowed(
    client: httpx.Client, server: Server
) -> None:
    """Defect 25: with ALLOWED_REDIRECT_HOSTS empty, a successUrl on localhost was refused in development."""
    owner = with_organisation(client)
    connect_sandbox(owner)
    rt = owner.resource_type(weeklyHours=WEEK, paymentRequired=True, priceAmount=3000)
    owner.resource(rt["id"])
    start = start_at(days=11)
    body = {
        "resourceTypeId": rt["id"],
        "startTime": start.isoformat(),
        "endTime": start.replace(hour=start.hour + 1).isoformat(),
        "customerName": "R",
        "customerEmail": "r@example.com",
        "customerPhone": "1",
    }
    path = f"/api/public/booking/organisations/{owner.slug}/reserve"
    made = client.post(
        path, json=body | {"successUrl": f"{server.url}/thanks", "cancelUrl": f"{server.url}/sorry"}
    )
    assert made.status_code == 201, made.text
    elsewhere = client.post(path, json=body | {"successUrl": "https://evil.example/thanks"})
    assert elsewhere.status_code == 400
    assert elsewhere.json()["errors"][0]["field"] == "successUrl"
