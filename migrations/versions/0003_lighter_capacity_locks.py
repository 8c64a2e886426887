"""lighter capacity locks: a shared advisory lock per resource instead of a row lock, and no peak query
for capacity-1 resources (the exclusion constraint already decides those)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

Bookings of one resource took FOR SHARE on its row, which writes the row on every booking. A shared
transaction-scoped advisory lock gives the same exclusion against capacity changes (which take it
exclusively, before they change the row) without writing anything.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GUARD = """
CREATE OR REPLACE FUNCTION allocation_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cap integer;
    peak integer;
    day bigint;
    resource_key integer := (NEW.resource_id % 2147483647)::integer;
BEGIN
    -- Only a reservation awaiting payment holds until a deadline; any other status holds or not for good.
    SELECT r.status IN ('pending', 'confirmed', 'pending_payment'),
           CASE WHEN r.status = 'pending_payment' THEN r.hold_expires_at END
      INTO NEW.holding, NEW.hold_expires_at
      FROM reservations r
     WHERE r.id = NEW.reservation_id AND r.organisation_id = NEW.organisation_id;
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

CAPACITY_LOCK = """
CREATE FUNCTION resource_capacity_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Wait for bookings in flight on this resource, and hold new ones off until this change commits.
    PERFORM pg_advisory_xact_lock(-1, (NEW.id % 2147483647)::integer);
    RETURN NEW;
END $$
"""


def upgrade() -> None:
    op.execute(GUARD)
    op.execute(CAPACITY_LOCK)
    op.execute(
        "CREATE TRIGGER resource_capacity_lock BEFORE UPDATE OF capacity ON resources "
        "FOR EACH ROW WHEN (OLD.capacity IS DISTINCT FROM NEW.capacity) EXECUTE FUNCTION resource_capacity_lock()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS resource_capacity_lock ON resources")
    op.execute("DROP FUNCTION IF EXISTS resource_capacity_lock()")
    # 0002's guard: the row share lock and the peak query for every capacity
    guard = GUARD.replace(
        "PERFORM pg_advisory_xact_lock_shared(-1, resource_key);\n    SELECT capacity INTO cap FROM resources WHERE id = NEW.resource_id;",
        "SELECT capacity INTO cap FROM resources WHERE id = NEW.resource_id FOR SHARE;",
    ).replace(
        "    IF cap = 1 THEN\n        RETURN NEW;  -- the exclusion constraint refuses any overlap of capacity-1 holdings\n    END IF;\n",
        "",
    )
    op.execute(guard)
