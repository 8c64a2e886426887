"""The sandbox provider of development: hosted checkout with Pay and Decline, Connect onboarding."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api import WEEK, connect_sandbox, with_organisation
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
