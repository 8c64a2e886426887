"""Single-statement booking writes, each its own transaction, on the pooled raw asyncpg connection."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.base import raw_connection
from adapters.postgres.errors import translated
from adapters.postgres.reservation_repo import SqlReservations
from adapters.postgres.reservation_rows import (
    INSERT_NAMES,
    INSERT_POSITIONAL,
    reservation,
    reservation_values,
)
from domain.reservation import Reservation


class SqlBookingWriter:
    """Single-statement booking writes on an AUTOCOMMIT engine: each statement is its own transaction.

    The insert runs on the raw asyncpg connection of a pooled connection: the hottest write skips the
    SQL-expression layer, and the database's triggers still check capacity as it writes.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, reservation_: Reservation, manage_token_hash: str | None = None) -> Reservation:
        values = reservation_values(reservation_) | {"manage_token_hash": manage_token_hash}
        values["cancellation_policy_snapshot"] = json.dumps(values["cancellation_policy_snapshot"])
        values["alloc_resources"] = [a.resource_id for a in reservation_.allocations]
        values["alloc_quantities"] = [a.quantity for a in reservation_.allocations]
        async with raw_connection(self._engine) as raw:
            row = await raw.fetchrow(INSERT_POSITIONAL, *(values[name] for name in INSERT_NAMES))
        assert row is not None
        allocations = [[a.resource_id, a.quantity] for a in reservation_.allocations]
        return reservation(dict(row) | {"allocations": allocations})

    async def expire_holds(self, reservation_ids: list[int], now: datetime) -> int:
        async with translated(), self._engine.connect() as conn:
            return await SqlReservations(conn).expire_holds(reservation_ids, now)
