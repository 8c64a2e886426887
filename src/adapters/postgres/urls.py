"""Database URLs as users write them, turned into what each driver wants."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url


def async_url(url: str) -> URL:
    """postgresql://… or postgres://… as a SQLAlchemy URL on the asyncpg driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.get_backend_name() != "postgresql":
        raise ValueError("DATABASE_URL must be a postgresql:// URL")
    return parsed.set(drivername="postgresql+asyncpg")


def with_database(url: str, database: str) -> str:
    """The same server with another database name."""
    return async_url(url).set(database=database).render_as_string(hide_password=False)
