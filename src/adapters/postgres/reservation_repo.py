"""Reservations and their allocations on PostgreSQL, inside a unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.base import Repository
from adapters.postgres.errors import translated
from adapters.postgres.outbox import PendingEvents
from adapters.postgres.reservation_rows import (
    ALLOCATE,
    INSERT,
    INSERT_NAMES,
    INSERT_POSITIONAL,
    OCCUPANCY,
    insert_values,
    reservation,
    reservation_values,
    usage_of,
)
from adapters.postgres.tables import checkout_sessions as sessions
from adapters.postgres.tables import reservation_allocations as alloc
from adapters.postgres.tables import reservations as res
from application.ports import Page, PageRequest, ReservationFilter, Usage
from domain.allocation import Allocation
from domain.reservation import Reservation

_allocations = (
    select(
        func.json_agg(
            aggregate_order_by(
                func.json_build_array(alloc.c.resource_id, alloc.c.quantity), alloc.c.resource_id
            )
        )
    )
    .where(alloc.c.reservation_id == res.c.id)
    .scalar_subquery()
    .label("allocations")
)
_live = res.c.deleted_at.is_(None)
HOLD_RESOURCES = text(
    """
    SELECT pg_advisory_xact_lock_shared(-1, CAST(rid % 2147483647 AS integer))
      FROM (SELECT resource_id AS rid FROM reservation_allocations WHERE reservation_id = :reservation_id
            UNION SELECT unnest(CAST(:more AS bigint[]))
            ORDER BY 1) AS held
    """
)


class SqlReservations(Repository):
    """Reservations in the unit of work's transaction; the events of each saved change wait in `pending`
    for the commit, which writes them to the outbox first (a rolled-back change writes none)."""

    def __init__(self, conn: AsyncConnection, pending: list[PendingEvents], autocommit: bool = False) -> None:
        super().__init__(conn)
        self.pending = pending
        self.autocommit = autocommit

    async def add(self, reservation_: Reservation, manage_token_hash: str | None = None) -> Reservation:
        """One statement, the only way a reservation is written: the reservation, its allocations over its
        time widened by the buffers, and its events into the outbox. On the pooled connection's driver
        handle: the hottest write skips the SQL-expression layer; the triggers check capacity as it writes."""
        values = insert_values(reservation_, manage_token_hash)
        if self.autocommit:  # the statement is the transaction: on the driver directly
            raw = (await self.conn.get_raw_connection()).driver_connection
            assert raw is not None
            async with translated():
                row = await raw.fetchrow(INSERT_POSITIONAL, *(values[name] for name in INSERT_NAMES))
        else:
            row = await self.row(INSERT, values)
        assert row is not None
        reservation_.events.clear()  # written by the same statement
        allocations = [[a.resource_id, a.quantity] for a in reservation_.allocations]
        return reservation(dict(row) | {"allocations": allocations})

    async def _allocate(
        self, organisation_id: int, reservation_id: int, allocations: list[Allocation]
    ) -> None:
        """Insert allocations occupying the reservation's time widened by its type's buffers."""
        if not allocations:
            return
        await self.execute(
            ALLOCATE,
            {
                "organisation_id": organisation_id,
                "reservation_id": reservation_id,
                "alloc_resources": [a.resource_id for a in allocations],
                "alloc_quantities": [a.quantity for a in allocations],
            },
        )

    def _select(self, include_deleted: bool = False) -> Any:
        query = select(res, _allocations)
        return query if include_deleted else query.where(_live)

    async def get(
        self, organisation_id: int, reservation_id: int, lock: bool = False, include_deleted: bool = False
    ) -> Reservation | None:
        query = self._select(include_deleted).where(
            res.c.organisation_id == organisation_id, res.c.id == reservation_id
        )
        row = await self.row(query.with_for_update(of=res) if lock else query)
        return reservation(row) if row else None

    async def by_manage_token(self, token_hash: str, lock: bool = False) -> Reservation | None:
        query = self._select().where(res.c.manage_token_hash == token_hash)
        row = await self.row(query.with_for_update(of=res) if lock else query)
        return reservation(row) if row else None

    async def by_customer(self, user_id: int, reference: str, lock: bool = False) -> Reservation | None:
        query = self._select().where(res.c.customer_user_id == user_id, res.c.reference == reference)
        row = await self.row(query.with_for_update(of=res) if lock else query)
        return reservation(row) if row else None

    async def of_customer(
        self, user_id: int, statuses: tuple[str, ...], upcoming: bool | None, now: datetime, page: PageRequest
    ) -> Page[Reservation]:
        conditions: list[Any] = [res.c.customer_user_id == user_id, _live]
        if statuses:
            conditions.append(res.c.status.in_(statuses))
        if upcoming is True:
            conditions.append(res.c.end_time > now)
        elif upcoming is False:
            conditions.append(res.c.end_time <= now)
        total = await self.scalar(select(func.count()).select_from(res).where(*conditions))
        ids = (
            select(res.c.id)
            .where(*conditions)
            .order_by(res.c.start_time.desc(), res.c.id.desc())
            .limit(page.limit)
            .offset(page.offset)
            .scalar_subquery()
        )
        rows = await self.rows(
            select(res, _allocations)
            .where(res.c.id.in_(ids))
            .order_by(res.c.start_time.desc(), res.c.id.desc())
        )
        return Page([reservation(r) for r in rows], int(total or 0), page)

    async def by_checkout_session(
        self, session_id: str, lock: bool = False, include_deleted: bool = False
    ) -> Reservation | None:
        # The current session, or any earlier one of the same reservation.
        earlier = select(sessions.c.reservation_id).where(sessions.c.session_id == session_id)
        query = self._select(include_deleted).where(
            or_(res.c.stripe_checkout_session_id == session_id, res.c.id.in_(earlier.scalar_subquery()))
        )
        row = await self.row(query.with_for_update(of=res) if lock else query)
        return reservation(row) if row else None

    async def claim_checkout(
        self, organisation_id: int, reservation_id: int, until: datetime, now: datetime
    ) -> bool:
        claimed = await self.execute(
            update(res)
            .where(
                res.c.organisation_id == organisation_id,
                res.c.id == reservation_id,
                or_(res.c.checkout_claimed_until.is_(None), res.c.checkout_claimed_until <= now),
            )
            .values(checkout_claimed_until=until, checkout_attempt=res.c.checkout_attempt + 1)
        )
        return claimed.rowcount == 1

    async def release_checkout(self, organisation_id: int, reservation_id: int) -> None:
        await self.execute(
            update(res)
            .where(res.c.organisation_id == organisation_id, res.c.id == reservation_id)
            .values(checkout_claimed_until=None)
        )

    async def page(
        self, organisation_id: int, query: ReservationFilter, page: PageRequest
    ) -> Page[Reservation]:
        conditions: list[Any] = [res.c.organisation_id == organisation_id, _live]
        if query.resource_type_id is not None:
            conditions.append(res.c.resource_type_id == query.resource_type_id)
        if query.resource_id is not None:
            conditions.append(
                exists().where(alloc.c.reservation_id == res.c.id, alloc.c.resource_id == query.resource_id)
            )
        if query.statuses:
            conditions.append(res.c.status.in_(query.statuses))
        if query.start_from is not None:
            conditions.append(res.c.end_time > query.start_from)
        if query.end_to is not None:
            conditions.append(res.c.start_time < query.end_to)
        if query.reference is not None:
            conditions.append(res.c.reference == query.reference.upper())
        if query.customer_email is not None:
            conditions.append(func.lower(res.c.customer_email) == query.customer_email.lower())
        total = await self.scalar(select(func.count()).select_from(res).where(*conditions))
        # The page's ids first, so that the allocations subquery runs for the returned rows only.
        ids = (
            select(res.c.id)
            .where(*conditions)
            .order_by(res.c.start_time, res.c.id)
            .limit(page.limit)
            .offset(page.offset)
            .scalar_subquery()
        )
        rows = await self.rows(
            select(res, _allocations).where(res.c.id.in_(ids)).order_by(res.c.start_time, res.c.id)
        )
        return Page([reservation(r) for r in rows], int(total or 0), page)

    async def _hold_resources(self, reservation_id: int, more: Sequence[int] = ()) -> None:
        """The capacity locks of the reservation's resources (and `more`), shared, in id order, before any
        of their allocation rows: the order every writer keeps, so none deadlocks with a capacity change."""
        await self.execute(HOLD_RESOURCES, {"reservation_id": reservation_id, "more": list(more)})

    async def update(self, reservation_: Reservation, reallocate: bool = False) -> Reservation:
        r = reservation_
        if reallocate:  # old allocations go first so the status change never re-checks them
            await self._hold_resources(r.id, [a.resource_id for a in r.allocations])
            await self.execute(
                delete(alloc).where(
                    alloc.c.organisation_id == r.organisation_id, alloc.c.reservation_id == r.id
                )
            )
        values = reservation_values(r)
        await self.execute(
            update(res)
            .where(res.c.organisation_id == r.organisation_id, res.c.id == r.id)
            .values(**values, version=res.c.version + 1, updated_at=func.now())
        )
        if reallocate:
            await self._allocate(r.organisation_id, r.id, r.allocations)
        if r.events:
            self.pending.append(PendingEvents(r.organisation_id, r.id, list(r.events), r))
            r.events.clear()
        saved = await self.get(r.organisation_id, r.id, include_deleted=True)
        assert saved is not None
        return saved

    async def delete(self, organisation_id: int, reservation_id: int, now: datetime) -> None:
        await self._hold_resources(reservation_id)
        await self.execute(
            delete(alloc).where(
                alloc.c.organisation_id == organisation_id, alloc.c.reservation_id == reservation_id
            )
        )
        await self.execute(
            update(res)
            .where(res.c.organisation_id == organisation_id, res.c.id == reservation_id)
            .values(deleted_at=now, updated_at=func.now(), version=res.c.version + 1)
        )

    async def usage(
        self,
        resource_ids: list[int],
        start: datetime,
        end: datetime,
        now: datetime,
        exclude: int | None = None,
    ) -> Usage:
        if not resource_ids:
            return Usage([])
        params = {
            "low": min(resource_ids),
            "high": max(resource_ids),
            "ids": resource_ids,
            "start": start,
            "end": end,
            "exclude": exclude or 0,
        }
        return usage_of(await self.rows(OCCUPANCY, params), now)

    async def locked(self, reservation_ids: list[int]) -> list[Reservation]:
        rows = await self.rows(
            self._select().where(res.c.id.in_(reservation_ids)).order_by(res.c.id).with_for_update(of=res)
        )
        return [reservation(r) for r in rows]

    async def claim_reconcile(
        self, organisation_id: int, reservation_id: int, not_since: datetime, now: datetime
    ) -> bool:
        claimed = await self.execute(
            update(res)
            .where(
                res.c.organisation_id == organisation_id,
                res.c.id == reservation_id,
                or_(res.c.last_reconciled_at.is_(None), res.c.last_reconciled_at < not_since),
            )
            .values(last_reconciled_at=now)
        )
        return claimed.rowcount == 1

    async def set_intent(
        self, organisation_id: int, reservation_id: int, intent_id: str, now: datetime
    ) -> None:
        await self.execute(
            update(res)
            .where(res.c.organisation_id == organisation_id, res.c.id == reservation_id)
            .values(
                stripe_payment_intent_id=intent_id,
                stripe_checkout_session_id=None,  # one attempt at a time: this one is current
                checkout_started_at=now,
                checkout_claimed_until=None,
                updated_at=func.now(),
            )
        )

    async def by_payment_intent(self, intent_id: str, lock: bool = False) -> Reservation | None:
        query = self._select(True).where(res.c.stripe_payment_intent_id == intent_id)
        row = await self.row(query.with_for_update(of=res) if lock else query)
        return reservation(row) if row else None

    async def set_checkout(
        self, organisation_id: int, reservation_id: int, session_id: str, now: datetime
    ) -> None:
        await self.execute(
            update(res)
            .where(res.c.organisation_id == organisation_id, res.c.id == reservation_id)
            .values(
                stripe_checkout_session_id=session_id,
                stripe_payment_intent_id=None,  # one attempt at a time: this one is current
                checkout_started_at=now,
                checkout_claimed_until=None,
                updated_at=func.now(),
            )
        )
        await self.execute(
            insert(sessions)
            .values(session_id=session_id, organisation_id=organisation_id, reservation_id=reservation_id)
            .on_conflict_do_nothing()
        )

    async def lapsed_holds(self, now: datetime, limit: int) -> list[Reservation]:
        ids = (
            select(res.c.id)
            .where(res.c.status == "pending_payment", res.c.hold_expires_at <= now, _live)
            .order_by(res.c.hold_expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = await self.rows(
            self._select().where(res.c.id.in_(ids.scalar_subquery())).with_for_update(of=res)
        )
        return [reservation(r) for r in rows]

    async def claim_pending_payments(
        self, started_before: datetime, not_since: datetime, now: datetime, limit: int
    ) -> list[tuple[int, int]]:
        # Pending payments, and holds that ended without word of a payment: asked once more five minutes
        # after the end (a session paid at the last moment must not keep money without a booking).
        pending = and_(
            res.c.status == "pending_payment",
            res.c.payment_status.in_(("pending", "processing", "failed")),
            or_(res.c.last_reconciled_at.is_(None), res.c.last_reconciled_at < not_since),
        )
        ended = and_(
            res.c.status == "expired",
            res.c.payment_status.in_(("expired", "processing", "failed")),
            res.c.hold_expires_at < now - timedelta(minutes=5),
            or_(
                res.c.last_reconciled_at.is_(None),
                res.c.last_reconciled_at < res.c.hold_expires_at + text("interval '5 minutes'"),
            ),
        )
        # Cancelled (or deleted) holds whose session was not seen to end: until the provider says it
        # expired, a payment may still land on it, and must be refunded.
        abandoned = and_(
            res.c.status == "cancelled",
            res.c.payment_status.in_(("pending", "processing", "failed")),
            or_(res.c.last_reconciled_at.is_(None), res.c.last_reconciled_at < not_since),
        )
        due = (
            select(res.c.id)
            .where(
                res.c.requires_payment,
                or_(
                    res.c.stripe_checkout_session_id.is_not(None), res.c.stripe_payment_intent_id.is_not(None)
                ),
                res.c.checkout_started_at <= started_before,
                or_(pending, and_(ended, _live), abandoned),
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        rows = await self.rows(
            update(res)
            .where(res.c.id.in_(due))
            .values(last_reconciled_at=now)
            .returning(res.c.organisation_id, res.c.id)
        )
        return [(r["organisation_id"], r["id"]) for r in rows]

    async def ended(self, before: datetime, limit: int) -> list[Reservation]:
        ids = (
            select(res.c.id)
            .where(res.c.status == "confirmed", res.c.end_time < before, _live)
            .order_by(res.c.end_time)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        rows = await self.rows(
            self._select().where(res.c.id.in_(ids)).with_for_update(of=res, skip_locked=True)
        )
        return [reservation(r) for r in rows]

    async def has_future_holding(
        self,
        organisation_id: int,
        now: datetime,
        resource_type_id: int | None = None,
        resource_id: int | None = None,
    ) -> bool:
        conditions: list[Any] = [
            alloc.c.organisation_id == organisation_id,
            alloc.c.holding,
            alloc.c.occupied_until > now,
            or_(alloc.c.hold_expires_at.is_(None), alloc.c.hold_expires_at > now),
        ]
        if resource_id is not None:
            conditions.append(alloc.c.resource_id == resource_id)
        if resource_type_id is not None:
            conditions.append(
                exists().where(
                    and_(res.c.id == alloc.c.reservation_id, res.c.resource_type_id == resource_type_id)
                )
            )
        return bool(await self.scalar(select(exists().where(*conditions))))
