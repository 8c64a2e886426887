"""Customer accounts (API.md section 13): any user books as a customer, finds their bookings across
organisations, and no one else's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import icalendar
import pytest

from tests.support.api import WEEK, Staff, by_api_key, sign_up, with_organisation

pytestmark = pytest.mark.e2e

SOON = (datetime.now(UTC) + timedelta(days=12)).replace(hour=9, minute=0, second=0, microsecond=0)


def shop(client: httpx.Client) -> tuple[Staff, int]:
    owner = with_organisation(client)
    rt = owner.resource_type(weeklyHours=WEEK)
    owner.resource(rt["id"], capacity=5)
    return owner, rt["id"]


def reserve(
    client: httpx.Client, owner: Staff, type_id: int, hours: int, who: Staff | None = None, **body: Any
) -> httpx.Response:
    start = SOON + timedelta(hours=hours)
    headers = {"Authorization": f"Bearer {who.token}"} if who else {}
    return client.post(
        f"/api/public/booking/organisations/{owner.slug}/reserve",
        json={
            "resourceTypeId": type_id,
            "startTime": start.isoformat(),
            "endTime": (start + timedelta(hours=1)).isoformat(),
        }
        | body,
        headers=headers,
    )


def test_a_logged_in_customer_books_and_finds_their_bookings_across_organisations(
    client: httpx.Client,
) -> None:
    first, first_type = shop(client)
    second, second_type = shop(client)
    ana = sign_up(client, "Ana Customer")  # belongs to no organisation
    mine = [reserve(client, first, first_type, h, ana) for h in (1, 30)] + [
        reserve(client, second, second_type, 2, ana)
    ]
    assert [r.status_code for r in mine] == [201, 201, 201], [r.text for r in mine]
    booked = mine[0].json()
    staff_view = first.ok("GET", f"/api/reservations/{booked['reservationId']}")
    assert staff_view["customerUserId"] == ana.user_id
    assert staff_view["customerInfo"]["name"] == "Ana Customer"  # the user's name and e-mail by default
    assert staff_view["customerInfo"]["email"] == ana.email
    guest = reserve(
        client, first, first_type, 3, customerName="Guest", customerEmail=ana.email, customerPhone="1"
    )
    assert guest.status_code == 201
    assert first.ok("GET", f"/api/reservations/{guest.json()['reservationId']}")["customerUserId"] is None

    listed = ana.ok("GET", "/api/me/bookings")
    assert listed["pagination"]["total"] == 3  # the guest booking with the same e-mail is not theirs
    starts = [b["startTime"] for b in listed["data"]]
    assert starts == sorted(starts, reverse=True)  # newest start first
    assert {b["organisation"]["slug"] for b in listed["data"]} == {first.slug, second.slug}
    one = listed["data"][-1]
    assert {"reservationId", "reference", "createdAt", "refundIfCancelledNow"} <= set(one)
    assert (
        ana.ok("GET", "/api/me/bookings?limit=1&page=2")["data"][0]["reference"]
        == listed["data"][1]["reference"]
    )
    assert ana.ok("GET", "/api/me/bookings?upcoming=false")["pagination"]["total"] == 0
    assert ana.ok("GET", "/api/me/bookings?status=cancelled")["data"] == []
    assert ana.get("/api/me/bookings?status=nonsense").status_code == 400

    shown = ana.ok("GET", f"/api/me/bookings/{booked['reference']}")
    assert shown["reservationId"] == booked["reservationId"]
    ics = ana.get(f"/api/me/bookings/{booked['reference']}/calendar.ics")
    assert ics.status_code == 200
    (event,) = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
    assert str(event["uid"]) == f"{booked['reference']}@booking"
    cancelled = ana.ok("POST", f"/api/me/bookings/{booked['reference']}/cancel", json={"reason": "ill"})
    assert cancelled["reservation"]["status"] == "cancelled"
    assert ana.ok("GET", "/api/me/bookings?status=cancelled")["pagination"]["total"] == 1
    later = SOON + timedelta(hours=50)
    moved = ana.ok(
        "POST",
        f"/api/me/bookings/{mine[1].json()['reference']}/reschedule",
        json={"startTime": later.isoformat(), "endTime": (later + timedelta(hours=1)).isoformat()},
    )
    assert moved["reservation"]["startTime"].startswith(later.strftime("%Y-%m-%dT%H"))


def test_another_users_bookings_are_not_found_and_keys_and_bad_tokens_are_refused(
    client: httpx.Client,
) -> None:
    owner, type_id = shop(client)
    ana, bo = sign_up(client, "Ana"), sign_up(client, "Bo")
    theirs = reserve(client, owner, type_id, 5, ana).json()
    for method, path in (
        ("GET", f"/api/me/bookings/{theirs['reference']}"),
        ("POST", f"/api/me/bookings/{theirs['reference']}/cancel"),
        ("GET", f"/api/me/bookings/{theirs['reference']}/calendar.ics"),
        ("POST", f"/api/me/bookings/{theirs['reference']}/reschedule"),
        ("GET", "/api/me/bookings/NOPE-000000"),
    ):
        answer = bo.request(method, path, json={} if method == "POST" else None)
        assert answer.status_code == 404, (path, answer.text)
    assert bo.ok("GET", "/api/me/bookings")["data"] == []
    assert ana.ok("GET", f"/api/me/bookings/{theirs['reference']}")["status"] == "confirmed"  # untouched
    assert client.get("/api/me/bookings").status_code == 401
    key = owner.ok(
        "POST",
        "/api/api-keys",
        201,
        json={"name": "k", "organisationId": owner.organisation_id, "scopes": ["reservations:read"]},
    )["key"]
    assert by_api_key(client, key).get("/api/me/bookings").status_code == 403
    forged = client.post(
        f"/api/public/booking/organisations/{owner.slug}/reserve",
        json={
            "resourceTypeId": type_id,
            "startTime": (SOON + timedelta(hours=7)).isoformat(),
            "endTime": (SOON + timedelta(hours=8)).isoformat(),
        },
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert forged.status_code == 401  # never a silent guest booking
    anonymous = reserve(client, owner, type_id, 7)
    assert anonymous.status_code == 400
    assert anonymous.json()["errors"][0]["field"] == "customerName"
