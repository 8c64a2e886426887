"""PaymentIntents created and confirmed on the server with a saved card, as Stripe documents them:
`succeeded`, `processing`, `requires_action` (3-D Secure, `next_action` `redirect_to_url` or `use_stripe_sdk`),
`requires_payment_method` after a decline, `canceled`; the card's `behaviour` decides, and control routes play
the customer (3-D Secure completed or abandoned) and the bank (a processing payment settling)."""

from __future__ import annotations

from typing import Any

from . import objects
from .payments import ControlError, _fail
from .state import Store
from .wire import StripeError, as_int, check_metadata, now


def create(store: Store, params: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    amount = as_int(params.get("amount"), "amount", minimum=1)
    currency = params.get("currency")
    if not currency:
        raise StripeError(400, "Missing required param: currency.", param="currency")
    customer = params.get("customer")
    if customer:
        store.get(customer, "customer", param="customer", status=400)
    pi_data = {
        "application_fee_amount": as_int(params["application_fee_amount"], "application_fee_amount")
        if params.get("application_fee_amount") is not None
        else None,
        "transfer_data": params.get("transfer_data"),
        "metadata": check_metadata(params.get("metadata")),
        "description": params.get("description"),
        "on_behalf_of": params.get("on_behalf_of"),
        "receipt_email": params.get("receipt_email"),
    }
    intent = objects.payment_intent({"amount_total": amount, "currency": currency}, pi_data)
    intent.update(customer=customer, created=now(), return_url=params.get("return_url"), next_action=None)
    store.put(intent)
    method_id = params.get("payment_method")
    if method_id:
        method = store.get(method_id, "payment_method", param="payment_method", status=400)
        if customer and method.get("customer") != customer:
            raise StripeError(
                400, "The provided PaymentMethod does not belong to the Customer.", param="payment_method"
            )
        intent["payment_method"] = method_id
    events = [store.emit("payment_intent.created", intent)]
    if str(params.get("confirm")).lower() == "true":
        events += confirm(store, intent)
    return intent, events


def confirm(store: Store, intent: dict[str, Any]) -> list[dict[str, Any]]:
    if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
        raise StripeError(
            400, f"This PaymentIntent's status is {intent['status']}.", code="payment_intent_unexpected_state"
        )
    method = store.objects.get(intent["payment_method"] or "")
    if method is None:
        raise StripeError(400, "You must provide a payment_method to confirm.", param="payment_method")
    behaviour = method.get("behaviour", "succeeds")
    email = None
    if behaviour == "requires_action":
        intent.update(status="requires_action", next_action=_next_action(intent))
        return [store.emit("payment_intent.requires_action", intent)]
    if behaviour == "declines":
        intent["latest_charge"] = store.put(objects.charge(intent, email, "pending"))["id"]
        return _fail(store, intent, {"code": "card_declined", "decline_code": "insufficient_funds"})
    if behaviour == "processing":
        charge = store.put(objects.charge(intent, email, "pending"))
        intent.update(status="processing", latest_charge=charge["id"])
        return [store.emit("charge.pending", charge), store.emit("payment_intent.processing", intent)]
    return _succeed(store, intent)


def _next_action(intent: dict[str, Any]) -> dict[str, Any]:
    if intent.get("return_url"):
        url = f"https://hooks.stripe.com/3d_secure_2/hosted?payment_intent={intent['id']}"
        return {
            "type": "redirect_to_url",
            "redirect_to_url": {"url": url, "return_url": intent["return_url"]},
        }
    return {"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": "x"}}


def _succeed(store: Store, intent: dict[str, Any]) -> list[dict[str, Any]]:
    charge = store.put(objects.charge(intent, None, "succeeded"))
    intent.update(
        status="succeeded",
        latest_charge=charge["id"],
        amount_received=intent["amount"],
        next_action=None,
        last_payment_error=None,
    )
    return [store.emit("charge.succeeded", charge), store.emit("payment_intent.succeeded", intent)]


def cancel(store: Store, intent_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    intent = store.get(intent_id, "payment_intent")
    if intent["status"] in ("succeeded", "canceled", "processing"):
        raise StripeError(
            400,
            f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}.",
            code="payment_intent_unexpected_state",
        )
    intent.update(status="canceled", next_action=None, cancellation_reason="requested_by_customer")
    return intent, [store.emit("payment_intent.canceled", intent)]


# control: what the customer and the bank do -------------------------------------------------------
def authenticate(store: Store, intent_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The customer completes 3-D Secure (or fails it: `succeed: false`)."""
    intent = store.get(intent_id, "payment_intent")
    if intent["status"] != "requires_action":
        raise ControlError(f"{intent_id} is {intent['status']}, not requires_action")
    if body.get("succeed", True):
        return _succeed(store, intent)
    intent["next_action"] = None
    return _fail(store, intent, {"code": "payment_intent_authentication_failure", "decline_code": None})


def settle(store: Store, intent_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """A processing payment settles (or fails: `succeed: false`)."""
    intent = store.get(intent_id, "payment_intent")
    if intent["status"] != "processing":
        raise ControlError(f"{intent_id} is {intent['status']}, not processing")
    if body.get("succeed", True):
        charge = store.objects[intent["latest_charge"]]
        charge.update(status="succeeded", paid=True, captured=True, amount_captured=charge["amount"])
        intent.update(status="succeeded", amount_received=intent["amount"])
        return [store.emit("charge.succeeded", charge), store.emit("payment_intent.succeeded", intent)]
    return _fail(store, intent, {"code": "payment_method_provider_decline"})
