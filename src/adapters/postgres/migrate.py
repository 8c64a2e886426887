"""Alembic, run programmatically: the only way the schema is created, in tests too."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from adapters.postgres.urls import async_url


def migrations_dir() -> Path:
    """The Alembic folder: $BOOKING_MIGRATIONS_DIR, the source tree's, or ./migrations."""
    configured = os.environ.get("BOOKING_MIGRATIONS_DIR")
    candidates = [Path(configured)] if configured else []
    candidates += [Path(__file__).resolve().parents[3] / "migrations", Path.cwd() / "migrations"]
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("no migrations folder found; set BOOKING_MIGRATIONS_DIR")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["database_url"] = async_url(database_url).render_as_string(hide_password=False)
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (idempotent)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Undo migrations down to `revision`."""
    command.downgrade(alembic_config(database_url), revision)


@dataclass(frozen=True)
class Applied:
    revision: str
    title: str


def current_revision(database_url: str) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    return asyncio.run(_current(database_url))


async def _current(database_url: str) -> str | None:
    url = async_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(url, timeout=10)
    try:
        return await conn.fetchval("SELECT version_num FROM alembic_version")  # type: ignore[no-any-return]
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await conn.close()


def upgrade_reporting(database_url: str) -> tuple[list[Applied], str | None]:
    """Apply every migration still due; what was applied, oldest first, and the revision now reached."""
    before = current_revision(database_url)
    upgrade(database_url)
    script = ScriptDirectory.from_config(alembic_config(database_url))
    head = script.get_current_head()
    due = list(script.iterate_revisions(head, before)) if head != before else []
    applied = [Applied(r.revision, (r.doc or "").strip().splitlines()[0]) for r in reversed(due)]
    return applied, head
