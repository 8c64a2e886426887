"""The sandbox provider of development: hosted checkout with Pay and Decline, Connect onboarding, saved
test cards that succeed, ask for 3-D Secure on a page of its own, or are declined."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.support.api import WEEK, connect_sandbox, sign_up, with_organisation
from tests.support.payments import CUSTOMER, start_at

pytestmark = pytest.mark.e2e


def test_a_paid_booking_through_the_sandbox_checkout_page(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type(weeklyHours=WEEK, paymentRequired=True, priceAmount=4200)
    owner.resource(rt["id"])
    start = start_at(days=5)
    body = {
        "resourceTypeId": rt["id"],
        "startTime": start.isoformat(),
        "endTime": start.replace(hour=start.hour + 1).isoformat(),
    } | CUSTOMER
    assert (
        client.post(f"/api/public/booking/organisations/{owner.slug}/reserve", json=body).json()["code"]
        == "PAYMENTS_UNAVAILABLE"
    )
    connect_sandbox(owner)
    made = client.post(f"/api/public/booking/organisations/{owner.slug}/reserve", json=body).json()
    assert made["status"] == "pending_payment"
    page = client.get(httpx.URL(made["checkoutUrl"]).path)
    assert page.status_code == 200
    assert "42.00 EUR" in page.text
    assert "Pay" in page.text
    declined = client.post(httpx.URL(made["checkoutUrl"]).path + "/decline")
    assert declined.status_code == 200
    status_url = httpx.URL(made["paymentData"]["statusUrl"])
    status = client.get(status_url.path, params=dict(status_url.params)).json()
    assert (status["status"], status["paymentStatus"], status["canRetryPayment"]) == (
        "pending_payment",
        "failed",
        True,
    )
    paid = client.post(httpx.URL(made["checkoutUrl"]).path + "/pay")
    assert paid.status_code == 303
    back = httpx.URL(paid.headers["location"])
    assert back.params["sessionId"] == made["stripeCheckoutSessionId"]
    final = client.get(back.path, params=dict(back.params)).json()
    assert (final["status"], final["paymentStatus"]) == ("confirmed", "succeeded")
    view = client.get(f"/api/public/reservations/{made['manageToken']}").json()
    assert view["refundIfCancelledNow"]["amount"] == 2100  # 5 days ahead: the 72 h tier, 50 %


def test_saved_cards_with_the_sandbox_succeed_ask_for_3d_secure_or_are_declined(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type(weeklyHours=WEEK, paymentRequired=True, priceAmount=4200)
    owner.resource(rt["id"], capacity=5)
    connect_sandbox(owner)
    ana = sign_up(client, "Sandbox Card Holder")
    assert "pm_card_authenticationRequired" in client.get("/sandbox/cards").text
    assert ana.ok("POST", "/api/me/payment-methods/setup-intent", 200)["clientSecret"].startswith("seti_")
    refused = ana.post("/api/me/payment-methods", json={"paymentMethodId": "pm_card_bogus"})
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (400, "paymentMethodId")
    cards = {
        test: ana.ok("POST", "/api/me/payment-methods", 201, json={"paymentMethodId": test})
        for test in ("pm_card_visa", "pm_card_authenticationRequired", "pm_card_chargeDeclined")
    }
    assert [c["last4"] for c in cards.values()] == ["4242", "3184", "0002"]
    back = f"{client.base_url}/back"

    def reserve(days: int, card: str) -> dict[str, Any]:
        start = start_at(days=days)
        made = ana.client.post(
            f"/api/public/booking/organisations/{owner.slug}/reserve",
            json={
                "resourceTypeId": rt["id"],
                "startTime": start.isoformat(),
                "endTime": (start + timedelta(hours=1)).isoformat(),
                "paymentMethodId": cards[card]["paymentMethodId"],
                "returnUrl": back,
            },
            headers={"Authorization": f"Bearer {ana.token}"},
        )
        assert made.status_code == 201, made.text
        return made.json()  # type: ignore[no-any-return]

    def mine(reference: str) -> tuple[str, str]:
        found = ana.ok("GET", f"/api/me/bookings/{reference}")
        return found["status"], found["paymentStatus"]

    paid = reserve(10, "pm_card_visa")
    assert paid["paymentData"]["status"] == "succeeded"
    assert mine(paid["reference"]) == ("confirmed", "succeeded")

    asked = reserve(11, "pm_card_authenticationRequired")
    data = asked["paymentData"]
    assert data["status"] == "requires_action"
    page = client.get(httpx.URL(data["nextActionUrl"]).path)
    assert page.status_code == 200
    assert "42.00 EUR" in page.text
    done = client.post(httpx.URL(data["nextActionUrl"]).path + "/authenticate")
    assert done.status_code == 303
    assert done.headers["location"] == f"{back}?payment_intent={data['paymentIntentId']}"
    assert mine(asked["reference"]) == ("confirmed", "succeeded")
    assert client.post(httpx.URL(data["nextActionUrl"]).path + "/authenticate").status_code == 502

    failed = reserve(12, "pm_card_authenticationRequired")
    assert client.post(httpx.URL(failed["paymentData"]["nextActionUrl"]).path + "/fail").status_code == 303
    assert mine(failed["reference"]) == ("pending_payment", "failed")

    declined = reserve(13, "pm_card_chargeDeclined")
    assert declined["paymentData"]["status"] == "requires_payment_method"
    assert mine(declined["reference"]) == ("pending_payment", "failed")
    again = ana.ok(
        "POST",
        f"/api/me/bookings/{declined['reference']}/pay",
        200,
        json={"paymentMethodId": cards["pm_card_visa"]["paymentMethodId"], "returnUrl": back},
    )
    assert again["paymentData"]["status"] == "succeeded"
    assert mine(declined["reference"]) == ("confirmed", "succeeded")
