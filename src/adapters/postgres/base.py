"""What every repository shares: one connection, statements run with errors translated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, RowMapping, func, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from adapters.postgres.errors import translated
from application.ports import PageRequest


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

    async def paged(self, query: Select[Any], page: PageRequest) -> tuple[Sequence[RowMapping], int]:
        """One page of a query and the total it would return unpaged."""
        total = await self.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        rows = await self.rows(query.limit(page.limit).offset(page.offset))
        return rows, int(total or 0)
