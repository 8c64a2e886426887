"""Payments end to end: the real server, PostgreSQL and the Stripe stand-in, with signed webhooks."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.stripe_standin import StandIn
from tests.support.api import member
from tests.support.payments import (
    CONNECT_SECRET,
    WEBHOOK_SECRET,
    Shop,
    connected_shop,
    send,
    session_request,
    sql,
    start_at,
    stripe_env,
    wait_for,
)
from tests.support.servers import Server, base_env, run_cli, run_worker

pytestmark = pytest.mark.e2e


def test_connect_onboarding_and_account_updates(
    http: httpx.Client, standin: StandIn, database_url: str
) -> None:
    shop = connected_shop(http, standin, database_url)
    catalog = http.get(f"/api/public/booking/organisations/{shop.owner.slug}").json()
    assert catalog["acceptsPayments"] is True
    assert catalog["resourceTypes"][0]["bookable"] is True
    # Stripe switches payouts off: the organisation follows, and stops taking payments when charges stop
    event = standin.update_account(
        shop.account, charges_enabled=False, payouts_enabled=False, details_submitted=True
    )["event"]
    assert send(http, event).json() == {"status": "processed"}
    status = shop.owner.ok("GET", f"/api/organisations/{shop.owner.organisation_id}/stripe/connect")
    assert status == {"status": "pending_verification", "chargesEnabled": False, "payoutsEnabled": False}
    refused = shop.reserve(http, start_at())
    assert refused.status_code == 409
    assert refused.json()["code"] == "PAYMENTS_UNAVAILABLE"
    assert http.get(f"/api/public/booking/organisations/{shop.owner.slug}").json()["acceptsPayments"] is False


def test_paid_booking_holds_then_the_webhook_confirms_it_once(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    before = datetime.now(UTC)
    made = shop.reserve(http, start_at(), successUrl="https://shop.example/thanks")
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["status"], body["paymentStatus"], body["requiresPayment"]) == (
        "pending_payment",
        "pending",
        True,
    )
    total = body["quotedAmount"]
    assert total == 5000 + 125 + 950
    hold = datetime.fromisoformat(body["holdExpiresAt"].replace("Z", "+00:00"))
    assert timedelta(minutes=30) < hold - before <= timedelta(minutes=32)
    session_id = body["stripeCheckoutSessionId"]
    assert body["checkoutUrl"] == body["paymentData"]["checkoutUrl"]
    assert body["paymentData"]["statusUrl"].endswith(f"checkout-status?sessionId={session_id}")
    sent = session_request(standin, body["reservationId"])
    params = sent["params"]
    assert params["mode"] == "payment"
    assert params["payment_intent_data"]["application_fee_amount"] == str((total * 1000 + 5000) // 10000)
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
    assert status == {
        "reservationId": body["reservationId"],
        "reference": body["reference"],
        "status": "confirmed",
        "paymentStatus": "succeeded",
        "requiresPayment": True,
        "canRetryPayment": False,
    }


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
    unknown = {
        "id": "evt_unknown_1",
        "object": "event",
        "type": "customer.created",
        "data": {"object": {"id": "cus_1"}},
    }
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


def test_declined_card_then_retry_with_the_same_manage_token(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    first = shop.reserve(http, start_at(days=13)).json()
    declined = standin.decline(first["stripeCheckoutSessionId"])["event"]
    assert send(http, declined).status_code == 200
    assert shop.reservation(first["reservationId"])["paymentStatus"] == "failed"
    retried = http.post(
        f"/api/public/booking/organisations/{shop.owner.slug}/checkout-retry",
        json={"sessionId": first["stripeCheckoutSessionId"]},
    )
    assert retried.status_code == 200, retried.text
    again = retried.json()
    assert again["reservationId"] == first["reservationId"]
    assert "manageToken" not in again  # a session id travels in URLs: it never grants the manage token
    assert http.get(f"/api/public/reservations/{first['manageToken']}").status_code == 200
    assert again["stripeCheckoutSessionId"] != first["stripeCheckoutSessionId"]
    assert (again["status"], again["paymentStatus"]) == ("pending_payment", "pending")
    assert again["holdExpiresAt"] >= first["holdExpiresAt"]
    assert standin.object(first["stripeCheckoutSessionId"])["status"] == "expired"
    assert send(http, standin.pay(again["stripeCheckoutSessionId"])["event"]).status_code == 200
    assert shop.reservation(first["reservationId"])["status"] == "confirmed"
    refused = http.post(
        f"/api/public/booking/organisations/{shop.owner.slug}/checkout-retry",
        json={"sessionId": again["stripeCheckoutSessionId"]},
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "RETRY_NOT_POSSIBLE"


def test_a_lost_webhook_is_healed_by_checkout_status(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    made = shop.reserve(http, start_at(days=14)).json()
    standin.pay(made["stripeCheckoutSessionId"])  # Stripe took the money; its webhook never arrives
    status = shop.status(http, made["stripeCheckoutSessionId"])
    assert (status["status"], status["paymentStatus"]) == ("confirmed", "succeeded")
    assert [e["kind"] for e in shop.ledger(made["reservationId"])] == ["payment"]


def test_late_payment_confirms_when_the_time_is_still_free(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str
) -> None:
    made = shop.reserve(http, start_at(days=15)).json()
    sql(
        database_url,
        "UPDATE reservations SET hold_expires_at = now() - interval '1 minute' WHERE id = $1",
        made["reservationId"],
    )
    event = standin.pay(made["stripeCheckoutSessionId"])["event"]
    assert send(http, event).status_code == 200
    kept = shop.reservation(made["reservationId"])
    assert (kept["status"], kept["paymentStatus"]) == ("confirmed", "succeeded")


def test_late_payment_after_the_time_was_taken_is_refunded_in_full(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str
) -> None:
    start = start_at(days=16)
    late = shop.reserve(http, start).json()
    sql(
        database_url,
        "UPDATE reservations SET hold_expires_at = now() - interval '1 minute' WHERE id = $1",
        late["reservationId"],
    )
    other = shop.reserve(http, start)  # the lapsed hold no longer holds: another customer takes the time
    assert other.status_code == 201, other.text
    assert shop.reservation(late["reservationId"])["status"] == "expired"
    assert send(http, standin.pay(late["stripeCheckoutSessionId"])["event"]).status_code == 200
    refunded = shop.reservation(late["reservationId"])
    assert (refunded["status"], refunded["paymentStatus"]) == ("expired", "refunded")
    ledger = shop.ledger(late["reservationId"])
    assert [(e["kind"], e["amount"]) for e in ledger] == [
        ("payment", late["quotedAmount"]),
        ("refund", late["quotedAmount"]),
    ]
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
    assert kinds == [
        ("payment", made["quotedAmount"]),
        ("payment", made["quotedAmount"]),
        ("refund", made["quotedAmount"]),
    ]


def test_a_provider_failure_leaves_no_hold(http: httpx.Client, standin: StandIn, shop: Shop) -> None:
    standin.add_fault("/v1/checkout/sessions", method="POST", status=500, count=10)
    try:
        failed = shop.reserve(http, start_at(days=18))
    finally:
        standin.clear_faults()
    assert failed.status_code == 502
    assert failed.json()["code"] == "PAYMENT_PROVIDER_ERROR"
    assert shop.reserve(http, start_at(days=18)).status_code == 201  # the time was not held


@pytest.fixture
def yen_shop(http: httpx.Client, standin: StandIn, database_url: str) -> Shop:
    policy = [{"minHoursBefore": 168, "refundPercent": 100}, {"minHoursBefore": 48, "refundPercent": 50}]
    return connected_shop(
        http,
        standin,
        database_url,
        price=10_001,
        currency="jpy",
        timezone="Asia/Tokyo",
        serviceFeeBps=300,
        taxBps=1000,
        cancellationPolicy=policy,
    )


def paid_booking(http: httpx.Client, standin: StandIn, shop: Shop, start: datetime) -> dict[str, object]:
    made = shop.reserve(http, start).json()
    assert send(http, standin.pay(made["stripeCheckoutSessionId"])["event"]).status_code == 200
    return made  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("days", "expected"),
    [(10, 11001), (3, 5501), (1, 0)],  # 100 %, 50 % (5500.5 rounds up), nothing: of subtotal + taxes
)
def test_cancellation_refunds_by_policy_tier_in_a_zero_decimal_currency(
    http: httpx.Client, standin: StandIn, yen_shop: Shop, days: int, expected: int
) -> None:
    made = paid_booking(http, standin, yen_shop, start_at(days=days, hour=3))
    assert made["quotedAmount"] == 10_001 + 300 + 1000  # fee 300.03 -> 300, tax 1000.1 -> 1000
    manage = f"/api/public/reservations/{made['manageToken']}"
    assert http.get(manage).json()["refundIfCancelledNow"] == {"amount": expected, "currency": "jpy"}
    done = http.post(f"{manage}/cancel", json={"reason": "cannot come"}).json()
    assert done["refund"] == {
        "eligible": expected > 0,
        "amount": expected,
        "currency": "jpy",
        "status": "succeeded" if expected else "none",
    }
    reservation = yen_shop.reservation(made["reservationId"])
    assert reservation["status"] == "cancelled"
    assert reservation["paymentStatus"] == ("partially_refunded" if expected else "succeeded")
    if expected:
        assert standin.requests("/v1/refunds", "POST")[-1]["params"]["amount"] == str(expected)


def test_staff_cancel_full_or_none_and_refunds_that_add_up(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    full = paid_booking(http, standin, shop, start_at(days=20))
    done = shop.owner.ok("POST", f"/api/reservations/{full['reservationId']}/cancel", json={"refund": "full"})
    assert done["refund"]["amount"] == full["quotedAmount"]  # the service fee too
    assert done["reservation"]["paymentStatus"] == "refunded"
    kept = paid_booking(http, standin, shop, start_at(days=20, hour=14))
    none = shop.owner.ok("POST", f"/api/reservations/{kept['reservationId']}/cancel", json={"refund": "none"})
    assert none["refund"] == {"eligible": False, "amount": 0, "currency": "eur", "status": "none"}
    assert none["reservation"]["paymentStatus"] == "succeeded"
    total = kept["quotedAmount"]
    path = f"/api/reservations/{kept['reservationId']}/refund"
    first = shop.owner.ok("POST", path, 201, json={"amount": 1000, "reason": "goodwill"})
    assert (first["amount"], first["currency"], first["reason"]) == (1000, "eur", "goodwill")
    assert shop.reservation(kept["reservationId"])["paymentStatus"] == "partially_refunded"
    too_much = shop.owner.post(path, json={"amount": total})
    assert too_much.status_code == 409
    assert too_much.json()["code"] == "REFUND_EXCEEDS_PAYMENT"
    rest = shop.owner.ok("POST", path, 201, json={})
    assert rest["amount"] == total - 1000
    assert shop.reservation(kept["reservationId"])["paymentStatus"] == "refunded"
    assert shop.owner.post(path, json={}).json()["code"] == "REFUND_EXCEEDS_PAYMENT"
    ledger = shop.ledger(kept["reservationId"])
    paid = sum(e["amount"] for e in ledger if e["kind"] == "payment")
    back = sum(e["amount"] for e in ledger if e["kind"] == "refund")
    assert paid == back == total
    # staff below admin may not refund
    staff = member(http, shop.owner, "staff")
    other = paid_booking(http, standin, shop, start_at(days=21))
    assert staff.post(f"/api/reservations/{other['reservationId']}/refund", json={}).status_code == 403
    assert staff.delete(f"/api/reservations/{other['reservationId']}").json()["code"] == "INVALID_TRANSITION"


def test_refunds_made_in_the_dashboard_reach_the_ledger_once(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    made = paid_booking(http, standin, shop, start_at(days=22))
    intent = shop.ledger(made["reservationId"])[0]["stripeId"]
    dashboard = standin.dashboard_refund(intent, 700)
    assert send(http, dashboard["event"]).json() == {"status": "processed"}
    assert send(http, dashboard["event"]).json() == {"status": "already_processed"}
    again = copy.deepcopy(dashboard["event"]) | {"id": dashboard["event"]["id"] + "_retry"}
    assert send(http, again).json() == {
        "status": "processed"
    }  # another delivery id, same refund: counted once
    ledger = shop.ledger(made["reservationId"])
    assert [(e["kind"], e["amount"]) for e in ledger] == [("payment", made["quotedAmount"]), ("refund", 700)]
    assert shop.reservation(made["reservationId"])["paymentStatus"] == "partially_refunded"
    rest = standin.dashboard_refund(intent)
    assert send(http, rest["event"]).status_code == 200
    assert shop.reservation(made["reservationId"])["paymentStatus"] == "refunded"


def test_a_database_failure_during_a_webhook_changes_nothing_and_the_retry_confirms_once(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str
) -> None:
    made = shop.reserve(http, start_at(days=23)).json()
    event = standin.pay(made["stripeCheckoutSessionId"])["event"]
    sql(
        database_url,
        """
        CREATE OR REPLACE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'writes refused for the fault test' USING ERRCODE = 'read_only_sql_transaction'; END $$;
        CREATE TRIGGER refuse_payments BEFORE INSERT ON payments FOR EACH ROW EXECUTE FUNCTION refuse_writes();
    """,
    )
    try:
        failed = send(http, event)
        assert failed.status_code in (500, 503), failed.text
        assert shop.reservation(made["reservationId"])["status"] == "pending_payment"
        assert shop.ledger(made["reservationId"]) == []
        assert (
            sql(
                database_url, "SELECT count(*) FROM processed_webhook_events WHERE event_id = $1", event["id"]
            )[0][0]
            == 0
        )
    finally:
        sql(database_url, "DROP TRIGGER refuse_payments ON payments; DROP FUNCTION refuse_writes();")
    assert send(http, event).json() == {"status": "processed"}
    assert send(http, event).json() == {"status": "already_processed"}
    confirmed = shop.reservation(made["reservationId"])
    assert (confirmed["status"], confirmed["paymentStatus"]) == ("confirmed", "succeeded")
    assert len(shop.ledger(made["reservationId"])) == 1


def test_the_worker_expires_holds_and_heals_lost_webhooks(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str, paid_server: Server
) -> None:
    lapsing = shop.reserve(http, start_at(days=24)).json()
    keyed = shop.owner.post(
        "/api/reservations",
        headers={"Idempotency-Key": "old-key-1"},
        json={
            "resourceId": shop.resource_id,
            "startTime": "2026-02-05T10:00:00Z",
            "endTime": "2026-02-05T11:00:00Z",
        },
    )
    assert keyed.status_code == 201
    sql(
        database_url,
        "UPDATE idempotency_keys SET created_at = now() - interval '2 days' WHERE key = 'old-key-1'",
    )
    lost = shop.reserve(http, start_at(days=24, hour=15)).json()
    standin.pay(lost["stripeCheckoutSessionId"])  # paid, webhook lost
    sql(
        database_url,
        "UPDATE reservations SET hold_expires_at = now() - interval '1 minute' WHERE id = $1",
        lapsing["reservationId"],
    )
    sql(
        database_url,
        "UPDATE reservations SET checkout_started_at = now() - interval '10 minutes' WHERE id = $1",
        lost["reservationId"],
    )
    past = shop.owner.ok(
        "POST",
        "/api/reservations",
        201,
        json={
            "resourceId": shop.resource_id,
            "startTime": "2026-01-05T10:00:00Z",
            "endTime": "2026-01-05T11:00:00Z",
        },
    )
    worker = run_worker(base_env(database_url, **stripe_env(standin), WORKER_INTERVAL_SECONDS="1"))
    try:
        wait_for(lambda: shop.reservation(lapsing["reservationId"])["status"] == "expired")
        wait_for(lambda: shop.reservation(lost["reservationId"])["status"] == "confirmed")
        wait_for(lambda: shop.reservation(past["id"])["status"] == "completed")
        wait_for(lambda: not sql(database_url, "SELECT 1 FROM idempotency_keys WHERE key = 'old-key-1'"))
    finally:
        worker.stop()
    assert shop.reservation(lapsing["reservationId"])["paymentStatus"] == "expired"
    assert standin.object(lapsing["stripeCheckoutSessionId"])["status"] == "expired"


def test_the_operator_sets_an_organisations_commission(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str
) -> None:
    env = base_env(database_url)
    assert run_cli("set-commission", shop.owner.slug, "500", env=env).returncode == 0
    assert shop.owner.ok("GET", f"/api/organisations/{shop.owner.organisation_id}")["commissionBps"] == 500
    made = shop.reserve(http, start_at(days=25)).json()
    sent = session_request(standin, made["reservationId"])
    total = made["quotedAmount"]
    assert sent["params"]["payment_intent_data"]["application_fee_amount"] == str(
        (total * 500 + 5000) // 10000
    )
    for bad in (
        ["set-commission", "no-such-organisation", "100"],
        ["set-commission", shop.owner.slug, "10001"],
        ["set-commission", shop.owner.slug, "ten"],
    ):
        refused = run_cli(*bad, env=env)
        assert refused.returncode != 0
        assert refused.stderr.strip()
    assert shop.owner.ok("GET", f"/api/organisations/{shop.owner.organisation_id}")["commissionBps"] == 500
    # organisations may read it, never set it
    assert (
        shop.owner.patch(
            f"/api/organisations/{shop.owner.organisation_id}", json={"commissionBps": 0}
        ).status_code
        == 400
    )


def test_only_owners_manage_payments(http: httpx.Client, shop: Shop) -> None:
    admin = member(http, shop.owner, "admin")
    staff = member(http, shop.owner, "staff")
    path = f"/api/organisations/{shop.owner.organisation_id}/stripe/connect"
    assert admin.post(path).status_code == 403
    assert admin.get(path).status_code == 200
    assert staff.get(path).status_code == 403
    key = shop.owner.ok(
        "POST",
        "/api/api-keys",
        201,
        json={"name": "k", "organisationId": shop.owner.organisation_id, "scopes": ["reservations:read"]},
    )["key"]
    assert http.post(path, headers={"X-API-Key": key}).status_code == 403


def test_checkout_retry_and_customer_cancel_take_idempotency_keys(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    made = shop.reserve(http, start_at(days=26)).json()
    retry = f"/api/public/booking/organisations/{shop.owner.slug}/checkout-retry"
    key = {"Idempotency-Key": "retry-click-1"}
    first = http.post(retry, json={"sessionId": made["stripeCheckoutSessionId"]}, headers=key)
    again = http.post(retry, json={"sessionId": made["stripeCheckoutSessionId"]}, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json()["stripeCheckoutSessionId"] == first.json()["stripeCheckoutSessionId"]
    assert again.headers["idempotent-replayed"] == "true"
    assert (
        len(
            [
                r
                for r in standin.requests("/v1/checkout/sessions", "POST")
                if r["path"] == "/v1/checkout/sessions"
                and r["params"]["metadata"]["reservation_id"] == str(made["reservationId"])
            ]
        )
        == 2
    )  # reserve + one retry
    cancel = f"/api/public/reservations/{made['manageToken']}/cancel"
    one = http.post(cancel, json={}, headers={"Idempotency-Key": "cancel-click-1"})
    two = http.post(cancel, json={}, headers={"Idempotency-Key": "cancel-click-1"})
    assert (one.status_code, two.status_code) == (200, 200)
    assert two.json() == one.json()
    assert two.headers["idempotent-replayed"] == "true"
    # the cancelled hold's session no longer takes payment
    assert standin.object(first.json()["stripeCheckoutSessionId"])["status"] == "expired"
