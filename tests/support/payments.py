"""Payments e2e support: the server on the Stripe stand-in, signed webhooks, a connected organisation."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from tests.stripe_standin import StandIn, sign_payload
from tests.support.api import WEEK, Staff, with_organisation

WEBHOOK_SECRET = "whsec_test_platform"
CONNECT_SECRET = "whsec_test_connect"
CUSTOMER = {
    "customerName": "Paying Customer",
    "customerEmail": "payer@example.com",
    "customerPhone": "+1 555",
}


def stripe_env(standin: StandIn, **extra: str) -> dict[str, str]:
    return {
        "PAYMENTS_PROVIDER": "stripe",
        "STRIPE_SECRET_KEY": "sk_test_booking",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_booking",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_CONNECT_WEBHOOK_SECRET": CONNECT_SECRET,
        "STRIPE_API_BASE": standin.base_url,
        "ALLOWED_REDIRECT_HOSTS": "shop.example",
        **extra,
    }


def send(
    client: httpx.Client, event: dict[str, Any], secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> httpx.Response:
    """POST an event to the webhook the way Stripe does: the raw JSON, signed."""
    payload = json.dumps(event).encode()
    signature = sign_payload(payload, secret, timestamp)
    return client.post(
        "/api/payments/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def start_at(days: int = 10, hour: int = 10) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


@dataclass
class Shop:
    owner: Staff
    account: str
    type_id: int
    resource_id: int

    def reserve(self, client: httpx.Client, start: datetime, **extra: Any) -> httpx.Response:
        body = (
            {
                "resourceTypeId": self.type_id,
                "startTime": start.isoformat(),
                "endTime": (start + timedelta(hours=1)).isoformat(),
            }
            | CUSTOMER
            | extra
        )
        return client.post(f"/api/public/booking/organisations/{self.owner.slug}/reserve", json=body)

    def status(self, client: httpx.Client, session_id: str) -> dict[str, Any]:
        r = client.get(
            f"/api/public/booking/organisations/{self.owner.slug}/checkout-status",
            params={"sessionId": session_id},
        )
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def reservation(self, reservation_id: int) -> dict[str, Any]:
        return self.owner.ok("GET", f"/api/reservations/{reservation_id}")  # type: ignore[no-any-return]

    def ledger(self, reservation_id: int) -> list[dict[str, Any]]:
        return self.owner.ok("GET", f"/api/reservations/{reservation_id}/payments")["data"]  # type: ignore[no-any-return]


def connected_shop(
    client: httpx.Client,
    standin: StandIn,
    database_url: str,
    capacity: int = 1,
    price: int = 5000,
    **org: Any,
) -> Shop:
    """An organisation whose Stripe account is onboarded, with one payment-required type and one resource."""
    owner = with_organisation(client, **org)
    started = owner.ok("POST", f"/api/organisations/{owner.organisation_id}/stripe/connect")
    assert started["status"] == "onboarding_required"
    assert started["onboardingUrl"].startswith("http")
    acct = sql(
        database_url, "SELECT stripe_account_id FROM organisations WHERE id = $1", owner.organisation_id
    )[0][0]
    assert acct.startswith("acct_")
    event = standin.enable_account(acct)["event"]
    assert send(client, event, CONNECT_SECRET).json() == {"status": "processed"}
    assert (
        owner.ok("GET", f"/api/organisations/{owner.organisation_id}/stripe/connect")["status"] == "connected"
    )
    rt = owner.resource_type(weeklyHours=WEEK, paymentRequired=True, priceAmount=price)
    room = owner.resource(rt["id"], capacity=capacity)
    return Shop(owner, acct, rt["id"], room["id"])


async def _sql(url: str, statement: str, *args: Any) -> Any:
    conn = await asyncpg.connect(url)
    try:
        if not args and ";" in statement.strip().rstrip(";"):
            return await conn.execute(statement)  # several statements: the simple protocol
        return await conn.fetch(statement, *args)
    finally:
        await conn.close()


def sql(url: str, statement: str, *args: Any) -> Any:
    return asyncio.run(_sql(url, statement, *args))


def wait_for(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("the condition was not met in time")


def session_request(standin: StandIn, reservation_id: int) -> dict[str, Any]:
    """The Checkout Session creation the application sent the stand-in for a reservation."""
    created = [
        r
        for r in standin.requests("/v1/checkout/sessions", "POST")
        if r["path"] == "/v1/checkout/sessions"
        and r["params"]["metadata"]["reservation_id"] == str(reservation_id)
    ]
    assert created, f"no Checkout Session was created for reservation {reservation_id}"
    return created[-1]
