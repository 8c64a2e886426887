"""Disputes (API.md section 13): charge.dispute.created|updated|closed set the reservation's disputeStatus,
record payment.disputed on each change, and a lost one counts as a refund of its amount in the ledger."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.stripe_standin import StandIn
from tests.support.payments import Shop, send, sql, start_at

pytestmark = pytest.mark.e2e


def paid(http: httpx.Client, standin: StandIn, shop: Shop, days: int) -> tuple[dict[str, Any], str]:
    made = shop.reserve(http, start_at(days=days)).json()
    paying = standin.pay(made["stripeCheckoutSessionId"])
    assert send(http, paying["event"]).status_code == 200
    intent = next(e for e in paying["events"] if e["type"] == "payment_intent.succeeded")["data"]["object"][
        "id"
    ]
    return made, intent


def disputed_events(database_url: str, reservation_id: int) -> list[str]:
    rows = sql(
        database_url,
        "SELECT payload->>'dispute_status' FROM outbox WHERE reservation_id = $1 AND type = 'payment.disputed' ORDER BY id",
        reservation_id,
    )
    return [r[0] for r in rows]


def test_a_lost_dispute_is_followed_and_leaves_the_ledger_as_a_refund(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str
) -> None:
    made, intent = paid(http, standin, shop, 60)
    rid = made["reservationId"]
    assert shop.reservation(rid)["disputeStatus"] == "none"
    opened = standin.dispute(intent)["event"]
    assert send(http, opened).json() == {"status": "processed"}
    assert send(http, opened).json() == {"status": "already_processed"}
    assert shop.reservation(rid)["disputeStatus"] == "open"
    dispute_id = opened["data"]["object"]["id"]
    reviewing = standin.move_dispute(dispute_id, "under_review")["event"]
    assert reviewing["type"] == "charge.dispute.updated"
    assert send(http, reviewing).json() == {"status": "processed"}
    lost = standin.move_dispute(dispute_id, "lost")["event"]
    assert lost["type"] == "charge.dispute.closed"
    assert send(http, lost).json() == {"status": "processed"}
    again = copy.deepcopy(lost) | {"id": lost["id"] + "_redelivered"}  # another delivery of the same loss
    assert send(http, again).json() == {"status": "processed"}
    shown = shop.reservation(rid)
    assert (shown["disputeStatus"], shown["paymentStatus"]) == ("lost", "refunded")
    ledger = [(e["kind"], e["amount"]) for e in shop.ledger(rid)]
    assert ledger == [("payment", made["quotedAmount"]), ("refund", made["quotedAmount"])]  # once
    assert disputed_events(database_url, rid) == [
        "open",
        "lost",
    ]  # each change once; under_review is still open


def test_a_won_dispute_keeps_the_money_and_an_unknown_one_is_ignored(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str
) -> None:
    made, intent = paid(http, standin, shop, 61)
    rid = made["reservationId"]
    opened = standin.dispute(intent, "warning_needs_response")["event"]
    assert send(http, opened).status_code == 200
    won = standin.move_dispute(opened["data"]["object"]["id"], "won")["event"]
    assert send(http, won).json() == {"status": "processed"}
    shown = shop.reservation(rid)
    assert (shown["disputeStatus"], shown["paymentStatus"], shown["status"]) == (
        "won",
        "succeeded",
        "confirmed",
    )
    assert [e["kind"] for e in shop.ledger(rid)] == ["payment"]
    assert disputed_events(database_url, rid) == ["open", "won"]
    stranger = copy.deepcopy(opened)
    stranger["id"] = "evt_unknown_dispute"
    stranger["data"]["object"]["payment_intent"] = "pi_not_ours"
    assert send(http, stranger).json() == {"status": "processed"}  # recorded, nothing to change
