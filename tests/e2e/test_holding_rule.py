"""The database's notion of a holding allocation (its trigger, the safety net) equals the domain's
(`domain.status.is_holding`), for every status and every kind of hold: changing one side alone fails here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain.status import ReservationStatus, is_holding
from tests.support.api import with_organisation
from tests.support.payments import sql

pytestmark = pytest.mark.e2e

INSERT = """
WITH r AS (
  INSERT INTO reservations (organisation_id, resource_type_id, reference, start_time, end_time, quantity, status,
         payment_status, requires_payment, source, quote_unit_amount, quote_units, quote_subtotal,
         quote_service_fee, quote_taxes, quote_total, quote_currency, cancellation_policy_snapshot,
         allocation_mode, hold_expires_at)
  VALUES ($1, $2, $3, CAST($4 AS timestamptz), CAST($4 AS timestamptz) + interval '1 hour', 1, $5, 'not_required', false, 'staff', 0, 1, 0, 0, 0, 0, 'eur',
          '[]', 'resource', CAST($6 AS timestamptz))
  RETURNING id, organisation_id, start_time, end_time
)
INSERT INTO reservation_allocations (organisation_id, reservation_id, resource_id, quantity, occupied_from, occupied_until)
SELECT organisation_id, id, $7, 1, start_time, end_time FROM r
RETURNING holding, hold_expires_at, (SELECT now()) AS now
"""


def test_the_trigger_and_the_domain_agree_on_what_holds(client: httpx.Client, database_url: str) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type()
    room = owner.resource(rt["id"], capacity=1000)
    now = datetime.now(UTC)
    holds = {
        "no hold": None,
        "lapsed hold": now - timedelta(minutes=5),
        "live hold": now + timedelta(minutes=30),
    }
    checked = 0
    for status in ReservationStatus:
        for label, hold in holds.items():
            start = now + timedelta(days=30 + checked)
            reference = f"HLD-{checked:06d}-{owner.organisation_id}"
            row = sql(
                database_url,
                INSERT,
                owner.organisation_id,
                rt["id"],
                reference,
                start,
                status.value,
                hold,
                room["id"],
            )[0]
            database_holds = row["holding"] and (
                row["hold_expires_at"] is None or row["hold_expires_at"] > row["now"]
            )
            assert database_holds == is_holding(status, hold, row["now"]), (status, label)
            checked += 1
    assert checked == len(ReservationStatus) * 3
    assert {s for s in ReservationStatus if is_holding(s, None, now)} == {
        ReservationStatus.PENDING,
        ReservationStatus.CONFIRMED,
        ReservationStatus.PENDING_PAYMENT,
    }
