"""review fixes: references unique across the platform, approval of paid bookings, one checkout at a time

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

- `reservations.reference` becomes unique across the platform. Existing references are kept; should two
  organisations share one (possible before), the later rows draw a new one, so the index can be built.
- `reservations.approval_required`: the type's requiresApproval at booking time, so that a paid booking of
  such a type waits for staff (pending) instead of being confirmed by its payment.
- `reservations.checkout_claimed_until`: a checkout-retry in flight; a concurrent one is refused.
- `checkout_sessions`: every Checkout Session a reservation ever had, so that an older session id still
  finds its reservation (the customer's browser may come back with it).
- `reservation_holding_sync` takes the resources' capacity locks before their allocation rows (no
  deadlock with a capacity change).
- `ix_reservations_awaiting_provider` keeps the worker's reconciliation claim off the history.
- `lower(customer_email)` is indexed per organisation for the staff list's `customerEmail` filter.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMESTAMPTZ = sa.DateTime(timezone=True)

# Later duplicates of a reference get the same prefix and a new random six-character suffix from the
# unambiguous alphabet; the loop repeats until no duplicate is left (a new draw could collide again).
DEDUPLICATE = """
DO $$
DECLARE
    alphabet text := '23456789ABCDEFGHJKMNPQRSTVWXYZ';
    dup record;
BEGIN
    LOOP
        SELECT id, reference INTO dup FROM (
            SELECT id, reference, row_number() OVER (PARTITION BY reference ORDER BY id) AS n
              FROM reservations
        ) ranked WHERE n > 1 LIMIT 1;
        EXIT WHEN NOT FOUND;
        UPDATE reservations
           SET reference = split_part(dup.reference, '-', 1) || '-' || (
               SELECT string_agg(substr(alphabet, 1 + floor(random() * 30)::int, 1), '')
                 FROM generate_series(1, 6))
         WHERE id = dup.id;
    END LOOP;
END $$
"""


# Rows the worker's reconciliation may claim: holds awaiting payment, and lapsed or cancelled ones whose
# session was not yet seen to end.
AWAITING_PROVIDER = (
    "requires_payment AND stripe_checkout_session_id IS NOT NULL"
    " AND status IN ('pending_payment', 'expired', 'cancelled')"
    " AND payment_status IN ('pending', 'processing', 'failed', 'expired')"
)


# Every writer takes a resource's capacity lock (advisory, -1 and the resource) before that resource's
# allocation rows; a capacity change takes it exclusively and then re-checks those rows. A status change
# used to lock its allocation rows first (this trigger's UPDATE) and the advisory lock second, in
# allocation_guard: against a capacity change that is a deadlock. Now it takes the advisory locks first.
HOLDING_SYNC = """
CREATE OR REPLACE FUNCTION reservation_holding_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(-1, (r.resource_id % 2147483647)::integer)
       FROM (SELECT DISTINCT resource_id FROM reservation_allocations
              WHERE reservation_id = NEW.id AND organisation_id = NEW.organisation_id
              ORDER BY resource_id) AS r;
    UPDATE reservation_allocations
       SET holding = holding
     WHERE reservation_id = NEW.id AND organisation_id = NEW.organisation_id;
    RETURN NULL;
END $$
"""
PREVIOUS_HOLDING_SYNC = """
CREATE OR REPLACE FUNCTION reservation_holding_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reservation_allocations
       SET holding = holding
     WHERE reservation_id = NEW.id AND organisation_id = NEW.organisation_id;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.execute(HOLDING_SYNC)
    op.execute(DEDUPLICATE)
    op.drop_constraint("uq_reservations_organisation_id_reference", "reservations", type_="unique")
    op.create_unique_constraint("uq_reservations_reference", "reservations", ["reference"])
    op.create_index(
        "ix_reservations_organisation_id_customer_email",
        "reservations",
        ["organisation_id", sa.text("lower(customer_email)")],
    )
    op.create_index(
        "ix_reservations_awaiting_provider",
        "reservations",
        ["checkout_started_at"],
        postgresql_where=sa.text(AWAITING_PROVIDER),
    )
    op.add_column(
        "reservations", sa.Column("approval_required", sa.Boolean(), server_default="false", nullable=False)
    )
    op.add_column("reservations", sa.Column("checkout_claimed_until", TIMESTAMPTZ, nullable=True))
    op.create_table(
        "checkout_sessions",
        sa.Column("session_id", sa.Text(), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("reservation_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_checkout_sessions")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "reservation_id"],
            ["reservations.organisation_id", "reservations.id"],
            name=op.f("fk_checkout_sessions_reservation"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_checkout_sessions_reservation_id", "checkout_sessions", ["reservation_id"])
    op.execute(
        "INSERT INTO checkout_sessions (session_id, organisation_id, reservation_id, created_at) "
        "SELECT stripe_checkout_session_id, organisation_id, id, coalesce(checkout_started_at, created_at) "
        "FROM reservations WHERE stripe_checkout_session_id IS NOT NULL ON CONFLICT DO NOTHING"
    )


def downgrade() -> None:
    op.execute(PREVIOUS_HOLDING_SYNC)
    op.drop_index("ix_checkout_sessions_reservation_id", table_name="checkout_sessions")
    op.drop_table("checkout_sessions")
    op.drop_column("reservations", "checkout_claimed_until")
    op.drop_column("reservations", "approval_required")
    op.drop_index("ix_reservations_awaiting_provider", table_name="reservations")
    op.drop_index("ix_reservations_organisation_id_customer_email", table_name="reservations")
    op.drop_constraint("uq_reservations_reference", "reservations", type_="unique")
    op.create_unique_constraint(
        "uq_reservations_organisation_id_reference", "reservations", ["organisation_id", "reference"]
    )
