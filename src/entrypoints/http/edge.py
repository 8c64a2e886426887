"""The outermost layer of every request: request id, access log line, metrics, security headers, and CORS
for the public booking routes (booking widgets live on organisations' own sites)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Sequence

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from adapters.metrics import observe_request
from entrypoints.logs import request_id

log = logging.getLogger("booking.access")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
CORS_PREFIXES = ("/api/public/", "/api/payments/stripe/config")
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff")]
NO_REFERRER = (b"referrer-policy", b"no-referrer")
# Pages: no referrer to other sites (their URLs carry manage tokens), but the browser's Origin on our
# own form posts, which the CSRF check reads (under no-referrer a form post says Origin: null).
SAME_ORIGIN_REFERRER = (b"referrer-policy", b"same-origin")
NOT_FRAMED = [(b"x-frame-options", b"DENY"), (b"cross-origin-opener-policy", b"same-origin")]
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
# The web pages: their own scripts and styles only, never inline script.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors {ancestors}"
)
PAGE_PREFIXES = ("/book/", "/manage/", "/static/", "/swagger-ui/", "/widget.js")
FRAMED_PREFIXES = ("/book/", "/manage/")  # the widget shows these in an iframe on organisations' sites
NO_STORE = (b"cache-control", b"no-store")
EXPOSED = (
    b"Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-Id, Idempotent-Replayed"
)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class Edge:
    def __init__(self, app: ASGIApp, cors_origins: Sequence[str], production: bool) -> None:
        self.app = app
        self.cors_origins = set(cors_origins)
        self.production = production
        # Sites that may frame the booking pages: those CORS lets call the public API.
        ancestors = "*" if "*" in self.cors_origins else " ".join(["'self'", *sorted(self.cors_origins)])
        self.framed_csp = (b"content-security-policy", PAGE_POLICY.format(ancestors=ancestors).encode())
        self.page_csp = (b"content-security-policy", PAGE_POLICY.format(ancestors="'none'").encode())
        # Swagger UI sets styles inline: the documentation page alone allows them (still no inline script).
        self.schema_csp = (
            b"content-security-policy",
            PAGE_POLICY.format(ancestors="'none'")
            .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
            .encode(),
        )

    def _cors(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        origin = _header(scope, b"origin")
        path = scope.get("path", "")
        if not origin or not path.startswith(CORS_PREFIXES):
            return []
        if origin not in self.cors_origins and "*" not in self.cors_origins:
            return []
        return [
            (b"access-control-allow-origin", origin.encode()),
            (b"vary", b"Origin"),
            (
                b"access-control-expose-headers",
                EXPOSED,
            ),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        supplied = _header(scope, b"x-request-id")
        rid = supplied if supplied and REQUEST_ID.match(supplied) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        cors = self._cors(scope)
        status = 500
        if scope.get("method") == "OPTIONS" and cors:
            await self._preflight(scope, send, rid, cors)
            request_id.reset(token)
            return

        async def send_wrapped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                headers.extend(SECURITY_HEADERS)
                headers.extend(cors)
                path = scope.get("path", "")
                headers.extend(self._page_headers(path))
                if self.production:
                    headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapped)
        finally:
            elapsed = time.perf_counter() - started
            route = str(scope.get("path_template") or "unmatched")
            method = str(scope.get("method", ""))
            observe_request(method, route, status, elapsed)
            # The route template, never the raw path: paths carry booking and manage tokens.
            log.info(
                "request",
                extra={
                    "fields": {
                        "event": "access",
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    }
                },
            )
            request_id.reset(token)

    def _page_headers(self, path: str) -> list[tuple[bytes, bytes]]:
        if path.startswith("/api/"):
            return [*NOT_FRAMED, NO_REFERRER, API_CSP, NO_STORE]
        if path.startswith(FRAMED_PREFIXES):
            return [SAME_ORIGIN_REFERRER, self.framed_csp]
        if path.startswith(PAGE_PREFIXES):
            return [*NOT_FRAMED, SAME_ORIGIN_REFERRER, self.page_csp]
        if path == "/schema" or path.startswith("/schema/"):
            return [*NOT_FRAMED, NO_REFERRER, self.schema_csp]
        return [*NOT_FRAMED, NO_REFERRER]

    async def _preflight(self, scope: Scope, send: Send, rid: str, cors: list[tuple[bytes, bytes]]) -> None:
        requested = _header(scope, b"access-control-request-headers") or ""
        headers = [
            *cors,
            (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
            (b"access-control-allow-headers", (requested or "Content-Type, Idempotency-Key").encode()),
            (b"access-control-max-age", b"600"),
            (b"x-request-id", rid.encode()),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
