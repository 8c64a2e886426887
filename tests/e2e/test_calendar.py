"""The availability calendar (API.md section 9): what each date offers, equal to asking day by day."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.support.api import WEEK, Staff, with_organisation

pytestmark = pytest.mark.e2e

GUEST = {"customerName": "Ada Guest", "customerEmail": "ada@example.com", "customerPhone": ""}


def page(owner: Staff) -> str:
    return f"/api/public/booking/organisations/{owner.slug}"


def calendar(client: httpx.Client, path: str, **params: Any) -> httpx.Response:
    return client.get(f"{path}/calendar", params=params)


def test_a_night_type_shows_free_units_per_night_and_where_a_stay_may_start(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = owner.ok(
        "POST",
        "/api/resource-types",
        201,
        json={
            "name": "Cabin",
            "bookingUnit": "night",
            "minStay": 2,
            "weeklyHours": {
                "fri": [{"start": "00:00", "end": "24:00"}],
                "sat": [{"start": "00:00", "end": "24:00"}],
            },
            "dateOverrides": [{"date": "2027-04-10", "closed": True}],
        },
    )
    for _ in range(2):
        owner.resource(rt["id"])
    # one cabin taken for the nights of 2 and 3 April (Friday, Saturday), both for the night of the 3rd
    for check_in, check_out in (("2027-04-02", "2027-04-04"), ("2027-04-03", "2027-04-04")):
        body = {"resourceTypeId": rt["id"], "checkIn": check_in, "checkOut": check_out}
        owner.ok("POST", "/api/reservations", 201, json=body)
    answer = calendar(
        client, page(owner), resourceTypeId=rt["id"], **{"from": "2027-04-01", "to": "2027-04-10"}
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["resourceTypeId"], found["timezone"], found["bookingUnit"]) == (
        rt["id"],
        "Europe/Berlin",
        "night",
    )
    days = {d["date"]: d for d in found["days"]}
    assert list(days) == [str(date(2027, 4, 1) + timedelta(days=i)) for i in range(10)]
    assert days["2027-04-01"] == {
        "date": "2027-04-01",
        "available": True,
        "availableQuantity": 2,
        "checkInAllowed": False,  # a Thursday
    }
    assert (days["2027-04-02"]["availableQuantity"], days["2027-04-02"]["checkInAllowed"]) == (1, True)
    assert (days["2027-04-03"]["availableQuantity"], days["2027-04-03"]["available"]) == (0, False)
    assert days["2027-04-09"]["checkInAllowed"] is False  # a Friday, but its two nights touch the closed 10th
    assert (days["2027-04-10"]["available"], days["2027-04-10"]["availableQuantity"]) == (False, 2)
    assert "freeSlots" not in days["2027-04-01"]


def test_dates_inside_the_notice_or_beyond_the_window_are_not_available(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = owner.ok(
        "POST",
        "/api/resource-types",
        201,
        json={"name": "Bike", "bookingUnit": "day", "minNoticeMinutes": 2 * 24 * 60, "maxAdvanceDays": 20},
    )
    owner.resource(rt["id"])
    today = date.today()
    answer = calendar(
        client,
        page(owner),
        resourceTypeId=rt["id"],
        **{"from": str(today - timedelta(days=2)), "to": str(today + timedelta(days=30))},
    )
    days = answer.json()["days"]
    available = [date.fromisoformat(d["date"]) for d in days if d["available"]]
    assert available, days
    assert min(available) >= today + timedelta(days=2)
    assert max(available) <= today + timedelta(days=20)
    assert all(d["checkInAllowed"] == d["available"] for d in days)


def test_bad_ranges_are_400_and_unknown_or_hidden_pages_404(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type()
    owner.resource(rt["id"])
    for params in (
        {"from": "2027-01-01", "to": "2027-03-04"},  # 63 days
        {"from": "2027-01-10", "to": "2027-01-09"},
        {"from": "2027-01-10"},
        {"to": "2027-01-10"},
        {"from": "2027-01-10", "to": "tomorrow"},
    ):
        answer = calendar(client, page(owner), resourceTypeId=rt["id"], **params)
        assert answer.status_code == 400, (params, answer.text)
        assert answer.json()["code"] == "VALIDATION_ERROR"
    ok = calendar(client, page(owner), resourceTypeId=rt["id"], **{"from": "2027-01-01", "to": "2027-03-03"})
    assert ok.status_code == 200
    assert len(ok.json()["days"]) == 62
    hidden = owner.resource_type(publiclyBookable=False)
    owner.resource(hidden["id"])
    for path, type_id in (
        (page(owner), hidden["id"]),
        ("/api/public/booking/organisations/no-such-org", rt["id"]),
    ):
        answer = calendar(client, path, resourceTypeId=type_id, **{"from": "2027-01-01", "to": "2027-01-02"})
        assert answer.status_code == 404, answer.text
    assert (
        calendar(
            client, "/api/public/booking/not-a-token", **{"from": "2027-01-01", "to": "2027-01-02"}
        ).status_code
        == 404
    )
    owner.ok("PATCH", f"/api/organisations/{owner.organisation_id}", json={"publicBookingEnabled": False})
    off = calendar(client, page(owner), resourceTypeId=rt["id"], **{"from": "2027-01-01", "to": "2027-01-02"})
    assert off.status_code == 404


def _random_type(rng: random.Random, owner: Staff) -> dict[str, Any]:
    hours = {}
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        if rng.random() < 0.8:
            opening = rng.choice(["00:00", "06:30", "08:00", "09:15"])
            closing = rng.choice(["12:00", "17:45", "22:00", "24:00"])
            hours[day] = [{"start": opening, "end": closing}]
    slot = rng.choice([15, 30, 45, 60, 90, 120])
    return owner.resource_type(
        slotMinutes=slot,
        slotIntervalMinutes=rng.choice([None, slot, 15, 30]),
        weeklyHours=hours or WEEK,
        bufferBeforeMinutes=rng.choice([0, 0, 10, 30]),
        bufferAfterMinutes=rng.choice([0, 15, 60]),
        minNoticeMinutes=rng.choice([0, 60, 24 * 60]),
        maxAdvanceDays=rng.choice([30, 120, 365]),
        maxQuantity=rng.choice([None, None, 2]),
        dateOverrides=[
            {"date": "2027-03-30", "closed": True},
            {"date": "2027-03-31", "hours": [{"start": "10:00", "end": "14:00"}]},
        ],
    )


@pytest.mark.parametrize("seed", range(6))
def test_for_slot_types_the_calendar_agrees_with_single_day_availability(
    client: httpx.Client, seed: int
) -> None:
    rng = random.Random(seed)
    owner = with_organisation(
        client, timezone=rng.choice(["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"])
    )
    rt = _random_type(rng, owner)
    resources = [
        owner.resource(rt["id"], capacity=rng.choice([1, 1, 2, 3])) for _ in range(rng.randint(1, 3))
    ]
    first = date(2027, 3, 20) if seed % 2 else date.today() - timedelta(days=1)
    for _ in range(rng.randint(5, 25)):
        day = first + timedelta(days=rng.randint(0, 20))
        start = f"{day}T{rng.randint(0, 22):02d}:{rng.choice(['00', '15', '30'])}:00Z"
        hours = rng.choice([1, 2, 3])
        end = f"{day}T{min(23, int(start[11:13]) + hours):02d}:45:00Z"
        owner.post(
            "/api/reservations",
            json={"resourceId": rng.choice(resources)["id"], "startTime": start, "endTime": end},
        )
    last = first + timedelta(days=rng.randint(5, 20))
    found = calendar(client, page(owner), resourceTypeId=rt["id"], **{"from": str(first), "to": str(last)})
    assert found.status_code == 200, found.text
    token_resource = resources[0]
    token = owner.ok("GET", f"/api/resources/{token_resource['id']}/public-token")["publicBookingToken"]
    by_token = calendar(
        client, f"/api/public/booking/{token}", **{"from": str(first), "to": str(last)}
    ).json()
    for found_days, single in ((found.json()["days"], {}), (by_token["days"], {"token": token})):
        assert len(found_days) == (last - first).days + 1
        for day in found_days:
            if single:
                slots = client.get(
                    f"/api/public/booking/{token}/availability", params={"date": day["date"]}
                ).json()["slots"]
            else:
                slots = client.get(
                    f"{page(owner)}/availability", params={"date": day["date"], "resourceTypeId": rt["id"]}
                ).json()["slots"]
            free = [s["availableQuantity"] for s in slots if s["available"]]
            assert day["freeSlots"] == len(free), (seed, day)
            assert day["available"] == bool(free)
            assert day["availableQuantity"] == max((s["availableQuantity"] for s in slots), default=0)
            assert "checkInAllowed" not in day
