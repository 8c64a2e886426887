"""Ports of outgoing webhooks: the endpoints and their deliveries in the store, and the HTTP sender."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from application.ports import Page, PageRequest
from domain.reservation import Reservation
from domain.webhooks import Endpoint

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


@dataclass(frozen=True)
class Delivery:
    """One event on its way to one endpoint: the body signed and sent at each attempt, and how the last
    attempt went."""

    id: int
    organisation_id: int
    endpoint_id: int
    event_id: str  # the webhook-id: stable across retries and redeliveries
    event_type: str
    body: bytes
    attempt: int = 0
    status: str = PENDING
    response_status: int | None = None
    error: str | None = None
    duration_ms: int | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: the receiver's status, or why there was none."""

    status: int | None
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookEndpoints(Protocol):
    async def add(self, endpoint: Endpoint) -> Endpoint: ...
    async def get(self, organisation_id: int, endpoint_id: int) -> Endpoint | None: ...
    async def page(self, organisation_id: int, page: PageRequest) -> Page[Endpoint]: ...
    async def update(self, endpoint: Endpoint) -> Endpoint: ...
    async def delete(self, organisation_id: int, endpoint_id: int) -> bool: ...
    async def subscribed(self, organisation_id: int, event_type: str) -> list[Endpoint]:
        """The organisation's enabled endpoints that want this event type."""
        ...

    async def failing(
        self, organisation_id: int, endpoint_id: int, since: datetime | None, disable: bool
    ) -> None:
        """Failing since then (None: answering again), and switched off when `disable`."""
        ...


class WebhookDeliveries(Protocol):
    async def add(self, deliveries: list[Delivery]) -> None: ...
    async def page(self, organisation_id: int, endpoint_id: int, page: PageRequest) -> Page[Delivery]: ...
    async def get(self, organisation_id: int, endpoint_id: int, delivery_id: int) -> Delivery | None: ...
    async def claim(self, now: datetime, until: datetime, limit: int) -> list[tuple[Delivery, Endpoint]]:
        """Due pending deliveries no other worker holds, each with its attempt counted and held until
        `until`: two workers never send the same attempt."""
        ...

    async def record(self, delivery: Delivery, now: datetime) -> None:
        """The outcome of an attempt (status, response, error, duration, when to try again)."""
        ...

    async def purge(self, before: datetime, limit: int) -> int: ...


class WebhookSender(Protocol):
    async def send(self, url: str, headers: dict[str, str], body: bytes) -> Outcome:
        """POST the body, redirects not followed, at most the timeout; the target's addresses are checked
        after resolution (a refused one is an outcome with an error, not a request)."""
        ...


class TargetCheck(Protocol):
    async def check(self, url: str, field: str = "url") -> None:
        """InvalidInput naming the field when the host resolves to an address outgoing requests refuse."""
        ...


# The staff reservation resource as JSON-ready values: what a webhook's `data.reservation` carries.
ReservationDocument = Callable[[Reservation], dict[str, Any]]
