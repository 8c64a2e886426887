"""The README's curl walk-throughs, run as a newcomer would, twice in a row, against `booking serve` on a
fresh database with the demo seeded (defect 25: they failed the second time, and the paid example's
cancellation refunded nothing whenever it ran after 09:00 UTC)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from tests.support import databases
from tests.support.servers import ROOT, Server, base_env, run_cli

pytestmark = pytest.mark.e2e


def blocks(heading: str) -> str:
    """The first ```sh block under a README heading."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(heading) :]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, f"no sh block under {heading!r}"
    return match.group(1)


@pytest.fixture(scope="module")
def demo() -> Iterator[Server]:
    url = databases.create_database("booking_readme")
    env = base_env(url, RUN_WORKER="true")  # as `make run` does: the jobs and the mail run in-process
    assert run_cli("migrate", env=env).returncode == 0
    srv = Server(env)
    seeded = run_cli("demo", env=env | {"PUBLIC_BASE_URL": srv.url})
    assert seeded.returncode == 0, seeded.stderr
    yield srv
    srv.stop()
    databases.drop_database(url)


def run(script: str, server: Server) -> str:
    assert shutil.which("curl"), "curl is needed to run the README"
    script = script.replace("B=http://localhost:8000", f"B={server.url}")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def json_lines(output: str) -> list[dict[str, object]]:
    """Every JSON object curl printed (its bodies end without a newline, so they run together)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while (at := output.find("{", at)) != -1:
        try:
            value, end = decoder.raw_decode(output, at)
        except json.JSONDecodeError:
            at += 1
            continue
        found.append(value)
        at = end
    return found


def test_the_staff_walk_through_runs_twice(demo: Server) -> None:
    script = blocks("## The staff API in five minutes")
    for _ in range(2):
        out = json_lines(run(script, demo))
        codes = [o.get("code") for o in out]
        assert "SLOT_UNAVAILABLE" in codes
        assert any(o.get("status") == "confirmed" for o in out)
        listed = next(o for o in out if "pagination" in o)
        assert listed["pagination"]["total"] == 1  # type: ignore[index]
        assert any(str(o.get("key", "")).startswith("bk_") for o in out)


def test_the_paid_walk_through_runs_twice_and_refunds_in_full(demo: Server) -> None:
    script = blocks("## A paid booking from the public page")
    for _ in range(2):
        printed = run(script, demo)
        assert re.search(r"booking [A-Z0-9-]+ confirmed", printed), printed  # the e-mail, at /dev/mail
        out = json_lines(printed)
        held = next(o for o in out if "checkoutUrl" in o)
        assert held["status"] == "pending_payment"
        status = next(o for o in out if "canRetryPayment" in o)
        assert (status["status"], status["paymentStatus"]) == ("confirmed", "succeeded")
        cancelled = out[-1]
        refund = cancelled["refund"]
        assert refund["eligible"] is True  # type: ignore[index]
        assert refund["amount"] > 0  # type: ignore[index]
        assert cancelled["reservation"]["status"] == "cancelled"  # type: ignore[index]


def test_the_stay_walk_through_runs_twice_quotes_nights_and_moves_the_stay(demo: Server) -> None:
    script = blocks("## A villa by the night")
    for _ in range(2):
        out = json_lines(run(script, demo))
        month = next(o for o in out if "days" in o and isinstance(o["days"], list))
        assert [d["available"] for d in month["days"]] == [True] * 4  # type: ignore[index, union-attr]
        quote = next(o for o in out if "units" in o)
        assert (quote["units"], quote["subtotal"], quote["taxes"], quote["total"]) == (
            3,
            54_000,
            3240,
            57_240,
        )
        booked = next(o for o in out if "manageToken" in o)
        assert (booked["status"], booked["quotedAmount"]) == ("confirmed", 57_240)
        assert any(o.get("code") == "OUTSIDE_BOOKING_WINDOW" for o in out)
        moved = out[-1]["reservation"]
        assert (moved["nights"], moved["version"]) == (3, 2)  # type: ignore[index]
        assert moved["checkIn"] == str(date.today() + timedelta(days=37))  # type: ignore[index]


def test_the_notifications_walk_through_blocks_feeds_and_logs_deliveries(demo: Server) -> None:
    script = blocks("## Telling people")
    for _ in range(2):
        printed = run(script, demo)
        out = json_lines(printed)
        assert any(str(o.get("secret", "")).startswith("whsec_") for o in out)
        block = next(o for o in out if o.get("source") == "manual")
        assert block["reason"] == "antifouling"
        refused = next(o for o in out if o.get("code") == "SLOT_UNAVAILABLE")
        assert refused["status"] == 409
        booked = next(o for o in out if o.get("status") == "confirmed")
        assert (
            f"SUMMARY:Segelboot {booked['reference']}\\, Jo" in printed
        )  # the feed lists it (RFC 5545 escapes the comma)
        assert "DTSTART:" in printed
        endpoints = next(o for o in out if "pagination" in o)
        assert endpoints["data"][0]["description"] == "our CRM"  # type: ignore[index]


def test_the_saved_card_walk_through_runs_twice_declined_then_3d_secure(demo: Server) -> None:
    script = blocks("The sandbox provider of `make run` keeps cards too")
    for _ in range(2):
        printed = run(script, demo)
        out = json_lines(printed)
        listed = next(o for o in out if "data" in o and "pagination" not in o)
        assert sorted(c["last4"] for c in listed["data"]) == ["0002", "3184"]  # type: ignore[union-attr, index]
        declined = next(o for o in out if "reservationId" in o)
        assert declined["paymentData"]["status"] == "requires_payment_method"  # type: ignore[index]
        asked = next(o for o in out if o.get("paymentData", {}).get("status") == "requires_action")  # type: ignore[union-attr]
        assert "nextActionUrl" in asked["paymentData"]  # type: ignore[operator]
        assert "back to: " in printed
        assert "payment_intent=pi_sandbox_" in printed
        mine = out[-1]
        assert (mine["status"], mine["paymentStatus"]) == ("confirmed", "succeeded")
