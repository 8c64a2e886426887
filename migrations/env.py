"""Alembic environment: async engine on asyncpg; the URL comes from the caller, never from a file."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.postgres.tables import metadata

config = context.config


def run_sync(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_async() -> None:
    engine = create_async_engine(config.attributes["database_url"], poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(run_sync)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `booking migrate`")
asyncio.run(run_async())
