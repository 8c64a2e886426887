"""Money and holds: the review's defects 1 to 7, each proven over HTTP with the Stripe stand-in."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.stripe_standin import StandIn
from tests.support.api import WEEK, member
from tests.support.payments import Shop, send, sql, start_at, stripe_env, wait_for
from tests.support.servers import Server, base_env, run_worker

pytestmark = pytest.mark.e2e


def sessions_of(standin: StandIn, reservation_id: int) -> list[dict[str, Any]]:
    """Every Checkout Session the stand-in holds for a reservation, as it stands now."""
    listed = httpx.get(
        f"{standin.base_url}/v1/checkout/sessions",
        params={"limit": 10_000},
        headers={"Authorization": "Bearer sk_test_booking"},
    ).json()["data"]
    return [s for s in listed if s["metadata"].get("reservation_id") == str(reservation_id)]


def refunds_for(standin: StandIn, intent: str) -> list[int]:
    return [
        int(r["params"]["amount"])
        for r in standin.requests("/v1/refunds", "POST")
        if r["params"]["payment_intent"] == intent and r["status"] == 200
    ]


def ledger_rows(database_url: str, reservation_id: int) -> tuple[list[int], list[int]]:
    paid = sql(
        database_url, "SELECT amount FROM payments WHERE reservation_id = $1 ORDER BY id", reservation_id
    )
    back = sql(
        database_url, "SELECT amount FROM refunds WHERE reservation_id = $1 ORDER BY id", reservation_id
    )
    return [r[0] for r in paid], [r[0] for r in back]


def retry(http: httpx.Client, shop: Shop, session_id: str) -> httpx.Response:
    return http.post(
        f"/api/public/booking/organisations/{shop.owner.slug}/checkout-retry", json={"sessionId": session_id}
    )


# -- defect 1 -------------------------------------------------------------------------------------


def test_deleting_an_unpaid_hold_expires_its_session_first(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    made = shop.reserve(http, start_at(days=30)).json()
    assert standin.object(made["stripeCheckoutSessionId"])["status"] == "open"
    assert shop.owner.delete(f"/api/reservations/{made['reservationId']}").status_code == 204
    assert standin.object(made["stripeCheckoutSessionId"])["status"] == "expired"
    assert shop.reserve(http, start_at(days=30)).status_code == 201  # the time is free again


def test_a_payment_that_lands_on_a_deleted_hold_is_refunded_in_full(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str
) -> None:
    made = shop.reserve(http, start_at(days=31)).json()
    paid = standin.pay(made["stripeCheckoutSessionId"])["event"]  # the customer pays; the webhook is late
    assert shop.owner.delete(f"/api/reservations/{made['reservationId']}").status_code == 204
    assert send(http, paid).json() == {"status": "processed"}
    intent = paid["data"]["object"]["payment_intent"]
    assert refunds_for(standin, intent) == [made["quotedAmount"]]
    assert ledger_rows(database_url, made["reservationId"]) == (
        [made["quotedAmount"]],
        [made["quotedAmount"]],
    )
    assert shop.owner.get(f"/api/reservations/{made['reservationId']}").status_code == 404  # stays deleted
    assert send(http, paid | {"id": paid["id"] + "_again"}).status_code == 200
    assert refunds_for(standin, intent) == [made["quotedAmount"]]  # once


def test_a_payment_that_lands_on_a_cancelled_hold_is_refunded_in_full(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    made = shop.reserve(http, start_at(days=32)).json()
    paid = standin.pay(made["stripeCheckoutSessionId"])["event"]
    cancelled = http.post(f"/api/public/reservations/{made['manageToken']}/cancel", json={})
    assert cancelled.status_code == 200, cancelled.text
    assert send(http, paid).json() == {"status": "processed"}
    assert refunds_for(standin, paid["data"]["object"]["payment_intent"]) == [made["quotedAmount"]]
    kept = shop.reservation(made["reservationId"])
    assert (kept["status"], kept["paymentStatus"]) == ("cancelled", "refunded")


def test_a_payment_for_an_unknown_reservation_is_refunded(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str
) -> None:
    made = shop.reserve(http, start_at(days=33)).json()
    paid = standin.pay(made["stripeCheckoutSessionId"])["event"]
    rid = made["reservationId"]
    sql(
        database_url,
        f"DELETE FROM reservation_allocations WHERE reservation_id = {rid}; "
        f"DELETE FROM checkout_sessions WHERE reservation_id = {rid}; "
        f"DELETE FROM reservations WHERE id = {rid};",
    )
    assert send(http, paid).json() == {"status": "processed"}
    assert refunds_for(standin, paid["data"]["object"]["payment_intent"]) == [made["quotedAmount"]]


def test_the_worker_refunds_a_deleted_hold_whose_payment_webhook_was_lost(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str
) -> None:
    made = shop.reserve(http, start_at(days=34)).json()
    paid = standin.pay(made["stripeCheckoutSessionId"])["event"]  # paid; the webhook never arrives
    assert shop.owner.delete(f"/api/reservations/{made['reservationId']}").status_code == 204
    sql(
        database_url,
        "UPDATE reservations SET checkout_started_at = now() - interval '10 minutes' WHERE id = $1",
        made["reservationId"],
    )
    worker = run_worker(base_env(database_url, **stripe_env(standin), WORKER_INTERVAL_SECONDS="1"))
    try:
        intent = paid["data"]["object"]["payment_intent"]
        wait_for(lambda: refunds_for(standin, intent) == [made["quotedAmount"]])
    finally:
        worker.stop()
    assert ledger_rows(database_url, made["reservationId"]) == (
        [made["quotedAmount"]],
        [made["quotedAmount"]],
    )


# -- defects 2 and 3 ------------------------------------------------------------------------------


@pytest.fixture
def second_server(database_url: str, standin: StandIn) -> Any:
    srv = Server(base_env(database_url, **stripe_env(standin)))
    yield srv
    srv.stop()


def test_parallel_retries_over_two_processes_leave_one_open_session(
    http: httpx.Client, standin: StandIn, shop: Shop, second_server: Server
) -> None:
    made = shop.reserve(http, start_at(days=35)).json()
    first = made["stripeCheckoutSessionId"]
    send(http, standin.decline(first)["event"])
    urls = [http.base_url, httpx.URL(second_server.url)] * 3

    def one(base: httpx.URL) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=30) as client:
            return retry(client, shop, first)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(one, urls))
    ok = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code != 200]
    assert ok, [a.text for a in answers]
    assert all(a.status_code == 409 and a.json()["code"] == "RETRY_NOT_POSSIBLE" for a in refused), [
        a.text for a in refused
    ]
    assert all("manageToken" not in a.json() for a in ok)
    current = shop.reservation(made["reservationId"])["stripeCheckoutSessionId"]
    assert current in {a.json()["stripeCheckoutSessionId"] for a in ok}
    sessions = sessions_of(standin, made["reservationId"])
    assert len(sessions) == 1 + len(ok)  # the reserve's, and one per successful retry: none half-made
    assert [s["id"] for s in sessions if s["status"] == "open"] == [current]


def test_at_most_five_retries(http: httpx.Client, standin: StandIn, shop: Shop) -> None:
    session = shop.reserve(http, start_at(days=36)).json()["stripeCheckoutSessionId"]
    for _ in range(5):
        again = retry(http, shop, session)
        assert again.status_code == 200, again.text
        session = again.json()["stripeCheckoutSessionId"]
    refused = retry(http, shop, session)
    assert refused.status_code == 409
    assert refused.json()["code"] == "RETRY_NOT_POSSIBLE"
    assert shop.status(http, session)["canRetryPayment"] is False
    assert standin.object(session)["status"] == "open"  # the last session still takes the payment


# -- defect 4 -------------------------------------------------------------------------------------


def test_can_retry_payment_is_false_once_another_customer_took_the_time(
    http: httpx.Client, shop: Shop, database_url: str
) -> None:
    start = start_at(days=37)
    lapsed = shop.reserve(http, start).json()
    sql(
        database_url,
        "UPDATE reservations SET hold_expires_at = now() - interval '1 minute' WHERE id = $1",
        lapsed["reservationId"],
    )
    assert shop.status(http, lapsed["stripeCheckoutSessionId"])["canRetryPayment"] is True  # still free
    assert shop.reserve(http, start).status_code == 201  # someone else takes the time
    status = shop.status(http, lapsed["stripeCheckoutSessionId"])
    assert (status["status"], status["canRetryPayment"]) == ("expired", False)
    assert retry(http, shop, lapsed["stripeCheckoutSessionId"]).json()["code"] == "RETRY_NOT_POSSIBLE"


def test_a_lapsed_hold_whose_time_is_free_can_be_retried(
    http: httpx.Client, shop: Shop, database_url: str
) -> None:
    made = shop.reserve(http, start_at(days=38)).json()
    sql(
        database_url,
        "UPDATE reservations SET hold_expires_at = now() - interval '1 minute' WHERE id = $1",
        made["reservationId"],
    )
    assert shop.status(http, made["stripeCheckoutSessionId"])["canRetryPayment"] is True
    again = retry(http, shop, made["stripeCheckoutSessionId"])
    assert again.status_code == 200, again.text
    assert (again.json()["status"], again.json()["paymentStatus"]) == ("pending_payment", "pending")


# -- defects 5 and 6 ------------------------------------------------------------------------------


def paid(http: httpx.Client, standin: StandIn, shop: Shop, days: int) -> dict[str, Any]:
    made: dict[str, Any] = shop.reserve(http, start_at(days=days)).json()
    assert send(http, standin.pay(made["stripeCheckoutSessionId"])["event"]).status_code == 200
    return made


def test_a_policy_cancellation_after_a_partial_refund_refunds_the_policy_amount_less_it(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    made = paid(http, standin, shop, days=40)  # 100 % of subtotal + taxes by the default policy
    assert made["quotedAmount"] == 5000 + 125 + 950
    shop.owner.ok("POST", f"/api/reservations/{made['reservationId']}/refund", 201, json={"amount": 1000})
    manage = f"/api/public/reservations/{made['manageToken']}"
    assert http.get(manage).json()["refundIfCancelledNow"]["amount"] == 5950 - 1000
    done = http.post(f"{manage}/cancel", json={}).json()
    assert done["refund"]["amount"] == 4950  # never into the 125 service fee
    ledger = shop.ledger(made["reservationId"])
    assert sum(e["amount"] for e in ledger if e["kind"] == "refund") == 5950


def test_a_refund_beyond_the_policy_leaves_nothing_for_the_policy(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    made = paid(http, standin, shop, days=41)
    shop.owner.ok("POST", f"/api/reservations/{made['reservationId']}/refund", 201, json={"amount": 6000})
    done = http.post(f"/api/public/reservations/{made['manageToken']}/cancel", json={}).json()
    assert done["refund"] == {"eligible": False, "amount": 0, "currency": "eur", "status": "none"}


def test_only_admins_cancel_with_a_full_refund(http: httpx.Client, standin: StandIn, shop: Shop) -> None:
    made = paid(http, standin, shop, days=42)
    staff = member(http, shop.owner, "staff")
    path = f"/api/reservations/{made['reservationId']}/cancel"
    refused = staff.post(path, json={"refund": "full"})
    assert refused.status_code == 403
    assert shop.reservation(made["reservationId"])["status"] == "confirmed"
    assert shop.ledger(made["reservationId"])[-1]["kind"] == "payment"
    admin = member(http, shop.owner, "admin")
    assert admin.ok("POST", path, json={"refund": "full"})["refund"]["amount"] == made["quotedAmount"]


# -- defect 7 -------------------------------------------------------------------------------------


def test_a_paid_booking_of_a_type_that_requires_approval_waits_for_staff(
    http: httpx.Client, standin: StandIn, shop: Shop
) -> None:
    rt = shop.owner.resource_type(
        weeklyHours=WEEK, paymentRequired=True, priceAmount=4000, requiresApproval=True
    )
    room = shop.owner.resource(rt["id"])
    body = {
        "resourceTypeId": rt["id"],
        "customerName": "A",
        "customerEmail": "a@example.com",
        "customerPhone": "1",
    }

    def book(days: int) -> dict[str, Any]:
        start = start_at(days=days)
        made = http.post(
            f"/api/public/booking/organisations/{shop.owner.slug}/reserve",
            json=body | {"startTime": start.isoformat(), "endTime": (start + timedelta(hours=1)).isoformat()},
        ).json()
        assert send(http, standin.pay(made["stripeCheckoutSessionId"])["event"]).status_code == 200
        return made

    approved = book(43)
    waiting = shop.reservation(approved["reservationId"])
    assert (waiting["status"], waiting["paymentStatus"]) == ("pending", "succeeded")
    assert waiting["allocations"] == [{"resourceId": room["id"], "quantity": 1}]  # the time stays held
    staff = member(http, shop.owner, "staff")
    confirmed = staff.ok(
        "PATCH", f"/api/reservations/{approved['reservationId']}", json={"status": "confirmed"}
    )
    assert confirmed["status"] == "confirmed"
    declined = book(44)
    assert (
        staff.patch(f"/api/reservations/{declined['reservationId']}", json={"status": "cancelled"}).json()[
            "code"
        ]
        == "INVALID_TRANSITION"
    )  # a paid booking is cancelled where the refund is decided
    done = staff.ok("POST", f"/api/reservations/{declined['reservationId']}/cancel", json={})
    assert done["refund"]["amount"] == declined["quotedAmount"]  # declined: everything back, the fee too
    assert done["reservation"]["paymentStatus"] == "refunded"


# -- a hold that lapsed but was not expired yet never stands in the way ---------------------------


def lapse(database_url: str, reservation_id: int) -> None:
    sql(
        database_url,
        "UPDATE reservations SET hold_expires_at = now() - interval '1 minute' WHERE id = $1",
        reservation_id,
    )


def test_a_late_payment_is_kept_when_the_hold_in_its_way_has_lapsed(
    http: httpx.Client, standin: StandIn, shop: Shop, database_url: str
) -> None:
    start = start_at(days=45)
    first = shop.reserve(http, start).json()
    lapse(database_url, first["reservationId"])
    second = shop.reserve(http, start).json()  # expires the first and holds the time
    lapse(database_url, second["reservationId"])  # and lapses too; nobody has expired it yet
    assert send(http, standin.pay(first["stripeCheckoutSessionId"])["event"]).status_code == 200
    kept = shop.reservation(first["reservationId"])
    assert (kept["status"], kept["paymentStatus"]) == ("confirmed", "succeeded")
    assert shop.reservation(second["reservationId"])["status"] == "expired"


def test_a_retry_is_not_refused_for_a_hold_that_has_lapsed(
    http: httpx.Client, shop: Shop, database_url: str
) -> None:
    start = start_at(days=46)
    first = shop.reserve(http, start).json()
    lapse(database_url, first["reservationId"])
    second = shop.reserve(http, start).json()
    lapse(database_url, second["reservationId"])
    assert shop.status(http, first["stripeCheckoutSessionId"])["canRetryPayment"] is True
    again = retry(http, shop, first["stripeCheckoutSessionId"])
    assert again.status_code == 200, again.text
    assert shop.reservation(second["reservationId"])["status"] == "expired"
