"""What every repository shares: one connection, statements run with errors translated."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import Executable, RowMapping, delete, func, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Select

from adapters.postgres.errors import translated
from application.ports import PageRequest


@asynccontextmanager
async def raw_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection's asyncpg handle for the hot paths; on any failure the connection is dropped
    from the pool rather than handed to the next request in an unknown state."""
    async with translated(), engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        try:
            yield raw
        except BaseException:
            await conn.invalidate()
            raise


class Repository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def execute(self, statement: Executable, params: Any = None) -> CursorResult[Any]:
        async with translated():
            return await self.conn.execute(statement, params)

    async def rows(self, statement: Executable, params: Any = None) -> Sequence[RowMapping]:
        return (await self.execute(statement, params)).mappings().all()

    async def row(self, statement: Executable, params: Any = None) -> RowMapping | None:
        return (await self.execute(statement, params)).mappings().first()

    async def scalar(self, statement: Executable, params: Any = None) -> Any:
        return (await self.execute(statement, params)).scalar()

    async def purge_finished(self, table: Any, before: Any, limit: int) -> int:
        """Delete up to `limit` rows of a send queue that finished (not pending) before `before`."""
        old = (
            select(table.c.id)
            .where(table.c.status != "pending", table.c.updated_at < before)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        result = await self.execute(delete(table).where(table.c.id.in_(old)))
        return int(result.rowcount)

    async def paged(self, query: Select[Any], page: PageRequest) -> tuple[Sequence[RowMapping], int]:
        """One page of a query and the total it would return unpaged."""
        total = await self.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        rows = await self.rows(query.limit(page.limit).offset(page.offset))
        return rows, int(total or 0)
