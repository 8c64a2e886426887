"""Payment links (API.md section 13): staff send a Checkout link for a booking they made; it keeps its
status, its paymentStatus waits, the webhook settles it; an expired link leaves nothing awaited."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.stripe_standin import StandIn
from tests.support.api import sign_up
from tests.support.payments import Shop, send, sql, start_at

pytestmark = pytest.mark.e2e


def staff_booking(shop: Shop, days: int, email: str | None = "phone@example.com") -> dict[str, Any]:
    start = start_at(days=days)
    body: dict[str, Any] = {
        "resourceId": shop.resource_id,
        "startTime": start.isoformat(),
        "endTime": start.replace(hour=start.hour + 1).isoformat(),
    }
    if email:
        body["customerInfo"] = {"name": "Phone Caller", "email": email}
    return shop.owner.ok("POST", "/api/reservations", 201, json=body)  # type: ignore[no-any-return]


def test_a_phone_booking_is_paid_by_link_and_settled_by_the_webhook(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str
) -> None:
    made = staff_booking(shop, 70)
    assert made["status"] == "confirmed"
    assert (
        shop.owner.post(
            f"/api/reservations/{made['id']}/payment-link", json={"expiresInHours": 25}
        ).status_code
        == 400
    )
    link = shop.owner.ok(
        "POST", f"/api/reservations/{made['id']}/payment-link", 201, json={"expiresInHours": 2}
    )
    assert link["url"].startswith("http")
    assert (link["amount"], link["currency"]) == (made["quote"]["total"], made["quote"]["currency"])
    waiting = shop.reservation(made["id"])
    assert (waiting["status"], waiting["paymentStatus"]) == ("confirmed", "pending")
    mail = sql(
        database_url,
        "SELECT kind, recipient, payload->>'url' FROM outgoing_mail WHERE reservation_id = $1",
        made["id"],
    )
    assert [tuple(r) for r in mail if r[0] == "payment_link"] == [
        ("payment_link", "phone@example.com", link["url"])
    ]
    assert send(http, standin.pay(link["stripeCheckoutSessionId"])["event"]).json() == {"status": "processed"}
    paid = shop.reservation(made["id"])
    assert (paid["status"], paid["paymentStatus"]) == ("confirmed", "succeeded")
    assert [(e["kind"], e["amount"]) for e in shop.ledger(made["id"])] == [
        ("payment", made["quote"]["total"])
    ]
    again = shop.owner.post(f"/api/reservations/{made['id']}/payment-link", json={})
    assert again.status_code == 409  # paid: nothing left to pay


def test_a_new_link_ends_the_old_one_and_an_expired_link_leaves_nothing_awaited(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    made = staff_booking(shop, 71, email=None)
    first = shop.owner.ok("POST", f"/api/reservations/{made['id']}/payment-link", 201, json={})
    second = shop.owner.ok("POST", f"/api/reservations/{made['id']}/payment-link", 201, json={})
    assert second["stripeCheckoutSessionId"] != first["stripeCheckoutSessionId"]
    assert standin.object(first["stripeCheckoutSessionId"])["status"] == "expired"  # one open link at a time
    expired = standin.expire(second["stripeCheckoutSessionId"])["event"]
    assert send(http, expired).json() == {"status": "processed"}
    after = shop.reservation(made["id"])
    assert (after["status"], after["paymentStatus"]) == ("confirmed", "not_required")
    cancelled = staff_booking(shop, 72)
    shop.owner.ok("POST", f"/api/reservations/{cancelled['id']}/cancel", json={})
    refused = shop.owner.post(f"/api/reservations/{cancelled['id']}/payment-link", json={})
    assert refused.status_code == 409


def test_the_owner_pays_their_pending_booking_through_a_new_checkout(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    ana, bo = sign_up(http, "Ana Owner"), sign_up(http, "Bo")
    start = start_at(days=73)
    made = http.post(
        f"/api/public/booking/organisations/{shop.owner.slug}/reserve",
        json={
            "resourceTypeId": shop.type_id,
            "startTime": start.isoformat(),
            "endTime": start.replace(hour=start.hour + 1).isoformat(),
        },
        headers={"Authorization": f"Bearer {ana.token}"},
    )
    assert made.status_code == 201, made.text
    held = made.json()
    assert held["status"] == "pending_payment"
    path = f"/api/me/bookings/{held['reference']}/checkout"
    assert bo.post(path, json={}).status_code == 404  # not theirs
    again = ana.ok("POST", path, json={})
    session = again["paymentData"]["stripeCheckoutSessionId"]
    assert session != held["stripeCheckoutSessionId"]
    assert standin.object(held["stripeCheckoutSessionId"])["status"] == "expired"  # the old one ended first
    assert send(http, standin.pay(session)["event"]).json() == {"status": "processed"}
    mine = ana.ok("GET", f"/api/me/bookings/{held['reference']}")
    assert (mine["status"], mine["paymentStatus"]) == ("confirmed", "succeeded")
    paid = ana.post(path, json={})
    assert paid.status_code == 409
    assert paid.json()["code"] == "RETRY_NOT_POSSIBLE"
