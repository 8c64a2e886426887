"""Paying with a saved card (API.md section 13) against the Stripe stand-in through the real SDK:
PaymentIntents confirmed on the server, every outcome, the webhook as the final word (late, twice, out of
order or lost and healed by checkout-status), one charge when two pay calls race."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.stripe_standin import StandIn
from tests.support.api import Staff, sign_up
from tests.support.payments import Shop, send, sql, start_at

pytestmark = pytest.mark.e2e
RETURN = "https://shop.example/back"


def customer(http: httpx.Client, *test_cards: str) -> tuple[Staff, dict[str, str]]:
    who = sign_up(http, "Card Holder")
    cards = {
        t: who.ok("POST", "/api/me/payment-methods", 201, json={"paymentMethodId": t})["paymentMethodId"]
        for t in test_cards
    }
    return who, cards


def reserve(http: httpx.Client, shop: Shop, who: Staff | None, days: int, **extra: Any) -> httpx.Response:
    start = start_at(days=days)
    return http.post(
        f"/api/public/booking/organisations/{shop.owner.slug}/reserve",
        json={
            "resourceTypeId": shop.type_id,
            "startTime": start.isoformat(),
            "endTime": (start + timedelta(hours=1)).isoformat(),
            "customerPhone": "1",
        }
        | extra,
        headers={"Authorization": f"Bearer {who.token}"} if who else {},
    )


def intent_events(standin: StandIn, intent_id: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in standin.events(kind) if e["data"]["object"]["id"] == intent_id]


def status(http: httpx.Client, shop: Shop, intent_id: str) -> dict[str, Any]:
    answer = http.get(
        f"/api/public/booking/organisations/{shop.owner.slug}/checkout-status",
        params={"paymentIntentId": intent_id},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_a_saved_card_pays_at_reserve_and_the_webhook_changes_nothing_more(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    ana, cards = customer(http, "pm_card_visa")
    made = reserve(http, shop, ana, 80, paymentMethodId=cards["pm_card_visa"], returnUrl=RETURN)
    assert made.status_code == 201, made.text
    body = made.json()
    data = body["paymentData"]
    assert (data["mode"], data["status"], data["publishableKey"]) == (
        "payment_intent",
        "succeeded",
        "pk_test_booking",
    )
    assert data["statusUrl"].endswith(f"paymentIntentId={data['paymentIntentId']}")
    assert body["manageToken"]
    rid = body["reservationId"]
    assert (shop.reservation(rid)["status"], shop.reservation(rid)["paymentStatus"]) == (
        "confirmed",
        "succeeded",
    )
    intent = standin.object(data["paymentIntentId"])
    assert intent["transfer_data"] == {"destination": shop.account}
    assert (
        intent["application_fee_amount"] == (body["quotedAmount"] + 5) // 10
    )  # 10 %, rounded as on Checkout
    assert intent["metadata"]["reservation_id"] == str(rid)
    (succeeded,) = intent_events(standin, data["paymentIntentId"], "payment_intent.succeeded")
    assert send(http, succeeded).json() == {"status": "processed"}
    assert send(http, succeeded).json() == {"status": "already_processed"}
    assert [e["kind"] for e in shop.ledger(rid)] == ["payment"]  # once


def test_three_d_secure_completed_and_its_lost_webhook_healed_by_checkout_status(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str
) -> None:
    ana, cards = customer(http, "pm_card_authenticationRequired")
    data = reserve(
        http, shop, ana, 81, paymentMethodId=cards["pm_card_authenticationRequired"], returnUrl=RETURN
    ).json()["paymentData"]
    assert data["status"] == "requires_action"
    assert data["clientSecret"].startswith(data["paymentIntentId"])
    assert standin.object(data["paymentIntentId"])["next_action"]["type"] == "redirect_to_url"
    assert status(http, shop, data["paymentIntentId"])["status"] == "pending_payment"
    done = standin.authenticate(
        data["paymentIntentId"]
    )  # the customer passes 3-D Secure; the webhook is lost
    # The page polls again a few seconds later (checkout-status asks the provider at most every 5 s).
    sql(
        database_url,
        "UPDATE reservations SET last_reconciled_at = NULL WHERE stripe_payment_intent_id = $1",
        data["paymentIntentId"],
    )
    healed = status(http, shop, data["paymentIntentId"])
    assert (healed["status"], healed["paymentStatus"]) == ("confirmed", "succeeded")
    assert send(http, done["event"]).json() == {"status": "processed"}  # arriving late changes nothing
    rid = healed["reservationId"]
    assert [e["kind"] for e in shop.ledger(rid)] == ["payment"]


def test_a_declined_card_keeps_the_hold_and_another_card_pays_and_late_word_of_the_decline_is_ignored(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    ana, cards = customer(http, "pm_card_chargeDeclinedInsufficientFunds", "pm_card_visa")
    made = reserve(
        http,
        shop,
        ana,
        82,
        paymentMethodId=cards["pm_card_chargeDeclinedInsufficientFunds"],
        returnUrl=RETURN,
    )
    assert made.status_code == 201, made.text
    first = made.json()
    assert first["paymentData"]["status"] == "requires_payment_method"
    assert (first["status"], first["paymentStatus"]) == ("pending_payment", "failed")
    declined = intent_events(
        standin, first["paymentData"]["paymentIntentId"], "payment_intent.payment_failed"
    )
    paid = ana.ok(
        "POST",
        f"/api/me/bookings/{first['reference']}/pay",
        json={"paymentMethodId": cards["pm_card_visa"], "returnUrl": RETURN},
    )
    assert paid["paymentData"]["status"] == "succeeded"
    assert paid["status"] == "confirmed"
    assert send(http, declined[0]).json() == {"status": "processed"}  # the first attempt's word, late
    after = shop.reservation(first["reservationId"])
    assert (after["status"], after["paymentStatus"]) == ("confirmed", "succeeded")


def test_a_processing_payment_waits_then_settles_by_webhook(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    ana, cards = customer(http, "pm_card_processing")
    made = reserve(http, shop, ana, 83, paymentMethodId=cards["pm_card_processing"], returnUrl=RETURN).json()
    intent = made["paymentData"]["paymentIntentId"]
    assert (made["paymentData"]["status"], made["paymentStatus"]) == ("processing", "processing")
    (processing,) = intent_events(standin, intent, "payment_intent.processing")
    settled = standin.settle_intent(intent)
    assert send(http, settled["event"]).json() == {"status": "processed"}  # out of order: success first
    assert send(http, processing).json() == {"status": "processed"}  # then the older word
    after = shop.reservation(made["reservationId"])
    assert (after["status"], after["paymentStatus"]) == ("confirmed", "succeeded")


def test_a_processing_payment_that_fails_later_keeps_the_hold_for_another_card(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    ana, cards = customer(http, "pm_card_processing", "pm_card_visa")
    made = reserve(http, shop, ana, 86, paymentMethodId=cards["pm_card_processing"], returnUrl=RETURN).json()
    intent = made["paymentData"]["paymentIntentId"]
    failed = standin.settle_intent(intent, succeed=False)
    assert failed["event"]["type"] == "payment_intent.payment_failed"
    for _ in range(2):  # twice: the second changes nothing
        assert send(http, failed["event"]).status_code == 200
    after = shop.reservation(made["reservationId"])
    assert (after["status"], after["paymentStatus"]) == ("pending_payment", "failed")  # the hold is kept
    again = ana.ok(
        "POST",
        f"/api/me/bookings/{made['reference']}/pay",
        200,
        json={"paymentMethodId": cards["pm_card_visa"], "returnUrl": RETURN},
    )
    assert again["paymentData"]["status"] == "succeeded"
    paid = shop.reservation(made["reservationId"])
    assert (paid["status"], paid["paymentStatus"]) == ("confirmed", "succeeded")
    ledger = [(e["kind"], e["status"], e["stripeId"]) for e in shop.ledger(made["reservationId"])]
    second = again["paymentData"]["paymentIntentId"]
    assert ledger == [("payment", "failed", intent), ("payment", "succeeded", second)]  # paid once


def test_only_ones_own_saved_card_and_two_racing_pay_calls_charge_once(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    ana, cards = customer(http, "pm_card_chargeDeclined", "pm_card_visa")
    bo, bos = customer(http, "pm_card_visa")
    before = len(standin.requests("/v1/payment_intents", "POST"))
    guest = reserve(
        http,
        shop,
        None,
        84,
        customerName="G",
        customerEmail="g@example.com",
        paymentMethodId=cards["pm_card_visa"],
        returnUrl=RETURN,
    )
    assert guest.status_code == 400
    assert guest.json()["errors"][0]["field"] == "paymentMethodId"
    foreign = reserve(http, shop, ana, 84, paymentMethodId=bos["pm_card_visa"], returnUrl=RETURN)
    assert foreign.status_code == 400
    assert foreign.json()["errors"][0]["field"] == "paymentMethodId"
    assert len(standin.requests("/v1/payment_intents", "POST")) == before  # nothing charged, nothing booked
    held = reserve(
        http, shop, ana, 84, paymentMethodId=cards["pm_card_chargeDeclined"], returnUrl=RETURN
    ).json()
    path = f"/api/me/bookings/{held['reference']}/pay"
    body = {"paymentMethodId": cards["pm_card_visa"], "returnUrl": RETURN}
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: ana.post(path, json=body), range(2)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [a.text for a in answers]  # the second is refused: in flight, or paid
    charged = [
        r
        for r in standin.requests("/v1/payment_intents", "POST")
        if r["status"] == 200
        and r["params"].get("metadata", {}).get("reservation_id") == str(held["reservationId"])
    ]
    assert len(charged) == 1  # one successful charge whatever the race did
    assert [e["kind"] for e in shop.ledger(held["reservationId"])] == ["payment"]
    assert (
        bo.post(path, json={"paymentMethodId": bos["pm_card_visa"], "returnUrl": RETURN}).status_code == 404
    )
