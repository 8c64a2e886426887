"""Webhook endpoints and deliveries as the database would keep them, and a receiver that can fail."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from application.ports import Page, PageRequest
from application.webhook_ports import PENDING, Delivery, Outcome
from domain.webhooks import ALL_EVENTS, Endpoint


@dataclass
class WebhookWorld:
    endpoints: dict[int, Endpoint] = field(default_factory=dict)
    deliveries: dict[int, Delivery] = field(default_factory=dict)
    claimed: dict[int, datetime] = field(default_factory=dict)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


class FakeWebhookEndpoints:
    def __init__(self, world: Any) -> None:
        self.w: WebhookWorld = world.webhooks

    async def add(self, endpoint: Endpoint) -> Endpoint:
        made = replace(endpoint, id=self.w.new_id())
        self.w.endpoints[made.id] = made
        return made

    async def get(self, organisation_id: int, endpoint_id: int) -> Endpoint | None:
        found = self.w.endpoints.get(endpoint_id)
        return found if found and found.organisation_id == organisation_id else None

    async def page(self, organisation_id: int, page: PageRequest) -> Page[Endpoint]:
        mine = [e for e in self.w.endpoints.values() if e.organisation_id == organisation_id]
        return Page(mine[page.offset : page.offset + page.limit], len(mine), page)

    async def update(self, endpoint: Endpoint) -> Endpoint:
        self.w.endpoints[endpoint.id] = endpoint
        return endpoint

    async def delete(self, organisation_id: int, endpoint_id: int) -> bool:
        if await self.get(organisation_id, endpoint_id) is None:
            return False
        del self.w.endpoints[endpoint_id]
        return True

    async def subscribed(self, organisation_id: int, event_type: str) -> list[Endpoint]:
        return [
            e
            for e in self.w.endpoints.values()
            if e.organisation_id == organisation_id
            and e.enabled
            and (event_type in e.events or ALL_EVENTS in e.events)
        ]

    async def failing(
        self, organisation_id: int, endpoint_id: int, since: datetime | None, disable: bool
    ) -> None:
        e = self.w.endpoints[endpoint_id]
        self.w.endpoints[endpoint_id] = replace(e, failing_since=since, enabled=e.enabled and not disable)


class FakeWebhookDeliveries:
    def __init__(self, world: Any, now: Any) -> None:
        self.w: WebhookWorld = world.webhooks
        self.now = now

    async def add(self, deliveries: list[Delivery]) -> None:
        for d in deliveries:
            made = replace(d, id=self.w.new_id(), created_at=d.created_at or self.now())
            self.w.deliveries[made.id] = made

    async def page(self, organisation_id: int, endpoint_id: int, page: PageRequest) -> Page[Delivery]:
        mine = [
            d
            for d in sorted(self.w.deliveries.values(), key=lambda d: -d.id)
            if d.organisation_id == organisation_id and d.endpoint_id == endpoint_id
        ]
        return Page(mine[page.offset : page.offset + page.limit], len(mine), page)

    async def get(self, organisation_id: int, endpoint_id: int, delivery_id: int) -> Delivery | None:
        d = self.w.deliveries.get(delivery_id)
        return d if d and (d.organisation_id, d.endpoint_id) == (organisation_id, endpoint_id) else None

    async def claim(self, now: datetime, until: datetime, limit: int) -> list[tuple[Delivery, Endpoint]]:
        due = [
            d
            for d in self.w.deliveries.values()
            if d.status == PENDING
            and d.next_attempt_at is not None
            and d.next_attempt_at <= now
            and self.w.claimed.get(d.id, now) <= now
        ][:limit]
        claimed = []
        for d in due:
            counted = replace(d, attempt=d.attempt + 1)
            self.w.deliveries[d.id] = counted
            self.w.claimed[d.id] = until
            claimed.append((counted, self.w.endpoints[d.endpoint_id]))
        return claimed

    async def record(self, delivery: Delivery, now: datetime) -> None:
        self.w.deliveries[delivery.id] = delivery
        self.w.claimed.pop(delivery.id, None)

    async def purge(self, before: datetime, limit: int) -> int:
        return 0


@dataclass
class FakeReceiver:
    """Answers each POST with the next scripted status (then 200), and keeps what it was sent."""

    script: list[int | None] = field(default_factory=list)
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    async def send(self, url: str, headers: dict[str, str], body: bytes) -> Outcome:
        self.received.append((url, headers, body))
        status = self.script.pop(0) if self.script else 200
        if status is None:
            return Outcome(None, "no answer within 10 s", 10_000)
        return Outcome(status, None if 200 <= status < 300 else f"answered {status}", 3)
