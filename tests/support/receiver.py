"""A webhook receiver on loopback for the tests: answers each POST with the next scripted status (200 once
the script runs out) and keeps every request it was sent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    url: str
    script: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def by_webhook_id(self) -> dict[str, list[Received]]:
        with self.lock:
            found: dict[str, list[Received]] = {}
            for r in self.received:
                found.setdefault(r.headers["webhook-id"], []).append(r)
            return found

    def accepted(self) -> dict[str, Received]:
        """The first 2xx-answered request of each webhook-id: what a deduplicating receiver keeps."""
        with self.lock:
            kept: dict[str, Received] = {}
            for r in self.received:
                if 200 <= r.answered < 300:
                    kept.setdefault(r.headers["webhook-id"], r)
            return kept


@contextmanager
def receiving(script: list[int] | None = None) -> Iterator[Receiver]:
    receiver = Receiver("", list(script or []))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if len(body) < int(self.headers.get("content-length", "0")):
                return  # the sender died mid-request (a killed worker): nothing was delivered or answered
            with receiver.lock:
                status = receiver.script.pop(0) if receiver.script else 200
                receiver.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, status)
                )
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("location", "http://127.0.0.1:9/elsewhere")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
