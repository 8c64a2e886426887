"""Public booking by slug and by token: catalog, availability, quote, reserve, self-service."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.api import WEEK, Staff, with_organisation

pytestmark = pytest.mark.e2e

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = {
    d: [{"start": "09:00", "end": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


def local(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).astimezone(UTC).isoformat()


def soon(days: int = 7) -> date:
    return (datetime.now(BERLIN) + timedelta(days=days)).date()


def customer(**extra: object) -> dict[str, object]:
    return {
        "customerName": "Jo Client",
        "customerEmail": "jo@example.com",
        "customerPhone": "+49 30 123",
    } | extra


@pytest.fixture
def shop(client: httpx.Client) -> tuple[Staff, dict[str, object], list[dict[str, object]]]:
    owner = with_organisation(client, serviceFeeBps=500, taxBps=1000)
    rt = owner.resource_type(slotMinutes=60, weeklyHours=NINE_TO_FIVE, priceAmount=3000, maxSlotsPerBooking=2)
    rooms = [owner.resource(rt["id"], capacity=1), owner.resource(rt["id"], capacity=2)]
    return owner, rt, rooms


def base(owner: Staff) -> str:
    return f"/api/public/booking/organisations/{owner.slug}"


def test_catalog_by_slug_and_token(client: httpx.Client, shop: tuple[Staff, dict, list]) -> None:
    owner, rt, rooms = shop
    hidden = owner.resource_type(publiclyBookable=False)
    owner.resource(hidden["id"])
    paid = owner.resource_type(paymentRequired=True, priceAmount=100)
    owner.resource(paid["id"])
    catalog = client.get(base(owner)).json()
    assert catalog["organisation"] == {
        "slug": owner.slug,
        "name": "Test Org",
        "timezone": "Europe/Berlin",
        "currency": "eur",
    }
    assert catalog["acceptsPayments"] is False
    types = {t["id"]: t for t in catalog["resourceTypes"]}
    assert set(types) == {rt["id"], paid["id"]}
    assert types[rt["id"]]["bookable"] is True
    assert types[paid["id"]]["bookable"] is False  # payment required while payments are not accepted
    assert [r["id"] for r in types[rt["id"]]["resources"]] == [r["id"] for r in rooms]
    token = owner.ok("GET", f"/api/resources/{rooms[1]['id']}/public-token")["publicBookingToken"]
    by_token = client.get(f"/api/public/booking/{token}").json()
    assert by_token["resource"] == {"id": rooms[1]["id"], "name": rooms[1]["name"], "capacity": 2}
    assert by_token["resourceType"]["id"] == rt["id"]
    assert client.get(f"/api/public/booking/organisations/{owner.slug}x").status_code == 404
    assert client.get("/api/public/booking/not-a-token").status_code == 404
    hidden_slot = {
        "resourceTypeId": hidden["id"],
        "startTime": local(soon(), 10),
        "endTime": local(soon(), 11),
    }
    assert client.post(f"{base(owner)}/quote", json=hidden_slot).status_code == 404
    assert (
        client.get(
            f"{base(owner)}/availability", params={"date": str(soon()), "resourceTypeId": hidden["id"]}
        ).status_code
        == 404
    )


def test_availability_follows_hours_bookings_and_overrides(
    client: httpx.Client, shop: tuple[Staff, dict, list]
) -> None:
    owner, rt, rooms = shop
    day = soon()
    closed = soon(8)
    owner.ok(
        "PATCH",
        f"/api/resource-types/{rt['id']}",
        json={"dateOverrides": [{"date": str(closed), "closed": True}]},
    )
    owner.ok(
        "POST",
        "/api/reservations",
        201,
        json={
            "resourceId": rooms[0]["id"],
            "startTime": local(day, 10),
            "endTime": local(day, 11),
            "customerInfo": {"name": "Secret Person", "email": "secret@example.com"},
        },
    )
    owner.ok(
        "POST",
        "/api/reservations",
        201,
        json={
            "resourceId": rooms[1]["id"],
            "startTime": local(day, 10),
            "endTime": local(day, 11),
            "quantity": 2,
        },
    )
    owner.ok(
        "POST",
        "/api/reservations",
        201,
        json={"resourceId": rooms[1]["id"], "startTime": local(day, 12), "endTime": local(day, 13)},
    )
    r = client.get(f"{base(owner)}/availability", params={"date": str(day), "resourceTypeId": rt["id"]})
    assert r.status_code == 200
    found = r.json()
    assert (found["date"], found["timezone"], found["resourceTypeId"]) == (
        str(day),
        "Europe/Berlin",
        rt["id"],
    )
    slots = {s["startTime"]: s for s in found["slots"]}
    assert len(slots) == 8
    assert next(iter(slots)) == local(day, 9).replace("+00:00", "Z")
    assert slots[local(day, 10).replace("+00:00", "Z")] | {} == {
        "startTime": local(day, 10).replace("+00:00", "Z"),
        "endTime": local(day, 11).replace("+00:00", "Z"),
        "available": False,
        "availableQuantity": 0,
    }
    assert slots[local(day, 12).replace("+00:00", "Z")]["availableQuantity"] == 2
    assert slots[local(day, 9).replace("+00:00", "Z")]["availableQuantity"] == 3
    assert "Secret" not in r.text
    assert "secret@" not in r.text
    only_big = client.get(
        f"{base(owner)}/availability",
        params={"date": str(day), "resourceTypeId": rt["id"], "resourceId": rooms[1]["id"]},
    ).json()
    assert {s["availableQuantity"] for s in only_big["slots"]} == {0, 1, 2}
    assert (
        client.get(
            f"{base(owner)}/availability", params={"date": str(closed), "resourceTypeId": rt["id"]}
        ).json()["slots"]
        == []
    )
    past = client.get(
        f"{base(owner)}/availability", params={"date": "2020-01-01", "resourceTypeId": rt["id"]}
    )
    assert past.status_code == 200
    assert past.json()["slots"] == []
    far = str(date.today() + timedelta(days=400))
    assert (
        client.get(f"{base(owner)}/availability", params={"date": far, "resourceTypeId": rt["id"]}).json()[
            "slots"
        ]
        == []
    )
    for bad in (
        {"date": "2031-02-30", "resourceTypeId": rt["id"]},
        {"date": str(day)},
        {"date": str(day), "resourceTypeId": "x"},
    ):
        assert client.get(f"{base(owner)}/availability", params=bad).status_code == 400, bad


def test_max_quantity_caps_what_is_offered_and_asked(
    client: httpx.Client, shop: tuple[Staff, dict, list]
) -> None:
    owner, rt, _ = shop
    owner.ok("PATCH", f"/api/resource-types/{rt['id']}", json={"maxQuantity": 2})
    found = client.get(
        f"{base(owner)}/availability", params={"date": str(soon()), "resourceTypeId": rt["id"]}
    ).json()
    assert {s["availableQuantity"] for s in found["slots"]} == {2}
    body = {
        "resourceTypeId": rt["id"],
        "startTime": local(soon(), 10),
        "endTime": local(soon(), 11),
        "quantity": 3,
    }
    r = client.post(f"{base(owner)}/quote", json=body)
    assert r.status_code == 400
    assert r.json()["code"] == "VALIDATION_ERROR"


def test_quote(client: httpx.Client, shop: tuple[Staff, dict, list]) -> None:
    owner, rt, _ = shop
    body = {
        "resourceTypeId": rt["id"],
        "startTime": local(soon(), 10),
        "endTime": local(soon(), 12),
        "quantity": 2,
    }
    q = client.post(f"{base(owner)}/quote", json=body)
    assert q.status_code == 200, q.text
    assert q.json() == {
        "unitAmount": 3000,
        "units": 4,
        "subtotal": 12000,
        "serviceFee": 600,
        "taxes": 1200,
        "total": 13800,
        "currency": "eur",
        "paymentRequired": False,
    }
    off_grid = body | {"startTime": local(soon(), 10, 15), "endTime": local(soon(), 11, 15)}
    assert client.post(f"{base(owner)}/quote", json=off_grid).json()["code"] == "OUTSIDE_BOOKING_WINDOW"


def test_reserve_rules(client: httpx.Client, shop: tuple[Staff, dict, list]) -> None:
    owner, rt, _ = shop
    day = soon()
    slot = {"resourceTypeId": rt["id"], "startTime": local(day, 10), "endTime": local(day, 11)}
    ok = client.post(f"{base(owner)}/reserve", json=slot | customer())
    assert ok.status_code == 201, ok.text
    made = ok.json()
    assert made["status"] == "confirmed"
    assert made["paymentStatus"] == "not_required"
    assert made["requiresPayment"] is False
    assert (made["quotedAmount"], made["quotedCurrency"], made["holdExpiresAt"]) == (3450, "eur", None)
    assert len(made["manageToken"]) >= 32
    assert "checkoutUrl" not in made
    staff_view = owner.ok("GET", f"/api/reservations/{made['reservationId']}")
    assert staff_view["source"] == "public"
    assert staff_view["customerInfo"] == {
        "name": "Jo Client",
        "email": "jo@example.com",
        "phone": "+49 30 123",
    }
    outside = [
        slot | {"startTime": local(day, 10, 30), "endTime": local(day, 11, 30)},  # off the grid
        slot | {"startTime": local(day, 16), "endTime": local(day, 18)},  # past closing
        slot | {"startTime": local(day, 7), "endTime": local(day, 8)},  # before opening
        slot | {"startTime": local(day, 9), "endTime": local(day, 12)},  # three slots, two allowed
        slot | {"startTime": local(date(2020, 1, 6), 10), "endTime": local(date(2020, 1, 6), 11)},  # the past
        slot
        | {
            "startTime": local(date.today() + timedelta(days=400), 10),
            "endTime": local(date.today() + timedelta(days=400), 11),
        },
    ]
    for body in outside:
        r = client.post(f"{base(owner)}/reserve", json=body | customer())
        assert r.status_code == 409, (body, r.text)
        assert r.json()["code"] == "OUTSIDE_BOOKING_WINDOW"
    two = client.post(
        f"{base(owner)}/reserve",
        json=slot | {"startTime": local(day, 13), "endTime": local(day, 15)} | customer(),
    )
    assert two.status_code == 201
    # the 10:00 slot has 2 units left (one room of 2); asking for 3 is more than is free
    full = client.post(f"{base(owner)}/reserve", json=slot | {"quantity": 3} | customer())
    assert full.status_code == 409
    assert full.json()["code"] == "SLOT_UNAVAILABLE"
    for bad in (customer(customerEmail="not-an-email"), customer(customerName=" "), {"customerName": "x"}):
        assert client.post(f"{base(owner)}/reserve", json=slot | bad).status_code == 400
    # minimum notice
    owner.ok("PATCH", f"/api/resource-types/{rt['id']}", json={"minNoticeMinutes": 60 * 24 * 30})
    r = client.post(
        f"{base(owner)}/reserve",
        json=slot | {"startTime": local(day, 15), "endTime": local(day, 16)} | customer(),
    )
    assert r.json()["code"] == "OUTSIDE_BOOKING_WINDOW"


def test_approval_payment_and_switches(client: httpx.Client, shop: tuple[Staff, dict, list]) -> None:
    owner, rt, rooms = shop
    day = soon()
    approval = owner.resource_type(weeklyHours=WEEK, requiresApproval=True)
    owner.resource(approval["id"])
    body = {
        "resourceTypeId": approval["id"],
        "startTime": local(day, 10),
        "endTime": local(day, 11),
    } | customer()
    made = client.post(f"{base(owner)}/reserve", json=body).json()
    assert made["status"] == "pending"
    paid = owner.resource_type(weeklyHours=WEEK, paymentRequired=True, priceAmount=1000)
    owner.resource(paid["id"])
    r = client.post(f"{base(owner)}/reserve", json=body | {"resourceTypeId": paid["id"]})
    assert r.status_code == 409
    assert r.json()["code"] == "PAYMENTS_UNAVAILABLE"
    # switching public booking off hides the pages but keeps self-service working
    owner.ok("PATCH", f"/api/organisations/{owner.organisation_id}", json={"publicBookingEnabled": False})
    assert client.get(base(owner)).status_code == 404
    assert (
        client.get(
            f"{base(owner)}/availability", params={"date": str(day), "resourceTypeId": rt["id"]}
        ).status_code
        == 404
    )
    slot_only = {k: v for k, v in body.items() if not k.startswith("customer")}
    assert client.post(f"{base(owner)}/quote", json=slot_only).status_code == 404
    assert client.post(f"{base(owner)}/reserve", json=body).status_code == 404
    token = owner.ok("GET", f"/api/resources/{rooms[0]['id']}/public-token")["publicBookingToken"]
    assert client.get(f"/api/public/booking/{token}").status_code == 404
    assert client.get(f"/api/public/reservations/{made['manageToken']}").status_code == 200
    assert client.post(f"/api/public/reservations/{made['manageToken']}/cancel", json={}).status_code == 200


def test_token_route_fixes_the_resource(client: httpx.Client, shop: tuple[Staff, dict, list]) -> None:
    owner, rt, rooms = shop
    other_type = owner.resource_type()
    token = owner.ok("GET", f"/api/resources/{rooms[0]['id']}/public-token")["publicBookingToken"]
    day = soon()
    slot = {"startTime": local(day, 10), "endTime": local(day, 11)}
    made = client.post(f"/api/public/booking/{token}/reserve", json=slot | customer())
    assert made.status_code == 201, made.text
    assert owner.ok("GET", f"/api/reservations/{made.json()['reservationId']}")["resourceIds"] == [
        rooms[0]["id"]
    ]
    assert (
        client.post(f"/api/public/booking/{token}/reserve", json=slot | customer()).json()["code"]
        == "SLOT_UNAVAILABLE"
    )
    found = client.get(f"/api/public/booking/{token}/availability", params={"date": str(day)}).json()
    assert {s["availableQuantity"] for s in found["slots"]} == {0, 1}
    assert (
        client.post(
            f"/api/public/booking/{token}/quote", json=slot | {"resourceTypeId": other_type["id"]}
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"/api/public/booking/{token}/quote", json=slot | {"resourceId": rooms[1]["id"]}
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"/api/public/booking/{token}/quote",
            json=slot | {"resourceTypeId": rt["id"], "resourceId": rooms[0]["id"]},
        ).status_code
        == 200
    )
    owner.ok("POST", f"/api/resources/{rooms[0]['id']}/regenerate-token")
    assert client.get(f"/api/public/booking/{token}").status_code == 404
    assert (
        client.get(f"/api/public/booking/{token}/availability", params={"date": str(day)}).status_code == 404
    )


def test_self_service_by_manage_token(client: httpx.Client, shop: tuple[Staff, dict, list]) -> None:
    owner, rt, rooms = shop
    day = soon()
    slot = {
        "resourceTypeId": rt["id"],
        "resourceId": rooms[0]["id"],
        "startTime": local(day, 10),
        "endTime": local(day, 11),
    }
    made = client.post(f"{base(owner)}/reserve", json=slot | customer()).json()
    manage = f"/api/public/reservations/{made['manageToken']}"
    view = client.get(manage).json()
    assert view["reference"] == made["reference"]
    assert view["organisation"] == {"slug": owner.slug, "name": "Test Org"}
    assert view["resourceType"] == {"id": rt["id"], "name": rt["name"]}
    assert view["refundIfCancelledNow"] == {"amount": 0, "currency": "eur"}
    assert view["quote"]["total"] == 3450
    assert client.get(f"/api/public/reservations/{made['manageToken']}x").status_code == 404
    done = client.post(f"{manage}/cancel", json={"reason": "plans changed"})
    assert done.status_code == 200
    assert done.json()["reservation"]["status"] == "cancelled"
    assert done.json()["refund"] == {"eligible": False, "amount": 0, "currency": "eur", "status": "none"}
    assert client.post(f"{manage}/cancel", json={}).json()["code"] == "ALREADY_CANCELLED"
    again = client.post(f"{base(owner)}/reserve", json=slot | customer())  # the slot is free again
    assert again.status_code == 201


def test_idempotent_reserve_is_scoped_to_the_slug(
    client: httpx.Client, shop: tuple[Staff, dict, list]
) -> None:
    owner, rt, _ = shop
    body = {
        "resourceTypeId": rt["id"],
        "startTime": local(soon(), 10),
        "endTime": local(soon(), 11),
    } | customer()
    key = {"Idempotency-Key": "checkout-button-1"}
    first = client.post(f"{base(owner)}/reserve", json=body, headers=key)
    second = client.post(f"{base(owner)}/reserve", json=body, headers=key)
    assert first.status_code == second.status_code == 201
    assert second.json()["reservationId"] == first.json()["reservationId"]
    assert second.headers["idempotent-replayed"] == "true"
    assert client.post(f"{base(owner)}/reserve", json=body | {"quantity": 2}, headers=key).status_code == 422
    assert owner.ok("GET", "/api/reservations")["pagination"]["total"] == 1


@pytest.mark.parametrize(
    ("organisation", "type_fields", "resource_fields"),
    [
        ({}, {}, {}),
        ({"publicBookingEnabled": False}, {}, {}),
        ({}, {"publiclyBookable": False}, {}),
        ({}, {}, {"isActive": False}),
    ],
)
def test_the_catalog_and_the_hot_read_agree_on_what_is_open_to_the_public(
    client: httpx.Client,
    organisation: dict[str, object],
    type_fields: dict[str, object],
    resource_fields: dict[str, object],
) -> None:
    """One rule (`domain.catalog.open_to_public`) and its SQL mirror in the one-statement read agree."""
    owner = with_organisation(client)
    rt = owner.resource_type()
    room = owner.resource(rt["id"])
    token = owner.ok("GET", f"/api/resources/{room['id']}/public-token")["publicBookingToken"]
    if organisation:
        owner.ok("PATCH", f"/api/organisations/{owner.organisation_id}", json=organisation)
    if type_fields:
        owner.ok("PATCH", f"/api/resource-types/{rt['id']}", json=type_fields)
    if resource_fields:
        owner.ok("PATCH", f"/api/resources/{room['id']}", json=resource_fields)
    catalog = client.get(f"/api/public/booking/organisations/{owner.slug}")
    listed = catalog.status_code == 200 and any(
        t["id"] == rt["id"] and [r["id"] for r in t["resources"]] == [room["id"]]
        for t in catalog.json()["resourceTypes"]
    )
    by_token = client.get(f"/api/public/booking/{token}").status_code == 200
    hot = (
        client.get(
            f"/api/public/booking/organisations/{owner.slug}/availability",
            params={"date": "2031-01-06", "resourceTypeId": rt["id"], "resourceId": room["id"]},
        ).status_code
        == 200
    )
    hot_token = (
        client.get(f"/api/public/booking/{token}/availability", params={"date": "2031-01-06"}).status_code
        == 200
    )
    expected = not (organisation or type_fields or resource_fields)
    assert (listed, by_token, hot, hot_token) == (expected,) * 4
