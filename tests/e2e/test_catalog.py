"""Organisations, settings and the catalog: validation, tokens, and deleting only what nothing needs."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.support.api import WEEK, unique, with_organisation

pytestmark = pytest.mark.e2e


def test_organisation_validation_and_settings(client: httpx.Client) -> None:
    owner = with_organisation(client, serviceFeeBps=250, taxBps=1900)
    org = owner.ok("GET", f"/api/organisations/{owner.organisation_id}")
    assert (org["serviceFeeBps"], org["taxBps"], org["commissionBps"]) == (250, 1900, 1000)
    assert org["cancellationPolicy"] == [
        {"minHoursBefore": 168, "refundPercent": 100},
        {"minHoursBefore": 72, "refundPercent": 50},
    ]
    bad = [
        {"slug": "ab"},
        {"slug": "Upper-Case"},
        {"slug": "-edge"},
        {"timezone": "Mars/Olympus"},
        {"currency": "EUR"},
        {"currency": "xyz"},
        {"serviceFeeBps": 10001},
        {"taxBps": -1},
    ]
    for change in bad:
        body = {"name": "X", "slug": unique("ok"), "timezone": "UTC", "currency": "eur"} | change
        r = owner.post("/api/organisations", json=body)
        assert r.status_code == 400, (change, r.text)
        assert r.json()["code"] == "VALIDATION_ERROR"
    taken = owner.post(
        "/api/organisations", json={"name": "X", "slug": owner.slug, "timezone": "UTC", "currency": "eur"}
    )
    assert taken.status_code == 409
    assert taken.json()["code"] == "ALREADY_EXISTS"
    r = owner.patch(f"/api/organisations/{owner.organisation_id}", json={"commissionBps": 0})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "commissionBps"
    policy = [{"minHoursBefore": 24, "refundPercent": 80}]
    patched = owner.ok(
        "PATCH",
        f"/api/organisations/{owner.organisation_id}",
        json={"cancellationPolicy": policy, "publicBookingEnabled": False},
    )
    assert patched["cancellationPolicy"] == policy
    assert patched["publicBookingEnabled"] is False
    assert owner.ok("GET", "/api/organisations")["pagination"]["total"] == 1


def test_resource_type_fields_defaults_and_validation(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type(
        slotMinutes=45, priceAmount=2500, dateOverrides=[{"date": "2031-12-25", "closed": True}]
    )
    assert rt["slotIntervalMinutes"] == 45
    assert (rt["maxSlotsPerBooking"], rt["minNoticeMinutes"], rt["maxAdvanceDays"]) == (1, 0, 365)
    assert (rt["maxQuantity"], rt["priceCurrency"], rt["paymentRequired"]) == (None, "eur", False)
    assert (rt["requiresApproval"], rt["publiclyBookable"]) == (False, True)
    assert rt["dateOverrides"] == [{"date": "2031-12-25", "closed": True, "hours": []}]
    invalid = [
        {"weeklyHours": {"mon": [{"start": "9:00", "end": "17:00"}]}},
        {"weeklyHours": {"mon": [{"start": "17:00", "end": "09:00"}]}},
        {"weeklyHours": {"mon": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]}},
        {"weeklyHours": {"funday": [{"start": "09:00", "end": "12:00"}]}},
        {"weeklyHours": {"mon": [{"start": "09:00", "end": "25:00"}]}},
        {"slotMinutes": 0},
        {"slotIntervalMinutes": -5},
        {"maxSlotsPerBooking": 0},
        {"maxQuantity": 0},
        {"priceAmount": -1},
        {"paymentRequired": True, "priceAmount": 0},
        {
            "dateOverrides": [
                {"date": "2031-12-25", "closed": True, "hours": [{"start": "09:00", "end": "10:00"}]}
            ]
        },
        {"dateOverrides": [{"date": "2031-13-25", "closed": True}]},
    ]
    for change in invalid:
        body = {"name": "T", "slotMinutes": 60, "weeklyHours": WEEK} | change
        r = owner.post("/api/resource-types", json=body)
        assert r.status_code == 400, (change, r.text)
        assert r.json()["code"] == "VALIDATION_ERROR"
    patched = owner.ok(
        "PATCH",
        f"/api/resource-types/{rt['id']}",
        json={"weeklyHours": {"tue": [{"start": "10:00", "end": "12:00"}]}},
    )
    assert patched["weeklyHours"] == {"tue": [{"start": "10:00", "end": "12:00"}]}
    assert patched["dateOverrides"] == rt["dateOverrides"]
    assert owner.patch(f"/api/resource-types/{rt['id']}", json={"slotMinutes": 0}).status_code == 400
    assert owner.ok("GET", f"/api/resource-types/{rt['id']}")["slotMinutes"] == 45


def test_resources_and_public_tokens(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type()
    assert (
        owner.post(
            "/api/resources", json={"name": "r", "resourceTypeId": rt["id"], "capacity": 0}
        ).status_code
        == 400
    )
    assert owner.post("/api/resources", json={"name": "r", "resourceTypeId": 99_999_999}).status_code == 404
    res = owner.resource(rt["id"], capacity=3)
    token = owner.ok("GET", f"/api/resources/{res['id']}/public-token")
    raw = token["publicBookingToken"]
    assert len(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))) * 8 >= 128
    assert token["publicBookingUrl"].endswith(f"/api/public/booking/{raw}")
    again = owner.ok("POST", f"/api/resources/{res['id']}/regenerate-token")
    assert again["publicBookingToken"] != raw
    assert (
        owner.ok("GET", f"/api/resources/{res['id']}/public-token")["publicBookingToken"]
        == again["publicBookingToken"]
    )
    assert "publicBookingToken" not in owner.ok("GET", f"/api/resources/{res['id']}")
    listed = owner.ok("GET", f"/api/resources?resourceTypeId={rt['id']}&limit=1")
    assert listed["pagination"] == {"page": 1, "limit": 1, "total": 1, "totalPages": 1, "hasMore": False}
    assert owner.ok("PATCH", f"/api/resources/{res['id']}", json={"isActive": False})["isActive"] is False


def test_deleting_what_future_reservations_need_is_refused(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type()
    busy = owner.resource(rt["id"])
    idle = owner.resource(rt["id"])
    past = owner.resource(rt["id"])
    owner.ok(
        "POST",
        "/api/reservations",
        201,
        json={
            "resourceId": busy["id"],
            "startTime": "2031-05-05T10:00:00Z",
            "endTime": "2031-05-05T11:00:00Z",
        },
    )
    owner.ok(
        "POST",
        "/api/reservations",
        201,
        json={
            "resourceId": past["id"],
            "startTime": "2020-05-05T10:00:00Z",
            "endTime": "2020-05-05T11:00:00Z",
        },
    )
    for path in (f"/api/resources/{busy['id']}", f"/api/resource-types/{rt['id']}"):
        r = owner.delete(path)
        assert r.status_code == 409, path
    assert owner.get(f"/api/resources/{busy['id']}").status_code == 200
    assert owner.delete(f"/api/resources/{idle['id']}").status_code == 204
    assert owner.delete(f"/api/resources/{past['id']}").status_code == 204  # history alone does not block
    assert owner.get(f"/api/resources/{idle['id']}").status_code == 404
    # capacity cannot drop below what is booked
    shared = owner.resource(rt["id"], capacity=2)
    for _ in range(2):
        owner.ok(
            "POST",
            "/api/reservations",
            201,
            json={
                "resourceId": shared["id"],
                "startTime": "2031-06-05T10:00:00Z",
                "endTime": "2031-06-05T11:00:00Z",
            },
        )
    r = owner.patch(f"/api/resources/{shared['id']}", json={"capacity": 1})
    assert r.status_code == 409
    assert owner.ok("GET", f"/api/resources/{shared['id']}")["capacity"] == 2
