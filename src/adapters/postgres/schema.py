"""Where the database stands: reachable or not, migrated to the code's head revision or not, said in one
line an operator can act on (never with the password of the URL)."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import asyncpg
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.migrate import alembic_config

CURRENT = text("SELECT version_num FROM alembic_version")


def head_revision() -> str | None:
    """The newest migration this code knows; None when the migrations folder is not installed."""
    try:
        return ScriptDirectory.from_config(alembic_config("postgresql://unused/unused")).get_current_head()
    except FileNotFoundError:
        return None


def where(url: str) -> str:
    """host:port/database of a URL, for messages: never the user or password."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    host = parsed.host or parsed.query.get("host") or "localhost"
    return f"{host}:{parsed.port or 5432}/{parsed.database or ''}"


def describe_failure(error: BaseException, url: str) -> str:
    """Why the database at `url` could not be used, in one line."""
    place = where(url)
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve the database host of {place}"
        if isinstance(cause, ConnectionRefusedError):
            return f"the database at {place} refuses connections (is PostgreSQL running there?)"
        if isinstance(cause, TimeoutError):
            return f"the database at {place} did not answer in time"
        if isinstance(cause, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
            return f"the database at {place} refused the user or password of DATABASE_URL"
        if isinstance(cause, asyncpg.InvalidCatalogNameError):
            return f"the database {place} does not exist"
        if isinstance(cause, OSError):
            return f"cannot connect to the database at {place}: {cause.strerror or type(cause).__name__}"
        cause = cause.__cause__ or cause.__context__
    return f"the database at {place} failed: {type(error).__name__}"


@dataclass(frozen=True)
class SchemaState:
    ready: bool
    detail: str  # "up", "down" or "not migrated"


async def schema_state(conn: AsyncConnection, head: str | None) -> SchemaState:
    """One round trip: the migration the database is at, against the code's head."""
    try:
        current = (await conn.execute(CURRENT)).scalar()
    except (DBAPIError, OperationalError, InterfaceError) as exc:
        if "alembic_version" in str(exc.orig):
            return SchemaState(False, "not migrated")
        raise
    if head is not None and current != head:
        return SchemaState(False, "not migrated")
    return SchemaState(True, "up")
