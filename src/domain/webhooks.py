"""Outgoing webhooks (API.md section 10): which events an endpoint wants, where it may point, how a
delivery is signed (the Standard Webhooks scheme) and when a failed one is tried again."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from domain.errors import InvalidInput
from domain.events import EVENT_TYPES

ALL_EVENTS = "*"
PING = "ping"
SECRET_PREFIX = "whsec_"
ROTATION_OVERLAP = timedelta(hours=24)  # a rotated secret keeps signing alongside the new one this long
TIMEOUT_SECONDS = 10  # a 2xx within this long is a success
GIVE_UP_AFTER = timedelta(
    days=3
)  # a delivery failing this long is failed; an endpoint failing this long, off
# About 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then every 12 h: the delays after the first, second, ... attempt.
RETRY_DELAYS = tuple(timedelta(seconds=s) for s in (5, 300, 1800, 7200, 18000, 36000))
THEN_EVERY = timedelta(hours=12)
MAX_URL = 2048


@dataclass(frozen=True)
class Endpoint:
    """Where an organisation wants to be told, of which events; `secret` and `previous_secret` in clear
    only inside the process (the store keeps them sealed)."""

    id: int
    organisation_id: int
    url: str
    events: tuple[str, ...]
    secret: str
    description: str | None = None
    enabled: bool = True
    previous_secret: str | None = None
    previous_secret_until: datetime | None = None
    failing_since: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def wants(self, event_type: str) -> bool:
        return self.enabled and (ALL_EVENTS in self.events or event_type in self.events)

    def secrets_at(self, now: datetime) -> list[str]:
        """The secrets that sign now: the current one, and a rotated one during its overlap."""
        keep = self.previous_secret and self.previous_secret_until and now < self.previous_secret_until
        return [self.secret, self.previous_secret] if keep else [self.secret]  # type: ignore[list-item]


def validate_events(events: list[str]) -> tuple[str, ...]:
    """Known event types, or ["*"] for all; each once."""
    if not events:
        raise InvalidInput('name at least one event, or "*" for all', "events")
    unknown = sorted(set(events) - set(EVENT_TYPES) - {ALL_EVENTS})
    if unknown:
        raise InvalidInput(f"unknown event {unknown[0]!r}; see the event types of the API", "events")
    return tuple(sorted(set(events)))


def validate_url(url: str, allow_http: bool, field: str = "url") -> str:
    """An absolute https URL (http outside production) with a host and without credentials."""
    if len(url) > MAX_URL:
        raise InvalidInput(f"a URL of at most {MAX_URL} characters", field)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput("not a URL", field) from exc
    allowed = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in allowed:
        raise InvalidInput("the URL must be https://" + (" or http://" if allow_http else ""), field)
    if not parts.hostname:
        raise InvalidInput("the URL needs a host", field)
    if parts.username or parts.password:
        raise InvalidInput("no credentials in the URL", field)
    if port == 0:
        raise InvalidInput("not a port", field)
    return url


def refused_address(address: str) -> str | None:
    """Why an outgoing request must not go to this IP address (loopback, private, link-local, multicast,
    reserved or unspecified, also when written as an IPv4-mapped or 6to4 IPv6 address), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):  # the IPv4 address an IPv6 form stands for is what is reached
        ip = ip.ipv4_mapped or ip.sixtofour or ip
    for name in ("loopback", "link_local", "multicast", "private", "reserved", "unspecified"):
        if getattr(ip, f"is_{name}"):
            return f"{ip} is a {name.replace('_', '-')} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def new_secret(random_bytes: bytes) -> str:
    return SECRET_PREFIX + base64.b64encode(random_bytes).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` keyed by the secret's decoded bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signatures(secrets: list[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: every signing secret's signature, space-separated."""
    return " ".join(signature(s, message_id, timestamp, body) for s in secrets)


def next_attempt(
    attempts: int, first_attempt: datetime, now: datetime, scale: float = 1.0
) -> datetime | None:
    """When to try again after `attempts` failed attempts, or None: three days of trying are over.
    `scale` shrinks every delay and the three days alike (tests run the schedule in seconds)."""
    delay = RETRY_DELAYS[attempts - 1] if attempts <= len(RETRY_DELAYS) else THEN_EVERY
    at = now + delay * scale
    return at if at <= first_attempt + GIVE_UP_AFTER * scale else None


def gave_up_on(failing_since: datetime | None, now: datetime, scale: float = 1.0) -> bool:
    """Whether an endpoint has answered nothing but failures for three days: it is switched off."""
    return failing_since is not None and now - failing_since >= GIVE_UP_AFTER * scale
