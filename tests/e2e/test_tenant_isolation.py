"""Tenant isolation: organisation B, by member or API key, using A's ids gets 404 and learns nothing.

The routes come from the running app's own OpenAPI document; a route this file does not cover fails the build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.api import Staff, by_api_key, connect_sandbox, member, with_organisation

pytestmark = pytest.mark.e2e

MISSING = 987_654_321

# Routes that name no organisation-owned id, each with why it needs no isolation case.
EXEMPT = {
    "GET /health": "no data",
    "GET /ready": "no data",
    "GET /metrics": "counters without organisation data",
    "POST /api/auth/login": "the caller's own credentials",
    "POST /api/auth/refresh": "the caller's own token",
    "POST /api/auth/register": "creates a new user",
    "GET /api/users/me": "the caller's own profile",
    "POST /api/organisations": "creates a new organisation",
    "GET /api/organisations": "lists the caller's own memberships (checked below)",
    "GET /api/api-keys": "lists the active organisation's keys (checked below)",
    "GET /api/resource-types": "lists the active organisation's types (checked below)",
    "GET /api/resources": "lists the active organisation's resources (checked below)",
    "GET /api/reservations": "lists the active organisation's reservations (checked below)",
    "GET /api/public/booking/organisations/{slug}": "public by design: the slug names the organisation",
    "GET /api/public/booking/{token}": "public by design: the token is the credential",
    "GET /api/public/booking/{token}/availability": "the token fixes organisation, type and resource",
    "GET /api/public/booking/{token}/calendar": "the token fixes organisation, type and resource",
    "POST /api/public/reservations/{manage_token}/reschedule": "the manage token is the credential for one booking",
    "GET /api/public/reservations/{manage_token}": "the manage token is the credential for one booking",
    "POST /api/public/reservations/{manage_token}/cancel": "the manage token is the credential for one booking",
    "POST /api/payments/stripe/webhook": "signed by the provider; events name their own organisation",
    "GET /api/payments/stripe/config": "the platform's publishable key, no organisation data",
}


@dataclass
class World:
    a: Staff
    b: Staff
    ids: dict[str, Any]


Case = Callable[[Staff, dict[str, Any]], httpx.Response]

SLOT = {"startTime": "2033-02-02T10:00:00Z", "endTime": "2033-02-02T11:00:00Z"}

CASES: dict[str, Case] = {
    "PUT /api/users/me/active-organisation": lambda s, i: s.request(
        "PUT", "/api/users/me/active-organisation", json={"organisationId": i["org"]}
    ),
    "POST /api/api-keys": lambda s, i: s.post(
        "/api/api-keys", json={"name": "k", "organisationId": i["org"], "scopes": ["catalog:read"]}
    ),
    "DELETE /api/api-keys/{key_id}": lambda s, i: s.delete(f"/api/api-keys/{i['key']}"),
    "GET /api/organisations/{organisation_id}": lambda s, i: s.get(f"/api/organisations/{i['org']}"),
    "PATCH /api/organisations/{organisation_id}": lambda s, i: s.patch(
        f"/api/organisations/{i['org']}", json={"taxBps": 1}
    ),
    "GET /api/organisations/{organisation_id}/members": lambda s, i: s.get(
        f"/api/organisations/{i['org']}/members"
    ),
    "POST /api/organisations/{organisation_id}/members": lambda s, i: s.post(
        f"/api/organisations/{i['org']}/members", json={"email": i["b_email"], "role": "owner"}
    ),
    "PATCH /api/organisations/{organisation_id}/members/{user_id}": lambda s, i: s.patch(
        f"/api/organisations/{i['org']}/members/{i['user']}", json={"role": "viewer"}
    ),
    "DELETE /api/organisations/{organisation_id}/members/{user_id}": lambda s, i: s.delete(
        f"/api/organisations/{i['org']}/members/{i['user']}"
    ),
    "POST /api/resource-types": None,  # type: ignore[dict-item]  # creates in B's own organisation: no A id to name
    "GET /api/resource-types/{type_id}": lambda s, i: s.get(f"/api/resource-types/{i['type']}"),
    "PATCH /api/resource-types/{type_id}": lambda s, i: s.patch(
        f"/api/resource-types/{i['type']}", json={"name": "mine"}
    ),
    "DELETE /api/resource-types/{type_id}": lambda s, i: s.delete(f"/api/resource-types/{i['type']}"),
    "POST /api/resources": lambda s, i: s.post(
        "/api/resources", json={"name": "r", "resourceTypeId": i["type"]}
    ),
    "GET /api/resources/{resource_id}": lambda s, i: s.get(f"/api/resources/{i['resource']}"),
    "PATCH /api/resources/{resource_id}": lambda s, i: s.patch(
        f"/api/resources/{i['resource']}", json={"capacity": 9}
    ),
    "DELETE /api/resources/{resource_id}": lambda s, i: s.delete(f"/api/resources/{i['resource']}"),
    "GET /api/resources/{resource_id}/public-token": lambda s, i: s.get(
        f"/api/resources/{i['resource']}/public-token"
    ),
    "POST /api/resources/{resource_id}/regenerate-token": lambda s, i: s.post(
        f"/api/resources/{i['resource']}/regenerate-token"
    ),
    "POST /api/reservations": lambda s, i: s.post(
        "/api/reservations", json=SLOT | {"resourceId": i["resource"]}
    ),
    "GET /api/reservations/{reservation_id}": lambda s, i: s.get(f"/api/reservations/{i['reservation']}"),
    "PATCH /api/reservations/{reservation_id}": lambda s, i: s.patch(
        f"/api/reservations/{i['reservation']}", json={"notes": "mine"}
    ),
    "DELETE /api/reservations/{reservation_id}": lambda s, i: s.delete(
        f"/api/reservations/{i['reservation']}"
    ),
    "POST /api/reservations/{reservation_id}/cancel": lambda s, i: s.post(
        f"/api/reservations/{i['reservation']}/cancel", json={}
    ),
}
PUBLIC_SLOT = {"startTime": "2033-02-02T10:00:00Z", "endTime": "2033-02-02T11:00:00Z"}
CUSTOMER = {"customerName": "Jo", "customerEmail": "jo@example.com", "customerPhone": "1"}

# B's public pages asked about A's ids: the same answer as for ids that exist nowhere.
PUBLIC_CASES: dict[str, Case] = {
    "GET /api/public/booking/organisations/{slug}/availability": lambda s, i: s.client.get(
        f"/api/public/booking/organisations/{i['b_slug']}/availability",
        params={"date": "2033-02-02", "resourceTypeId": i["type"], "resourceId": i["resource"]},
    ),
    "GET /api/public/booking/organisations/{slug}/calendar": lambda s, i: s.client.get(
        f"/api/public/booking/organisations/{i['b_slug']}/calendar",
        params={
            "from": "2033-02-02",
            "to": "2033-02-03",
            "resourceTypeId": i["type"],
            "resourceId": i["resource"],
        },
    ),
    "POST /api/public/booking/organisations/{slug}/quote": lambda s, i: s.client.post(
        f"/api/public/booking/organisations/{i['b_slug']}/quote",
        json=PUBLIC_SLOT | {"resourceTypeId": i["type"]},
    ),
    "POST /api/public/booking/organisations/{slug}/reserve": lambda s, i: s.client.post(
        f"/api/public/booking/organisations/{i['b_slug']}/reserve",
        json=PUBLIC_SLOT | CUSTOMER | {"resourceTypeId": i["b_type"], "resourceId": i["resource"]},
    ),
    "POST /api/public/booking/{token}/quote": lambda s, i: s.client.post(
        f"/api/public/booking/{i['b_token']}/quote", json=PUBLIC_SLOT | {"resourceTypeId": i["type"]}
    ),
    "POST /api/public/booking/{token}/reserve": lambda s, i: s.client.post(
        f"/api/public/booking/{i['b_token']}/reserve",
        json=PUBLIC_SLOT | CUSTOMER | {"resourceId": i["resource"]},
    ),
}

CASES |= {
    "POST /api/reservations/{reservation_id}/payment-link": lambda s, i: s.post(
        f"/api/reservations/{i['reservation']}/payment-link", json={}
    ),
    "POST /api/reservations/{reservation_id}/refund": lambda s, i: s.post(
        f"/api/reservations/{i['reservation']}/refund", json={}
    ),
    "GET /api/reservations/{reservation_id}/payments": lambda s, i: s.get(
        f"/api/reservations/{i['reservation']}/payments"
    ),
    "POST /api/organisations/{organisation_id}/stripe/connect": lambda s, i: s.post(
        f"/api/organisations/{i['org']}/stripe/connect"
    ),
    "GET /api/organisations/{organisation_id}/stripe/connect": lambda s, i: s.get(
        f"/api/organisations/{i['org']}/stripe/connect"
    ),
}
PUBLIC_CASES |= {
    "GET /api/public/booking/organisations/{slug}/checkout-status": lambda s, i: s.client.get(
        f"/api/public/booking/organisations/{i['b_slug']}/checkout-status", params={"sessionId": i["session"]}
    ),
    "POST /api/public/booking/organisations/{slug}/checkout-retry": lambda s, i: s.client.post(
        f"/api/public/booking/organisations/{i['b_slug']}/checkout-retry", json={"sessionId": i["session"]}
    ),
    "GET /api/public/booking/{token}/checkout-status": lambda s, i: s.client.get(
        f"/api/public/booking/{i['b_token']}/checkout-status", params={"sessionId": i["session"]}
    ),
    "POST /api/public/booking/{token}/checkout-retry": lambda s, i: s.client.post(
        f"/api/public/booking/{i['b_token']}/checkout-retry", json={"sessionId": i["session"]}
    ),
}

HOOK = "/api/webhook-endpoints/{}"
CASES |= {
    "POST /api/webhook-endpoints": None,  # type: ignore[dict-item]  # creates in B's own organisation
    "GET /api/webhook-endpoints/{endpoint_id}": lambda s, i: s.get(HOOK.format(i["hook"])),
    "PATCH /api/webhook-endpoints/{endpoint_id}": lambda s, i: s.patch(
        HOOK.format(i["hook"]), json={"description": "mine"}
    ),
    "DELETE /api/webhook-endpoints/{endpoint_id}": lambda s, i: s.delete(HOOK.format(i["hook"])),
    "POST /api/webhook-endpoints/{endpoint_id}/rotate-secret": lambda s, i: s.post(
        HOOK.format(i["hook"]) + "/rotate-secret"
    ),
    "POST /api/webhook-endpoints/{endpoint_id}/ping": lambda s, i: s.post(HOOK.format(i["hook"]) + "/ping"),
    "GET /api/webhook-endpoints/{endpoint_id}/deliveries": lambda s, i: s.get(
        HOOK.format(i["hook"]) + "/deliveries"
    ),
    "POST /api/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver": lambda s, i: s.post(
        HOOK.format(i["hook"]) + f"/deliveries/{i['delivery']}/redeliver"
    ),
}

CASES |= {
    "POST /api/resources/{resource_id}/blocks": lambda s, i: s.post(
        f"/api/resources/{i['resource']}/blocks",
        json={"startTime": "2034-01-01T10:00:00Z", "endTime": "2034-01-01T11:00:00Z"},
    ),
    "GET /api/resources/{resource_id}/blocks": lambda s, i: s.get(f"/api/resources/{i['resource']}/blocks"),
    "DELETE /api/resources/{resource_id}/blocks/{block_id}": lambda s, i: s.delete(
        f"/api/resources/{i['resource']}/blocks/{i['block']}"
    ),
    "GET /api/organisations/{organisation_id}/calendar-feed": lambda s, i: s.get(
        f"/api/organisations/{i['org']}/calendar-feed"
    ),
    "POST /api/organisations/{organisation_id}/calendar-feed/regenerate": lambda s, i: s.post(
        f"/api/organisations/{i['org']}/calendar-feed/regenerate"
    ),
    "GET /api/resources/{resource_id}/calendar-feed": lambda s, i: s.get(
        f"/api/resources/{i['resource']}/calendar-feed"
    ),
    "POST /api/resources/{resource_id}/calendar-feed/regenerate": lambda s, i: s.post(
        f"/api/resources/{i['resource']}/calendar-feed/regenerate"
    ),
}
EXEMPT |= {
    "GET /ical/{feed}": "the feed token is the credential (128+ random bits, hashed at rest)",
    "GET /api/public/reservations/{manage_token}/calendar.ics": "the manage token is the credential",
    "POST /api/public/booking/organisations/{slug}/find-booking": "202 whatever is found; mails only the address",
    # A customer's own bookings: keyed by the caller's user id, another user's reference is 404
    # (test_customer_accounts.py checks every one of these routes with a second user).
    "GET /api/me/bookings": "the caller's own bookings",
    "GET /api/me/bookings/{reference}": "the caller's own bookings",
    "POST /api/me/bookings/{reference}/cancel": "the caller's own bookings",
    "POST /api/me/bookings/{reference}/reschedule": "the caller's own bookings",
    "GET /api/me/bookings/{reference}/calendar.ics": "the caller's own bookings",
    "POST /api/me/payment-methods/setup-intent": "the caller's own Stripe Customer",
    "POST /api/me/payment-methods": "attaches to the caller's own Customer",
    "GET /api/me/payment-methods": "the caller's own cards",
    "DELETE /api/me/payment-methods/{card_id}": "the caller's own cards (test_saved_cards.py: another's is 404)",
    "POST /api/me/bookings/{reference}/pay": "the caller's own bookings and cards (test_card_payments.py)",
    "POST /api/me/bookings/{reference}/checkout": "the caller's own bookings (test_payment_links.py: another's is 404)",
}

# Creating a type names no id of A's; B's type is made in B's organisation (checked in test_lists_show_only_mine).
CASES = {k: v for k, v in CASES.items() if v is not None}
EXEMPT["POST /api/resource-types"] = "creates in the caller's own organisation"
EXEMPT["POST /api/webhook-endpoints"] = "creates in the caller's own organisation"
EXEMPT["GET /api/webhook-endpoints"] = "lists the active organisation's endpoints (checked below)"


def app_routes(client: httpx.Client) -> set[str]:
    spec = client.get("/schema/openapi.json").json()
    methods = {"get", "post", "put", "patch", "delete"}
    return {f"{m.upper()} {path}" for path, ops in spec["paths"].items() for m in ops if m in methods}


@pytest.fixture(scope="module")
def world(server: Any) -> World:
    client = httpx.Client(base_url=server.url, timeout=30)
    a = with_organisation(client)
    colleague = member(client, a, "staff")
    rt = a.resource_type()
    resource = a.resource(rt["id"])
    reservation = a.ok(
        "POST",
        "/api/reservations",
        201,
        json=SLOT | {"resourceId": resource["id"], "notes": "A's secret note"},
    )
    key = a.ok(
        "POST",
        "/api/api-keys",
        201,
        json={"name": "a-key", "organisationId": a.organisation_id, "scopes": ["catalog:read"]},
    )
    connect_sandbox(a)
    paid = a.resource_type(paymentRequired=True, priceAmount=5000)
    a.resource(paid["id"])
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    soon = {"startTime": tomorrow.isoformat(), "endTime": (tomorrow + timedelta(hours=1)).isoformat()}
    held = client.post(
        f"/api/public/booking/organisations/{a.slug}/reserve",
        json=soon | CUSTOMER | {"resourceTypeId": paid["id"]},
    )
    assert held.status_code == 201, held.text
    hook = a.ok("POST", "/api/webhook-endpoints", 201, json={"url": "http://127.0.0.1:9/a", "events": ["*"]})
    a.ok("POST", HOOK.format(hook["id"]) + "/ping", 202)
    delivery = a.ok("GET", HOOK.format(hook["id"]) + "/deliveries")["data"][0]
    block = a.ok(
        "POST",
        f"/api/resources/{resource['id']}/blocks",
        201,
        json={"startTime": "2034-02-01T10:00:00Z", "endTime": "2034-02-01T11:00:00Z", "reason": "A's"},
    )
    a_feed = a.ok("GET", f"/api/organisations/{a.organisation_id}/calendar-feed")["url"]
    b = with_organisation(client)
    b_type = b.resource_type()
    b_room = b.resource(b_type["id"])
    b_token = b.ok("GET", f"/api/resources/{b_room['id']}/public-token")["publicBookingToken"]
    ids = {
        "session": held.json()["stripeCheckoutSessionId"],
        "b_slug": b.slug,
        "b_type": b_type["id"],
        "b_token": b_token,
        "org": a.organisation_id,
        "user": colleague.user_id,
        "type": rt["id"],
        "resource": resource["id"],
        "reservation": reservation["id"],
        "key": key["id"],
        "hook": hook["id"],
        "block": block["id"],
        "a_feed": a_feed,
        "delivery": delivery["id"],
        "b_email": b.email,
    }
    return World(a, b, ids)


def test_every_route_is_covered(client: httpx.Client) -> None:
    routes = app_routes(client)
    untested = routes - set(CASES) - set(PUBLIC_CASES) - set(EXEMPT)
    assert not untested, f"routes without a tenant-isolation case: {sorted(untested)}"
    assert not (set(CASES) | set(PUBLIC_CASES) | set(EXEMPT)) - routes, (
        "cases for routes that no longer exist"
    )


@pytest.mark.parametrize("route", sorted(CASES))
def test_another_organisations_ids_are_not_found(world: World, route: str) -> None:
    answer = CASES[route](world.b, world.ids)
    missing = CASES[route](world.b, {k: (MISSING if isinstance(v, int) else v) for k, v in world.ids.items()})
    assert answer.status_code == 404, (route, answer.text)
    assert answer.json() == missing.json()  # exactly what a missing id answers: nothing learned


@pytest.mark.parametrize("route", sorted(PUBLIC_CASES))
def test_public_pages_do_not_reach_into_another_organisation(world: World, route: str) -> None:
    answer = PUBLIC_CASES[route](world.b, world.ids)
    missing = PUBLIC_CASES[route](
        world.b, {k: (MISSING if k in ("type", "resource") else v) for k, v in world.ids.items()}
    )
    assert answer.status_code in (400, 404), (route, answer.text)
    assert answer.json() == missing.json()


@pytest.mark.parametrize("route", sorted(CASES))
def test_an_api_key_of_another_organisation_learns_nothing(world: World, route: str) -> None:
    key = world.b.ok(
        "POST",
        "/api/api-keys",
        201,
        json={
            "name": "b-key",
            "organisationId": world.b.organisation_id,
            "scopes": ["reservations:read", "reservations:write", "catalog:read", "catalog:write"],
        },
    )["key"]
    as_key = by_api_key(world.b.client, key)
    answer = CASES[route](as_key, world.ids)
    # 404 where keys may go; 403 before any lookup where keys never may (members, settings, keys)
    assert answer.status_code in (403, 404), (route, answer.text)
    missing = CASES[route](as_key, {k: (MISSING if isinstance(v, int) else v) for k, v in world.ids.items()})
    assert answer.json() == missing.json()


def test_a_is_untouched_and_lists_show_only_mine(world: World) -> None:
    a, b = world.a, world.b
    assert a.ok("GET", f"/api/reservations/{world.ids['reservation']}")["notes"] == "A's secret note"
    assert a.ok("GET", f"/api/reservations/{world.ids['reservation']}")["status"] == "confirmed"
    assert a.ok("GET", f"/api/resources/{world.ids['resource']}")["capacity"] == 1
    assert a.ok("GET", f"/api/organisations/{a.organisation_id}")["taxBps"] == 0
    assert a.ok("GET", f"/api/organisations/{a.organisation_id}/members")["pagination"]["total"] == 2
    assert len(a.ok("GET", "/api/api-keys")["data"]) == 1
    hook = a.ok("GET", HOOK.format(world.ids["hook"]))
    assert hook["enabled"]
    assert hook["description"] != "mine"
    assert (
        len(a.ok("GET", HOOK.format(world.ids["hook"]) + "/deliveries")["data"]) == 1
    )  # no ping, no redelivery by B
    assert b.ok("GET", "/api/webhook-endpoints")["data"] == []
    blocks = a.ok("GET", f"/api/resources/{world.ids['resource']}/blocks")["data"]
    assert [(x["id"], x["reason"]) for x in blocks] == [(world.ids["block"], "A's")]
    # B's attempts to regenerate did not touch A's feed
    assert a.ok("GET", f"/api/organisations/{a.organisation_id}/calendar-feed")["url"] == world.ids["a_feed"]
    for path in ("/api/reservations", "/api/resource-types", "/api/resources"):
        listed = b.ok("GET", path)["data"]
        assert all(item["organisationId"] == b.organisation_id for item in listed), path
    assert [o["id"] for o in b.ok("GET", "/api/organisations")["data"]] == [b.organisation_id]
    assert b.ok("GET", f"/api/reservations?resourceId={world.ids['resource']}")["data"] == []
    assert b.ok("GET", f"/api/resources?resourceTypeId={world.ids['type']}")["data"] == []
    assert all(k["organisationId"] == b.organisation_id for k in b.ok("GET", "/api/api-keys")["data"])
