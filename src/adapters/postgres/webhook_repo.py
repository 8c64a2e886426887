"""Webhook endpoints and deliveries on PostgreSQL; signing secrets are sealed on the way in, opened on the
way out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.base import Repository
from adapters.postgres.tables import webhook_deliveries as dl
from adapters.postgres.tables import webhook_endpoints as ep
from adapters.security import SecretBox
from application.ports import Page, PageRequest
from application.webhook_ports import PENDING, Delivery
from domain.webhooks import ALL_EVENTS, Endpoint


class SqlWebhookEndpoints(Repository):
    def __init__(self, conn: AsyncConnection, box: SecretBox) -> None:
        super().__init__(conn)
        self.box = box

    def endpoint_of(self, row: Mapping[Any, Any], prefix: str = "") -> Endpoint:
        previous = row[prefix + "previous_secret_sealed"]
        return Endpoint(
            id=row[prefix + "id"],
            organisation_id=row[prefix + "organisation_id"],
            url=row[prefix + "url"],
            events=tuple(row[prefix + "events"]),
            secret=self.box.open(row[prefix + "secret_sealed"]),
            description=row[prefix + "description"],
            enabled=row[prefix + "enabled"],
            previous_secret=self.box.open(previous) if previous else None,
            previous_secret_until=row[prefix + "previous_secret_until"],
            failing_since=row[prefix + "failing_since"],
            created_at=row[prefix + "created_at"],
            updated_at=row[prefix + "updated_at"],
        )

    def _values(self, e: Endpoint) -> dict[str, Any]:
        return {
            "url": e.url,
            "events": list(e.events),
            "description": e.description,
            "enabled": e.enabled,
            "secret_sealed": self.box.seal(e.secret),
            "previous_secret_sealed": self.box.seal(e.previous_secret) if e.previous_secret else None,
            "previous_secret_until": e.previous_secret_until,
            "failing_since": e.failing_since,
        }

    async def add(self, endpoint: Endpoint) -> Endpoint:
        row = await self.row(
            insert(ep)
            .values(organisation_id=endpoint.organisation_id, **self._values(endpoint))
            .returning(ep)
        )
        assert row is not None
        return self.endpoint_of(row)

    async def get(self, organisation_id: int, endpoint_id: int) -> Endpoint | None:
        row = await self.row(
            select(ep).where(ep.c.organisation_id == organisation_id, ep.c.id == endpoint_id)
        )
        return self.endpoint_of(row) if row else None

    async def page(self, organisation_id: int, page: PageRequest) -> Page[Endpoint]:
        query = select(ep).where(ep.c.organisation_id == organisation_id).order_by(ep.c.id)
        rows, total = await self.paged(query, page)
        return Page([self.endpoint_of(r) for r in rows], total, page)

    async def update(self, endpoint: Endpoint) -> Endpoint:
        row = await self.row(
            update(ep)
            .where(ep.c.organisation_id == endpoint.organisation_id, ep.c.id == endpoint.id)
            .values(**self._values(endpoint), updated_at=func.now())
            .returning(ep)
        )
        assert row is not None
        return self.endpoint_of(row)

    async def delete(self, organisation_id: int, endpoint_id: int) -> bool:
        result = await self.execute(
            delete(ep).where(ep.c.organisation_id == organisation_id, ep.c.id == endpoint_id)
        )
        return bool(result.rowcount)

    async def subscribed(self, organisation_id: int, event_type: str) -> list[Endpoint]:
        rows = await self.rows(
            select(ep)
            .where(
                ep.c.organisation_id == organisation_id,
                ep.c.enabled,
                or_(ep.c.events.any_() == event_type, ep.c.events.any_() == ALL_EVENTS),
            )
            .order_by(ep.c.id)
        )
        return [self.endpoint_of(r) for r in rows]

    async def failing(
        self, organisation_id: int, endpoint_id: int, since: datetime | None, disable: bool
    ) -> None:
        values: dict[str, Any] = {"failing_since": since}
        if disable:
            values |= {"enabled": False, "updated_at": func.now()}
        await self.execute(
            update(ep).where(ep.c.organisation_id == organisation_id, ep.c.id == endpoint_id).values(**values)
        )


def _delivery(row: Mapping[Any, Any]) -> Delivery:
    return Delivery(
        id=row["id"],
        organisation_id=row["organisation_id"],
        endpoint_id=row["endpoint_id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        body=bytes(row["body"]),
        attempt=row["attempt"],
        status=row["status"],
        response_status=row["response_status"],
        error=row["error"],
        duration_ms=row["duration_ms"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
    )


class SqlWebhookDeliveries(Repository):
    def __init__(self, conn: AsyncConnection, endpoints: SqlWebhookEndpoints) -> None:
        super().__init__(conn)
        self.endpoints = endpoints

    async def add(self, deliveries: list[Delivery]) -> None:
        if deliveries:
            await self.execute(
                insert(dl),
                [
                    {
                        "organisation_id": d.organisation_id,
                        "endpoint_id": d.endpoint_id,
                        "event_id": d.event_id,
                        "event_type": d.event_type,
                        "body": d.body,
                        "next_attempt_at": d.next_attempt_at,
                    }
                    for d in deliveries
                ],
            )

    async def page(self, organisation_id: int, endpoint_id: int, page: PageRequest) -> Page[Delivery]:
        query = (
            select(dl)
            .where(dl.c.organisation_id == organisation_id, dl.c.endpoint_id == endpoint_id)
            .order_by(dl.c.id.desc())
        )
        rows, total = await self.paged(query, page)
        return Page([_delivery(r) for r in rows], total, page)

    async def get(self, organisation_id: int, endpoint_id: int, delivery_id: int) -> Delivery | None:
        row = await self.row(
            select(dl).where(
                dl.c.organisation_id == organisation_id,
                dl.c.endpoint_id == endpoint_id,
                dl.c.id == delivery_id,
            )
        )
        return _delivery(row) if row else None

    async def claim(self, now: datetime, until: datetime, limit: int) -> list[tuple[Delivery, Endpoint]]:
        due = (
            select(dl.c.id)
            .where(
                dl.c.status == PENDING,
                dl.c.next_attempt_at <= now,
                or_(dl.c.claimed_until.is_(None), dl.c.claimed_until < now),
            )
            .order_by(dl.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        claimed = (
            update(dl)
            .where(dl.c.id.in_(due))
            .values(attempt=dl.c.attempt + 1, claimed_until=until)
            .returning(*dl.c)
            .cte("claimed")
        )
        rows = await self.rows(
            select(claimed, *(c.label(f"e_{c.name}") for c in ep.c)).join(
                ep, and_(ep.c.organisation_id == claimed.c.organisation_id, ep.c.id == claimed.c.endpoint_id)
            )
        )
        return [(_delivery(r), self.endpoints.endpoint_of(r, "e_")) for r in rows]

    async def record(self, delivery: Delivery, now: datetime) -> None:
        await self.execute(
            update(dl)
            .where(dl.c.id == delivery.id)
            .values(
                status=delivery.status,
                response_status=delivery.response_status,
                error=delivery.error,
                duration_ms=delivery.duration_ms,
                next_attempt_at=delivery.next_attempt_at,
                claimed_until=None,
                updated_at=now,
            )
        )

    async def purge(self, before: datetime, limit: int) -> int:
        return await self.purge_finished(dl, before, limit)
