"""Saved-card payments and time: 3-D Secure abandoned until the hold lapses (a late success confirms while
the time is free, and is refunded in full once someone else has it), and a lost webhook healed by the worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.test_card_payments import RETURN, customer, reserve
from tests.stripe_standin import StandIn
from tests.support.payments import Shop, send, sql, start_at, stripe_env, wait_for
from tests.support.servers import Worker, base_env, run_worker

pytestmark = pytest.mark.e2e


@pytest.fixture
def worker(database_url: str, standin: StandIn) -> Iterator[Worker]:
    running = run_worker(base_env(database_url, **stripe_env(standin), WORKER_INTERVAL_SECONDS="1"))
    yield running
    running.stop()


def lapse(database_url: str, reservation_id: int) -> None:
    sql(
        database_url,
        "UPDATE reservations SET hold_expires_at = now() - interval '1 minute' WHERE id = $1",
        reservation_id,
    )


def test_three_d_secure_abandoned_the_hold_lapses_and_late_payments_confirm_or_go_back(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str, worker: Worker
) -> None:
    ana, cards = customer(http, "pm_card_authenticationRequired")
    card = cards["pm_card_authenticationRequired"]
    free = reserve(http, shop, ana, 90, paymentMethodId=card, returnUrl=RETURN).json()
    taken = reserve(http, shop, ana, 91, paymentMethodId=card, returnUrl=RETURN).json()
    for made in (free, taken):
        assert made["paymentData"]["status"] == "requires_action"
        lapse(database_url, made["reservationId"])
    wait_for(
        lambda: all(shop.reservation(m["reservationId"])["status"] == "expired" for m in (free, taken)),
        timeout=30,
    )
    # someone else books the second one's time meanwhile (the room has capacity 1)
    start = start_at(days=91)
    other = http.post(
        f"/api/public/booking/organisations/{shop.owner.slug}/reserve",
        json={
            "resourceTypeId": shop.type_id,
            "startTime": start.isoformat(),
            "endTime": (start + timedelta(hours=1)).isoformat(),
            "customerName": "B",
            "customerEmail": "b@example.com",
            "customerPhone": "1",
        },
    )
    assert other.status_code == 201, other.text
    for made in (free, taken):  # the customer finally completes 3-D Secure
        assert send(http, standin.authenticate(made["paymentData"]["paymentIntentId"])["event"]).json() == {
            "status": "processed"
        }
    kept = shop.reservation(free["reservationId"])
    assert (kept["status"], kept["paymentStatus"]) == ("confirmed", "succeeded")
    back = shop.reservation(taken["reservationId"])
    assert (back["status"], back["paymentStatus"]) == ("expired", "refunded")  # no money without a booking
    assert [e["kind"] for e in shop.ledger(taken["reservationId"])] == ["payment", "refund"]


def test_a_lost_webhook_of_a_processing_payment_is_healed_by_the_worker(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str, worker: Worker
) -> None:
    ana, cards = customer(http, "pm_card_processing")
    made: dict[str, Any] = reserve(
        http, shop, ana, 92, paymentMethodId=cards["pm_card_processing"], returnUrl=RETURN
    ).json()
    assert made["paymentStatus"] == "processing"
    standin.settle_intent(made["paymentData"]["paymentIntentId"])  # the bank says yes; the webhook is lost
    sql(  # as if it were minutes ago: the worker asks about payments pending that long
        database_url,
        "UPDATE reservations SET checkout_started_at = now() - interval '10 minutes' WHERE id = $1",
        made["reservationId"],
    )
    wait_for(lambda: shop.reservation(made["reservationId"])["status"] == "confirmed", timeout=60)
    assert shop.reservation(made["reservationId"])["paymentStatus"] == "succeeded"
