"""The organisation's webhook endpoints: created, listed, changed, removed, their secret rotated, pinged,
their deliveries listed and sent again (API.md section 10)."""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from typing import Any

from application.access import authorize
from application.ports import Clock, Page, PageRequest, UnitOfWork, UnitOfWorkFactory
from application.webhook_ports import Delivery, TargetCheck
from domain.access import WEBHOOKS_READ, WEBHOOKS_WRITE
from domain.errors import Conflict, InvalidInput, NotFound
from domain.identity import Caller
from domain.webhooks import PING, ROTATION_OVERLAP, Endpoint, new_secret, validate_events, validate_url

MAX_ENDPOINTS = 20  # per organisation: each event is sent to each of them
MAX_DESCRIPTION = 500


def _description(value: str | None) -> str | None:
    if value is not None and len(value) > MAX_DESCRIPTION:
        raise InvalidInput(f"a description of at most {MAX_DESCRIPTION} characters", "description")
    return value


class WebhookAdmin:
    """Endpoints of the active organisation, for admins and `webhooks:*` keys. A secret is shown once, when
    it is made; the store keeps it sealed."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, targets: TargetCheck, allow_http: bool) -> None:
        self.uow, self.clock, self.targets, self.allow_http = uow, clock, targets, allow_http

    async def _checked_url(self, url: str) -> str:
        validate_url(url, self.allow_http)
        await self.targets.check(url)
        return url

    async def create(self, caller: Caller, url: str, events: list[str], description: str | None) -> Endpoint:
        organisation_id, _ = authorize(caller, WEBHOOKS_WRITE)
        draft = Endpoint(
            id=0,
            organisation_id=organisation_id,
            url=await self._checked_url(url),
            events=validate_events(events),
            secret=new_secret(secrets.token_bytes(32)),
            description=_description(description),
        )
        async with self.uow() as uow:
            if (await uow.webhook_endpoints.page(organisation_id, PageRequest(1, 1))).total >= MAX_ENDPOINTS:
                raise Conflict(f"an organisation has at most {MAX_ENDPOINTS} webhook endpoints")
            created = await uow.webhook_endpoints.add(draft)
            await uow.commit()
        return created

    async def page(self, caller: Caller, page: PageRequest) -> Page[Endpoint]:
        organisation_id, _ = authorize(caller, WEBHOOKS_READ)
        async with self.uow() as uow:
            return await uow.webhook_endpoints.page(organisation_id, page)

    async def get(self, caller: Caller, endpoint_id: int) -> Endpoint:
        organisation_id, _ = authorize(caller, WEBHOOKS_READ)
        async with self.uow() as uow:
            return await _endpoint(uow, organisation_id, endpoint_id)

    async def update(self, caller: Caller, endpoint_id: int, changes: dict[str, Any]) -> Endpoint:
        organisation_id, _ = authorize(caller, WEBHOOKS_WRITE)
        if "url" in changes:
            changes["url"] = await self._checked_url(changes["url"])
        if "events" in changes:
            changes["events"] = validate_events(changes["events"])
        if "description" in changes:
            changes["description"] = _description(changes["description"])
        if changes.get("enabled"):
            changes["failing_since"] = None  # switched on again: three days of failures count afresh
        async with self.uow() as uow:
            current = await _endpoint(uow, organisation_id, endpoint_id)
            saved = await uow.webhook_endpoints.update(replace(current, **changes))
            await uow.commit()
        return saved

    async def delete(self, caller: Caller, endpoint_id: int) -> None:
        organisation_id, _ = authorize(caller, WEBHOOKS_WRITE)
        async with self.uow() as uow:
            if not await uow.webhook_endpoints.delete(organisation_id, endpoint_id):
                raise NotFound("no such webhook endpoint")
            await uow.commit()

    async def rotate_secret(self, caller: Caller, endpoint_id: int) -> Endpoint:
        """A new secret, shown once; the old one keeps signing alongside for 24 hours."""
        organisation_id, _ = authorize(caller, WEBHOOKS_WRITE)
        now = self.clock.now()
        async with self.uow() as uow:
            current = await _endpoint(uow, organisation_id, endpoint_id)
            rotated = replace(
                current,
                secret=new_secret(secrets.token_bytes(32)),
                previous_secret=current.secret,
                previous_secret_until=now + ROTATION_OVERLAP,
            )
            saved = await uow.webhook_endpoints.update(rotated)
            await uow.commit()
        return saved

    async def ping(self, caller: Caller, endpoint_id: int) -> Delivery:
        """A `ping` event for this endpoint alone, delivered by the worker like any other."""
        organisation_id, _ = authorize(caller, WEBHOOKS_WRITE)
        now = self.clock.now()
        body = {"type": PING, "timestamp": now.isoformat(), "data": {"endpointId": endpoint_id}}
        async with self.uow() as uow:
            await _endpoint(uow, organisation_id, endpoint_id)
            ping = Delivery(
                id=0,
                organisation_id=organisation_id,
                endpoint_id=endpoint_id,
                event_id=f"evt_ping_{secrets.token_hex(12)}",
                event_type=PING,
                body=json.dumps(body, separators=(",", ":")).encode(),
                next_attempt_at=now,
            )
            await uow.webhook_deliveries.add([ping])
            await uow.commit()
        return ping

    async def deliveries(self, caller: Caller, endpoint_id: int, page: PageRequest) -> Page[Delivery]:
        organisation_id, _ = authorize(caller, WEBHOOKS_READ)
        async with self.uow() as uow:
            await _endpoint(uow, organisation_id, endpoint_id)
            return await uow.webhook_deliveries.page(organisation_id, endpoint_id, page)

    async def redeliver(self, caller: Caller, endpoint_id: int, delivery_id: int) -> Delivery:
        """The same event (same webhook-id, same body) sent again as a new delivery, from its first try."""
        organisation_id, _ = authorize(caller, WEBHOOKS_WRITE)
        now = self.clock.now()
        async with self.uow() as uow:
            await _endpoint(uow, organisation_id, endpoint_id)
            found = await uow.webhook_deliveries.get(organisation_id, endpoint_id, delivery_id)
            if found is None:
                raise NotFound("no such delivery")
            again = Delivery(
                id=0,
                organisation_id=organisation_id,
                endpoint_id=endpoint_id,
                event_id=found.event_id,
                event_type=found.event_type,
                body=found.body,
                next_attempt_at=now,
            )
            await uow.webhook_deliveries.add([again])
            await uow.commit()
        return again


async def _endpoint(uow: UnitOfWork, organisation_id: int, endpoint_id: int) -> Endpoint:
    found = await uow.webhook_endpoints.get(organisation_id, endpoint_id)
    if found is None:
        raise NotFound("no such webhook endpoint")
    return found
