"""Payments end to end: the real server, PostgreSQL and the Stripe stand-in, with signed webhooks."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.stripe_standin import StandIn
from tests.support.payments import (
    CONNECT_SECRET,
    WEBHOOK_SECRET,
    Shop,
    connected_shop,
    send,
    sql,
    start_at,
    stripe_env,
)
from tests.support.servers import Server, base_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with StandIn.start() as running:
        yield running


@pytest.fixture(scope="module")
def paid_server(database_url: str, standin: StandIn) -> Iterator[Server]:
    srv = Server(base_env(database_url, **stripe_env(standin)))
    yield srv
    srv.stop()


@pytest.fixture
def http(paid_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=paid_server.url, timeout=30) as client:
        yield client


@pytest.fixture
def shop(http: httpx.Client, standin: StandIn, database_url: str) -> Shop:
    return connected_shop(http, standin, database_url, serviceFeeBps=250, taxBps=1900)


def test_connect_onboarding_and_account_updates(http: httpx.Client, standin: StandIn, database_url: str) -> None:
    shop = connected_shop(http, standin, database_url)
    catalog = http.get(f"/api/public/booking/organisations/{shop.owner.slug}").json()
    assert catalog["acceptsPayments"] is True
    assert catalog["resourceTypes"][0]["bookable"] is True
    # Stripe switches payouts off: the organisation follows, and stops taking payments when charges stop
    event = standin.update_account(shop.account, charges_enabled=False, payouts_enabled=False, details_submitted=True)["event"]
    assert send(http, event).json() == {"status": "processed"}
    status = shop.owner.ok("GET", f"/api/organisations/{shop.owner.organisation_id}/stripe/connect")
    assert status == {"status": "pending_verification", "chargesEnabled": False, "payoutsEnabled": False}
    refused = shop.reserve(http, start_at())
    assert refused.status_code == 409
    assert refused.json()["code"] == "PAYMENTS_UNAVAILABLE"
    assert http.get(f"/api/public/booking/organisations/{shop.owner.slug}").json()["acceptsPayments"] is False


def test_paid_booking_holds_then_the_webhook_confirms_it_once(http: httpx.Client, standin: StandIn, shop: Shop) -> None:
    before = datetime.now(UTC)
    made = shop.reserve(http, start_at(), successUrl="https://shop.example/thanks")
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["status"], body["paymentStatus"], body["requiresPayment"]) == ("pending_payment", "pending", True)
    total = body["quotedAmount"]
    assert total == 5000 + 125 + 950
    hold = datetime.fromisoformat(body["holdExpiresAt"].replace("Z", "+00:00"))
    assert timedelta(minutes=30) < hold - before <= timedelta(minutes=32)
    session_id = body["stripeCheckoutSessionId"]
    assert body["checkoutUrl"] == body["paymentData"]["checkoutUrl"]
    assert body["paymentData"]["statusUrl"].endswith(f"checkout-status?sessionId={session_id}")
    sent = [r for r in standin.requests("/v1/checkout/sessions", "POST") if r["params"]["metadata"]["reservation_id"] == str(body["reservationId"])][0]
    params = sent["params"]
    assert params["mode"] == "payment"
    assert params["payment_intent_data"]["application_fee_amount"] == str(round(total * 0.1 + 0.001))
    assert params["payment_intent_data"]["transfer_data"]["destination"] == shop.account
    assert int(params["expires_at"]) == int(hold.timestamp())
    assert params["client_reference_id"] == str(body["reservationId"])
    assert params["success_url"] == "https://shop.example/thanks"
    assert sent["headers"]["idempotency-key"] == f"checkout:{body['reservationId']}:1"
    # a capacity-1 room is held: nobody else can take the time meanwhile
    assert shop.reserve(http, start_at()).json()["code"] == "SLOT_UNAVAILABLE"
    paid = standin.pay(session_id)["event"]
    assert send(http, paid).json() == {"status": "processed"}
    assert send(http, paid).json() == {"status": "already_processed"}
    reservation = shop.reservation(body["reservationId"])
    assert (reservation["status"], reservation["paymentStatus"]) == ("confirmed", "succeeded")
    ledger = shop.ledger(body["reservationId"])
    assert [(e["kind"], e["amount"], e["status"]) for e in ledger] == [("payment", total, "succeeded")]
    # out of order: the session's expiry arriving after its payment changes nothing
    late = copy.deepcopy(paid) | {"id": paid["id"] + "_expired", "type": "checkout.session.expired"}
    assert send(http, late).json() == {"status": "processed"}
    assert shop.reservation(body["reservationId"])["status"] == "confirmed"
    status = shop.status(http, session_id)
    assert status == {"reservationId": body["reservationId"], "reference": body["reference"], "status": "confirmed",
                      "paymentStatus": "succeeded", "requiresPayment": True, "canRetryPayment": False}


def test_signatures_are_verified(http: httpx.Client, standin: StandIn, shop: Shop) -> None:
    body = shop.reserve(http, start_at(days=11)).json()
    paid = standin.pay(body["stripeCheckoutSessionId"])["event"]
    for bad in (
        send(http, paid, "whsec_someone_else"),
        send(http, paid, WEBHOOK_SECRET, timestamp=int(time.time()) - 400),
        http.post("/api/payments/stripe/webhook", json=paid),
    ):
        assert bad.status_code == 400
        assert bad.json()["code"] == "INVALID_SIGNATURE"
    assert shop.reservation(body["reservationId"])["status"] == "pending_payment"
    assert send(http, paid, CONNECT_SECRET).json() == {"status": "processed"}  # either secret is accepted
    assert shop.reservation(body["reservationId"])["status"] == "confirmed"
    unknown = {"id": "evt_unknown_1", "object": "event", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}
    assert send(http, unknown).json() == {"status": "ignored"}


def test_async_payment_methods(http: httpx.Client, standin: StandIn, shop: Shop) -> None:
    ok = shop.reserve(http, start_at(days=12)).json()
    assert send(http, standin.pay(ok["stripeCheckoutSessionId"], "unpaid")["event"]).status_code == 200
    processing = shop.reservation(ok["reservationId"])
    assert (processing["status"], processing["paymentStatus"]) == ("pending_payment", "processing")
    assert shop.status(http, ok["stripeCheckoutSessionId"])["canRetryPayment"] is False
    assert send(http, standin.async_succeed(ok["stripeCheckoutSessionId"])["event"]).status_code == 200
    assert (shop.reservation(ok["reservationId"])["status"]) == "confirmed"
    failing = shop.reserve(http, start_at(days=12, hour=14)).json()
    assert send(http, standin.pay(failing["stripeCheckoutSessionId"], "unpaid")["event"]).status_code == 200
    assert send(http, standin.async_fail(failing["stripeCheckoutSessionId"])["event"]).status_code == 200
    failed = shop.reservation(failing["reservationId"])
    assert (failed["status"], failed["paymentStatus"]) == ("pending_payment", "failed")
    assert shop.status(http, failing["stripeCheckoutSessionId"])["canRetryPayment"] is True


def test_declined_card_then_retry_with_the_same_manage_token(http: httpx.Client, standin: StandIn, shop: Shop) -> None:
    first = shop.reserve(http, start_at(days=13)).json()
    declined = standin.decline(first["stripeCheckoutSessionId"])["event"]
    assert send(http, declined).status_code == 200
    assert shop.reservation(first["reservationId"])["paymentStatus"] == "failed"
    retried = http.post(f"/api/public/booking/organisations/{shop.owner.slug}/checkout-retry",
                        json={"sessionId": first["stripeCheckoutSessionId"]})
    assert retried.status_code == 200, retried.text
    again = retried.json()
    assert again["reservationId"] == first["reservationId"]
    assert again["manageToken"] == first["manageToken"]
    assert again["stripeCheckoutSessionId"] != first["stripeCheckoutSessionId"]
    assert (again["status"], again["paymentStatus"]) == ("pending_payment", "pending")
    assert again["holdExpiresAt"] >= first["holdExpiresAt"]
    assert standin.object(first["stripeCheckoutSessionId"])["status"] == "expired"
    assert send(http, standin.pay(again["stripeCheckoutSessionId"])["event"]).status_code == 200
    assert shop.reservation(first["reservationId"])["status"] == "confirmed"
    refused = http.post(f"/api/public/booking/organisations/{shop.owner.slug}/checkout-retry",
                        json={"sessionId": again["stripeCheckoutSessionId"]})
    assert refused.status_code == 409
    assert refused.json()["code"] == "RETRY_NOT_POSSIBLE"


def test_a_lost_webhook_is_healed_by_checkout_status(http: httpx.Client, standin: StandIn, shop: Shop) -> None:
    made = shop.reserve(http, start_at(days=14)).json()
    standin.pay(made["stripeCheckoutSessionId"])  # Stripe took the money; its webhook never arrives
    status = shop.status(http, made["stripeCheckoutSessionId"])
    assert (status["status"], status["paymentStatus"]) == ("confirmed", "succeeded")
    assert [e["kind"] for e in shop.ledger(made["reservationId"])] == ["payment"]


def test_late_payment_confirms_when_the_time_is_still_free(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str
) -> None:
    made = shop.reserve(http, start_at(days=15)).json()
    sql(database_url, "UPDATE reservations SET hold_expires_at = now() - interval '1 minute' WHERE id = $1", made["reservationId"])
    event = standin.pay(made["stripeCheckoutSessionId"])["event"]
    assert send(http, event).status_code == 200
    kept = shop.reservation(made["reservationId"])
    assert (kept["status"], kept["paymentStatus"]) == ("confirmed", "succeeded")


def test_late_payment_after_the_time_was_taken_is_refunded_in_full(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str
) -> None:
    start = start_at(days=16)
    late = shop.reserve(http, start).json()
    sql(database_url, "UPDATE reservations SET hold_expires_at = now() - interval '1 minute' WHERE id = $1", late["reservationId"])
    other = shop.reserve(http, start)  # the lapsed hold no longer holds: another customer takes the time
    assert other.status_code == 201, other.text
    assert shop.reservation(late["reservationId"])["status"] == "expired"
    assert send(http, standin.pay(late["stripeCheckoutSessionId"])["event"]).status_code == 200
    refunded = shop.reservation(late["reservationId"])
    assert (refunded["status"], refunded["paymentStatus"]) == ("expired", "refunded")
    ledger = shop.ledger(late["reservationId"])
    assert [(e["kind"], e["amount"]) for e in ledger] == [("payment", late["quotedAmount"]), ("refund", late["quotedAmount"])]
    refunds = standin.requests("/v1/refunds", "POST")
    assert refunds[-1]["params"]["amount"] == str(late["quotedAmount"])


def test_a_second_payment_is_refunded(http: httpx.Client, standin: StandIn, shop: Shop) -> None:
    made = shop.reserve(http, start_at(days=17)).json()
    first = standin.pay(made["stripeCheckoutSessionId"])["event"]
    assert send(http, first).status_code == 200
    second = copy.deepcopy(first)
    second["id"] = first["id"] + "_again"
    second["data"]["object"]["payment_intent"] = "pi_second_" + str(made["reservationId"])
    # the stand-in knows that payment intent only if it exists: pay another session for the refund to succeed
    other = shop.reserve(http, start_at(days=17, hour=13)).json()
    second_pi = standin.pay(other["stripeCheckoutSessionId"])["event"]["data"]["object"]["payment_intent"]
    second["data"]["object"]["payment_intent"] = second_pi
    assert send(http, second).json() == {"status": "processed"}
    kept = shop.reservation(made["reservationId"])
    assert (kept["status"], kept["paymentStatus"]) == ("confirmed", "succeeded")
    kinds = [(e["kind"], e["amount"]) for e in shop.ledger(made["reservationId"])]
    assert kinds == [("payment", made["quotedAmount"]), ("payment", made["quotedAmount"]), ("refund", made["quotedAmount"])]


def test_a_provider_failure_leaves_no_hold(http: httpx.Client, standin: StandIn, shop: Shop) -> None:
    standin.add_fault("/v1/checkout/sessions", method="POST", status=500, count=10)
    try:
        failed = shop.reserve(http, start_at(days=18))
    finally:
        standin.clear_faults()
    assert failed.status_code == 502
    assert failed.json()["code"] == "PAYMENT_PROVIDER_ERROR"
    assert shop.reserve(http, start_at(days=18)).status_code == 201  # the time was not held
