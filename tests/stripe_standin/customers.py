"""Customers, PaymentMethods and SetupIntents, as a saved-card integration uses them.

Stripe's published test PaymentMethods (`pm_card_visa`, `pm_card_authenticationRequired`, ...) stand for
its test cards; attaching one makes a PaymentMethod of its own whose card behaves as that test card does
when a PaymentIntent charges it (`behaviour`, a stand-in field Stripe does not have)."""

from __future__ import annotations

import secrets
from typing import Any

from . import objects
from .state import Store
from .wire import StripeError

# test PaymentMethod -> (brand, last4, what a charge of it does)
TEST_CARDS: dict[str, tuple[str, str, str]] = {
    "pm_card_visa": ("visa", "4242", "succeeds"),
    "pm_card_mastercard": ("mastercard", "4444", "succeeds"),
    "pm_card_authenticationRequired": ("visa", "3184", "requires_action"),  # 4000 0027 6000 3184
    "pm_card_threeDSecure2Required": ("visa", "3220", "requires_action"),  # 4000 0000 0000 3220
    "pm_card_chargeDeclined": ("visa", "0002", "declines"),  # 4000 0000 0000 0002
    "pm_card_chargeDeclinedInsufficientFunds": ("visa", "9995", "declines"),  # 4000 0000 0000 9995
    "pm_card_processing": ("visa", "0077", "processing"),  # stand-in only: an asynchronous method
}


def create_customer(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    customer = objects.base("cus", "customer", id_length=14)
    customer.update(
        {
            "email": params.get("email"),
            "name": params.get("name"),
            "metadata": params.get("metadata") or {},
            "invoice_settings": {"default_payment_method": None},
        }
    )
    return store.put(customer)


def create_setup_intent(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    customer = params.get("customer")
    if customer:
        store.get(customer, "customer", param="customer", status=400)
    intent = objects.base("seti", "setup_intent")
    intent.update(
        {
            "client_secret": f"{intent['id']}_secret_{secrets.token_urlsafe(18)}",
            "customer": customer,
            "payment_method": None,
            "payment_method_types": params.get("payment_method_types") or ["card"],
            "status": "requires_payment_method",
            "usage": params.get("usage") or "off_session",
        }
    )
    return store.put(intent)


def _from_test_card(store: Store, test_id: str) -> dict[str, Any]:
    brand, last4, behaviour = TEST_CARDS[test_id]
    method = objects.base("pm", "payment_method")
    method.update(
        {
            "type": "card",
            "card": {"brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2034, "country": "US"},
            "customer": None,
            "billing_details": {"email": None, "name": None, "address": None, "phone": None},
            "metadata": {},
            "behaviour": behaviour,
        }
    )
    return store.put(method)


def attach(store: Store, method_id: str, params: dict[str, Any]) -> dict[str, Any]:
    customer = params.get("customer")
    if not customer:
        raise StripeError(400, "Missing required param: customer.", param="customer")
    store.get(customer, "customer", param="customer", status=400)
    method = (
        _from_test_card(store, method_id)
        if method_id in TEST_CARDS
        else store.get(method_id, "payment_method")
    )
    if method.get("customer") not in (None, customer):
        raise StripeError(
            400,
            "The payment method you provided has already been attached to a customer.",
            param="payment_method",
        )
    method["customer"] = customer
    return method


def detach(store: Store, method_id: str) -> dict[str, Any]:
    method = store.get(method_id, "payment_method")
    if method.get("customer") is None:
        raise StripeError(
            400, f"The payment method {method_id} is not attached to a customer.", param="payment_method"
        )
    method["customer"] = None
    return method


def payment_method(store: Store, method_id: str) -> dict[str, Any]:
    if method_id in TEST_CARDS:
        return _from_test_card(store, method_id)
    return store.get(method_id, "payment_method")
