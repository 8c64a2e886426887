"""Customers move their own booking by manage token (API.md section 15): same quantity and total, the
public rules, until the organisation's deadline; atomic, recorded, idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.api import Staff, with_organisation
from tests.support.payments import sql

pytestmark = pytest.mark.e2e

GUEST = {"customerName": "Ada Guest", "customerEmail": "ada@example.com", "customerPhone": ""}


def at(hour: int, day: str = "2027-02-10") -> str:
    return f"{day}T{hour:02d}:00:00Z"


def slot_shop(client: httpx.Client, **type_fields: Any) -> tuple[Staff, dict[str, Any]]:
    owner = with_organisation(client, timezone="UTC")
    rt = owner.resource_type(priceAmount=3000, maxSlotsPerBooking=2, **type_fields)
    owner.resource(rt["id"])
    return owner, rt


def book(client: httpx.Client, owner: Staff, rt: dict[str, Any], start: str, end: str) -> dict[str, Any]:
    body = {"resourceTypeId": rt["id"], "startTime": start, "endTime": end} | GUEST
    made = client.post(f"/api/public/booking/organisations/{owner.slug}/reserve", json=body)
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def move(client: httpx.Client, token: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return client.post(f"/api/public/reservations/{token}/reschedule", json=body, headers=headers)


def taken_at(client: httpx.Client, owner: Staff, rt: dict[str, Any], day: str = "2027-02-10") -> list[str]:
    slots = client.get(
        f"/api/public/booking/organisations/{owner.slug}/availability",
        params={"date": day, "resourceTypeId": rt["id"]},
    ).json()["slots"]
    return [s["startTime"] for s in slots if not s["available"]]


def test_a_customer_moves_their_booking_and_the_old_time_is_free_again(
    client: httpx.Client, database_url: str
) -> None:
    owner, rt = slot_shop(client)
    made = book(client, owner, rt, at(10), at(11))
    moved = move(client, made["manageToken"], {"startTime": at(12), "endTime": at(13)})
    assert moved.status_code == 200, moved.text
    view = moved.json()["reservation"]
    assert (view["startTime"], view["endTime"], view["version"]) == (at(12), at(13), 2)
    assert (view["status"], view["quote"]["total"], view["reference"]) == (
        "confirmed",
        3000,
        made["reference"],
    )
    assert taken_at(client, owner, rt) == [at(12)]
    staff_view = owner.ok("GET", f"/api/reservations/{made['reservationId']}")
    assert (staff_view["startTime"], staff_view["version"]) == (at(12), 2)
    rows = sql(
        database_url,
        "SELECT type, payload FROM outbox WHERE reservation_id = $1 ORDER BY id",
        made["reservationId"],
    )
    assert [r["type"] for r in rows] == ["reservation.created", "reservation.rescheduled"]
    assert '"previous_start": "2027-02-10T10:00:00+00:00"' in rows[1]["payload"]


def test_the_same_idempotency_key_replays_and_another_body_is_refused(client: httpx.Client) -> None:
    owner, rt = slot_shop(client)
    token = book(client, owner, rt, at(10), at(11))["manageToken"]
    body = {"startTime": at(14), "endTime": at(15)}
    first = move(client, token, body, **{"Idempotency-Key": "move-1"})
    again = move(client, token, body, **{"Idempotency-Key": "move-1"})
    assert first.status_code == again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    other = move(client, token, {"startTime": at(16), "endTime": at(17)}, **{"Idempotency-Key": "move-1"})
    assert other.status_code == 422
    assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert client.get(f"/api/public/reservations/{token}").json()["version"] == 2


def test_what_cannot_be_moved_answers_409_and_changes_nothing(client: httpx.Client) -> None:
    owner, rt = slot_shop(client)
    made = book(client, owner, rt, at(10), at(11))
    token = made["manageToken"]
    book(client, owner, rt, at(15), at(16))
    cases = [
        ({"startTime": at(12), "endTime": at(14)}, "RESCHEDULE_NOT_POSSIBLE"),  # two slots: another total
        ({"startTime": "2027-02-10T12:30:00Z", "endTime": "2027-02-10T13:30:00Z"}, "OUTSIDE_BOOKING_WINDOW"),
        ({"startTime": at(10, "2029-02-10"), "endTime": at(11, "2029-02-10")}, "OUTSIDE_BOOKING_WINDOW"),
        ({"startTime": at(15), "endTime": at(16)}, "SLOT_UNAVAILABLE"),
    ]
    for body, code in cases:
        answer = move(client, token, body)
        assert answer.status_code == 409, (body, answer.text)
        assert answer.json()["code"] == code, (body, answer.json())
    for body, field in (
        ({"checkIn": "2027-02-10", "checkOut": "2027-02-11"}, "checkIn"),
        ({"startTime": at(12)}, "endTime"),
        ({"startTime": at(12), "endTime": at(13), "quantity": 2}, "quantity"),
    ):
        answer = move(client, token, body)
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == "VALIDATION_ERROR"
        assert answer.json()["errors"][0]["field"] == field, answer.json()
    view = client.get(f"/api/public/reservations/{token}").json()
    assert (view["startTime"], view["version"]) == (at(10), 1)
    assert move(client, "no-such-token", {"startTime": at(12), "endTime": at(13)}).status_code == 404
    client.post(f"/api/public/reservations/{token}/cancel", json={})
    cancelled = move(client, token, {"startTime": at(12), "endTime": at(13)})
    assert cancelled.status_code == 409
    assert cancelled.json()["code"] == "RESCHEDULE_NOT_POSSIBLE"


def test_moving_is_refused_within_the_organisations_deadline(client: httpx.Client) -> None:
    owner, rt = slot_shop(client)
    owner.ok("PATCH", f"/api/organisations/{owner.organisation_id}", json={"rescheduleMinHoursBefore": 72})
    soon = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    made = book(client, owner, rt, soon.isoformat(), (soon + timedelta(hours=1)).isoformat())
    later = soon + timedelta(days=10)
    body = {"startTime": later.isoformat(), "endTime": (later + timedelta(hours=1)).isoformat()}
    refused = move(client, made["manageToken"], body)
    assert refused.status_code == 409
    assert refused.json()["code"] == "RESCHEDULE_NOT_POSSIBLE"
    assert "72 hours" in refused.json()["detail"]
    owner.ok("PATCH", f"/api/organisations/{owner.organisation_id}", json={"rescheduleMinHoursBefore": 24})
    assert move(client, made["manageToken"], body).status_code == 200
    org = owner.ok("GET", f"/api/organisations/{owner.organisation_id}")
    assert org["rescheduleMinHoursBefore"] == 24


def test_a_stay_is_moved_by_its_dates_at_the_same_price(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = owner.ok(
        "POST",
        "/api/resource-types",
        201,
        json={"name": "Villa", "bookingUnit": "night", "priceAmount": 10_000},
    )
    owner.resource(rt["id"])
    body = {"resourceTypeId": rt["id"], "checkIn": "2027-05-03", "checkOut": "2027-05-06"} | GUEST
    made = client.post(f"/api/public/booking/organisations/{owner.slug}/reserve", json=body).json()
    moved = move(client, made["manageToken"], {"checkIn": "2027-05-10", "checkOut": "2027-05-13"})
    assert moved.status_code == 200, moved.text
    view = moved.json()["reservation"]
    assert (view["checkIn"], view["checkOut"], view["nights"]) == ("2027-05-10", "2027-05-13", 3)
    assert view["startTime"] == "2027-05-10T13:00:00Z"
    shorter = move(client, made["manageToken"], {"checkIn": "2027-05-10", "checkOut": "2027-05-12"})
    assert shorter.status_code == 409
    assert shorter.json()["code"] == "RESCHEDULE_NOT_POSSIBLE"
    # the old nights are free again
    days = client.get(
        f"/api/public/booking/organisations/{owner.slug}/calendar",
        params={"resourceTypeId": rt["id"], "from": "2027-05-03", "to": "2027-05-12"},
    ).json()["days"]
    assert [d["availableQuantity"] for d in days] == [1, 1, 1, 1, 1, 1, 1, 0, 0, 0]
