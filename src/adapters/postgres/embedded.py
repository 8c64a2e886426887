"""The embedded PostgreSQL (pgserver) for development and for tests on a machine without one."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from adapters.postgres.urls import with_database

_SERVERS: dict[Path, Any] = {}


def start_embedded(data_dir: Path, database: str = "booking") -> str:
    """Start (or join) the embedded server in data_dir; the URL of `database`, created if missing."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset; harmless here
        warnings.simplefilter("ignore")
        import pgserver  # imported here: only development and tests need the wheel's binaries

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = _SERVERS.get(data_dir)
    if server is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = pgserver.get_server(data_dir, cleanup_mode="stop")  # type: ignore[attr-defined]
        _SERVERS[data_dir] = server
    if not database.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name {database!r}")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608 - checked above
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return with_database(server.get_uri(), database)
