"""The e2e suite: one migrated database and one `booking serve` process shared by most tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support import databases
from tests.support.servers import Server, base_env, run_cli


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = databases.main_database()
    result = run_cli("migrate", env=base_env(url))
    assert result.returncode == 0, result.stderr
    yield url
    databases.drop_database(url)


@pytest.fixture(scope="session")
def server(database_url: str) -> Iterator[Server]:
    srv = Server(base_env(database_url))
    yield srv
    srv.stop()


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http
