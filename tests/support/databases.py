"""PostgreSQL for the tests: TEST_DATABASE_URL's server when set, else the embedded one in ./.booking."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[2]


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def server_url() -> str:
    """A URL on the server tests create their databases on."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        return _plain(configured)
    from adapters.postgres.embedded import start_embedded

    return _plain(start_embedded(ROOT / ".booking" / "test-pg", "postgres"))


def _with_db(url: str, name: str) -> str:
    from adapters.postgres.urls import with_database

    return _plain(with_database(url, name))


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(_plain(url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def create_database(prefix: str = "booking_test") -> str:
    """A new empty database on the test server; its URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    base = server_url()
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
    return _with_db(base, name)


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    asyncio.run(_admin(server_url(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main_database() -> str:
    """A fresh database for this run of the e2e suite."""
    return create_database()


def stop_embedded(data_dir: Path, timeout: float = 20) -> None:
    """Fast shutdown of an embedded PostgreSQL left by a server process (its postmaster.pid names it)."""
    import os
    import signal
    import time

    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().splitlines()[0])
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
