"""What one tenant may ask of the server is bounded (defect 9): hours per day, date overrides per type,
types per organisation; and the adversarial availability case answers correctly. Its latency, and the
other tenants' latency meanwhile, are measured by `make bench` (bench/adversarial.py), not here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from tests.support.api import WEEK, unique, with_organisation

pytestmark = pytest.mark.e2e


def test_a_type_carries_at_most_12_intervals_a_day_and_366_date_overrides(client: httpx.Client) -> None:
    owner = with_organisation(client)
    thirteen = [{"start": f"{h:02d}:00", "end": f"{h:02d}:30"} for h in range(13)]
    base = {"name": unique("t"), "slotMinutes": 15}
    refused = owner.post("/api/resource-types", json=base | {"weeklyHours": {"mon": thirteen}})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "weeklyHours.mon"
    days = [(date(2031, 1, 1) + timedelta(days=i)).isoformat() for i in range(367)]
    refused = owner.post(
        "/api/resource-types",
        json=base | {"weeklyHours": WEEK, "dateOverrides": [{"date": d, "closed": True} for d in days]},
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "dateOverrides"
    twelve = owner.resource_type(
        weeklyHours={"mon": thirteen[:12]}, dateOverrides=[{"date": d, "closed": True} for d in days[:366]]
    )
    assert len(twelve["dateOverrides"]) == 366
    assert owner.ok("GET", "/api/resource-types")["pagination"]["total"] == 1


def test_an_organisation_has_at_most_100_resource_types(client: httpx.Client) -> None:
    owner = with_organisation(client)
    for _ in range(100):
        owner.resource_type()
    refused = owner.post(
        "/api/resource-types", json={"name": "one more", "slotMinutes": 60, "weeklyHours": WEEK}
    )
    assert refused.status_code == 409
    catalog = client.get(f"/api/public/booking/organisations/{owner.slug}").json()
    assert len(catalog["resourceTypes"]) == 100


def test_the_adversarial_availability_case_answers_every_slot_correctly(client: httpx.Client) -> None:
    """A 720-minute slot every minute, 1440-minute buffers, many bookings on one big resource: 721 slots,
    each priced by one sweep (it took seconds of event-loop time per request before)."""
    owner = with_organisation(client, timezone="UTC")
    rt = owner.resource_type(
        slotMinutes=720,
        slotIntervalMinutes=1,
        bufferBeforeMinutes=1440,
        bufferAfterMinutes=1440,
        weeklyHours=WEEK,
    )
    big = owner.resource(rt["id"], capacity=100_000)
    day = (datetime.now(UTC) + timedelta(days=30)).date()
    for hour in range(0, 24, 2):
        start = datetime.combine(day - timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=hour)
        owner.ok(
            "POST",
            "/api/reservations",
            201,
            json={
                "resourceId": big["id"],
                "startTime": start.isoformat(),
                "endTime": (start + timedelta(hours=12)).isoformat(),
                "quantity": 1000,
            },
        )
    found = client.get(
        f"/api/public/booking/organisations/{owner.slug}/availability",
        params={"date": day.isoformat(), "resourceTypeId": rt["id"]},
    )
    assert found.status_code == 200
    slots = found.json()["slots"]
    assert len(slots) == 721
    # Each booking occupies [start - 1 day, end + 1 day); all twelve overlap from the previous day's 22:00,
    # and every slot's buffered window (a day either side) contains that instant: 12 x 1000 taken.
    assert {s["availableQuantity"] for s in slots} == {100_000 - 12 * 1000}
