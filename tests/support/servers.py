"""The real server process, started the way the README starts it: `booking serve` on a free port."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
JWT_SECRET = secrets.token_urlsafe(48)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RATE_LIMIT_", "STRIPE_", "REDIS_"))}
    env.update(
        APP_ENV="test",
        DATABASE_URL=database_url,
        JWT_SECRET=JWT_SECRET,
        RATE_LIMIT_ENABLED="false",
        PAYMENTS_PROVIDER="sandbox",
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


class Server:
    """A `booking serve` subprocess; its output goes to a log file tests can read."""

    def __init__(
        self, env: Mapping[str, str], workers: int = 1, port: int | None = None, cwd: Path = ROOT
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.mkstemp(prefix="booking-serve-", suffix=".log")[1])
        env = dict(env)
        env.setdefault("PUBLIC_BASE_URL", self.url)
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(BIN / "booking"), "serve", "--port", str(self.port), "--workers", str(workers)],
            cwd=cwd,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"booking serve exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"booking serve did not become ready:\n{self.log()}")

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


def run_cli(
    *args: str, env: Mapping[str, str], timeout: float = 120, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "booking"), *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Worker:
    """A `booking worker` subprocess."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.log_path = Path(tempfile.mkstemp(prefix="booking-worker-", suffix=".log")[1])
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(BIN / "booking"), "worker"],
            cwd=ROOT,
            env=dict(env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)
        self._log.close()


def run_worker(env: Mapping[str, str]) -> Worker:
    return Worker(env)
