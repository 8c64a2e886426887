"""Past one database (docs/scaling.md): with organisation_id as the distribution column, every statement on
an organisation-owned table must name organisation_id, or be one of the few documented cross-tenant
statements. A PostgreSQL of this test's own logs every statement while `booking serve` (its worker in
process) runs the README's walk-throughs: staff API, a paid booking, a stay, webhooks, feeds, blocks, mail,
customers and saved cards. Every logged statement is then checked."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.postgres.embedded import start_embedded
from tests.e2e.test_readme import blocks, run
from tests.support.payments import sql
from tests.support.servers import Server, base_env, run_cli

pytestmark = pytest.mark.e2e
PREFIX = "@@stmt@@"
WALK_THROUGHS = (
    "## The staff API in five minutes",
    "## A paid booking from the public page",
    "## A villa by the night",
    "## Telling people",
    "The sandbox provider of `make run` keeps cards too",
)
# The cross-tenant statements, each for a reason docs/scaling.md gives: a lookup by something globally
# unique that tells the organisation (then every later statement names it), or a worker's sweep.
ALLOWED = {
    # login and tokens: users, memberships and API keys are found by e-mail, user or key hash
    "identity": r"\b(users|memberships|api_keys|refresh_tokens)\b",
    # the public page by slug (or Stripe's account id), a resource by its booking or feed token
    "entry": r"\b(organisations)\b.*\b(slug|stripe_account_id)\b|public_booking_token_hash|feed_token_hash",
    # a reservation by its manage token, Checkout session, PaymentIntent, reference, or its customer's account
    "booking": r"manage_token_hash|stripe_checkout_session_id|stripe_payment_intent_id|customer_user_id|\breference\b",
    # the worker's claims and sweeps: outbox, deliveries, mail, holds, imports, reconciliation, reminders
    "worker": r"\b(outbox|outbox_consumptions|webhook_deliveries|outgoing_mail)\b|hold_expires_at|ical_next_import_at"
    r"|checkout_claimed_until|reconcile|reminded_for",
    # the idempotency store (keyed by organisation and a scope hash), the sandbox provider's own tables
    "stores": r"\bidempotency_keys\b|\bsandbox_",
    # schema state, migrations and capacity locks
    "schema": r"alembic_version|information_schema|pg_catalog|pg_advisory",
}


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, str]]:
    data = tmp_path_factory.mktemp("audit") / "pg"
    url = start_embedded(data, "booking_audit").replace("+asyncpg", "")
    assert run_cli("migrate", env=base_env(url)).returncode == 0
    env = base_env(url, RUN_WORKER="true", WORKER_INTERVAL_SECONDS="1")
    server = Server(env)
    seeded = run_cli("demo", env=env | {"PUBLIC_BASE_URL": server.url})
    assert seeded.returncode == 0, seeded.stderr
    sql(url, "ALTER SYSTEM SET log_statement = 'all'")
    sql(url, f"ALTER SYSTEM SET log_line_prefix = '{PREFIX}%d@@ '")
    sql(url, "SELECT pg_reload_conf()")
    yield server, data / "log", url
    sql(url, "ALTER SYSTEM RESET log_statement")
    sql(url, "ALTER SYSTEM RESET log_line_prefix")
    sql(url, "SELECT pg_reload_conf()")
    server.stop()


def statements(log: Path, database: str) -> list[str]:
    """The statements the server logged for `database`, each whole (SQL spans lines)."""
    found: list[str] = []
    current: list[str] | None = None
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith(PREFIX):
            if current is not None:
                found.append(" ".join(current))
            current = None
            head = line[len(PREFIX) :]
            name, _, rest = head.partition("@@ ")
            said = re.match(r"LOG:\s+(?:statement|execute [^:]*):\s*(.*)", rest)
            if name == database and said:
                current = [said.group(1)]
        elif current is not None:
            current.append(line.strip())
    if current is not None:
        found.append(" ".join(current))
    return found


def owned_tables(url: str) -> set[str]:
    rows = sql(
        url,
        "SELECT table_name FROM information_schema.columns WHERE column_name = 'organisation_id' "
        "AND table_schema = 'public'",
    )
    return {r["table_name"] for r in rows} - {"organisations"}


def test_every_statement_on_an_organisations_rows_names_organisation_id(
    audited: tuple[Server, Path, str],
) -> None:
    server, log, url = audited
    for heading in WALK_THROUGHS:
        run(blocks(heading), server)
    time.sleep(3)  # the worker's rounds: mail, webhooks, imports
    logged = statements(log, "booking_audit")
    tables = owned_tables(url)
    assert {"reservations", "resources", "resource_types", "webhook_endpoints"} <= tables
    touching = [s for s in logged if re.search(rf"\b({'|'.join(sorted(tables))})\b", s)]
    assert len(touching) > 300, len(touching)  # the walk-throughs did reach the database
    unexplained = [
        s
        for s in touching
        if "organisation_id" not in s and not any(re.search(p, s) for p in ALLOWED.values())
    ]
    assert unexplained == [], "\n".join(sorted(set(unexplained))[:20])
