"""Idempotency keys in PostgreSQL, so a retry is recognised by any server process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.errors import translated
from adapters.postgres.tables import idempotency_keys as keys
from application.ports import Claim, StoredResponse

RETENTION = text("interval '24 hours'")


class SqlIdempotencyStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def _where(self, organisation_id: int, scope: str, key: str) -> list[ColumnElement[bool]]:
        return [keys.c.organisation_id == organisation_id, keys.c.scope == scope, keys.c.key == key]

    async def claim(
        self, organisation_id: int, scope: str, key: str, request_hash: str, lease_seconds: int
    ) -> Claim:
        lease = func.now() + func.make_interval(0, 0, 0, 0, 0, 0, lease_seconds)
        where = self._where(organisation_id, scope, key)
        async with translated(), self._engine.begin() as conn:
            # A key older than the retention window is forgotten, as if never used.
            await conn.execute(delete(keys).where(*where, keys.c.created_at < func.now() - RETENTION))
            inserted = await conn.execute(
                pg_insert(keys)
                .values(
                    organisation_id=organisation_id,
                    scope=scope,
                    key=key,
                    request_hash=request_hash,
                    locked_until=lease,
                )
                .on_conflict_do_nothing()
                .returning(keys.c.id)
            )
            if inserted.first() is not None:
                return Claim("new")
            row = (await conn.execute(select(keys).where(*where).with_for_update())).mappings().first()
            if row is None:
                return Claim("in_progress")
            if row["request_hash"] != request_hash:
                return Claim("mismatch")
            if row["response_status"] is not None:
                stored = StoredResponse(
                    row["response_status"], row["response_body"], dict(row["response_headers"] or {})
                )
                return Claim("replay", stored)
            taken = await conn.execute(
                update(keys)
                .where(*where, keys.c.locked_until < func.now())
                .values(locked_until=lease)
                .returning(keys.c.id)
            )
            return Claim("new") if taken.first() is not None else Claim("in_progress")

    async def complete(self, organisation_id: int, scope: str, key: str, response: StoredResponse) -> None:
        async with translated(), self._engine.begin() as conn:
            await conn.execute(
                update(keys)
                .where(*self._where(organisation_id, scope, key))
                .values(
                    response_status=response.status,
                    response_body=response.body,
                    response_headers=response.headers,
                    locked_until=None,
                )
            )

    async def forget_before(self, before: datetime, limit: int) -> int:
        old = select(keys.c.id).where(keys.c.created_at < before).limit(limit).scalar_subquery()
        async with translated(), self._engine.begin() as conn:
            return int((await conn.execute(delete(keys).where(keys.c.id.in_(old)))).rowcount)

    async def release(self, organisation_id: int, scope: str, key: str) -> None:
        async with translated(), self._engine.begin() as conn:
            await conn.execute(
                delete(keys).where(
                    *self._where(organisation_id, scope, key), keys.c.response_status.is_(None)
                )
            )
