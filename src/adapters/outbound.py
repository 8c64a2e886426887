"""Requests the platform makes to addresses its customers name (webhook endpoints, calendar feeds): the
host resolved first and every address checked against API.md section 10's rules, then the request sent to
the checked address itself (no second lookup an attacker could answer differently), redirects not followed."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from application.webhook_ports import Outcome
from domain.errors import InvalidInput
from domain.webhooks import TIMEOUT_SECONDS, refused_address

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """The addresses a host name (or literal) stands for."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Refused(Exception):
    """The target is not one outgoing requests may reach."""


@dataclass(frozen=True)
class Target:
    """A URL pinned to one checked address: where to connect, and what to say the host is."""

    url: str  # with the address in place of the host
    host_header: str
    server_name: str | None  # for TLS: the name the certificate must carry


class OutboundGuard:
    def __init__(self, allow_private: bool, resolver: Resolver = resolve) -> None:
        self.allow_private, self.resolver = allow_private, resolver

    async def pin(self, url: str) -> Target:
        """Resolve the URL's host and pin it to an allowed address; Refused with the reason otherwise."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = await self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise Refused(f"{host} does not resolve") from exc
        if not addresses:
            raise Refused(f"{host} does not resolve")
        if not self.allow_private:
            for address in addresses:
                why = refused_address(address)
                if why:
                    raise Refused(f"{host} resolves to {why}; outgoing requests go to public addresses only")
        address = addresses[0]
        literal = f"[{address}]" if ":" in address else address
        netloc = f"{literal}:{parts.port}" if parts.port else literal
        pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        host_header = parts.netloc.rsplit("@", 1)[-1]
        return Target(pinned, host_header, host if parts.scheme == "https" else None)

    async def check(self, url: str, field: str = "url") -> None:
        """The TargetCheck port: InvalidInput naming the field for a refused or unresolvable target."""
        try:
            await self.pin(url)
        except Refused as exc:
            raise InvalidInput(str(exc), field) from exc


class HttpWebhookSender:
    """POSTs with the guard's checks at each delivery; one pooled client for every endpoint."""

    def __init__(self, guard: OutboundGuard, timeout: float = TIMEOUT_SECONDS) -> None:
        self.guard = guard
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False, limits=httpx.Limits(max_connections=64)
        )

    async def send(self, url: str, headers: dict[str, str], body: bytes) -> Outcome:
        began = time.perf_counter()

        def took() -> int:
            return int((time.perf_counter() - began) * 1000)

        try:
            target = await self.guard.pin(url)
        except Refused as exc:
            return Outcome(None, str(exc), took())
        extensions = {"sni_hostname": target.server_name} if target.server_name else {}
        try:
            async with self.client.stream(
                "POST",
                target.url,
                content=body,
                headers=headers | {"host": target.host_header},
                extensions=extensions,
            ) as response:
                status = response.status_code  # the body is not read: only the status counts
        except httpx.TimeoutException:
            return Outcome(None, f"no answer within {TIMEOUT_SECONDS} s", took())
        except httpx.HTTPError as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__, took())
        error = None
        if 300 <= status < 400:
            error = "redirects are not followed"
        elif not 200 <= status < 300:
            error = f"answered {status}"
        return Outcome(status, error, took())

    async def close(self) -> None:
        await self.client.aclose()
