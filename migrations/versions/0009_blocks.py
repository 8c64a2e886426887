"""blocks: times a resource is unavailable (maintenance, the owner's use, another channel's bookings), each
holding the resource's whole capacity through an allocation of its own, so the capacity guard, the
exclusion constraint and every read treat it exactly as a booking

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TIMESTAMPTZ = sa.DateTime(timezone=True)

# 0003's guard, with one change: an allocation of a block holds for good (no reservation to ask).
GUARD = """
CREATE OR REPLACE FUNCTION allocation_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cap integer;
    peak integer;
    day bigint;
    resource_key integer := (NEW.resource_id % 2147483647)::integer;
BEGIN
    IF NEW.block_id IS NOT NULL THEN
        NEW.holding := true;
        NEW.hold_expires_at := NULL;
    ELSE
        -- Only a reservation awaiting payment holds until a deadline; any other status holds or not for good.
        SELECT r.status IN ('pending', 'confirmed', 'pending_payment'),
               CASE WHEN r.status = 'pending_payment' THEN r.hold_expires_at END
          INTO NEW.holding, NEW.hold_expires_at
          FROM reservations r
         WHERE r.id = NEW.reservation_id AND r.organisation_id = NEW.organisation_id;
    END IF;
    -- Shared: bookings of one resource proceed side by side; a capacity change holds it exclusively.
    PERFORM pg_advisory_xact_lock_shared(-1, resource_key);
    SELECT capacity INTO cap FROM resources WHERE id = NEW.resource_id;
    NEW.exclusive := (cap = 1);
    IF NOT NEW.holding THEN
        RETURN NEW;
    END IF;
    -- Overlapping intervals of one resource share a UTC day: writers lock each day they touch, in order.
    FOR day IN floor(extract(epoch FROM NEW.occupied_from) / 86400)::bigint
            .. floor((extract(epoch FROM NEW.occupied_until) - 0.000001) / 86400)::bigint LOOP
        PERFORM pg_advisory_xact_lock(resource_key, day::integer);
    END LOOP;
    IF cap = 1 THEN
        RETURN NEW;  -- the exclusion constraint refuses any overlap of capacity-1 holdings
    END IF;
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


# A capacity change re-checks the allocations still to come; a block's follows the new capacity first.
CAPACITY_SYNC = """
CREATE OR REPLACE FUNCTION resource_capacity_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reservation_allocations
       SET quantity = NEW.capacity
     WHERE resource_id = NEW.id AND block_id IS NOT NULL AND occupied_until > now();
    UPDATE reservation_allocations
       SET exclusive = exclusive
     WHERE resource_id = NEW.id AND holding AND occupied_until > now();
    RETURN NULL;
END $$
"""
OLD_CAPACITY_SYNC = """
CREATE OR REPLACE FUNCTION resource_capacity_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reservation_allocations
       SET exclusive = exclusive
     WHERE resource_id = NEW.id AND holding AND occupied_until > now();
    RETURN NULL;
END $$
"""

BLOCK_BRANCH = """    IF NEW.block_id IS NOT NULL THEN
        NEW.holding := true;
        NEW.hold_expires_at := NULL;
"""


def upgrade() -> None:
    op.create_table(
        "resource_blocks",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("start_time", TIMESTAMPTZ, nullable=False),
        sa.Column("end_time", TIMESTAMPTZ, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), server_default="manual", nullable=False),
        sa.Column("import_uid", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMPTZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_blocks")),
        sa.ForeignKeyConstraint(
            ["organisation_id", "resource_id"],
            ["resources.organisation_id", "resources.id"],
            name=op.f("fk_resource_blocks_organisation_id_resources"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("end_time > start_time", name=op.f("ck_resource_blocks_time_order")),
        sa.CheckConstraint("source IN ('manual', 'import')", name=op.f("ck_resource_blocks_source")),
    )
    op.create_index("ix_resource_blocks_resource_id", "resource_blocks", ["resource_id", "start_time"])
    op.add_column("reservation_allocations", sa.Column("block_id", sa.BigInteger(), nullable=True))
    op.alter_column("reservation_allocations", "reservation_id", nullable=True)
    op.create_foreign_key(
        op.f("fk_reservation_allocations_block_id_resource_blocks"),
        "reservation_allocations",
        "resource_blocks",
        ["block_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_check_constraint(
        "ck_reservation_allocations_one_owner",
        "reservation_allocations",
        "num_nonnulls(reservation_id, block_id) = 1",
    )
    op.create_index(
        "ix_reservation_allocations_block_id",
        "reservation_allocations",
        ["block_id"],
        postgresql_where=sa.text("block_id IS NOT NULL"),
    )
    op.execute(GUARD)
    op.execute(CAPACITY_SYNC)


def downgrade() -> None:
    op.execute(OLD_CAPACITY_SYNC)
    op.execute("DELETE FROM reservation_allocations WHERE block_id IS NOT NULL")
    op.drop_index("ix_reservation_allocations_block_id", table_name="reservation_allocations")
    op.drop_constraint("ck_reservation_allocations_one_owner", "reservation_allocations", type_="check")
    op.drop_constraint(
        op.f("fk_reservation_allocations_block_id_resource_blocks"),
        "reservation_allocations",
        type_="foreignkey",
    )
    op.alter_column("reservation_allocations", "reservation_id", nullable=False)
    op.drop_column("reservation_allocations", "block_id")
    op.drop_table("resource_blocks")
    op.execute(
        GUARD.replace(BLOCK_BRANCH, "")
        .replace("    ELSE\n", "")
        .replace("    END IF;\n    -- Shared", "    -- Shared")
    )
