"""The server under measurement: `booking serve` on a fresh database, as the README starts it."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def fresh_database() -> str:
    """A new database on BENCH_DATABASE_URL's server, else on the embedded PostgreSQL in ./.booking/bench-pg."""
    server = os.environ.get("BENCH_DATABASE_URL")
    if not server:
        from adapters.postgres.embedded import start_embedded

        server = start_embedded(ROOT / ".booking" / "bench-pg", "postgres")
    server = _plain(server)
    name = f"booking_bench_{secrets.token_hex(4)}"

    async def create() -> None:
        conn = await asyncpg.connect(server)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    from adapters.postgres.urls import with_database

    return _plain(with_database(server, name))


class BenchServer:
    def __init__(self, database_url: str, workers: int = 1, extra_env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        env = (
            dict(os.environ)
            | {
                "APP_ENV": "test",
                "DATABASE_URL": database_url,
                "JWT_SECRET": secrets.token_urlsafe(48),
                "RATE_LIMIT_ENABLED": "false",
                "LOG_LEVEL": "WARNING",
                "PUBLIC_BASE_URL": self.url,
            }
            | (extra_env or {})
        )
        self.env = env
        subprocess.run([str(BIN / "booking"), "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
        self.log = (ROOT / ".booking" / "bench-serve.log").open("wb")
        self.process = subprocess.Popen(
            [str(BIN / "booking"), "serve", "--port", str(self.port), "--workers", str(workers)],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the server did not become ready")

    def cpu_seconds(self) -> float:
        """CPU time (user and system) of the server's processes so far: its process group, workers included."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            if int(fields[2]) == self.process.pid:  # its process group: `booking serve` leads its own
                total += int(fields[11]) + int(fields[12])
        return total / tick

    def postgres_version(self) -> str:
        async def version() -> str:
            conn = await asyncpg.connect(self.database_url)
            try:
                return str(await conn.fetchval("SHOW server_version"))
            finally:
                await conn.close()

        return asyncio.run(version()).split()[0]

    def stop(self) -> None:
        import signal

        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        self.log.close()
