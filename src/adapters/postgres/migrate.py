"""Alembic, run programmatically: the only way the schema is created, in tests too."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config

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
