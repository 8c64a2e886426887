"""capacity-1 day locks: a booking of a capacity-1 resource no longer takes the (resource, UTC day) lock

The exclusion constraint alone decides for capacity-1 resources: PostgreSQL makes a writer wait only for a
concurrent writer of an overlapping interval of the same resource. The day lock serialised every booking
of one resource and day, the consecutive slots of a busy day among them, for no added safety. Resources of
a larger capacity keep the day locks that their peak check needs.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
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
    IF cap = 1 THEN
        -- The exclusion constraint refuses any overlap of capacity-1 holdings, and waits only on a writer
        -- of an overlapping interval: no day lock, so bookings of one day's other times go side by side.
        RETURN NEW;
    END IF;
    -- Overlapping intervals of one resource share a UTC day: writers lock each day they touch, in order.
    FOR day IN floor(extract(epoch FROM NEW.occupied_from) / 86400)::bigint
            .. floor((extract(epoch FROM NEW.occupied_until) - 0.000001) / 86400)::bigint LOOP
        PERFORM pg_advisory_xact_lock(resource_key, day::integer);
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

OLD_GUARD = """
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


def upgrade() -> None:
    op.execute(GUARD)


def downgrade() -> None:
    op.execute(OLD_GUARD)
