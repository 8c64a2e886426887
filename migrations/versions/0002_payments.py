"""payments: manage-token nonces, checkout bookkeeping, payment kinds, the sandbox provider's sessions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMPTZ = sa.DateTime(timezone=True)


GUARD_HOLD = """
    CREATE OR REPLACE FUNCTION allocation_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        cap integer;
        peak integer;
        day bigint;
    BEGIN
        -- Only a reservation awaiting payment holds until a deadline; any other status holds or not for good.
        SELECT r.status IN ('pending', 'confirmed', 'pending_payment'),
               CASE WHEN r.status = 'pending_payment' THEN r.hold_expires_at END
          INTO NEW.holding, NEW.hold_expires_at
          FROM reservations r
         WHERE r.id = NEW.reservation_id AND r.organisation_id = NEW.organisation_id;
        SELECT capacity INTO cap FROM resources WHERE id = NEW.resource_id FOR SHARE;
        NEW.exclusive := (cap = 1);
        IF NOT NEW.holding THEN
            RETURN NEW;
        END IF;
        FOR day IN floor(extract(epoch FROM NEW.occupied_from) / 86400)::bigint
                .. floor((extract(epoch FROM NEW.occupied_until) - 0.000001) / 86400)::bigint LOOP
            PERFORM pg_advisory_xact_lock((NEW.resource_id % 2147483647)::integer, day::integer);
        END LOOP;
        SELECT coalesce(max(usage), 0) INTO peak FROM (
            SELECT (SELECT coalesce(sum(b.quantity), 0)
                      FROM reservation_allocations b
                     WHERE b.holding AND b.id <> NEW.id
                       AND int8range(b.resource_id, b.resource_id, '[]')
                           && int8range(NEW.resource_id, NEW.resource_id, '[]')
                       AND tstzrange(b.occupied_from, b.occupied_until) @> p.instant) AS usage
              FROM (SELECT NEW.occupied_from AS instant
                    UNION
                    SELECT a.occupied_from
                      FROM reservation_allocations a
                     WHERE a.holding AND a.id <> NEW.id
                       AND int8range(a.resource_id, a.resource_id, '[]')
                           && int8range(NEW.resource_id, NEW.resource_id, '[]')
                       AND tstzrange(a.occupied_from, a.occupied_until)
                           && tstzrange(NEW.occupied_from, NEW.occupied_until)
                       AND a.occupied_from > NEW.occupied_from) AS p
        ) AS usages;
        IF peak + NEW.quantity > cap THEN
            RAISE EXCEPTION 'resource % is over capacity', NEW.resource_id
                USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'reservation_allocations_capacity';
        END IF;
        RETURN NEW;
    END $$
"""


def upgrade() -> None:
    op.execute(GUARD_HOLD)
    # The manage token is an HMAC of this nonce, so checkout-retry can hand the same token back.
    op.add_column("reservations", sa.Column("manage_token_nonce", sa.Text(), nullable=True))
    op.add_column("reservations", sa.Column("checkout_started_at", TIMESTAMPTZ, nullable=True))
    op.create_index(
        "ix_reservations_pending_payment_checkout",
        "reservations",
        ["checkout_started_at"],
        postgresql_where=sa.text("status = 'pending_payment'"),
    )
    op.create_index(
        "ix_reservations_confirmed_end_time",
        "reservations",
        ["end_time"],
        postgresql_where=sa.text("status = 'confirmed'"),
    )
    # A payment either pays for the booking or is an extra one that is refunded in full.
    op.add_column("payments", sa.Column("kind", sa.Text(), server_default="booking", nullable=False))
    op.add_column("payments", sa.Column("charge_id", sa.Text(), nullable=True))
    op.create_index("ix_payments_payment_intent_id", "payments", ["payment_intent_id"])
    op.create_check_constraint("ck_payments_kind", "payments", "kind IN ('booking', 'extra')")
    op.create_check_constraint(
        "ck_payments_status",
        "payments",
        "status IN ('processing', 'succeeded', 'failed', 'partially_refunded', 'refunded')",
    )
    op.create_table(
        "sandbox_checkout_sessions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("reservation_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("payment_status", sa.Text(), nullable=False),
        sa.Column("payment_intent_id", sa.Text(), nullable=True),
        sa.Column("success_url", sa.Text(), nullable=False),
        sa.Column("cancel_url", sa.Text(), nullable=False),
        sa.Column("expires_at", TIMESTAMPTZ, nullable=False),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_sandbox_checkout_sessions_organisation_id_organisations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sandbox_checkout_sessions"),
    )
    op.create_index(
        "ix_sandbox_checkout_sessions_reservation_id", "sandbox_checkout_sessions", ["reservation_id"]
    )


def downgrade() -> None:
    op.execute(
        GUARD_HOLD.replace(
            "CASE WHEN r.status = 'pending_payment' THEN r.hold_expires_at END", "r.hold_expires_at"
        )
    )
    op.drop_index("ix_sandbox_checkout_sessions_reservation_id", table_name="sandbox_checkout_sessions")
    op.drop_table("sandbox_checkout_sessions")
    op.drop_constraint("ck_payments_status", "payments", type_="check")
    op.drop_constraint("ck_payments_kind", "payments", type_="check")
    op.drop_index("ix_payments_payment_intent_id", table_name="payments")
    op.drop_column("payments", "charge_id")
    op.drop_column("payments", "kind")
    op.drop_index("ix_reservations_confirmed_end_time", table_name="reservations")
    op.drop_index("ix_reservations_pending_payment_checkout", table_name="reservations")
    op.drop_column("reservations", "checkout_started_at")
    op.drop_column("reservations", "manage_token_nonce")
