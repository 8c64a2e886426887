"""Blocks, feed tokens and feed contents, and the import bookkeeping of resources, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, and_, delete, func, insert, literal, or_, select, update

from adapters.postgres.base import Repository
from adapters.postgres.tables import organisations as orgs
from adapters.postgres.tables import reservation_allocations as alloc
from adapters.postgres.tables import reservations as res
from adapters.postgres.tables import resource_blocks as blk
from adapters.postgres.tables import resource_types as rtypes
from adapters.postgres.tables import resources
from application.calendar_ports import FeedBooking, FeedOwner, Fetched, ImportJob
from domain.calendars import IMPORTED, Block

FEED_STATUSES = ("pending", "pending_payment", "confirmed", "completed", "cancelled")


def _block(row: Mapping[Any, Any]) -> Block:
    return Block(
        id=row["id"],
        organisation_id=row["organisation_id"],
        resource_id=row["resource_id"],
        start_time=row["start_time"],
        end_time=row["end_time"],
        reason=row["reason"],
        source=row["source"],
        import_uid=row["import_uid"],
        created_at=row["created_at"],
    )


class SqlBlocks(Repository):
    async def add(self, block: Block) -> Block:
        row = await self.row(
            insert(blk)
            .values(
                organisation_id=block.organisation_id,
                resource_id=block.resource_id,
                start_time=block.start_time,
                end_time=block.end_time,
                reason=block.reason,
                source=block.source,
                import_uid=block.import_uid,
            )
            .returning(blk)
        )
        assert row is not None
        # The whole capacity, through the same guard and exclusion constraint as a booking's allocation.
        await self.execute(
            insert(alloc).from_select(
                ["organisation_id", "block_id", "resource_id", "quantity", "occupied_from", "occupied_until"],
                select(
                    resources.c.organisation_id,
                    literal(row["id"], BigInteger),
                    resources.c.id,
                    resources.c.capacity,
                    literal(block.start_time, DateTime(timezone=True)),
                    literal(block.end_time, DateTime(timezone=True)),
                ).where(
                    resources.c.id == block.resource_id, resources.c.organisation_id == block.organisation_id
                ),
            )
        )
        return _block(row)

    async def of_resource(self, organisation_id: int, resource_id: int, since: datetime) -> list[Block]:
        rows = await self.rows(
            select(blk)
            .where(
                blk.c.organisation_id == organisation_id,
                blk.c.resource_id == resource_id,
                blk.c.end_time > since,
            )
            .order_by(blk.c.start_time, blk.c.id)
            .limit(5000)
        )
        return [_block(r) for r in rows]

    async def delete(self, organisation_id: int, resource_id: int, block_id: int) -> bool:
        done = await self.execute(
            delete(blk).where(
                blk.c.organisation_id == organisation_id,
                blk.c.resource_id == resource_id,
                blk.c.id == block_id,
            )
        )
        return bool(done.rowcount)

    async def imported(self, organisation_id: int, resource_id: int) -> list[Block]:
        rows = await self.rows(
            select(blk).where(
                blk.c.organisation_id == organisation_id,
                blk.c.resource_id == resource_id,
                blk.c.source == IMPORTED,
            )
        )
        return [_block(r) for r in rows]


class SqlFeeds(Repository):
    def _table(self, owner: FeedOwner) -> Any:
        return orgs if owner.resource_id is None else resources

    def _which(self, owner: FeedOwner) -> Any:
        if owner.resource_id is None:
            return orgs.c.id == owner.organisation_id
        return and_(resources.c.organisation_id == owner.organisation_id, resources.c.id == owner.resource_id)

    async def nonce(self, owner: FeedOwner) -> str | None:
        table = self._table(owner)
        value = await self.scalar(select(table.c.feed_nonce).where(self._which(owner)))
        return str(value) if value else None

    async def set_token(self, owner: FeedOwner, nonce: str, token_hash: str) -> None:
        table = self._table(owner)
        await self.execute(
            update(table).where(self._which(owner)).values(feed_nonce=nonce, feed_token_hash=token_hash)
        )

    async def owner_of(self, token_hash: str) -> FeedOwner | None:
        row = await self.row(select(orgs.c.id).where(orgs.c.feed_token_hash == token_hash))
        if row is not None:
            return FeedOwner(row["id"], None)
        row = await self.row(
            select(resources.c.organisation_id, resources.c.id).where(
                resources.c.feed_token_hash == token_hash, resources.c.deleted_at.is_(None)
            )
        )
        return FeedOwner(row["organisation_id"], row["id"]) if row is not None else None

    async def bookings(self, owner: FeedOwner, since: datetime, until: datetime) -> list[FeedBooking]:
        names = (
            select(func.string_agg(resources.c.name, ", ").label("names"))
            .select_from(alloc.join(resources, resources.c.id == alloc.c.resource_id))
            .where(alloc.c.reservation_id == res.c.id)
            .scalar_subquery()
        )
        query = (
            select(res, rtypes.c.name.label("type_name"), names.label("resource_names"))
            .join(rtypes, rtypes.c.id == res.c.resource_type_id)
            .where(
                res.c.organisation_id == owner.organisation_id,
                res.c.deleted_at.is_(None),
                res.c.status.in_(FEED_STATUSES),
                res.c.end_time > since,
                res.c.start_time < until,
            )
            .order_by(res.c.start_time, res.c.id)
            .limit(20_000)
        )
        if owner.resource_id is not None:
            mine = select(alloc.c.reservation_id).where(alloc.c.resource_id == owner.resource_id)
            query = query.where(res.c.id.in_(mine))
        return [
            FeedBooking(
                reference=r["reference"],
                version=r["version"],
                start=r["start_time"],
                end=r["end_time"],
                status=r["status"],
                cancelled_at=r["cancelled_at"],
                type_name=r["type_name"],
                resource_names=r["resource_names"] or "",
                customer_name=r["customer_name"],
                customer_email=r["customer_email"],
                customer_phone=r["customer_phone"],
                updated_at=r["updated_at"],
            )
            for r in await self.rows(query)
        ]


class SqlImports(Repository):
    async def due(self, now: datetime, next_at: datetime, limit: int) -> list[ImportJob]:
        due = (
            select(resources.c.id)
            .where(
                resources.c.ical_import_url.is_not(None),
                resources.c.deleted_at.is_(None),
                or_(resources.c.ical_next_import_at.is_(None), resources.c.ical_next_import_at <= now),
            )
            .order_by(resources.c.ical_next_import_at.nulls_first())
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        claimed = (
            update(resources)
            .where(resources.c.id.in_(due))
            .values(ical_next_import_at=next_at)
            .returning(
                resources.c.id,
                resources.c.organisation_id,
                resources.c.resource_type_id,
                resources.c.ical_import_url,
                resources.c.ical_etag,
                resources.c.ical_last_modified,
            )
            .cte("claimed")
        )
        rows = await self.rows(
            select(
                claimed,
                orgs.c.timezone,
                rtypes.c.booking_unit,
                rtypes.c.check_in_time,
                rtypes.c.check_out_time,
            )
            .join(orgs, orgs.c.id == claimed.c.organisation_id)
            .join(rtypes, rtypes.c.id == claimed.c.resource_type_id)
        )
        return [
            ImportJob(
                organisation_id=r["organisation_id"],
                resource_id=r["id"],
                url=r["ical_import_url"],
                etag=r["ical_etag"],
                last_modified=r["ical_last_modified"],
                timezone=r["timezone"],
                day_times=(r["check_in_time"], r["check_out_time"]) if r["booking_unit"] == "night" else None,
            )
            for r in rows
        ]

    async def record(
        self, resource_id: int, now: datetime, error: str | None, fetched: Fetched | None
    ) -> None:
        values: dict[str, Any] = {"ical_last_import_error": error}
        if fetched is not None:  # read: the time, and the validators for the next conditional request
            values |= {
                "ical_last_import_at": now,
                "ical_etag": fetched.etag,
                "ical_last_modified": fetched.last_modified,
            }
        await self.execute(update(resources).where(resources.c.id == resource_id).values(**values))
