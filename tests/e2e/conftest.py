"""The e2e suite: one migrated database and one `booking serve` process shared by most tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.stripe_standin import StandIn
from tests.support import databases
from tests.support.payments import Shop, connected_shop, stripe_env
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


# Payments: a Stripe stand-in and a server on it, one per test module that asks for them.
@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with StandIn.start() as running:
        yield running


@pytest.fixture(scope="module")
def paid_server(database_url: str, standin: StandIn) -> Iterator[Server]:
    srv = Server(base_env(database_url, **stripe_env(standin)))
    yield srv
    srv.stop()


@pytest.fixture
def http(paid_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=paid_server.url, timeout=30) as client:
        yield client


@pytest.fixture
def shop(http: httpx.Client, standin: StandIn, database_url: str) -> Shop:
    """A connected organisation with a payment-required type (5000 + 2.5 % fee + 19 % tax) and one room."""
    return connected_shop(http, standin, database_url, serviceFeeBps=250, taxBps=1900)
