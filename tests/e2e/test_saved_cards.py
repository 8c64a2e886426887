"""Saved cards (API.md section 13) against the Stripe stand-in through the real SDK: one Customer per user
however many first uses race, a SetupIntent for Stripe.js, cards attached, listed and detached at Stripe,
nothing about a card kept but brand, last 4 and expiry."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.stripe_standin import StandIn
from tests.support.api import by_api_key, sign_up, with_organisation
from tests.support.payments import sql

pytestmark = pytest.mark.e2e
CARDS = "/api/me/payment-methods"


def test_one_customer_however_many_first_uses_race(
    http: httpx.Client, standin: StandIn, database_url: str
) -> None:
    ana = sign_up(http, "Ana Racer")
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: ana.post(f"{CARDS}/setup-intent"), range(8)))
    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
    assert all(a.json()["clientSecret"].startswith("seti_") for a in answers)
    assert {a.json()["publishableKey"] for a in answers} == {"pk_test_booking"}
    kept = sql(database_url, "SELECT stripe_customer_id FROM users WHERE id = $1", ana.user_id)[0][0]
    made = [r for r in standin.requests("/v1/customers", "POST") if r["status"] == 200]
    created = {
        r.get("response_id") or r.get("idempotency_key") or r["headers"].get("idempotency-key") for r in made
    }
    assert created == {f"customer:{ana.user_id}"} or len(created) == 1
    assert standin.object(kept)["metadata"] == {"user_id": str(ana.user_id)}
    setups = [r for r in standin.requests("/v1/setup_intents", "POST") if r["params"].get("customer") == kept]
    assert len(setups) == 8  # every SetupIntent is for the one Customer


def test_cards_are_attached_listed_and_detached_and_only_their_outline_is_kept(
    http: httpx.Client, standin: StandIn, database_url: str
) -> None:
    ana, bo = sign_up(http, "Ana Cards"), sign_up(http, "Bo Cards")
    visa = ana.ok("POST", CARDS, 201, json={"paymentMethodId": "pm_card_visa"})
    assert (visa["brand"], visa["last4"], visa["expMonth"], visa["expYear"]) == ("visa", "4242", 12, 2034)
    assert visa["paymentMethodId"].startswith("pm_")
    assert visa["paymentMethodId"] != "pm_card_visa"  # a card of its own, made from the test card
    master = ana.ok("POST", CARDS, 201, json={"paymentMethodId": "pm_card_mastercard"})
    customer = sql(database_url, "SELECT stripe_customer_id FROM users WHERE id = $1", ana.user_id)[0][0]
    assert standin.object(visa["paymentMethodId"])["customer"] == customer
    assert [c["last4"] for c in ana.ok("GET", CARDS)["data"]] == ["4242", "4444"]
    assert bo.ok("GET", CARDS)["data"] == []
    assert bo.delete(f"{CARDS}/{visa['id']}").status_code == 404  # not theirs
    ana.ok("DELETE", f"{CARDS}/{master['id']}", 204)
    assert standin.object(master["paymentMethodId"])["customer"] is None  # detached at Stripe
    assert [c["id"] for c in ana.ok("GET", CARDS)["data"]] == [visa["id"]]
    unknown = ana.post(CARDS, json={"paymentMethodId": "pm_nobody_has_this"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "paymentMethodId"
    columns = {
        r[0]
        for r in sql(
            database_url,
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'saved_cards'",
        )
    }
    assert columns == {
        "id",
        "user_id",
        "stripe_payment_method_id",
        "brand",
        "last4",
        "exp_month",
        "exp_year",
        "created_at",
    }


def test_cards_belong_to_people_not_keys(http: httpx.Client) -> None:
    assert http.get(CARDS).status_code == 401
    owner = with_organisation(http)
    key = owner.ok(
        "POST",
        "/api/api-keys",
        201,
        json={"name": "k", "organisationId": owner.organisation_id, "scopes": ["reservations:read"]},
    )["key"]
    assert by_api_key(http, key).get(CARDS).status_code == 403
