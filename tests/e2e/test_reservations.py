"""Staff reservations: allocation, snapshots, listing, optimistic concurrency, the status machine, idempotency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.api import Staff, with_organisation

pytestmark = pytest.mark.e2e


def at(hour: int, day: str = "2031-03-03") -> str:
    return f"{day}T{hour:02d}:00:00Z"


def booked(owner: Staff, **body: object) -> dict[str, object]:
    return owner.ok("POST", "/api/reservations", 201, json=body)  # type: ignore[no-any-return]


@pytest.fixture
def owner(client: httpx.Client) -> Staff:
    return with_organisation(client, serviceFeeBps=250, taxBps=1900)


def test_create_with_resource_list_or_best_fit(owner: Staff) -> None:
    rt = owner.resource_type(priceAmount=2500)
    big, small = owner.resource(rt["id"], capacity=4), owner.resource(rt["id"], capacity=2)
    fit = booked(owner, resourceTypeId=rt["id"], startTime=at(10), endTime=at(12), quantity=2)
    assert fit["allocations"] == [{"resourceId": small["id"], "quantity": 2}]  # the tightest fit
    assert fit["status"] == "confirmed"
    assert fit["paymentStatus"] == "not_required"
    assert fit["quote"] == {
        "unitAmount": 2500,
        "units": 4,
        "subtotal": 10000,
        "serviceFee": 250,
        "taxes": 1900,
        "total": 12150,
        "currency": "eur",
    }
    assert (fit["quotedUnitAmount"], fit["quotedTotalAmount"], fit["quotedCurrency"]) == (2500, 12150, "eur")
    assert fit["cancellationPolicySnapshot"][0] == {"minHoursBefore": 168, "refundPercent": 100}
    assert fit["reference"].startswith(f"{owner.slug[:3].upper()}-")
    spread = booked(owner, resourceIds=[big["id"], small["id"]], startTime=at(13), endTime=at(14))
    assert spread["quantity"] == 2
    assert sorted(spread["resourceIds"]) == sorted([big["id"], small["id"]])
    pending = booked(
        owner, resourceId=big["id"], startTime=at(13), endTime=at(14), quantity=3, status="pending"
    )
    assert pending["status"] == "pending"
    full = owner.post(
        "/api/reservations", json={"resourceId": big["id"], "startTime": at(13), "endTime": at(14)}
    )
    assert full.status_code == 409
    assert full.json()["code"] == "SLOT_UNAVAILABLE"
    waiting = booked(owner, resourceId=big["id"], startTime=at(13), endTime=at(14), status="waitlist")
    assert waiting["status"] == "waitlist"
    # the snapshots do not follow later changes of the organisation
    owner.ok(
        "PATCH", f"/api/organisations/{owner.organisation_id}", json={"taxBps": 0, "cancellationPolicy": []}
    )
    again = owner.ok("GET", f"/api/reservations/{fit['id']}")
    assert again["quote"] == fit["quote"]
    assert again["cancellationPolicySnapshot"] == fit["cancellationPolicySnapshot"]


def test_buffers_and_staff_may_book_outside_hours(owner: Staff) -> None:
    rt = owner.resource_type(bufferAfterMinutes=30, weeklyHours={})  # never open: staff may still book
    room = owner.resource(rt["id"])
    booked(owner, resourceId=room["id"], startTime=at(9), endTime=at(10))
    r = owner.post(
        "/api/reservations",
        json={"resourceId": room["id"], "startTime": "2031-03-03T10:15:00Z", "endTime": at(11)},
    )
    assert r.status_code == 409  # inside the 30 minutes of cleaning after 10:00
    booked(owner, resourceId=room["id"], startTime="2031-03-03T10:30:00Z", endTime=at(11))
    booked(
        owner, resourceId=room["id"], startTime=at(9, "2020-01-01"), endTime=at(10, "2020-01-01")
    )  # the past, for the record


def test_bad_requests_change_nothing(owner: Staff, client: httpx.Client) -> None:
    rt = owner.resource_type()
    other_rt = owner.resource_type()
    room = owner.resource(rt["id"])
    cases = [
        ({"resourceId": room["id"], "startTime": at(11), "endTime": at(10)}, 400),
        ({"resourceId": room["id"], "startTime": "2031-03-03T10:00:00", "endTime": at(11)}, 400),
        ({"resourceId": room["id"], "startTime": "2031-02-30T10:00:00Z", "endTime": at(11)}, 400),
        ({"resourceId": room["id"], "startTime": at(10), "endTime": at(11), "notes": "x" * 2049}, 400),
        ({"resourceId": room["id"], "startTime": at(10), "endTime": at(11), "quantity": 0}, 400),
        ({"resourceId": room["id"], "startTime": at(10), "endTime": at(11), "unknown": 1}, 400),
        ({"resourceId": "one", "startTime": at(10), "endTime": at(11)}, 400),
        ({"startTime": at(10), "endTime": at(11)}, 400),
        (
            {
                "resourceId": room["id"],
                "resourceTypeId": other_rt["id"],
                "startTime": at(10),
                "endTime": at(11),
            },
            400,
        ),
        ({"resourceId": 987654321, "startTime": at(10), "endTime": at(11)}, 404),
        ({"resourceId": room["id"], "startTime": at(10), "endTime": at(11), "status": "completed"}, 400),
    ]
    for body, status in cases:
        r = owner.post("/api/reservations", json=body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "code" in r.json()
    r = client.post(
        "/api/reservations",
        content=b"{not json",
        headers=owner.headers | {"content-type": "application/json"},
    )
    assert r.status_code == 400
    assert owner.ok("GET", "/api/reservations")["pagination"]["total"] == 0


def test_list_filters_and_pagination(owner: Staff) -> None:
    rt = owner.resource_type()
    a, b = owner.resource(rt["id"]), owner.resource(rt["id"])
    for hour in (8, 10, 12):
        booked(owner, resourceId=a["id"], startTime=at(hour), endTime=at(hour + 1))
    booked(owner, resourceId=b["id"], startTime=at(9), endTime=at(11), status="pending")
    page = owner.ok("GET", "/api/reservations?limit=2")
    assert page["pagination"] == {"page": 1, "limit": 2, "total": 4, "totalPages": 2, "hasMore": True}
    assert [r["startTime"] for r in page["data"]] == [at(8), at(9)]
    assert len(owner.ok("GET", "/api/reservations?limit=2&page=2")["data"]) == 2
    assert owner.ok("GET", f"/api/reservations?resourceId={b['id']}")["pagination"]["total"] == 1
    assert owner.ok("GET", "/api/reservations?status=pending")["pagination"]["total"] == 1
    window = owner.ok("GET", "/api/reservations", params={"startFrom": at(10), "endTo": at(12)})
    assert sorted(r["startTime"] for r in window["data"]) == [at(9), at(10)]
    for bad in ("limit=0", "limit=101", "page=0", "status=bogus", "startFrom=2031-03-03T10:00:00"):
        r = owner.get(f"/api/reservations?{bad}")
        assert r.status_code == 400, bad


def test_patch_with_etag_capacity_and_status_machine(owner: Staff) -> None:
    rt = owner.resource_type()
    room = owner.resource(rt["id"])
    first = booked(owner, resourceId=room["id"], startTime=at(10), endTime=at(11))
    second = booked(owner, resourceId=room["id"], startTime=at(11), endTime=at(12))
    got = owner.get(f"/api/reservations/{first['id']}")
    assert got.headers["etag"] == '"1"'
    # moving within its own slot excludes itself from the capacity check
    moved = owner.patch(
        f"/api/reservations/{first['id']}",
        json={"endTime": "2031-03-03T10:30:00Z"},
        headers={"If-Match": '"1"'},
    )
    assert moved.status_code == 200
    assert moved.headers["etag"] == '"2"'
    stale = owner.patch(
        f"/api/reservations/{first['id']}", json={"notes": "late"}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "VERSION_MISMATCH"
    clash = owner.patch(f"/api/reservations/{first['id']}", json={"endTime": "2031-03-03T11:30:00Z"})
    assert clash.status_code == 409
    assert owner.ok("GET", f"/api/reservations/{first['id']}")["endTime"] == "2031-03-03T10:30:00Z"
    bad = owner.patch(f"/api/reservations/{second['id']}", json={"status": "completed"})  # not started yet
    assert bad.status_code == 409
    assert bad.json()["code"] == "INVALID_TRANSITION"
    assert (
        owner.patch(f"/api/reservations/{second['id']}", json={"status": "expired"}).json()["code"]
        == "INVALID_TRANSITION"
    )
    owner.ok("PATCH", f"/api/reservations/{second['id']}", json={"status": "cancelled"})
    assert owner.patch(f"/api/reservations/{second['id']}", json={"status": "confirmed"}).status_code == 409
    # a waitlisted reservation is confirmed only when capacity allows
    waiting = booked(owner, resourceId=room["id"], startTime=at(10), endTime=at(11), status="waitlist")
    assert owner.patch(f"/api/reservations/{waiting['id']}", json={"status": "confirmed"}).status_code == 409
    owner.ok("POST", f"/api/reservations/{first['id']}/cancel", json={"reason": "customer called"})
    promoted = owner.ok("PATCH", f"/api/reservations/{waiting['id']}", json={"status": "confirmed"})
    assert promoted["status"] == "confirmed"
    assert promoted["confirmedAt"] is not None


def test_cancel_and_delete(owner: Staff) -> None:
    rt = owner.resource_type()
    room = owner.resource(rt["id"])
    res = booked(owner, resourceId=room["id"], startTime=at(10), endTime=at(11))
    done = owner.ok("POST", f"/api/reservations/{res['id']}/cancel", json={"reason": "ill", "refund": "none"})
    assert done["reservation"]["status"] == "cancelled"
    assert done["reservation"]["cancelReason"] == "ill"
    assert done["refund"] == {"eligible": False, "amount": 0, "currency": "eur", "status": "none"}
    again = owner.post(f"/api/reservations/{res['id']}/cancel", json={})
    assert again.status_code == 409
    assert again.json()["code"] == "ALREADY_CANCELLED"
    # the cancelled one freed the slot
    other = booked(owner, resourceId=room["id"], startTime=at(10), endTime=at(11))
    assert owner.delete(f"/api/reservations/{other['id']}").status_code == 204
    assert owner.get(f"/api/reservations/{other['id']}").status_code == 404
    booked(owner, resourceId=room["id"], startTime=at(10), endTime=at(11))


def test_idempotent_create_and_cancel(owner: Staff) -> None:
    rt = owner.resource_type()
    room = owner.resource(rt["id"], capacity=5)
    body = {"resourceId": room["id"], "startTime": at(10), "endTime": at(11)}
    key = {"Idempotency-Key": "create-1"}
    first = owner.post("/api/reservations", json=body, headers=key)
    replay = owner.post("/api/reservations", json=body, headers=key)
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    reused = owner.post("/api/reservations", json=body | {"quantity": 2}, headers=key)
    assert reused.status_code == 422
    assert reused.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    # duplicates racing each other act once
    race = {"Idempotency-Key": "create-race"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: owner.post("/api/reservations", json=body, headers=race), range(8)))
    assert {a.status_code for a in answers} <= {201, 409}
    assert len({a.json()["id"] for a in answers if a.status_code == 201}) == 1
    assert owner.ok("GET", "/api/reservations")["pagination"]["total"] == 2
    cancel = {"Idempotency-Key": "cancel-1"}
    c1 = owner.post(f"/api/reservations/{first.json()['id']}/cancel", json={}, headers=cancel)
    c2 = owner.post(f"/api/reservations/{first.json()['id']}/cancel", json={}, headers=cancel)
    assert (c1.status_code, c2.status_code) == (200, 200)
    assert c2.headers["idempotent-replayed"] == "true"
    # keys are scoped to the caller: another user with the same key acts for themselves
    other = with_organisation(owner.client)
    other_room = other.resource(other.resource_type()["id"])
    mine = other.post("/api/reservations", json=body | {"resourceId": other_room["id"]}, headers=key)
    assert mine.status_code == 201
    assert mine.json()["id"] != first.json()["id"]
