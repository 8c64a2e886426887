"""The foundation: migrations up and down, the schema's own guarantees, and the embedded default."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import asyncpg
import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.postgres.tables import metadata
from tests.support import databases
from tests.support.servers import Server, base_env, run_cli

pytestmark = pytest.mark.e2e


def tables(url: str) -> set[str]:
    async def fetch() -> set[str]:
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return {r["tablename"] for r in rows}
        finally:
            await conn.close()

    return asyncio.run(fetch())


EXPECTED = {
    "users",
    "organisations",
    "memberships",
    "api_keys",
    "refresh_tokens",
    "resource_types",
    "resources",
    "reservations",
    "reservation_allocations",
    "payments",
    "refunds",
    "processed_webhook_events",
    "idempotency_keys",
}


@pytest.fixture
def scratch() -> str:
    url = databases.create_database("booking_migrations")
    yield url
    databases.drop_database(url)


def test_migrations_upgrade_from_empty_downgrade_to_empty_and_upgrade_again(scratch: str) -> None:
    env = base_env(scratch)
    assert run_cli("migrate", env=env).returncode == 0
    assert tables(scratch) >= EXPECTED
    from adapters.postgres.migrate import downgrade, upgrade

    downgrade(scratch, "base")
    assert tables(scratch) <= {"alembic_version"}
    upgrade(scratch)
    assert tables(scratch) >= EXPECTED
    # idempotent: a second migrate changes nothing and succeeds
    assert run_cli("migrate", env=env).returncode == 0


# Created by raw DDL in the migration (GiST over expressions); the query tables need not declare them.
RAW_DDL = {"ix_reservation_allocations_holding_window"}


def _not_raw(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return name not in RAW_DDL


def test_the_query_tables_match_the_migrated_schema(scratch: str) -> None:
    from adapters.postgres.migrate import upgrade

    upgrade(scratch)

    async def diff() -> list[object]:
        engine = create_async_engine(scratch.replace("postgresql://", "postgresql+asyncpg://", 1))
        async with engine.connect() as conn:
            result = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"include_object": _not_raw}), metadata
                )
            )
        await engine.dispose()
        return result

    assert asyncio.run(diff()) == []


def test_every_timestamp_is_timestamptz(database_url: str) -> None:
    async def fetch() -> list[str]:
        conn = await asyncpg.connect(database_url)
        try:
            rows = await conn.fetch(
                "SELECT table_name || '.' || column_name AS c FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type = 'timestamp without time zone'"
            )
            return [r["c"] for r in rows]
        finally:
            await conn.close()

    assert asyncio.run(fetch()) == []


def test_embedded_default_serves_health_ready_schema_and_the_demo(tmp_path: Path) -> None:
    env = {k: v for k, v in base_env("").items() if k not in ("DATABASE_URL", "JWT_SECRET")}
    env["APP_ENV"] = "development"
    srv = Server(env, cwd=tmp_path)
    try:
        assert httpx.get(f"{srv.url}/health").status_code == 200
        assert httpx.get(f"{srv.url}/ready").json()["database"] == "up"
        spec = httpx.get(f"{srv.url}/schema/openapi.json").json()
        assert "/api/reservations" in spec["paths"]
        assert httpx.get(f"{srv.url}/schema").status_code == 200
        out = srv.log()
        match = re.search(r"staff login:\s+(\S+) / (\S+)", out)
        assert match, out
        first = next(line for line in out.splitlines() if line.startswith(("Booking page", "Demo")))
        assert first == f"Booking page:    {srv.url}/book/acme-spa"  # what a newcomer opens first
        assert httpx.get(f"{srv.url}/book/acme-spa").status_code == 200
        assert f"{srv.url}/schema" in out
        login = httpx.post(f"{srv.url}/api/auth/login", json={"email": match[1], "password": match[2]})
        assert login.status_code == 200, login.text
        token = login.json()["accessToken"]
        orgs = httpx.get(f"{srv.url}/api/organisations", headers={"Authorization": f"Bearer {token}"}).json()
        assert [o["slug"] for o in orgs["data"]] == ["acme-spa"]
        assert (tmp_path / ".booking" / "pgdata").is_dir()
    finally:
        srv.stop()
    # a second start reuses the data and seeds nothing twice
    srv = Server(env, cwd=tmp_path)
    try:
        assert "(already seeded)" in srv.log()
    finally:
        srv.stop()
        databases.stop_embedded(tmp_path / ".booking" / "pgdata")


def test_production_refuses_weak_or_missing_secrets_all_at_once() -> None:
    env = base_env("postgresql://postgres@127.0.0.1:1/none", APP_ENV="production", JWT_SECRET="short")
    del env["PAYMENTS_PROVIDER"]
    result = run_cli("serve", env=env)
    assert result.returncode != 0
    line = result.stderr.strip()
    assert "\n" not in line
    assert "Traceback" not in line
    for missing in ("JWT_SECRET", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "METRICS_TOKEN"):
        assert missing in line, missing  # every refusal named in one go, the Stripe key by its name
    # migrate needs none of them: it reaches the database (unreachable here) and says so in one line
    migrated = run_cli("migrate", env=env)
    assert migrated.returncode != 0
    assert (
        migrated.stderr.strip()
        == "booking migrate: the database at 127.0.0.1:1/none refuses connections (is PostgreSQL running there?)"
    )
    assert os.environ.get("APP_ENV") != "production"
