"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Every table, then the capacity guarantees that no writer can bypass: triggers derive each allocation's
`holding` and `exclusive` flags, an exclusion constraint forbids overlapping holding allocations of a
capacity-1 resource, and a trigger checks peak usage for larger capacities under a row lock.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

TIMESTAMPTZ = sa.DateTime(timezone=True)

HOLDING_STATUSES = "('pending', 'confirmed', 'pending_payment')"

CAPACITY_DDL = [
    # The allocation's flags come from its reservation and resource, whatever the writer sent.
    f"""
    CREATE FUNCTION allocation_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        cap integer;
        peak integer;
        day bigint;
    BEGIN
        SELECT r.status IN {HOLDING_STATUSES}, r.hold_expires_at
          INTO NEW.holding, NEW.hold_expires_at
          FROM reservations r
         WHERE r.id = NEW.reservation_id AND r.organisation_id = NEW.organisation_id;
        -- A share lock: bookings of one resource proceed side by side; a capacity change waits for them.
        SELECT capacity INTO cap FROM resources WHERE id = NEW.resource_id FOR SHARE;
        NEW.exclusive := (cap = 1);
        IF NOT NEW.holding THEN
            RETURN NEW;
        END IF;
        -- Overlapping intervals of one resource share a UTC day: writers lock each day they touch, in order,
        -- so that only bookings of the same resource and day wait for each other.
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
    """,
    """
    CREATE TRIGGER allocation_guard BEFORE INSERT OR UPDATE ON reservation_allocations
    FOR EACH ROW EXECUTE FUNCTION allocation_guard()
    """,
    # A status or hold change re-derives the allocations' flags, and so re-checks capacity.
    """
    CREATE FUNCTION reservation_holding_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE reservation_allocations
           SET holding = holding
         WHERE reservation_id = NEW.id AND organisation_id = NEW.organisation_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER reservation_holding_sync AFTER UPDATE OF status, hold_expires_at ON reservations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
                       OR OLD.hold_expires_at IS DISTINCT FROM NEW.hold_expires_at)
    EXECUTE FUNCTION reservation_holding_sync()
    """,
    # A capacity change re-checks the allocations still to come.
    """
    CREATE FUNCTION resource_capacity_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE reservation_allocations
           SET exclusive = exclusive
         WHERE resource_id = NEW.id AND holding AND occupied_until > now();
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER resource_capacity_sync AFTER UPDATE OF capacity ON resources
    FOR EACH ROW WHEN (OLD.capacity IS DISTINCT FROM NEW.capacity)
    EXECUTE FUNCTION resource_capacity_sync()
    """,
    # int8range stands in for btree_gist, which the embedded PostgreSQL lacks.
    """
    ALTER TABLE reservation_allocations ADD CONSTRAINT reservation_allocations_no_overlap_exclusive
    EXCLUDE USING gist (
        int8range(resource_id, resource_id, '[]') WITH &&,
        tstzrange(occupied_from, occupied_until) WITH &&
    ) WHERE (holding AND exclusive)
    """,
    # "Holding allocations of these resources overlapping this window" is one index range scan.
    """
    CREATE INDEX ix_reservation_allocations_holding_window ON reservation_allocations USING gist (
        int8range(resource_id, resource_id, '[]'),
        tstzrange(occupied_from, occupied_until)
    ) WHERE holding
    """,
]

DROP_CAPACITY_DDL = [
    "DROP INDEX IF EXISTS ix_reservation_allocations_holding_window",
    "ALTER TABLE reservation_allocations DROP CONSTRAINT IF EXISTS reservation_allocations_no_overlap_exclusive",
    "DROP TRIGGER IF EXISTS resource_capacity_sync ON resources",
    "DROP FUNCTION IF EXISTS resource_capacity_sync()",
    "DROP TRIGGER IF EXISTS reservation_holding_sync ON reservations",
    "DROP FUNCTION IF EXISTS reservation_holding_sync()",
    "DROP TRIGGER IF EXISTS allocation_guard ON reservation_allocations",
    "DROP FUNCTION IF EXISTS allocation_guard()",
]

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("service_fee_bps", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tax_bps", sa.Integer(), server_default="0", nullable=False),
        sa.Column("commission_bps", sa.Integer(), nullable=True),
        sa.Column("cancellation_policy", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("public_booking_enabled", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("stripe_account_id", sa.Text(), nullable=True),
        sa.Column("charges_enabled", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("payouts_enabled", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("details_submitted", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "commission_bps BETWEEN 0 AND 10000", name=op.f("ck_organisations_commission_bps")
        ),
        sa.CheckConstraint(
            "service_fee_bps BETWEEN 0 AND 10000", name=op.f("ck_organisations_service_fee_bps")
        ),
        sa.CheckConstraint("tax_bps BETWEEN 0 AND 10000", name=op.f("ck_organisations_tax_bps")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organisations_slug")),
        sa.UniqueConstraint("stripe_account_id", name=op.f("uq_organisations_stripe_account_id")),
    )
    op.create_table(
        "processed_webhook_events",
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("processed_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_webhook_events")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.Text(), nullable=False),
        sa.Column("response_status", sa.SmallInteger(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("response_headers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("locked_until", TIMESTAMPTZ, nullable=True),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_idempotency_keys_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("organisation_id", "scope", "key", name="uq_idempotency_keys_scope_key"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"], unique=False)
    op.create_table(
        "resource_types",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("slot_interval_minutes", sa.Integer(), nullable=True),
        sa.Column("max_slots_per_booking", sa.Integer(), server_default="1", nullable=False),
        sa.Column("buffer_before_minutes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("buffer_after_minutes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_advance_days", sa.Integer(), server_default="365", nullable=False),
        sa.Column("max_quantity", sa.Integer(), nullable=True),
        sa.Column("price_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("price_currency", sa.Text(), nullable=False),
        sa.Column("payment_required", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("requires_approval", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("publicly_bookable", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("weekly_hours", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("date_overrides", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("deleted_at", TIMESTAMPTZ, nullable=True),
        sa.CheckConstraint("price_amount >= 0", name=op.f("ck_resource_types_price_amount")),
        sa.CheckConstraint("slot_minutes > 0", name=op.f("ck_resource_types_slot_minutes")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_resource_types_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_types")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_resource_types_organisation_id_id"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active_organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["active_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_users_active_organisation_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index("uq_users_email_lower", "users", [sa.literal_column("lower(email)")], unique=True)
    op.create_table(
        "api_keys",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by_user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("expires_at", TIMESTAMPTZ, nullable=True),
        sa.Column("revoked_at", TIMESTAMPTZ, nullable=True),
        sa.Column("last_used_at", TIMESTAMPTZ, nullable=True),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_api_keys_created_by_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_api_keys_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("organisation_id", "prefix", name="uq_api_keys_organisation_id_prefix"),
    )
    op.create_index("uq_api_keys_key_hash", "api_keys", ["key_hash"], unique=True)
    op.create_table(
        "memberships",
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("role IN ('owner', 'admin', 'staff', 'viewer')", name=op.f("ck_memberships_role")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_memberships_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("organisation_id", "user_id", name=op.f("pk_memberships")),
    )
    op.create_index("ix_memberships_user_id", "memberships", ["user_id"], unique=False)
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("family_id", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("expires_at", TIMESTAMPTZ, nullable=False),
        sa.Column("used_at", TIMESTAMPTZ, nullable=True),
        sa.Column("revoked_at", TIMESTAMPTZ, nullable=True),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_refresh_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"], unique=False)
    op.create_table(
        "resources",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("resource_type_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("public_booking_token", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("deleted_at", TIMESTAMPTZ, nullable=True),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_resources_capacity")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "resource_type_id"],
            ["resource_types.organisation_id", "resource_types.id"],
            name=op.f("fk_resources_organisation_id_resource_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_resources_organisation_id_id"),
    )
    op.create_index("ix_resources_resource_type_id", "resources", ["resource_type_id"], unique=False)
    op.create_index("uq_resources_public_booking_token", "resources", ["public_booking_token"], unique=True)
    op.create_table(
        "reservations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("resource_type_id", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("start_time", TIMESTAMPTZ, nullable=False),
        sa.Column("end_time", TIMESTAMPTZ, nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("payment_status", sa.Text(), nullable=False),
        sa.Column("requires_payment", sa.Boolean(), nullable=False),
        sa.Column("customer_name", sa.Text(), nullable=True),
        sa.Column("customer_email", sa.Text(), nullable=True),
        sa.Column("customer_phone", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("quote_unit_amount", sa.BigInteger(), nullable=False),
        sa.Column("quote_units", sa.Integer(), nullable=False),
        sa.Column("quote_subtotal", sa.BigInteger(), nullable=False),
        sa.Column("quote_service_fee", sa.BigInteger(), nullable=False),
        sa.Column("quote_taxes", sa.BigInteger(), nullable=False),
        sa.Column("quote_total", sa.BigInteger(), nullable=False),
        sa.Column("quote_currency", sa.Text(), nullable=False),
        sa.Column("payment_required_snapshot", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("cancellation_policy_snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("allocation_mode", sa.Text(), nullable=False),
        sa.Column("hold_expires_at", TIMESTAMPTZ, nullable=True),
        sa.Column("stripe_checkout_session_id", sa.Text(), nullable=True),
        sa.Column("checkout_attempt", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_reconciled_at", TIMESTAMPTZ, nullable=True),
        sa.Column("manage_token_hash", sa.Text(), nullable=True),
        sa.Column("created_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("api_key_id", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("confirmed_at", TIMESTAMPTZ, nullable=True),
        sa.Column("cancelled_at", TIMESTAMPTZ, nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("deleted_at", TIMESTAMPTZ, nullable=True),
        sa.CheckConstraint(
            "payment_status IN ('not_required', 'pending', 'processing', 'succeeded', 'failed', 'expired', 'refunded', 'partially_refunded')",
            name=op.f("ck_reservations_payment_status"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'pending_payment', 'confirmed', 'waitlist', 'cancelled', 'expired', 'completed', 'no_show')",
            name=op.f("ck_reservations_status"),
        ),
        sa.CheckConstraint("end_time > start_time", name=op.f("ck_reservations_time_order")),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_reservations_quantity")),
        sa.CheckConstraint(
            "quote_total = quote_subtotal + quote_service_fee + quote_taxes",
            name=op.f("ck_reservations_quote_total"),
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_reservations_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_reservations_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "resource_type_id"],
            ["resource_types.organisation_id", "resource_types.id"],
            name=op.f("fk_reservations_organisation_id_resource_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        sa.UniqueConstraint("organisation_id", "id", name="uq_reservations_organisation_id_id"),
        sa.UniqueConstraint("organisation_id", "reference", name="uq_reservations_organisation_id_reference"),
    )
    op.create_index(
        "ix_reservations_organisation_id_start_time",
        "reservations",
        ["organisation_id", "start_time"],
        unique=False,
    )
    op.create_index(
        "ix_reservations_pending_payment_hold",
        "reservations",
        ["hold_expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending_payment'"),
    )
    op.create_index(
        "ix_reservations_stripe_checkout_session_id",
        "reservations",
        ["stripe_checkout_session_id"],
        unique=False,
    )
    op.create_index("uq_reservations_manage_token_hash", "reservations", ["manage_token_hash"], unique=True)
    op.create_table(
        "payments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("reservation_id", sa.BigInteger(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("checkout_session_id", sa.Text(), nullable=True),
        sa.Column("payment_intent_id", sa.Text(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_payments_amount")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "reservation_id"],
            ["reservations.organisation_id", "reservations.id"],
            name=op.f("fk_payments_organisation_id_reservations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint(
            "organisation_id", "payment_intent_id", name="uq_payments_organisation_id_payment_intent_id"
        ),
    )
    op.create_index("ix_payments_reservation_id", "payments", ["reservation_id"], unique=False)
    op.create_table(
        "reservation_allocations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("reservation_id", sa.BigInteger(), nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("occupied_from", TIMESTAMPTZ, nullable=False),
        sa.Column("occupied_until", TIMESTAMPTZ, nullable=False),
        sa.Column("holding", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("hold_expires_at", TIMESTAMPTZ, nullable=True),
        sa.Column("exclusive", sa.Boolean(), server_default="false", nullable=False),
        sa.CheckConstraint(
            "occupied_until > occupied_from", name=op.f("ck_reservation_allocations_time_order")
        ),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_reservation_allocations_quantity")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "reservation_id"],
            ["reservations.organisation_id", "reservations.id"],
            name=op.f("fk_reservation_allocations_organisation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "resource_id"],
            ["resources.organisation_id", "resources.id"],
            name=op.f("fk_reservation_allocations_organisation_id_resources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_allocations")),
        sa.UniqueConstraint(
            "organisation_id", "reservation_id", "resource_id", name="uq_reservation_allocations_resource"
        ),
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("reservation_id", sa.BigInteger(), nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=False),
        sa.Column("stripe_refund_id", sa.Text(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "reservation_id"],
            ["reservations.organisation_id", "reservations.id"],
            name=op.f("fk_refunds_organisation_id_reservations"),
        ),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint(
            "organisation_id", "stripe_refund_id", name="uq_refunds_organisation_id_stripe_refund_id"
        ),
    )
    op.create_index("ix_refunds_reservation_id", "refunds", ["reservation_id"], unique=False)
    for statement in CAPACITY_DDL:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_CAPACITY_DDL:
        op.execute(statement)
    op.drop_index("ix_refunds_reservation_id", table_name="refunds")
    op.drop_table("refunds")
    op.drop_table("reservation_allocations")
    op.drop_index("ix_payments_reservation_id", table_name="payments")
    op.drop_table("payments")
    op.drop_index("uq_reservations_manage_token_hash", table_name="reservations")
    op.drop_index("ix_reservations_stripe_checkout_session_id", table_name="reservations")
    op.drop_index(
        "ix_reservations_pending_payment_hold",
        table_name="reservations",
        postgresql_where=sa.text("status = 'pending_payment'"),
    )
    op.drop_index("ix_reservations_organisation_id_start_time", table_name="reservations")
    op.drop_table("reservations")
    op.drop_index("uq_resources_public_booking_token", table_name="resources")
    op.drop_index("ix_resources_resource_type_id", table_name="resources")
    op.drop_table("resources")
    op.drop_index("ix_refresh_tokens_family_id", table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index("ix_memberships_user_id", table_name="memberships")
    op.drop_table("memberships")
    op.drop_index("uq_api_keys_key_hash", table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_index("uq_users_email_lower", table_name="users")
    op.drop_table("users")
    op.drop_table("resource_types")
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_table("processed_webhook_events")
    op.drop_table("organisations")
