"""The Stripe stand-in, driven through the real `stripe` SDK (async methods over httpx)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import stripe

from tests.stripe_standin import StandIn, sign_payload

SECRET = "whsec_test_standin"
# stripe 16.1's HTTPXClient passes the encoded form as `data=<str>`, which httpx 0.28 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes/text content.")


@pytest.fixture(autouse=True)
def _fresh_state(standin: StandIn) -> None:
    standin.reset()


@pytest.fixture
async def make_client(standin: StandIn) -> AsyncIterator[Callable[..., stripe.StripeClient]]:
    """The SDK pointed at the stand-in; ``max_network_retries=0`` unless a test asks for retries."""
    transports: list[stripe.HTTPXClient] = []

    def make(
        api_key: str = "sk_test_standin", retries: int = 0, timeout: float = 10.0
    ) -> stripe.StripeClient:
        transports.append(stripe.HTTPXClient(timeout=timeout))
        return stripe.StripeClient(
            api_key,
            base_addresses={"api": standin.base_url, "connect": standin.base_url, "files": standin.base_url},
            http_client=transports[-1],
            max_network_retries=retries,
        )

    yield make
    for transport in transports:
        await transport.close_async()


@pytest.fixture
def client(make_client: Callable[..., stripe.StripeClient]) -> stripe.StripeClient:
    return make_client()


async def connected_account(client: stripe.StripeClient, standin: StandIn) -> str:
    account = await client.v1.accounts.create_async(
        params={"type": "express", "country": "DE", "capabilities": {"transfers": {"requested": True}}}
    )
    standin.enable_account(account.id)
    return account.id


def session_params(destination: str, **overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 2500,
                    "product_data": {"name": "Kayak tour"},
                },
                "quantity": 2,
            }
        ],
        "success_url": "http://127.0.0.1:8000/paid?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://127.0.0.1:8000/cancelled",
        "expires_at": int(time.time()) + 3600,
        "client_reference_id": "5",
        "customer_email": "ada@example.com",
        "metadata": {"reservation_id": "5", "organisation_id": "7"},
        "payment_intent_data": {
            "application_fee_amount": 250,
            "transfer_data": {"destination": destination},
            "metadata": {"reservation_id": "5"},
        },
    }
    params.update(overrides)
    return params


async def new_session(client: stripe.StripeClient, standin: StandIn, **overrides: Any) -> Any:
    destination = await connected_account(client, standin)
    return await client.v1.checkout.sessions.create_async(params=session_params(destination, **overrides))


# checkout sessions -------------------------------------------------------------------------------------
async def test_create_session_sends_stripe_wire_format_and_gets_an_open_session(client, standin):
    destination = await connected_account(client, standin)
    session = await client.v1.checkout.sessions.create_async(params=session_params(destination))

    assert isinstance(session, stripe.checkout.Session)
    assert session.id.startswith("cs_test_")
    assert (session.status, session.payment_status, session.payment_intent) == ("open", "unpaid", None)
    assert (session.amount_total, session.currency) == (5000, "eur")
    assert session.url == f"{standin.base_url}/checkout/pay/{session.id}"
    assert session.metadata.to_dict() == {"reservation_id": "5", "organisation_id": "7"}
    assert session.client_reference_id == "5"
    sent = standin.requests("/v1/checkout/sessions", "POST")[-1]
    assert "line_items[0][price_data][unit_amount]=2500" in sent["raw_body"]
    assert f"payment_intent_data[transfer_data][destination]={destination}" in sent["raw_body"]
    assert sent["params"]["line_items"][0]["price_data"]["product_data"]["name"] == "Kayak tour"
    assert sent["params"]["payment_intent_data"]["application_fee_amount"] == "250"
    assert sent["params"]["metadata"] == {"reservation_id": "5", "organisation_id": "7"}
    assert sent["headers"]["authorization"] == "Bearer sk_test_standin"
    assert sent["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert sent["headers"]["idempotency-key"]  # the SDK invents one for every POST
    assert sent["headers"]["stripe-version"] == stripe.api_version


async def test_retrieve_expands_the_payment_intent_of_a_paid_session(client, standin):
    destination = await connected_account(client, standin)
    session = await client.v1.checkout.sessions.create_async(params=session_params(destination))
    standin.pay(session.id)

    paid = await client.v1.checkout.sessions.retrieve_async(session.id, params={"expand": ["payment_intent"]})

    intent = paid.payment_intent
    assert isinstance(intent, stripe.PaymentIntent)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert (intent.status, intent.amount_received, intent.application_fee_amount) == ("succeeded", 5000, 250)
    assert intent.transfer_data.destination == destination
    assert intent.metadata.to_dict() == {"reservation_id": "5"}
    charge = standin.object(intent.latest_charge)
    assert (charge["amount"], charge["application_fee_amount"], charge["paid"]) == (5000, 250, True)
    assert standin.requests("/v1/checkout/sessions/", "GET")[-1]["query"] == {"expand": ["payment_intent"]}


@pytest.mark.parametrize("seconds_ahead", [10 * 60, 25 * 3600])
async def test_expires_at_outside_stripes_window_is_refused(client, standin, seconds_ahead):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await new_session(client, standin, expires_at=int(time.time()) + seconds_ahead)

    assert (refused.value.http_status, refused.value.param) == (400, "expires_at")


@pytest.mark.parametrize(
    ("line_item", "param"),
    [
        ({"currency": "EUR", "unit_amount": 2500}, "line_items[0][price_data][currency]"),
        ({"currency": "eur", "unit_amount": 0}, "line_items"),
    ],
)
async def test_invalid_amounts_and_currencies_are_refused(client, standin, line_item, param):
    price_data = {**line_item, "product_data": {"name": "x"}}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await new_session(client, standin, line_items=[{"price_data": price_data, "quantity": 1}])

    assert (refused.value.http_status, refused.value.param) == (400, param)


async def test_unknown_parameters_are_refused_like_stripe(client, standin):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await new_session(client, standin, reservation=5)

    assert (refused.value.code, refused.value.param) == ("parameter_unknown", "reservation")


async def test_an_application_fee_needs_a_destination_or_a_stripe_account_header(client, standin):
    account = await connected_account(client, standin)
    params = session_params(account, payment_intent_data={"application_fee_amount": 250})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        await client.v1.checkout.sessions.create_async(params=params)
    direct = await client.v1.checkout.sessions.create_async(
        params=params, options={"stripe_account": account}
    )

    assert refused.value.param == "payment_intent_data[application_fee_amount]"
    assert direct.status == "open"
    assert standin.requests("/v1/checkout/sessions", "POST")[-1]["headers"]["stripe-account"] == account


async def test_a_destination_that_has_not_finished_onboarding_is_refused(client):
    account = await client.v1.accounts.create_async(
        params={"type": "express", "capabilities": {"transfers": {"requested": True}}}
    )
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await client.v1.checkout.sessions.create_async(params=session_params(account.id))

    assert refused.value.code == "insufficient_capabilities_for_transfer"


async def test_only_an_open_session_can_be_expired(client, standin):
    session = await new_session(client, standin)

    expired = await client.v1.checkout.sessions.expire_async(session.id)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await client.v1.checkout.sessions.expire_async(session.id)

    assert expired.status == "expired"
    assert refused.value.http_status == 400
    assert [e["data"]["object"]["id"] for e in standin.events("checkout.session.expired")] == [session.id]


async def test_an_unknown_session_is_a_404(client):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        await client.v1.checkout.sessions.retrieve_async("cs_test_nope")

    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


# idempotency, faults, auth -------------------------------------------------------------------------
async def test_a_repeated_idempotency_key_replays_the_first_session(client, standin):
    destination = await connected_account(client, standin)
    params, options = session_params(destination), {"idempotency_key": "reservation-5-attempt-1"}

    first = await client.v1.checkout.sessions.create_async(params=params, options=options)
    again = await client.v1.checkout.sessions.create_async(params=params, options=options)

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert [r["replayed"] for r in standin.requests("/v1/checkout/sessions", "POST")] == [False, True]
    with pytest.raises(stripe.IdempotencyError):
        await client.v1.checkout.sessions.create_async(
            params={**params, "client_reference_id": "6"}, options=options
        )


async def test_an_injected_500_surfaces_as_api_error_then_clears(client, standin):
    destination = await connected_account(client, standin)
    standin.add_fault("/v1/checkout/sessions", method="POST", status=500, count=1)

    with pytest.raises(stripe.APIError) as failed:
        await client.v1.checkout.sessions.create_async(params=session_params(destination))
    session = await client.v1.checkout.sessions.create_async(params=session_params(destination))

    assert failed.value.http_status == 500
    assert session.status == "open"
    assert [r["status"] for r in standin.requests("/v1/checkout/sessions")] == [500, 200]


async def test_sdk_retries_reuse_the_idempotency_key(standin, make_client):
    retrying = make_client(retries=2)
    destination = await connected_account(retrying, standin)
    standin.add_fault("/v1/checkout/sessions", method="POST", status=500, count=2)

    session = await retrying.v1.checkout.sessions.create_async(params=session_params(destination))

    sent = standin.requests("/v1/checkout/sessions", "POST")
    assert session.status == "open"
    assert [r["status"] for r in sent] == [500, 500, 200]
    assert len({r["headers"]["idempotency-key"] for r in sent}) == 1


async def test_a_timeout_after_stripe_acted_is_recovered_by_the_idempotency_key(standin, make_client):
    impatient = make_client(timeout=0.3)
    destination = await connected_account(impatient, standin)
    standin.add_fault("/v1/checkout/sessions", method="POST", delay_seconds=1.0, when="after")
    params, options = session_params(destination), {"idempotency_key": "reservation-9-attempt-1"}

    with pytest.raises(stripe.APIConnectionError):
        await impatient.v1.checkout.sessions.create_async(params=params, options=options)
    session = await impatient.v1.checkout.sessions.create_async(params=params, options=options)

    assert session.last_response.headers["Idempotent-Replayed"] == "true"
    assert [s.id for s in (await impatient.v1.checkout.sessions.list_async()).data] == [session.id]
    assert [r["status"] for r in standin.requests("/v1/checkout/sessions", "POST")] == [200, 200]


async def test_a_live_key_is_refused(make_client):
    live = make_client(api_key="sk_live_x")
    with pytest.raises(stripe.AuthenticationError):
        await live.v1.accounts.retrieve_async("acct_x")


# refunds -------------------------------------------------------------------------------------------
async def paid_intent(client: stripe.StripeClient, standin: StandIn) -> str:
    session = await new_session(client, standin)
    return standin.pay(session.id)["event"]["data"]["object"]["payment_intent"]


async def test_partial_then_remaining_refund_then_nothing_left(client, standin):
    intent = await paid_intent(client, standin)

    partial = await client.v1.refunds.create_async(params={"payment_intent": intent, "amount": 1000})
    rest = await client.v1.refunds.create_async(
        params={"payment_intent": intent, "reason": "requested_by_customer"}
    )
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await client.v1.refunds.create_async(params={"payment_intent": intent})

    assert isinstance(partial, stripe.Refund)
    assert (partial.amount, partial.status, partial.payment_intent) == (1000, "succeeded", intent)
    assert (rest.amount, rest.reason, rest.charge) == (4000, "requested_by_customer", partial.charge)
    assert refused.value.code == "charge_already_refunded"
    listed = await client.v1.refunds.list_async(params={"payment_intent": intent})
    assert sorted(r.amount for r in listed.data) == [1000, 4000]
    assert (await client.v1.refunds.retrieve_async(partial.id)).amount == 1000
    refunded = standin.events("charge.refunded")[-1]["data"]["object"]
    assert (refunded["amount_refunded"], refunded["refunded"]) == (5000, True)


async def test_a_refund_beyond_what_remains_is_refused(client, standin):
    intent = await paid_intent(client, standin)
    await client.v1.refunds.create_async(params={"payment_intent": intent, "amount": 4500})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        await client.v1.refunds.create_async(params={"payment_intent": intent, "amount": 501})

    assert (refused.value.http_status, refused.value.code, refused.value.param) == (
        400,
        "amount_too_large",
        "amount",
    )


# connect -------------------------------------------------------------------------------------------
async def test_account_onboarding_link_and_account_updated_event(client, standin):
    account = await client.v1.accounts.create_async(
        params={
            "type": "express",
            "country": "DE",
            "email": "org@example.com",
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        }
    )
    link = await client.v1.account_links.create_async(
        params={
            "account": account.id,
            "refresh_url": "http://127.0.0.1:8000/refresh",
            "return_url": "http://127.0.0.1:8000/return",
            "type": "account_onboarding",
        }
    )
    event = standin.update_account(account.id, charges_enabled=True, details_submitted=True)["event"]
    after = await client.v1.accounts.retrieve_async(account.id)

    assert isinstance(account, stripe.Account)
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    assert account.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    assert link.object == "account_link"
    assert link.url.startswith(f"{standin.base_url}/connect/setup/{account.id}/")
    assert link.expires_at > time.time()
    assert (event["type"], event["account"]) == ("account.updated", account.id)
    assert event["data"]["object"]["charges_enabled"] is True
    assert event["data"]["previous_attributes"]["charges_enabled"] is False
    assert (after.charges_enabled, after.details_submitted, after.capabilities.transfers) == (
        True,
        True,
        "active",
    )


async def test_account_links_need_a_known_account(client):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await client.v1.account_links.create_async(
            params={"account": "acct_nope", "type": "account_onboarding"}
        )

    assert (refused.value.code, refused.value.param) == ("resource_missing", "account")


# control API events ----------------------------------------------------------------------------------
async def test_delayed_payment_completes_unpaid_then_succeeds(client, standin):
    session = await new_session(client, standin)

    completed = standin.pay(session.id, payment_status="unpaid")["event"]
    succeeded = standin.async_succeed(session.id)["event"]

    assert completed["type"] == "checkout.session.completed"
    assert completed["data"]["object"]["payment_status"] == "unpaid"
    assert succeeded["type"] == "checkout.session.async_payment_succeeded"
    assert succeeded["data"]["object"]["payment_status"] == "paid"
    intent = await client.v1.payment_intents.retrieve_async(succeeded["data"]["object"]["payment_intent"])
    assert (intent.status, intent.amount_received) == ("succeeded", 5000)


async def test_delayed_payment_that_fails(client, standin):
    session = await new_session(client, standin)
    standin.pay(session.id, payment_status="unpaid")

    result = standin.async_fail(session.id)

    assert [e["type"] for e in result["events"]] == [
        "charge.failed",
        "payment_intent.payment_failed",
        "checkout.session.async_payment_failed",
    ]
    intent = await client.v1.payment_intents.retrieve_async(
        result["event"]["data"]["object"]["payment_intent"]
    )
    assert intent.status == "requires_payment_method"


async def test_declined_card_and_expiry_events(client, standin):
    session = await new_session(client, standin)

    failed = standin.decline(session.id, decline_code="insufficient_funds")["event"]
    expired = standin.expire(session.id)["event"]

    assert failed["type"] == "payment_intent.payment_failed"
    assert failed["data"]["object"]["metadata"] == {"reservation_id": "5"}
    assert failed["data"]["object"]["last_payment_error"]["decline_code"] == "insufficient_funds"
    assert (expired["type"], expired["data"]["object"]["status"]) == ("checkout.session.expired", "expired")
    assert (
        await client.v1.payment_intents.retrieve_async(failed["data"]["object"]["id"])
    ).status == "canceled"


async def test_dashboard_refund_emits_charge_refunded(client, standin):
    intent = await paid_intent(client, standin)

    event = standin.dashboard_refund(intent, amount=1500)["event"]

    charge = event["data"]["object"]
    assert event["type"] == "charge.refunded"
    assert (charge["amount_refunded"], charge["refunded"], charge["payment_intent"]) == (1500, False, intent)
    assert [r["amount"] for r in charge["refunds"]["data"]] == [1500]


async def test_a_pi_of_a_processing_payment_can_fail(client, standin):
    session = await new_session(client, standin)
    intent = standin.pay(session.id, payment_status="unpaid")["event"]["data"]["object"]["payment_intent"]

    event = standin.fail_payment_intent(intent)["event"]

    assert (event["type"], event["data"]["object"]["status"]) == (
        "payment_intent.payment_failed",
        "requires_payment_method",
    )


# webhook signatures ----------------------------------------------------------------------------------
def signed_event(standin_event: dict[str, Any]) -> bytes:
    return json.dumps(standin_event).encode()


async def test_construct_event_accepts_a_signed_stand_in_event(client, standin):
    session = await new_session(client, standin)
    payload = signed_event(standin.pay(session.id)["event"])

    event = stripe.Webhook.construct_event(payload, sign_payload(payload, SECRET), SECRET)

    assert isinstance(event, stripe.Event)
    assert event.type == "checkout.session.completed"
    assert isinstance(event.data.object, stripe.checkout.Session)
    assert event.data.object.id == session.id


def test_construct_event_rejects_a_wrong_secret_and_a_stale_timestamp():
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "ping", "data": {"object": {}}})

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, sign_payload(payload, "whsec_other"), SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, sign_payload(payload, SECRET, int(time.time()) - 600), SECRET)
