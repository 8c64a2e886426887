"""Input that must be refused with a 400 problem and change nothing, never crash (defects 12 to 17)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.stripe_standin import sign_payload
from tests.support.api import WEEK, Staff, unique, with_organisation
from tests.support.servers import Server, base_env

pytestmark = pytest.mark.e2e

DEEP = "[" * 5000 + "]" * 5000
SECRET = "whsec_test_refused_input"


def problem(response: httpx.Response, status: int = 400, code: str = "VALIDATION_ERROR") -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["code"] == code
    return body


@pytest.fixture
def owner(client: httpx.Client) -> Staff:
    return with_organisation(client)


def test_deeply_nested_json_is_a_400_on_every_json_route(
    client: httpx.Client, owner: Staff, server: Server
) -> None:
    """Defect 12: a RecursionError in decoding answered 500 and logged a traceback each time."""
    rt = owner.resource_type()
    before = server.log().count("Traceback")
    json_type = {"content-type": "application/json"}
    for path, body in [
        ("/api/auth/register", f'{{"email": {DEEP}}}'),
        ("/api/auth/login", DEEP),
        (f"/api/public/booking/organisations/{owner.slug}/quote", f'{{"resourceTypeId": {DEEP}}}'),
        (f"/api/public/booking/organisations/{owner.slug}/reserve", DEEP),
    ]:
        problem(client.post(path, content=body, headers=json_type))
    # unsigned, it is refused before it is read
    problem(
        client.post("/api/payments/stripe/webhook", content=DEEP, headers=json_type), code="INVALID_SIGNATURE"
    )
    problem(owner.post("/api/resource-types", content=DEEP, headers={"content-type": "application/json"}))
    problem(
        owner.patch(
            f"/api/resource-types/{rt['id']}",
            content=f'{{"weeklyHours": {{"mon": {DEEP}}}}}',
            headers={"content-type": "application/json"},
        )
    )
    assert server.log().count("Traceback") == before


@pytest.fixture(scope="module")
def signed(database_url: str) -> Iterator[httpx.Client]:
    """A server that knows a webhook signing secret (the sandbox provider verifies like Stripe)."""
    srv = Server(base_env(database_url, STRIPE_WEBHOOK_SECRET=SECRET))
    with httpx.Client(base_url=srv.url, timeout=30) as http:
        yield http
    srv.stop()


def test_a_signed_webhook_that_is_not_an_event_is_a_400(signed: httpx.Client) -> None:
    """Defect 13: a correctly signed array body, or an event without data, answered 500."""
    client = signed
    for payload in (
        b"[]",
        b'[{"id": "evt_1"}]',
        json.dumps({"id": "evt_no_data", "type": "checkout.session.completed"}).encode(),
        json.dumps({"id": "evt_bad_data", "type": "checkout.session.completed", "data": []}).encode(),
        ("[" * 5000 + "]" * 5000).encode(),
        b"not json at all",
    ):
        response = client.post(
            "/api/payments/stripe/webhook",
            content=payload,
            headers={
                "Stripe-Signature": sign_payload(payload, SECRET),
                "content-type": "application/json",
            },
        )
        problem(response)


def test_strings_are_not_integers_anywhere(owner: Staff) -> None:
    """Defect 14: "60" and "10" created a type; every body is decoded strictly."""
    base = {"name": unique("type"), "slotMinutes": 60, "weeklyHours": WEEK}
    for field, value in (
        ("slotMinutes", "60"),
        ("priceAmount", "10"),
        ("maxQuantity", 2.0),
        ("publiclyBookable", "true"),
    ):
        body = problem(owner.post("/api/resource-types", json=base | {field: value}))
        assert body["errors"] == [{"field": field, "message": body["errors"][0]["message"]}]  # type: ignore[index]
    assert owner.ok("GET", "/api/resource-types")["pagination"]["total"] == 0
    rt = owner.resource_type()
    problem(owner.post("/api/resources", json={"name": "r", "resourceTypeId": str(rt["id"]), "capacity": 1}))
    problem(owner.post("/api/resources", json={"name": "r", "resourceTypeId": rt["id"], "capacity": "2"}))
    room = owner.resource(rt["id"])
    problem(
        owner.post(
            "/api/reservations",
            json={
                "resourceId": room["id"],
                "startTime": "2031-01-06T10:00:00Z",
                "endTime": "2031-01-06T11:00:00Z",
                "quantity": "1",
            },
        )
    )
    nested = problem(
        owner.patch(
            f"/api/resource-types/{rt['id']}", json={"weeklyHours": {"mon": [{"start": 9, "end": "17:00"}]}}
        )
    )
    assert nested["errors"][0]["field"] == "weeklyHours.mon[0].start"  # type: ignore[index]
    unknown = problem(
        owner.post(
            "/api/resources", json={"name": "r", "resourceTypeId": rt["id"], "capacity": 1, "colour": "red"}
        )
    )
    assert unknown["errors"][0]["field"] == "colour"  # type: ignore[index]
    assert owner.ok("GET", "/api/reservations")["pagination"]["total"] == 0


def test_instants_far_out_and_non_ascii_digits_are_refused(client: httpx.Client, owner: Staff) -> None:
    """Defect 15: year 1 or 9999 with buffers overflowed (500); '²' in a header crashed int()."""
    rt = owner.resource_type(bufferBeforeMinutes=30, bufferAfterMinutes=30)
    room = owner.resource(rt["id"])
    for start, end in (
        ("0001-01-01T00:00:00Z", "0001-01-01T01:00:00Z"),
        ("9999-12-31T22:00:00Z", "9999-12-31T23:00:00Z"),
        ("2031-01-06T10:00:00Z", "9999-12-31T23:59:59Z"),
    ):
        body = {"resourceId": room["id"], "startTime": start, "endTime": end}
        problem(owner.post("/api/reservations", json=body))
        quote = {"resourceTypeId": rt["id"], "startTime": start, "endTime": end, "quantity": 1}
        problem(client.post(f"/api/public/booking/organisations/{owner.slug}/quote", json=quote))
    made = owner.ok(
        "POST",
        "/api/reservations",
        201,
        json={
            "resourceId": room["id"],
            "startTime": "2031-01-06T10:00:00Z",
            "endTime": "2031-01-06T11:00:00Z",
        },
    )
    problem(owner.patch(f"/api/reservations/{made['id']}", json={"startTime": "0001-01-01T00:00:00Z"}))
    sup = "²".encode("latin-1")  # a digit to Python's str.isdigit, not to int()
    for header in (
        {"X-Organisation-Id": sup},
        {"X-Organisation-Id": "١٢".encode()},
        {"If-Match": b'"' + sup + b'"'},
    ):
        problem(owner.patch(f"/api/reservations/{made['id']}", json={"notes": "x"}, headers=header))
        problem(client.get("/api/reservations", headers={"X-Organisation-Id": sup}))
    assert owner.ok("GET", f"/api/reservations/{made['id']}")["notes"] is None
    for day in ("0001-01-01", "9999-12-31"):
        found = client.get(
            f"/api/public/booking/organisations/{owner.slug}/availability",
            params={"date": day, "resourceTypeId": rt["id"]},
        )
        assert found.status_code == 200, found.text
        assert found.json()["slots"] == []


@pytest.mark.parametrize(
    "name", ["localtime", "Factory", "EST5EDT", "CST6CDT", "EST", "Etc/GMT+5", "posix/Europe/Berlin", "Japan"]
)
def test_timezones_that_are_not_places_are_refused(client: httpx.Client, name: str) -> None:
    """Defect 16: localtime, Factory and EST5EDT were accepted as organisation timezones."""
    owner = with_organisation(client)
    body = problem(
        owner.post(
            "/api/organisations",
            json={"name": "Z", "slug": unique("tz"), "timezone": name, "currency": "eur"},
        )
    )
    assert body["errors"][0]["field"] == "timezone"  # type: ignore[index]
    problem(owner.patch(f"/api/organisations/{owner.organisation_id}", json={"timezone": name}))
    assert owner.ok("GET", f"/api/organisations/{owner.organisation_id}")["timezone"] == "Europe/Berlin"


def test_places_and_utc_are_accepted(client: httpx.Client) -> None:
    for name in ("UTC", "America/Argentina/Buenos_Aires", "Pacific/Chatham", "Asia/Kathmandu"):
        with_organisation(client, timezone=name)


def test_unknown_query_parameters_are_refused_and_reference_and_email_filter(
    owner: Staff, client: httpx.Client
) -> None:
    """Defect 17: ?reference=… was ignored and returned every reservation."""
    rt = owner.resource_type()
    room = owner.resource(rt["id"])
    made = [
        owner.ok(
            "POST",
            "/api/reservations",
            201,
            json={
                "resourceId": room["id"],
                "startTime": f"2031-01-0{day}T10:00:00Z",
                "endTime": f"2031-01-0{day}T11:00:00Z",
                "customerInfo": {"email": email},
            },
        )
        for day, email in ((6, "Jo@Example.com"), (7, "someone@example.com"), (8, "jo@example.com"))
    ]
    one = owner.ok("GET", "/api/reservations", params={"reference": made[1]["reference"]})
    assert [r["id"] for r in one["data"]] == [made[1]["id"]]
    lower = owner.ok("GET", "/api/reservations", params={"reference": made[1]["reference"].lower()})
    assert [r["id"] for r in lower["data"]] == [made[1]["id"]]
    jo = owner.ok("GET", "/api/reservations", params={"customerEmail": "JO@example.COM"})
    assert [r["id"] for r in jo["data"]] == [made[0]["id"], made[2]["id"]]
    assert owner.ok("GET", "/api/reservations", params={"reference": "ZZZ-222222"})["data"] == []
    for params in (
        {"refrence": made[1]["reference"]},
        {"customer_email": "x"},
        {"sort": "start"},
        {"page": 1, "pageSize": 5},
    ):
        body = problem(owner.get("/api/reservations", params=params))
        assert body["errors"][0]["field"] in params  # type: ignore[index]
    problem(client.get(f"/api/public/booking/organisations/{owner.slug}", params={"lang": "de"}))
    problem(
        client.get(
            f"/api/public/booking/organisations/{owner.slug}/availability",
            params={"date": "2031-01-06", "resourceTypeId": rt["id"], "resourceID": room["id"]},
        )
    )
    both = owner.ok("GET", "/api/reservations", params=[("status", "confirmed"), ("status", "cancelled")])
    assert both["pagination"]["total"] == 3


def test_references_are_unique_across_the_platform(client: httpx.Client, database_url: str) -> None:
    """A reference names one booking on the whole platform: the database refuses a duplicate anywhere."""
    from tests.support.payments import sql

    first, second = (
        with_organisation(client, slug=unique("abc")),
        with_organisation(client, slug=unique("abc")),
    )
    made = []
    for owner in (first, second):
        rt = owner.resource_type()
        room = owner.resource(rt["id"])
        made.append(
            owner.ok(
                "POST",
                "/api/reservations",
                201,
                json={
                    "resourceId": room["id"],
                    "startTime": "2031-01-06T10:00:00Z",
                    "endTime": "2031-01-06T11:00:00Z",
                },
            )
        )
    with pytest.raises(Exception, match="uq_reservations_reference"):
        sql(
            database_url,
            "UPDATE reservations SET reference = $1 WHERE id = $2",
            made[0]["reference"],
            made[1]["id"],
        )


def test_deep_pages_are_refused(owner: Staff) -> None:
    """Defect 11: ?page=1000000&limit=100 cost a full scan per request."""
    body = problem(owner.get("/api/reservations", params={"page": 1_000_000, "limit": 100}))
    assert body["errors"][0]["field"] == "page"  # type: ignore[index]
    for path in ("/api/resource-types", "/api/resources", "/api/organisations", "/api/api-keys"):
        problem(owner.get(path, params={"page": 102, "limit": 100}))
    assert owner.ok("GET", "/api/reservations", params={"page": 101, "limit": 100})["data"] == []
