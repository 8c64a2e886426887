"""HTTP front of the Stripe stand-in: auth, request log, faults, idempotency, JSON out.

Run: ``python -m tests.stripe_standin --port 0 --port-file /tmp/port`` (standard library only).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .api import Call, handle_control, handle_v1
from .objects import API_VERSION
from .state import Fault, Replay, Store
from .wire import StripeError, parse_form

FAULT_ERRORS = {
    402: {"type": "card_error", "code": "card_declined", "message": "Your card was declined."},
    409: {
        "type": "invalid_request_error",
        "code": "lock_timeout",
        "message": "This object cannot be accessed "
        "right now because another API request or Stripe process is currently accessing it.",
    },
    429: {"type": "invalid_request_error", "code": "rate_limit", "message": "Request rate limit exceeded."},
}
API_ERROR = {"type": "api_error", "message": "An unknown error occurred (injected by the stand-in)."}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: StandInServer

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        store = self.server.store
        if url.path.startswith("/_test/"):
            body = json.loads(raw) if raw.strip() else dict(parse_form(url.query))
            status, result = handle_control(store, self.command, url.path, body)
            self._send(status, result, {})
            return
        request_id = "req_" + secrets.token_hex(7)
        headers = {key.lower(): value for key, value in self.headers.items()}
        entry: dict[str, Any] = {
            "id": request_id,
            "method": self.command,
            "path": url.path,
            "headers": headers,
            "raw_body": raw,
            "query": {},
            "params": {},
            "status": None,
        }
        with store.lock:
            store.requests.append(entry)
        try:
            entry["query"] = parse_form(url.query)
            form = parse_form(raw) if raw else {}
            entry["params"] = {**entry["query"], **form}
            _authenticate(headers.get("authorization", ""))
            call = Call(self.command, url.path, entry["params"], headers, request_id)
            fault = store.take_fault(self.command, url.path)
            if fault is not None:
                entry["fault"] = fault.id
            if fault is not None and fault.when == "before" and self._apply(fault, entry):
                return
            status, body, extra = _execute(store, call)
            entry["status"] = status
            if fault is not None and fault.when == "after" and self._apply(fault, entry):
                return
        except StripeError as exc:
            status, body, extra = exc.status, exc.payload(request_id), {}
        entry["status"] = status
        entry["replayed"] = "Idempotent-Replayed" in extra
        self._send(status, body, {"Request-Id": request_id, **extra}, headers)

    def _apply(self, fault: Fault, entry: dict[str, Any]) -> bool:
        """Sleeps, then answers with the fault's error or drops the connection; False: answer normally."""
        time.sleep(fault.delay_seconds)
        if fault.disconnect:
            entry["status"] = "disconnected"
            self.close_connection = True
            return True
        if fault.status is None:
            return False
        error = {
            **FAULT_ERRORS.get(
                fault.status,
                API_ERROR
                if fault.status >= 500
                else {"type": "invalid_request_error", "message": "Injected error."},
            ),
            **fault.error,
        }
        entry["status"] = fault.status
        self._send(
            fault.status, {"error": error}, {"Request-Id": entry["id"], **fault.headers}, entry["headers"]
        )
        return True

    def _send(
        self, status: int, body: Any, extra: dict[str, str], request: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body, indent=2).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if request is not None:
                self.send_header("Stripe-Version", request.get("stripe-version", API_VERSION))
                if "idempotency-key" in request:
                    self.send_header("Idempotency-Key", request["idempotency-key"])
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _authenticate(authorization: str) -> None:
    if not authorization:
        raise StripeError(
            401,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        )
    if not re.fullmatch(r"Bearer (sk|rk)_test_\S+", authorization):
        shown = authorization.removeprefix("Bearer ")[:8]
        raise StripeError(401, f"Invalid API Key provided: {shown}***", code="api_key_invalid")


def _execute(store: Store, call: Call) -> tuple[int, Any, dict[str, str]]:
    """Runs the call under the lock, replaying or refusing reused idempotency keys like Stripe."""
    with store.lock:
        key = call.idempotency_key if call.method == "POST" else None
        scope = (call.headers.get("authorization", ""), call.stripe_account or "", key or "")
        fingerprint = (call.method, call.path, json.dumps(call.params, sort_keys=True))
        replay = store.replays.get(scope) if key else None
        if replay is not None:
            if replay.fingerprint != fingerprint:
                raise StripeError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}' if you meant "
                    "to execute a different request.",
                    type_="idempotency_error",
                )
            return (
                replay.status,
                replay.body,
                {"Idempotent-Replayed": "true", "Original-Request": replay.request_id},
            )
        try:
            status, body = handle_v1(store, call)
        except StripeError as exc:
            if key and exc.status == 402:  # Stripe replays a decline like any other answer
                store.replays[scope] = Replay(
                    fingerprint, exc.status, exc.payload(call.request_id), call.request_id
                )
            raise
        if key:
            store.replays[scope] = Replay(fingerprint, status, body, call.request_id)
        return status, body, {}


class StandInServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, verbose: bool = False) -> None:
        super().__init__((host, port), Handler)
        self.store = Store(f"http://{host}:{self.server_address[1]}")
        self.verbose = verbose


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.stripe_standin", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--port-file", help="write the bound port here (atomically) once listening")
    parser.add_argument("--verbose", action="store_true", help="log each HTTP request to stderr")
    args = parser.parse_args(argv)
    server = StandInServer(args.host, args.port, args.verbose)
    port = server.server_address[1]
    if args.port_file:
        tmp = f"{args.port_file}.tmp"
        with open(tmp, "w") as handle:
            handle.write(str(port))
        os.replace(tmp, args.port_file)
    print(f"stripe stand-in listening on http://{args.host}:{port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
