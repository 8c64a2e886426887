"""The outbox on PostgreSQL: events written with the change that caused them, claimed by workers with
SKIP LOCKED, each consumer's outcome recorded per event so that a failing one is retried alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from adapters.postgres.base import Repository
from adapters.postgres.mappers import event_payload
from adapters.postgres.tables import outbox, outbox_consumptions
from application.ports import Consumption, OutboxEvent
from domain.events import ReservationEvent
from domain.reservation import Reservation


@dataclass
class PendingEvents:
    """Events of a saved change, waiting for the unit of work's commit."""

    organisation_id: int
    reservation_id: int
    events: list[ReservationEvent]
    reservation: Reservation


def _event(row: Any) -> OutboxEvent:
    payload = row["payload"]
    return OutboxEvent(
        id=row["id"],
        organisation_id=row["organisation_id"],
        reservation_id=row["reservation_id"],
        type=row["type"],
        payload=json.loads(payload) if isinstance(payload, str | bytes) else dict(payload),
        occurred_at=row["occurred_at"],
    )


class SqlOutbox(Repository):
    async def append(self, pending: list[PendingEvents]) -> None:
        rows = [
            {
                "organisation_id": p.organisation_id,
                "reservation_id": p.reservation_id,
                "type": e.type,
                "payload": event_payload(e, p.reservation),
                "occurred_at": e.occurred_at,
            }
            for p in pending
            for e in p.events
        ]
        if rows:
            await self.execute(insert(outbox), rows)

    async def claim(self, limit: int, now: datetime) -> list[OutboxEvent]:
        """The oldest undispatched events that are due, no other worker holding them; locked until the
        transaction ends."""
        rows = await self.rows(
            select(outbox)
            .where(
                outbox.c.dispatched_at.is_(None), or_(outbox.c.retry_at.is_(None), outbox.c.retry_at <= now)
            )
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_event(r) for r in rows]

    async def consumptions(self, event_id: int) -> dict[str, Consumption]:
        rows = await self.rows(select(outbox_consumptions).where(outbox_consumptions.c.outbox_id == event_id))
        return {r["consumer"]: Consumption(r["attempts"], r["done_at"] is not None) for r in rows}

    async def record(self, event_id: int, consumer: str, now: datetime, error: str | None) -> None:
        values = {"done_at": None if error else now, "last_error": error}
        await self.execute(
            pg_insert(outbox_consumptions)
            .values(outbox_id=event_id, consumer=consumer, attempts=1, **values)
            .on_conflict_do_update(
                index_elements=["outbox_id", "consumer"],
                set_={"attempts": outbox_consumptions.c.attempts + 1, **values},
            )
        )

    async def settle(self, event_id: int, dispatched_at: datetime | None, retry_at: datetime | None) -> None:
        await self.execute(
            update(outbox)
            .where(outbox.c.id == event_id)
            .values(dispatched_at=dispatched_at, retry_at=retry_at)
        )

    async def purge(self, before: datetime, limit: int) -> int:
        old = (
            select(outbox.c.id)
            .where(outbox.c.dispatched_at < before)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        result = await self.execute(delete(outbox).where(outbox.c.id.in_(old)))
        return int(result.rowcount)

    async def undispatched(self) -> int:
        query = select(func.count()).select_from(outbox).where(outbox.c.dispatched_at.is_(None))
        return int(await self.scalar(query) or 0)
