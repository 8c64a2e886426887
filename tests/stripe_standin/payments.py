"""PaymentIntents, Charges and Refunds, plus the customer-side transitions the control API triggers."""

from __future__ import annotations

from typing import Any

from . import objects
from .state import Store
from .wire import StripeError, as_bool, as_int, check_metadata, names, now, reject_unknown, stripe_list

REFUND_PARAMS = names(
    "amount charge currency customer expand instructions_email metadata origin payment_intent reason "
    "refund_application_fee reverse_transfer"
)
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
Request = tuple[str | None, str | None]
NO_REQUEST: Request = (None, None)


class ControlError(Exception):
    """A control-API request that makes no sense in the current state (answered 409)."""


# API ----------------------------------------------------------------------------------------------
def create_refund(
    store: Store, params: dict[str, Any], request: Request
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    reject_unknown(params, REFUND_PARAMS)
    if params.get("charge"):
        source = store.get(params["charge"], "charge", param="charge", status=400)
    elif params.get("payment_intent"):
        intent = store.get(params["payment_intent"], "payment_intent", param="payment_intent", status=400)
        latest = store.objects.get(intent["latest_charge"] or "")
        if latest is None or latest["status"] != "succeeded":
            raise StripeError(
                400,
                f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        source = latest
    else:
        raise StripeError(
            400,
            "One of the following params should be provided for this request: payment_intent or charge.",
            code="parameter_missing",
            param="payment_intent",
        )
    reason = params.get("reason")
    if reason not in (None, "", *REFUND_REASONS):
        raise StripeError(400, f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}", param="reason")
    fields = {
        "metadata": check_metadata(params.get("metadata")),
        "reason": reason or None,
        "reverse_transfer": as_bool(params.get("reverse_transfer", False), "reverse_transfer"),
    }
    amount = as_int(params["amount"], "amount", minimum=1) if params.get("amount") not in (None, "") else None
    return refund_charge(store, source, amount, fields, request)


def refund_charge(
    store: Store, source: dict[str, Any], amount: int | None, fields: dict[str, Any], request: Request
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Refunds ``amount`` (default: the rest); -> the refund, [charge.refunded, refund.created]."""
    if source["status"] != "succeeded":
        raise StripeError(
            400, f"Charge {source['id']} has not succeeded and cannot be refunded.", param="charge"
        )
    remaining = source["amount"] - source["amount_refunded"]
    if remaining == 0:
        raise StripeError(
            400,
            f"Charge {source['id']} has already been refunded.",
            code="charge_already_refunded",
            param="charge",
        )
    amount = remaining if amount is None else amount
    if amount > remaining:
        raise StripeError(
            400,
            f"Refund amount ({amount} {source['currency']}) is greater than unrefunded amount "
            f"on charge ({remaining} {source['currency']})",
            code="amount_too_large",
            param="amount",
        )
    refund = store.put(objects.refund(source, amount, fields))
    source["amount_refunded"] += amount
    source["refunded"] = source["amount_refunded"] == source["amount"]
    charge_view = dict(source, refunds=_refunds_list(store, source["id"]))
    events = [
        store.emit("charge.refunded", charge_view, request=request),
        store.emit("refund.created", refund, request=request),
    ]
    return refund, events


def list_refunds(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    found = store.of_kind("refund", payment_intent=params.get("payment_intent"), charge=params.get("charge"))
    return stripe_list(found, "/v1/refunds", as_int(params.get("limit", 10), "limit", minimum=1))


def _refunds_list(store: Store, charge_id: str) -> dict[str, Any]:
    found = store.of_kind("refund", charge=charge_id)
    return {
        "object": "list",
        "data": found,
        "has_more": False,
        "total_count": len(found),
        "url": f"/v1/charges/{charge_id}/refunds",
    }


# control: what the customer and the banks do ------------------------------------------------------
def pay(store: Store, session_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Completes an open session; ``payment_status`` ``unpaid`` leaves the PaymentIntent processing."""
    session = store.get(session_id, "checkout.session")
    paid = body.get("payment_status", "paid")
    if session["status"] != "open" or paid not in ("paid", "unpaid"):
        raise ControlError(f"cannot pay {session_id}: status {session['status']}, payment_status {paid!r}")
    intent = _intent_for(store, session)
    email = body.get("email") or session["customer_email"] or "buyer@example.com"
    status = "succeeded" if paid == "paid" else "pending"
    charge = store.put(objects.charge(intent, email, status))
    intent.update(
        status="succeeded" if paid == "paid" else "processing",
        latest_charge=charge["id"],
        amount_received=intent["amount"] if paid == "paid" else 0,
        last_payment_error=None,
    )
    session.update(
        status="complete",
        payment_status=paid,
        payment_intent=intent["id"],
        customer_details={
            "email": email,
            "name": body.get("name"),
            "address": None,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
    )
    prefix = "charge.succeeded" if paid == "paid" else "charge.pending"
    return [
        store.emit(prefix, charge),
        store.emit("payment_intent.succeeded" if paid == "paid" else "payment_intent.processing", intent),
        store.emit("checkout.session.completed", session),
    ]


def settle(store: Store, session_id: str, succeed: bool) -> list[dict[str, Any]]:
    """Ends a delayed (``unpaid``) payment of a completed session."""
    session = store.get(session_id, "checkout.session")
    intent = store.objects.get(session["payment_intent"] or "")
    if session["status"] != "complete" or intent is None or intent["status"] != "processing":
        raise ControlError(f"{session_id} has no processing payment to settle")
    charge = store.objects[intent["latest_charge"]]
    if succeed:
        charge.update(
            status="succeeded",
            paid=True,
            captured=True,
            amount_captured=charge["amount"],
            balance_transaction=objects.base("txn", "x")["id"],
        )
        intent.update(status="succeeded", amount_received=intent["amount"])
        session["payment_status"] = "paid"
        return [
            store.emit("charge.succeeded", charge),
            store.emit("payment_intent.succeeded", intent),
            store.emit("checkout.session.async_payment_succeeded", session),
        ]
    events = _fail(store, intent, {"code": "payment_method_provider_decline"})
    return [*events, store.emit("checkout.session.async_payment_failed", session)]


def decline(store: Store, session_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """A declined card on the hosted page: the session stays open, its PaymentIntent fails."""
    session = store.get(session_id, "checkout.session")
    if session["status"] != "open":
        raise ControlError(f"{session_id} is {session['status']}, not open")
    intent = _intent_for(store, session)
    session["payment_intent"] = intent["id"]
    intent["latest_charge"] = store.put(objects.charge(intent, session["customer_email"], "pending"))["id"]
    return _fail(store, intent, body)


def fail_intent(store: Store, intent_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    intent = store.get(intent_id, "payment_intent")
    if intent["status"] in ("succeeded", "canceled"):
        raise ControlError(f"{intent_id} is {intent['status']} and cannot fail")
    return _fail(store, intent, body)


def _fail(store: Store, intent: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]]:
    code = body.get("code", "card_declined")
    error = {
        "type": "card_error",
        "code": code,
        "decline_code": body.get("decline_code", "generic_decline"),
        "message": body.get("message", "Your card was declined."),
        "charge": intent["latest_charge"],
    }
    events = []
    charge = store.objects.get(intent["latest_charge"] or "")
    if charge is not None and charge["status"] == "pending":
        charge.update(status="failed", failure_code=code, failure_message=error["message"])
        events.append(store.emit("charge.failed", charge))
    intent.update(status="requires_payment_method", last_payment_error=error)
    events.append(store.emit("payment_intent.payment_failed", intent))
    return events


def _intent_for(store: Store, session: dict[str, Any]) -> dict[str, Any]:
    existing = store.objects.get(session["payment_intent"] or "")
    if existing is not None:
        return existing
    intent = objects.payment_intent(session, store.pi_data.get(session["id"], {}))
    intent["payment_method"] = objects.base("pm", "x")["id"]
    intent["created"] = now()
    return store.put(intent)


DISPUTE_STATUSES = (
    "warning_needs_response",
    "warning_under_review",
    "warning_closed",
    "needs_response",
    "under_review",
    "won",
    "lost",
)
CLOSED = ("won", "lost", "warning_closed")


def open_dispute(store: Store, intent_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The cardholder's bank disputes the intent's charge -> [charge.dispute.created]."""
    intent = store.get(intent_id, "payment_intent")
    charge = store.get(intent["latest_charge"] or "", "charge", param="payment_intent", status=400)
    status = body.get("status") or "needs_response"
    if status not in DISPUTE_STATUSES or status in CLOSED:
        raise ControlError(f"a dispute opens as one of {DISPUTE_STATUSES[:2] + DISPUTE_STATUSES[3:5]}")
    found = store.put(objects.dispute(charge, status))
    charge["disputed"] = True
    return [store.emit("charge.dispute.created", found, request=NO_REQUEST)]


def move_dispute(store: Store, dispute_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The dispute moves on -> [charge.dispute.updated], or [charge.dispute.closed] once won or lost."""
    found = store.get(dispute_id, "dispute")
    status = body.get("status")
    if status not in DISPUTE_STATUSES:
        raise ControlError(f"status is one of {DISPUTE_STATUSES}")
    if found["status"] in CLOSED:
        raise ControlError(f"dispute {dispute_id} is closed")
    found["status"] = status
    kind = "charge.dispute.closed" if status in CLOSED else "charge.dispute.updated"
    return [store.emit(kind, found, request=NO_REQUEST)]
