"""Rate limits: per route and client IP where a route names its limit in `opt={"rate_limit": NAME}`, and
per credential (AUTHENTICATED) over every other route a caller reaches with a token or an API key."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

from application.ports import Metrics, RateDecision, RateLimiter
from domain.errors import DomainError
from entrypoints.http.errors import PROBLEM, problem_body

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(scope: Scope, trusted: Sequence[Network]) -> str:
    """The peer's address; behind a trusted proxy, the last X-Forwarded-For hop that is not one."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not trusted or not _is_trusted(peer, trusted):
        return str(peer)
    forwarded = ""
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            forwarded = f"{forwarded},{value.decode('latin-1')}" if forwarded else value.decode("latin-1")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop if _valid(hop) else str(peer)
    return hops[0] if hops and _valid(hops[0]) else str(peer)


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def credential_of(scope: Scope) -> str | None:
    """Who spends an authenticated request: the user of an access token (all of a user's tokens share
    one budget), else the API key (by its hash, never in clear); None without credentials."""
    headers = {k: v for k, v in scope.get("headers", []) if k in (b"authorization", b"x-api-key")}
    key = headers.get(b"x-api-key", b"").strip()
    scheme, _, value = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    if not key and scheme.lower() == "apikey":
        key = value.strip().encode("latin-1")
    if key:
        return "key:" + hashlib.sha256(key).hexdigest()[:32]
    if scheme.lower() != "bearer" or not value.strip():
        return None
    tokens = scope["app"].state.runtime.tokens
    try:
        return f"user:{tokens.subject(value.strip(), datetime.now(UTC))}"
    except DomainError:  # a bad token is refused by the route; its attempts still count, by token
        return "token:" + hashlib.sha256(value.strip().encode("latin-1", "replace")).hexdigest()[:32]


def _headers(decision: RateDecision) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", str(decision.limit).encode()),
        (b"ratelimit-remaining", str(decision.remaining).encode()),
        (b"ratelimit-reset", str(decision.reset_after).encode()),
    ]


class RateLimitMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, limiter: RateLimiter | None, trusted_proxies: Sequence[str], metrics: Metrics) -> None:
        self.limiter = limiter
        self.metrics = metrics
        self.trusted = [ipaddress.ip_network(cidr, strict=False) for cidr in trusted_proxies]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        handler: Any = scope.get("route_handler")
        if self.limiter is None:
            await next_app(scope, receive, send)
            return
        name = handler.opt.get("rate_limit") if handler is not None else None
        client = client_ip(scope, self.trusted)
        if name is None and handler is not None:
            # Routes without a limit of their own: each credential has one budget over all of them.
            credential = credential_of(scope)
            name, client = ("AUTHENTICATED", credential) if credential else (None, client)
        if self.limiter is None or name is None:
            await next_app(scope, receive, send)
            return
        decision = await self.limiter.hit(name, client)
        if not decision.allowed:
            self.metrics.rate_limited(name)
            body = msgspec.json.encode(
                problem_body(
                    429,
                    "RATE_LIMITED",
                    "Too many requests",
                    f"too many requests; try again in {decision.reset_after} s",
                )
            )
            headers = [
                (b"content-type", PROBLEM.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(decision.reset_after).encode()),
                *_headers(decision),
            ]
            start: HTTPResponseStartEvent = {"type": "http.response.start", "status": 429, "headers": headers}
            await send(start)
            end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
            await send(end)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_headers(decision)]
            await send(message)

        await next_app(scope, receive, send_with_headers)
