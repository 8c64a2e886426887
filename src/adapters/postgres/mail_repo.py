"""The outgoing mail queue and the reminder marks on PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from adapters.postgres.base import Repository
from adapters.postgres.reservation_repo import SqlReservations
from adapters.postgres.tables import outgoing_mail as om
from adapters.postgres.tables import reservations as res
from application.mail_ports import PENDING, OutgoingMail
from domain.notifications import REMINDER_AHEAD, Mail
from domain.reservation import Reservation

HOLDING_STATUSES = ("pending", "pending_payment", "confirmed")


def _mail(row: Mapping[Any, Any]) -> OutgoingMail:
    return OutgoingMail(
        id=row["id"],
        organisation_id=row["organisation_id"],
        reservation_id=row["reservation_id"],
        event_key=row["event_key"],
        kind=Mail(row["kind"]),
        recipient=row["recipient"],
        payload=dict(row["payload"] or {}),
        attempt=row["attempt"],
        status=row["status"],
        error=row["error"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
    )


class SqlMailQueue(Repository):
    async def add(self, mails: list[OutgoingMail]) -> int:
        if not mails:
            return 0
        values = [
            {
                "organisation_id": m.organisation_id,
                "reservation_id": m.reservation_id,
                "event_key": m.event_key,
                "kind": m.kind.value,
                "recipient": m.recipient,
                "payload": m.payload,
                "next_attempt_at": func.now(),
            }
            for m in mails
        ]
        statement = insert(om).values(values).on_conflict_do_nothing(constraint="uq_outgoing_mail_event_key")
        result = await self.execute(statement)
        return int(result.rowcount)

    async def claim(self, now: datetime, until: datetime, limit: int) -> list[OutgoingMail]:
        due = (
            select(om.c.id)
            .where(
                om.c.status == PENDING,
                om.c.next_attempt_at <= now,
                or_(om.c.claimed_until.is_(None), om.c.claimed_until < now),
            )
            .order_by(om.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        rows = await self.rows(
            update(om)
            .where(om.c.id.in_(due))
            .values(attempt=om.c.attempt + 1, claimed_until=until)
            .returning(*om.c)
        )
        return sorted((_mail(r) for r in rows), key=lambda m: m.id)

    async def record(self, mail: OutgoingMail, now: datetime) -> None:
        await self.execute(
            update(om)
            .where(om.c.id == mail.id)
            .values(
                status=mail.status,
                error=mail.error,
                next_attempt_at=mail.next_attempt_at,
                claimed_until=None,
                sent_at=now if mail.status == "sent" else None,
                updated_at=now,
            )
        )

    async def purge(self, before: datetime, limit: int) -> int:
        return await self.purge_finished(om, before, limit)


class SqlReminders(Repository):
    def __init__(self, conn: Any, reservations: SqlReservations) -> None:
        super().__init__(conn)
        self.reservations = reservations

    async def due(self, now: datetime, limit: int) -> list[Reservation]:
        ids = await self.rows(
            select(res.c.id)
            .where(
                res.c.status == "confirmed",
                res.c.deleted_at.is_(None),
                res.c.customer_email.is_not(None),
                res.c.start_time > now,
                res.c.start_time <= now + REMINDER_AHEAD,
                res.c.reminded_for.is_distinct_from(res.c.start_time),
            )
            .order_by(res.c.start_time)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return await self.reservations.locked([r["id"] for r in ids]) if ids else []

    async def mark(self, reservation: Reservation) -> None:
        await self.execute(
            update(res)
            .where(res.c.organisation_id == reservation.organisation_id, res.c.id == reservation.id)
            .values(reminded_for=reservation.start_time)
        )

    async def upcoming_for(
        self, organisation_id: int, email: str, now: datetime, limit: int
    ) -> list[Reservation]:
        ids = await self.rows(
            select(res.c.id)
            .where(
                res.c.organisation_id == organisation_id,
                func.lower(res.c.customer_email) == email.lower(),
                res.c.status.in_(HOLDING_STATUSES),
                res.c.deleted_at.is_(None),
                res.c.end_time > now,
            )
            .order_by(res.c.start_time)
            .limit(limit)
        )
        found = await self.reservations.locked([r["id"] for r in ids]) if ids else []
        return sorted(found, key=lambda r: r.start_time)
