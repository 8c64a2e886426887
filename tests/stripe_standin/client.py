"""`StandIn`: starts the stand-in as a subprocess and drives its `/_test` control API (sync httpx)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
Json = dict[str, Any]


class StandIn:
    """``StandIn.start()`` -> a running stand-in; ``.base_url`` for the SDK; ``.stop()`` when done."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, workdir: Path) -> None:
        self.process = process
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self._workdir = workdir
        self._http = httpx.Client(base_url=self.base_url, timeout=10.0)

    @classmethod
    def start(cls, *, timeout: float = 15.0, verbose: bool = False) -> StandIn:
        workdir = Path(tempfile.mkdtemp(prefix="stripe-standin-"))
        port_file, log = workdir / "port", workdir / "server.log"
        command = [sys.executable, "-m", "tests.stripe_standin", "--port", "0", "--port-file", str(port_file)]
        with log.open("wb") as log_handle:
            process = subprocess.Popen(
                [*command, *(["--verbose"] if verbose else [])],
                cwd=REPO_ROOT,
                stdout=log_handle,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            if port_file.exists():
                standin = cls(process, int(port_file.read_text()), workdir)
                if standin._answers():
                    return standin
                standin._http.close()
            time.sleep(0.05)
        process.kill()
        process.wait()
        output = log.read_text(errors="replace")
        shutil.rmtree(workdir, ignore_errors=True)
        raise RuntimeError(f"the Stripe stand-in did not start (exit {process.returncode}):\n{output}")

    def _answers(self) -> bool:
        try:
            return self._http.get("/_test/health").status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        self._http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_addresses(self) -> dict[str, str]:
        """For ``stripe.StripeClient(..., base_addresses=standin.base_addresses)``."""
        return {"api": self.base_url, "connect": self.base_url, "files": self.base_url}

    # control API -------------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Json | None = None, params: Json | None = None) -> Json:
        response = self._http.request(method, path, json=body, params=params)
        if response.status_code != 200:
            raise AssertionError(f"{method} {path} -> {response.status_code}: {response.text}")
        result: Json = response.json()
        return result

    def reset(self) -> None:
        self._call("POST", "/_test/reset")

    def requests(self, path_prefix: str | None = None, method: str | None = None) -> list[Json]:
        """Logged `/v1` calls, oldest first: method, path, query, params (nested), headers, status."""
        query = {key: value for key, value in (("path", path_prefix), ("method", method)) if value}
        logged: list[Json] = self._call("GET", "/_test/requests", params=query)["data"]
        return logged

    def events(self, type_: str | None = None) -> list[Json]:
        """Every event Stripe would have emitted so far (including those from API calls such as refunds)."""
        emitted: list[Json] = self._call("GET", "/_test/events", params={"type": type_} if type_ else None)[
            "data"
        ]
        return emitted

    def object(self, object_id: str) -> Json:
        return self._call("GET", f"/_test/objects/{object_id}")

    def pay(self, session_id: str, payment_status: str = "paid", **body: Any) -> Json:
        """-> {"event": checkout.session.completed, "events": [charge.*, payment_intent.*, that event]}."""
        return self._call(
            "POST", f"/_test/checkout/sessions/{session_id}/pay", {"payment_status": payment_status, **body}
        )

    def async_succeed(self, session_id: str) -> Json:
        return self._call("POST", f"/_test/checkout/sessions/{session_id}/async_succeed", {})

    def async_fail(self, session_id: str) -> Json:
        return self._call("POST", f"/_test/checkout/sessions/{session_id}/async_fail", {})

    def decline(self, session_id: str, **body: Any) -> Json:
        return self._call("POST", f"/_test/checkout/sessions/{session_id}/decline", body)

    def expire(self, session_id: str) -> Json:
        return self._call("POST", f"/_test/checkout/sessions/{session_id}/expire", {})

    def fail_payment_intent(self, intent_id: str, **body: Any) -> Json:
        return self._call("POST", f"/_test/payment_intents/{intent_id}/fail", body)

    def dispute(self, intent_id: str, status: str = "needs_response") -> Json:
        """The bank disputes the intent's charge -> {"event": charge.dispute.created, "events"}."""
        return self._call("POST", f"/_test/payment_intents/{intent_id}/dispute", {"status": status})

    def move_dispute(self, dispute_id: str, status: str) -> Json:
        """-> {"event": charge.dispute.updated, or charge.dispute.closed when won or lost}."""
        return self._call("POST", f"/_test/disputes/{dispute_id}/update", {"status": status})

    def authenticate(self, intent_id: str, succeed: bool = True) -> Json:
        """The customer completes (or fails) 3-D Secure -> {"event": payment_intent.succeeded|payment_failed}."""
        return self._call("POST", f"/_test/payment_intents/{intent_id}/authenticate", {"succeed": succeed})

    def settle_intent(self, intent_id: str, succeed: bool = True) -> Json:
        """A processing payment settles -> {"event": payment_intent.succeeded|payment_failed}."""
        return self._call("POST", f"/_test/payment_intents/{intent_id}/settle", {"succeed": succeed})

    def dashboard_refund(self, intent_id: str, amount: int | None = None, **body: Any) -> Json:
        """A refund made in Stripe's dashboard -> {"event": charge.refunded, "events", "refund"}."""
        return self._call("POST", f"/_test/payment_intents/{intent_id}/refund", {"amount": amount, **body})

    def update_account(self, account_id: str, **flags: Any) -> Json:
        """charges_enabled / payouts_enabled / details_submitted -> {"event": account.updated, ...}."""
        return self._call("POST", f"/_test/accounts/{account_id}/update", flags)

    def enable_account(self, account_id: str) -> Json:
        return self.update_account(
            account_id, charges_enabled=True, payouts_enabled=True, details_submitted=True
        )

    def add_fault(self, path_prefix: str, **spec: Any) -> Json:
        """spec: method, status, count (1), delay_seconds, when (before|after), disconnect, error, headers."""
        return self._call("POST", "/_test/faults", {"path_prefix": path_prefix, **spec})

    def clear_faults(self) -> None:
        self._call("DELETE", "/_test/faults")
