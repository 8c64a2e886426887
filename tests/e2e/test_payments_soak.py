"""Soak: 500 paid bookings whose webhooks are duplicated, reordered and dropped. Every paid reservation ends
confirmed or refunded, and the ledger balances against what the Stripe stand-in says it charged."""

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

BOOKINGS = 500


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
