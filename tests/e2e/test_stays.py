"""Stays by the night and bookings by the day (API.md section 8) against the real server and database."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.api import Staff, with_organisation
from tests.support.payments import sql

pytestmark = pytest.mark.e2e

GUEST = {"customerName": "Ada Guest", "customerEmail": "ada@example.com", "customerPhone": "+49 30 1"}


def villa_type(owner: Staff, **fields: Any) -> dict[str, Any]:
    body = {"name": "Villa", "bookingUnit": "night", "priceAmount": 20_000} | fields
    return owner.ok("POST", "/api/resource-types", 201, json=body)  # type: ignore[no-any-return]


def public(owner: Staff) -> str:
    return f"/api/public/booking/organisations/{owner.slug}"


def test_a_night_type_needs_no_slot_length_and_says_how_it_books(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = villa_type(owner, maxGuests=6)
    assert rt["bookingUnit"] == "night"
    assert (rt["checkInTime"], rt["checkOutTime"], rt["minStay"], rt["maxStay"]) == ("15:00", "11:00", 1, 30)
    assert rt["maxGuests"] == 6
    owner.resource(rt["id"])
    listed = client.get(public(owner)).json()["resourceTypes"][0]
    assert listed["bookingUnit"] == "night"
    assert (listed["checkInTime"], listed["minStay"], listed["maxGuests"]) == ("15:00", 1, 6)
    # a slot type still needs its slot length and weekly hours; a night type's times must leave a gap
    for body, field in (
        ({"name": "x", "weeklyHours": {}}, "slotMinutes"),
        ({"name": "x", "slotMinutes": 60}, "weeklyHours"),
        ({"name": "x", "bookingUnit": "night", "checkOutTime": "16:00"}, "checkOutTime"),
        ({"name": "x", "bookingUnit": "night", "minStay": 5, "maxStay": 3}, "maxStay"),
        ({"name": "x", "bookingUnit": "night", "checkInTime": "24:00"}, "checkInTime"),
        ({"name": "x", "bookingUnit": "week"}, "bookingUnit"),
    ):
        refused = owner.post("/api/resource-types", json=body)
        assert refused.status_code == 400, (body, refused.text)
        assert any(field in e["field"] for e in refused.json()["errors"]), refused.json()


def test_a_three_night_villa_stay_is_quoted_by_the_night_and_occupies_check_in_to_check_out(
    client: httpx.Client,
) -> None:
    owner = with_organisation(client, serviceFeeBps=500, taxBps=1000)
    rt = villa_type(owner)
    villa = owner.resource(rt["id"])
    stay = {"resourceTypeId": rt["id"], "checkIn": "2027-06-10", "checkOut": "2027-06-13"}
    quote = client.post(f"{public(owner)}/quote", json=stay).json()
    assert (quote["units"], quote["subtotal"], quote["serviceFee"], quote["taxes"]) == (3, 60_000, 3000, 6000)
    assert quote["total"] == 69_000
    booked = client.post(f"{public(owner)}/reserve", json=stay | GUEST | {"adults": 2, "children": 1})
    assert booked.status_code == 201, booked.text
    assert booked.json()["quotedAmount"] == 69_000
    r = owner.ok("GET", f"/api/reservations/{booked.json()['reservationId']}")
    assert r["bookingUnit"] == "night"
    assert (r["checkIn"], r["checkOut"], r["nights"]) == ("2027-06-10", "2027-06-13", 3)
    assert (r["startDate"], r["days"]) == (None, None)
    # 15:00 and 11:00 in Berlin's summer time
    assert (r["startTime"], r["endTime"]) == ("2027-06-10T13:00:00Z", "2027-06-13T09:00:00Z")
    assert (r["adults"], r["children"], r["quote"]["units"]) == (2, 1, 3)
    assert r["resourceIds"] == [villa["id"]]
    manage = client.get(f"/api/public/reservations/{booked.json()['manageToken']}").json()
    assert (manage["bookingUnit"], manage["checkIn"], manage["nights"]) == ("night", "2027-06-10", 3)


def test_a_stay_over_the_spring_change_keeps_its_wall_times_and_consecutive_stays_both_fit(
    client: httpx.Client,
) -> None:
    owner = with_organisation(client)
    rt = villa_type(owner, bufferAfterMinutes=120)  # two hours' cleaning after check-out
    owner.resource(rt["id"])

    def reserve(check_in: str, check_out: str) -> httpx.Response:
        body = {"resourceTypeId": rt["id"], "checkIn": check_in, "checkOut": check_out} | GUEST
        return client.post(f"{public(owner)}/reserve", json=body)

    over = reserve("2027-03-27", "2027-03-29")  # clocks go forward on the night of 27 to 28 March
    assert over.status_code == 201, over.text
    r = owner.ok("GET", f"/api/reservations/{over.json()['reservationId']}")
    assert (r["startTime"], r["endTime"]) == ("2027-03-27T14:00:00Z", "2027-03-29T09:00:00Z")
    assert reserve("2027-03-29", "2027-03-31").status_code == 201  # check-out day = next check-in day
    assert reserve("2027-03-25", "2027-03-27").status_code == 201
    clash = reserve("2027-03-28", "2027-03-30")
    assert clash.status_code == 409
    assert clash.json()["code"] == "SLOT_UNAVAILABLE"


def test_day_bookings_take_a_start_date_and_days_and_count_days(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = owner.ok(
        "POST",
        "/api/resource-types",
        201,
        json={"name": "Boat", "bookingUnit": "day", "priceAmount": 9_000, "maxStay": 5},
    )
    owner.resource(rt["id"], capacity=2)
    body = {"resourceTypeId": rt["id"], "startDate": "2027-10-30", "days": 3, "quantity": 2}
    quote = client.post(f"{public(owner)}/quote", json=body).json()
    assert (quote["units"], quote["total"]) == (6, 54_000)
    booked = client.post(f"{public(owner)}/reserve", json=body | GUEST)
    assert booked.status_code == 201, booked.text
    r = owner.ok("GET", f"/api/reservations/{booked.json()['reservationId']}")
    assert (r["bookingUnit"], r["startDate"], r["days"], r["checkIn"]) == ("day", "2027-10-30", 3, None)
    # midnight to midnight in Berlin across the autumn change: 73 hours
    assert (r["startTime"], r["endTime"]) == ("2027-10-29T22:00:00Z", "2027-11-01T23:00:00Z")
    longer = client.post(f"{public(owner)}/quote", json=body | {"days": 6})
    assert longer.status_code == 409
    assert longer.json()["code"] == "OUTSIDE_BOOKING_WINDOW"


@pytest.mark.parametrize(
    ("unit", "body", "field"),
    [
        ("night", {"startTime": "2027-06-10T13:00:00Z", "endTime": "2027-06-11T09:00:00Z"}, "startTime"),
        ("night", {"checkIn": "2027-06-10"}, "checkOut"),
        ("night", {"checkIn": "2027-06-10", "checkOut": "2027-06-10"}, "checkOut"),
        ("night", {"checkIn": "2027-06-10", "checkOut": "2027-06-12", "days": 2}, "days"),
        ("day", {"checkIn": "2027-06-10", "checkOut": "2027-06-12"}, "checkIn"),
        ("day", {"startDate": "2027-06-10"}, "days"),
        ("slot", {"checkIn": "2027-06-10", "checkOut": "2027-06-12"}, "checkIn"),
        ("slot", {"startDate": "2027-06-10", "days": 1}, "startDate"),
        ("slot", {}, "startTime"),
    ],
)
def test_the_other_shape_is_a_validation_error_everywhere(
    client: httpx.Client, unit: str, body: dict[str, Any], field: str
) -> None:
    owner = with_organisation(client)
    if unit == "slot":
        rt = owner.resource_type()
    else:
        rt = owner.ok("POST", "/api/resource-types", 201, json={"name": "t", "bookingUnit": unit})
    owner.resource(rt["id"])
    named = body | {"resourceTypeId": rt["id"]}
    for answer in (
        client.post(f"{public(owner)}/quote", json=named),
        client.post(f"{public(owner)}/reserve", json=named | GUEST),
        owner.post("/api/reservations", json=named),
    ):
        assert answer.status_code == 400, answer.text
        problem = answer.json()
        assert problem["code"] == "VALIDATION_ERROR"
        assert [e["field"] for e in problem["errors"]] == [field], problem
    assert owner.ok("GET", "/api/reservations")["pagination"]["total"] == 0


def test_public_stay_rules_are_enforced_for_customers_and_not_for_staff(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = villa_type(
        owner,
        minStay=2,
        maxStay=7,
        weeklyHours={
            "sat": [{"start": "00:00", "end": "24:00"}],
            "sun": [{"start": "00:00", "end": "24:00"}],
        },
        dateOverrides=[{"date": "2027-07-20", "closed": True}],
        minNoticeMinutes=3 * 24 * 60,
        maxAdvanceDays=300,
    )
    owner.resource(rt["id"])
    # 2027-07-17 is a Saturday; 2027-07-20 is closed
    refused = {
        "one night, minStay 2": ("2027-07-17", "2027-07-18"),
        "eight nights, maxStay 7": ("2027-07-03", "2027-07-11"),
        "starts on a Monday": ("2027-07-05", "2027-07-08"),
        "touches a closed night": ("2027-07-17", "2027-07-21"),
        "inside the notice": ("2026-12-02", "2026-12-05"),
        "ends beyond the window": ("2027-09-25", "2027-10-01"),
    }
    for reason, (check_in, check_out) in refused.items():
        stay = {"resourceTypeId": rt["id"], "checkIn": check_in, "checkOut": check_out}
        answer = client.post(f"{public(owner)}/reserve", json=stay | GUEST)
        assert answer.status_code == 409, (reason, answer.text)
        assert answer.json()["code"] == "OUTSIDE_BOOKING_WINDOW", reason
        staff = owner.post("/api/reservations", json=stay)
        assert staff.status_code == 201, (reason, staff.text)  # staff may ignore the rules
        owner.ok("DELETE", f"/api/reservations/{staff.json()['id']}", 204)
    fine = {"resourceTypeId": rt["id"], "checkIn": "2027-07-17", "checkOut": "2027-07-20"}
    assert client.post(f"{public(owner)}/reserve", json=fine | GUEST).status_code == 201  # 20th: check-out
    # but never capacity
    again = owner.post("/api/reservations", json=fine)
    assert again.status_code == 409
    assert again.json()["code"] == "SLOT_UNAVAILABLE"


def test_guests_above_max_guests_are_a_validation_error_for_customers_and_staff(
    client: httpx.Client,
) -> None:
    owner = with_organisation(client)
    rt = villa_type(owner, maxGuests=4)
    owner.resource(rt["id"])
    stay = {"resourceTypeId": rt["id"], "checkIn": "2027-05-01", "checkOut": "2027-05-03"}
    for guests, field in (({"adults": 3, "children": 2}, "children"), ({"adults": 0}, "adults")):
        for answer in (
            client.post(f"{public(owner)}/reserve", json=stay | GUEST | guests),
            owner.post("/api/reservations", json=stay | guests),
        ):
            assert answer.status_code == 400, answer.text
            assert answer.json()["errors"][0]["field"] == field
    made = owner.ok("POST", "/api/reservations", 201, json=stay | {"adults": 2, "children": 2})
    assert (made["adults"], made["children"]) == (2, 2)
    too_many = owner.patch(f"/api/reservations/{made['id']}", json={"adults": 3})
    assert too_many.status_code == 400
    assert owner.ok("GET", f"/api/reservations/{made['id']}")["version"] == made["version"]


def test_staff_move_a_stay_by_its_dates_and_the_move_is_recorded(
    client: httpx.Client, database_url: str
) -> None:
    owner = with_organisation(client)
    rt = villa_type(owner)
    owner.resource(rt["id"])
    made = owner.ok(
        "POST",
        "/api/reservations",
        201,
        json={"resourceTypeId": rt["id"], "checkIn": "2027-08-01", "checkOut": "2027-08-04"},
    )
    longer = owner.ok("PATCH", f"/api/reservations/{made['id']}", json={"checkOut": "2027-08-06"})
    assert (longer["checkIn"], longer["checkOut"], longer["nights"]) == ("2027-08-01", "2027-08-06", 5)
    assert longer["endTime"] == "2027-08-06T09:00:00Z"
    assert longer["version"] == made["version"] + 1
    wrong = owner.patch(f"/api/reservations/{made['id']}", json={"startTime": "2027-08-01T10:00:00Z"})
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["field"] == "startTime"
    rows = sql(database_url, "SELECT type FROM outbox WHERE reservation_id = $1 ORDER BY id", made["id"])
    assert [r["type"] for r in rows] == ["reservation.created", "reservation.rescheduled"]
    # another booking cannot take the new nights
    taken = owner.post(
        "/api/reservations",
        json={"resourceTypeId": rt["id"], "checkIn": "2027-08-05", "checkOut": "2027-08-07"},
    )
    assert taken.status_code == 409


def test_a_type_with_future_bookings_cannot_change_its_unit(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type()
    room = owner.resource(rt["id"])
    owner.ok(
        "POST",
        "/api/reservations",
        201,
        json={
            "resourceId": room["id"],
            "startTime": "2027-05-01T10:00:00Z",
            "endTime": "2027-05-01T11:00:00Z",
        },
    )
    refused = owner.patch(f"/api/resource-types/{rt['id']}", json={"bookingUnit": "night"})
    assert refused.status_code == 409
    assert owner.ok("GET", f"/api/resource-types/{rt['id']}")["bookingUnit"] == "slot"
