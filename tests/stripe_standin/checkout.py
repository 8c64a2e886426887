"""`/v1/checkout/sessions`: create with Stripe's validation rules, retrieve, list, expire."""

from __future__ import annotations

import re
from typing import Any

from . import objects
from .state import Store
from .wire import (
    StripeError,
    as_dict,
    as_int,
    as_list,
    check_metadata,
    check_url,
    names,
    now,
    reject_unknown,
    require,
    stripe_list,
)

SESSION_PARAMS = names(
    "adaptive_pricing after_expiration allow_promotion_codes allowed_payment_method_types automatic_tax "
    "billing_address_collection branding_settings cancel_url client_reference_id consent_collection "
    "currency custom_fields custom_text customer customer_account customer_creation customer_email "
    "customer_update discounts excluded_payment_method_types expand expires_at integration_identifier "
    "invoice_creation line_items locale managed_payments metadata mode name_collection optional_items "
    "origin_context payment_intent_data payment_method_collection payment_method_configuration "
    "payment_method_data payment_method_options permissions phone_number_collection "
    "redirect_on_completion return_url saved_payment_method_options setup_intent_data "
    "shipping_address_collection shipping_options submit_type subscription_data success_url "
    "tax_id_collection ui_mode wallet_options"
)
LINE_ITEM_PARAMS = names("adjustable_quantity metadata price price_data quantity tax_rates")
PRICE_DATA_PARAMS = names(
    "currency product product_data recurring tax_behavior unit_amount unit_amount_decimal"
)
PI_DATA_PARAMS = names(
    "application_fee_amount capture_method description metadata on_behalf_of receipt_email "
    "setup_future_usage shipping statement_descriptor statement_descriptor_suffix transfer_data "
    "transfer_group"
)
# Stripe's minimum charge amounts (smallest currency unit); others default to 50.
MINIMUM_AMOUNT = {
    "gbp": 30,
    "dkk": 250,
    "sek": 300,
    "nok": 300,
    "pln": 200,
    "czk": 1500,
    "huf": 17500,
    "mxn": 1000,
    "hkd": 400,
    "jpy": 50,
}
EXPIRY_MIN, EXPIRY_MAX = 30 * 60, 24 * 60 * 60


def create(store: Store, params: dict[str, Any], stripe_account: str | None) -> dict[str, Any]:
    reject_unknown(params, SESSION_PARAMS)
    mode = require(params, "mode")
    if mode != "payment":
        raise StripeError(400, f"The stand-in only implements mode=payment, not '{mode}'.", param="mode")
    items = [
        _line_item(item, i) for i, item in enumerate(as_list(require(params, "line_items"), "line_items"))
    ]
    currencies = {item["currency"] for item in items}
    if len(currencies) != 1:
        raise StripeError(400, "All line items must use the same currency.", param="line_items")
    currency = currencies.pop()
    total = sum(item["unit_amount"] * item["quantity"] for item in items)
    minimum = MINIMUM_AMOUNT.get(currency, 50)
    if total < minimum:
        raise StripeError(
            400,
            f"The Checkout Session's total amount due must add up to at least {minimum} "
            f"(smallest unit) {currency}",
            param="line_items",
        )
    pi_data = _payment_intent_data(store, params.get("payment_intent_data"), total, stripe_account)
    created = now()
    fields = {
        "amount_total": total,
        "cancel_url": check_url(params["cancel_url"], "cancel_url") if params.get("cancel_url") else None,
        "client_reference_id": _reference(params.get("client_reference_id")),
        "currency": currency,
        "customer_email": _email(params.get("customer_email"), "customer_email"),
        "expires_at": _expires_at(params.get("expires_at"), created),
        "metadata": check_metadata(params.get("metadata")),
        "mode": mode,
        "success_url": check_url(params["success_url"], "success_url") if params.get("success_url") else None,
    }
    session = store.put(objects.checkout_session(fields, store.base_url))
    store.line_items[session["id"]] = [objects.line_item(currency, item) for item in items]
    store.pi_data[session["id"]] = pi_data
    return session


def retrieve(store: Store, session_id: str) -> dict[str, Any]:
    return store.get(session_id, "checkout.session")


def list_sessions(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    found = store.of_kind(
        "checkout.session", payment_intent=params.get("payment_intent"), status=params.get("status")
    )
    return stripe_list(found, "/v1/checkout/sessions", as_int(params.get("limit", 10), "limit", minimum=1))


def expire(store: Store, session_id: str, request: tuple[str | None, str | None]) -> list[dict[str, Any]]:
    """Expires an open session; returns the events Stripe emits (checkout.session.expired last)."""
    session = retrieve(store, session_id)
    if session["status"] != "open":
        raise StripeError(
            400,
            f'Only Checkout Sessions with a status in ["open"] can be expired; '
            f"{session_id} is '{session['status']}'.",
            param="session",
        )
    session["status"] = "expired"
    events = []
    intent = store.objects.get(session["payment_intent"] or "")
    if intent is not None and intent["status"] != "canceled":
        intent.update(status="canceled", canceled_at=now(), cancellation_reason="abandoned")
        events.append(store.emit("payment_intent.canceled", intent, request=request))
    events.append(store.emit("checkout.session.expired", session, request=request))
    return events


def _line_item(item: Any, index: int) -> dict[str, Any]:
    prefix = f"line_items[{index}]"
    item = as_dict(item, prefix)
    reject_unknown(item, LINE_ITEM_PARAMS, prefix)
    quantity = as_int(require(item, "quantity", f"{prefix}[quantity]"), f"{prefix}[quantity]", minimum=1)
    if "price" in item:
        raise StripeError(
            400, f"No such price: '{item['price']}'", code="resource_missing", param=f"{prefix}[price]"
        )
    data = as_dict(require(item, "price_data", f"{prefix}[price_data]"), f"{prefix}[price_data]")
    prefix = f"{prefix}[price_data]"
    reject_unknown(data, PRICE_DATA_PARAMS, prefix)
    currency = require(data, "currency", f"{prefix}[currency]")
    if not re.fullmatch(r"[a-z]{3}", currency):
        raise StripeError(
            400,
            f"Invalid currency: {currency}. Currencies are three lowercase letters.",
            param=f"{prefix}[currency]",
        )
    amount = as_int(
        require(data, "unit_amount", f"{prefix}[unit_amount]"), f"{prefix}[unit_amount]", minimum=0
    )
    if data.get("product"):
        raise StripeError(
            400, f"No such product: '{data['product']}'", code="resource_missing", param=f"{prefix}[product]"
        )
    product = as_dict(data.get("product_data"), f"{prefix}[product_data]")
    name = require(product, "name", f"{prefix}[product_data][name]")
    return {"currency": currency, "unit_amount": amount, "quantity": quantity, "name": name}


def _payment_intent_data(store: Store, raw: Any, total: int, stripe_account: str | None) -> dict[str, Any]:
    prefix = "payment_intent_data"
    data = as_dict(raw, prefix)
    reject_unknown(data, PI_DATA_PARAMS, prefix)
    result: dict[str, Any] = {"metadata": check_metadata(data.get("metadata"), f"{prefix}[metadata]")}
    for key in ("description", "on_behalf_of", "receipt_email", "transfer_group"):
        result[key] = data.get(key)
    if "transfer_data" in data:
        transfer = as_dict(data["transfer_data"], f"{prefix}[transfer_data]")
        reject_unknown(transfer, frozenset({"amount", "destination"}), f"{prefix}[transfer_data]")
        destination = require(transfer, "destination", f"{prefix}[transfer_data][destination]")
        account = store.get(destination, "account", param=f"{prefix}[transfer_data][destination]", status=400)
        if account["capabilities"].get("transfers") != "active":
            raise StripeError(
                400,
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer",
                param=f"{prefix}[transfer_data][destination]",
            )
        result["transfer_data"] = {"destination": destination}
    if "application_fee_amount" in data:
        fee = as_int(data["application_fee_amount"], f"{prefix}[application_fee_amount]", minimum=0)
        if "transfer_data" not in result and not stripe_account:
            raise StripeError(
                400,
                "Can only apply an application_fee_amount when the PaymentIntent is attempting "
                "a direct payment (using an OAuth key or Stripe-Account header) or destination "
                "payment (using `transfer_data[destination]`).",
                param=f"{prefix}[application_fee_amount]",
            )
        if fee > total:
            raise StripeError(
                400,
                "The application fee cannot exceed the amount of the payment.",
                param=f"{prefix}[application_fee_amount]",
            )
        result["application_fee_amount"] = fee
    return result


def _expires_at(raw: Any, created: int) -> int:
    if raw in (None, ""):
        return created + EXPIRY_MAX
    expires_at = as_int(raw, "expires_at")
    if expires_at - created < EXPIRY_MIN:
        raise StripeError(
            400,
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
            param="expires_at",
        )
    if expires_at - created > EXPIRY_MAX:
        raise StripeError(
            400,
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )
    return expires_at


def _reference(raw: Any) -> str | None:
    if raw in (None, ""):
        return None
    if len(raw) > 200:
        raise StripeError(
            400, "client_reference_id can be at most 200 characters.", param="client_reference_id"
        )
    return str(raw)


def _email(raw: Any, param: str) -> str | None:
    if raw in (None, ""):
        return None
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", raw):
        raise StripeError(400, f"Invalid email address: {raw}", code="email_invalid", param=param)
    return str(raw)
