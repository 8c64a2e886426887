"""Soak: 500 paid bookings, half through Checkout and half by saved cards (PaymentIntents confirmed on the
server), whose webhooks are duplicated, reordered and dropped. Every paid reservation ends confirmed or
refunded, nothing is charged twice, and the ledger balances against what the Stripe stand-in says it charged."""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.stripe_standin import StandIn
from tests.support.payments import Shop, connected_shop, send, sql, start_at, stripe_env
from tests.support.servers import Server, base_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BOOKINGS = 250  # through Checkout; as many again by saved cards below


@pytest.fixture(scope="module")
def soak_server(database_url: str, standin: StandIn) -> Iterator[Server]:
    srv = Server(base_env(database_url, **stripe_env(standin)))
    yield srv
    srv.stop()


def test_500_paid_bookings_with_unreliable_webhooks(
    soak_server: Server, standin: StandIn, database_url: str
) -> None:
    rng = random.Random(20261121)
    http = httpx.Client(base_url=soak_server.url, timeout=60, limits=httpx.Limits(max_connections=32))
    shop: Shop = connected_shop(http, standin, database_url, capacity=3)
    starts = [
        start_at(days=30) + timedelta(hours=h // 3) for h in range(BOOKINGS)
    ]  # three per hour: the capacity
    with ThreadPoolExecutor(16) as pool:
        made = list(pool.map(lambda s: shop.reserve(http, s), starts))
    assert all(r.status_code == 201 for r in made), {r.status_code for r in made}
    bookings = [r.json() for r in made]
    # 20 customers pay late: their hold lapsed and someone else took the last unit of their hour meanwhile
    late = {b["reservationId"] for b in rng.sample([b for i, b in enumerate(bookings) if i % 10], 20)}
    sql(
        database_url,
        "UPDATE reservations SET hold_expires_at = now() - interval '1 minute' WHERE id = ANY($1)",
        list(late),
    )
    for booking in bookings:
        if booking["reservationId"] in late:
            start = starts[bookings.index(booking)]
            assert shop.reserve(http, start).status_code == 201

    events: list[dict[str, Any]] = []
    for i, booking in enumerate(bookings):
        session = booking["stripeCheckoutSessionId"]
        if i % 10 == 0:  # a bank debit: unpaid at first, settled later
            events.append(standin.pay(session, "unpaid")["event"])
            events.append(standin.async_succeed(session)["event"])
        else:
            events.append(standin.pay(session)["event"])
    deliveries = [e for e in events if rng.random() > 0.15]  # 15 % never arrive
    deliveries += rng.sample(deliveries, len(deliveries) // 3)  # a third arrive twice
    rng.shuffle(deliveries)  # in any order
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda e: send(http, e), deliveries))
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["status"] for a in answers} <= {"processed", "already_processed"}

    # the customers come back to the status page: lost webhooks are healed by asking Stripe
    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(lambda b: shop.status(http, b["stripeCheckoutSessionId"]), bookings))
    outcome = {
        (s["status"], s["paymentStatus"])
        for s, b in zip(statuses, bookings, strict=True)
        if b["reservationId"] not in late
    }
    assert outcome == {("confirmed", "succeeded")}
    refunded_late = {
        (s["status"], s["paymentStatus"])
        for s, b in zip(statuses, bookings, strict=True)
        if b["reservationId"] in late
    }
    assert refunded_late == {("expired", "refunded")}

    charged = refunded = 0
    for booking in bookings:
        ledger = shop.ledger(booking["reservationId"])
        paid = sum(e["amount"] for e in ledger if e["kind"] == "payment" and e["status"] != "failed")
        back = sum(e["amount"] for e in ledger if e["kind"] == "refund")
        kept = 0 if booking["reservationId"] in late else booking["quotedAmount"]
        assert paid - back == kept  # the price of a confirmed booking, nothing for a refunded one
        charged += paid
        refunded += back
    stripe_intents = [e["data"]["object"] for e in standin.events("payment_intent.succeeded")]
    ours = {b["reservationId"] for b in bookings}
    stripe_total = sum(pi["amount"] for pi in stripe_intents if int(pi["metadata"]["reservation_id"]) in ours)
    stripe_refunds = sum(
        int(r["params"]["amount"]) for r in standin.requests("/v1/refunds", "POST") if not r.get("replayed")
    )
    assert charged == stripe_total
    assert (
        refunded == stripe_refunds == sum(b["quotedAmount"] for b in bookings if b["reservationId"] in late)
    )
    print(
        f"\nsoak: {BOOKINGS} bookings, {len(events)} payment events, {len(deliveries)} deliveries "
        f"({len(events) - len(set(e['id'] for e in deliveries))} dropped), {len(late)} late payments refunded; "
        f"charged {charged}, refunded {refunded}, kept {charged - refunded}"
    )
    http.close()


CARD_BOOKINGS = 250
RETURN = "https://shop.example/back"


def test_250_saved_card_bookings_with_unreliable_webhooks(
    soak_server: Server, standin: StandIn, database_url: str
) -> None:
    from tests.support.api import sign_up

    rng = random.Random(20261202)
    http = httpx.Client(base_url=soak_server.url, timeout=60, limits=httpx.Limits(max_connections=32))
    shop: Shop = connected_shop(http, standin, database_url, capacity=3)
    kinds = ("pm_card_visa", "pm_card_processing", "pm_card_authenticationRequired")
    people = []
    for _ in range(10):
        who = sign_up(http, "Soak Customer")
        cards = {
            k: who.ok("POST", "/api/me/payment-methods", 201, json={"paymentMethodId": k})["paymentMethodId"]
            for k in kinds
        }
        people.append((who, cards))
    starts = [start_at(days=60) + timedelta(hours=h // 3) for h in range(CARD_BOOKINGS)]

    def book(i: int) -> httpx.Response:
        who, cards = people[i % len(people)]
        start = starts[i]
        return http.post(
            f"/api/public/booking/organisations/{shop.owner.slug}/reserve",
            json={
                "resourceTypeId": shop.type_id,
                "startTime": start.isoformat(),
                "endTime": (start + timedelta(hours=1)).isoformat(),
                "customerPhone": "1",
                "paymentMethodId": cards[kinds[i % 3]],
                "returnUrl": RETURN,
            },
            headers={"Authorization": f"Bearer {who.token}"},
        )

    with ThreadPoolExecutor(16) as pool:
        made = list(pool.map(book, range(CARD_BOOKINGS)))
    assert all(r.status_code == 201 for r in made), {
        r.status_code: r.text for r in made if r.status_code != 201
    }
    bookings = [r.json() for r in made]
    expected = {"succeeded", "processing", "requires_action"}
    assert {b["paymentData"]["status"] for b in bookings} == expected
    events: list[dict[str, Any]] = []
    for b in bookings:  # the bank settles, the customer passes 3-D Secure
        intent, state = b["paymentData"]["paymentIntentId"], b["paymentData"]["status"]
        if state == "processing":
            events.append(standin.settle_intent(intent)["event"])
        elif state == "requires_action":
            events.append(standin.authenticate(intent)["event"])
    intents = {b["paymentData"]["paymentIntentId"] for b in bookings}
    events += [
        e
        for e in standin.events()
        if e["type"].startswith("payment_intent.") and e["data"]["object"]["id"] in intents
    ]
    deliveries = [e for e in events if rng.random() > 0.15]  # 15 % never arrive
    deliveries += rng.sample(deliveries, len(deliveries) // 3)  # a third arrive twice
    rng.shuffle(deliveries)  # in any order
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda e: send(http, e), deliveries))
    assert {a.status_code for a in answers} == {200}
    # the pages poll: a payment whose webhook was lost is asked about
    sql(
        database_url,
        "UPDATE reservations SET last_reconciled_at = NULL WHERE stripe_payment_intent_id = ANY($1)",
        list(intents),
    )

    def polled(b: dict[str, Any]) -> dict[str, Any]:
        r = http.get(
            f"/api/public/booking/organisations/{shop.owner.slug}/checkout-status",
            params={"paymentIntentId": b["paymentData"]["paymentIntentId"]},
        )
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(polled, bookings))
    assert {(s["status"], s["paymentStatus"]) for s in statuses} == {("confirmed", "succeeded")}
    charged = 0
    for b in bookings:
        ledger = shop.ledger(b["reservationId"])
        payments = [e for e in ledger if e["kind"] == "payment" and e["status"] != "failed"]
        assert [e["amount"] for e in payments] == [b["quotedAmount"]]  # charged once, the quoted price
        charged += payments[0]["amount"]
    succeeded = {
        e["data"]["object"]["id"]: e["data"]["object"]["amount"]
        for e in standin.events("payment_intent.succeeded")
    }
    assert charged == sum(amount for pi, amount in succeeded.items() if pi in intents)
    print(
        f"\nsoak (saved cards): {CARD_BOOKINGS} bookings, {len(events)} events, {len(deliveries)} deliveries; charged {charged}"
    )
    http.close()
