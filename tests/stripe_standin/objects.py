"""Builders for Stripe-shaped objects and event envelopes (only the fields an integration reads)."""

from __future__ import annotations

from typing import Any

from .wire import names, new_id, now

API_VERSION = "2026-10-28.endive"
DEFAULT_CURRENCY = {"US": "usd", "GB": "gbp", "CH": "chf", "CA": "cad", "AU": "aud", "JP": "jpy"}
EURO_COUNTRIES = names("AT BE CY DE EE ES FI FR GR HR IE IT LT LU LV MT NL PT SI SK")
ONBOARDING_DUE = ["business_type", "external_account", "tos_acceptance.date", "tos_acceptance.ip"]


def base(prefix: str, obj: str, *, id_length: int = 24) -> dict[str, Any]:
    return {"id": new_id(prefix, id_length), "object": obj, "created": now(), "livemode": False}


def checkout_session(fields: dict[str, Any], base_url: str) -> dict[str, Any]:
    session = base("cs", "checkout.session", id_length=58)
    session.update(
        {
            "after_expiration": None,
            "allow_promotion_codes": None,
            "amount_subtotal": fields["amount_total"],
            "automatic_tax": {"enabled": False, "liability": None, "status": None},
            "billing_address_collection": None,
            "client_secret": None,
            "customer": None,
            "customer_creation": "if_required",
            "customer_details": None,
            "invoice": None,
            "locale": None,
            "payment_method_types": ["card"],
            "payment_status": "unpaid",
            "payment_intent": None,
            "status": "open",
            "submit_type": None,
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "ui_mode": "hosted",
            **fields,
        }
    )
    session["url"] = f"{base_url}/checkout/pay/{session['id']}"
    return session


def line_item(session_currency: str, item: dict[str, Any]) -> dict[str, Any]:
    total = item["unit_amount"] * item["quantity"]
    return {
        "id": new_id("li", 24),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": total,
        "amount_tax": 0,
        "amount_total": total,
        "currency": session_currency,
        "description": item["name"],
        "price": {
            "id": new_id("price"),
            "object": "price",
            "currency": session_currency,
            "unit_amount": item["unit_amount"],
            "product": new_id("prod", 14),
            "type": "one_time",
        },
        "quantity": item["quantity"],
    }


def payment_intent(session: dict[str, Any], pi_data: dict[str, Any]) -> dict[str, Any]:
    intent = base("pi", "payment_intent")
    transfer = pi_data.get("transfer_data")
    intent.update(
        {
            "amount": session["amount_total"],
            "amount_capturable": 0,
            "amount_received": 0,
            "application_fee_amount": pi_data.get("application_fee_amount"),
            "capture_method": "automatic",
            "client_secret": f"{intent['id']}_secret_{new_id('s')[7:]}",
            "currency": session["currency"],
            "customer": None,
            "description": pi_data.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "metadata": dict(pi_data.get("metadata", {})),
            "on_behalf_of": pi_data.get("on_behalf_of"),
            "payment_method": None,
            "payment_method_types": ["card"],
            "receipt_email": pi_data.get("receipt_email"),
            "status": "requires_payment_method",
            "transfer_data": {"destination": transfer["destination"]} if transfer else None,
            "transfer_group": pi_data.get("transfer_group"),
        }
    )
    return intent


def charge(intent: dict[str, Any], email: str | None, status: str) -> dict[str, Any]:
    result = base("ch", "charge")
    fee = intent["application_fee_amount"]
    transfer = intent["transfer_data"]
    result.update(
        {
            "amount": intent["amount"],
            "amount_captured": intent["amount"] if status == "succeeded" else 0,
            "amount_refunded": 0,
            "application_fee": new_id("fee") if fee else None,
            "application_fee_amount": fee,
            "balance_transaction": new_id("txn") if status == "succeeded" else None,
            "billing_details": {"email": email, "name": None, "address": None, "phone": None},
            "captured": status == "succeeded",
            "currency": intent["currency"],
            "customer": None,
            "description": intent["description"],
            "failure_code": None,
            "failure_message": None,
            "metadata": dict(intent["metadata"]),
            "on_behalf_of": intent["on_behalf_of"],
            "paid": status == "succeeded",
            "payment_intent": intent["id"],
            "payment_method": intent["payment_method"],
            "payment_method_details": {"type": "card", "card": {"brand": "visa", "last4": "4242"}},
            "receipt_email": intent["receipt_email"],
            "refunded": False,
            "status": status,
            "transfer": new_id("tr") if transfer and status == "succeeded" else None,
            "transfer_data": {"amount": None, "destination": transfer["destination"]} if transfer else None,
            "transfer_group": intent["transfer_group"],
        }
    )
    return result


def refund(source: dict[str, Any], amount: int, params: dict[str, Any]) -> dict[str, Any]:
    result = base("re", "refund")
    reverse = params.get("reverse_transfer") and source.get("transfer")
    result.update(
        {
            "amount": amount,
            "balance_transaction": new_id("txn"),
            "charge": source["id"],
            "currency": source["currency"],
            "destination_details": {"type": "card", "card": {"type": "refund"}},
            "metadata": params.get("metadata", {}),
            "payment_intent": source["payment_intent"],
            "reason": params.get("reason"),
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": new_id("trr") if reverse else None,
        }
    )
    return result


def account(fields: dict[str, Any]) -> dict[str, Any]:
    result = base("acct", "account", id_length=16)
    result["id"] = result["id"].replace("_test_", "_1")
    country = fields["country"]
    profile = {
        "mcc": None,
        "name": None,
        "url": None,
        "support_email": None,
        **fields.pop("business_profile", {}),
    }
    result.update(
        {
            "business_profile": profile,
            "business_type": None,
            "charges_enabled": False,
            "default_currency": "eur" if country in EURO_COUNTRIES else DEFAULT_CURRENCY.get(country, "usd"),
            "details_submitted": False,
            "external_accounts": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/accounts/{result['id']}/external_accounts",
            },
            "payouts_enabled": False,
            "requirements": requirements(ONBOARDING_DUE),
            "future_requirements": requirements([]),
            "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
            **fields,
        }
    )
    return result


def requirements(due: list[str]) -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": "requirements.past_due" if due else None,
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
    }


def account_link(base_url: str, account_id: str, link_type: str) -> dict[str, Any]:
    token = new_id("link", 32)
    return {
        "object": "account_link",
        "created": now(),
        "expires_at": now() + 300,
        "url": f"{base_url}/connect/{'setup' if link_type == 'account_onboarding' else 'update'}/"
        f"{account_id}/{token}",
    }


def event(
    type_: str,
    obj: dict[str, Any],
    *,
    account: str | None = None,
    previous: dict[str, Any] | None = None,
    request: tuple[str | None, str | None] = (None, None),
) -> dict[str, Any]:
    result = base("evt", "event")
    result.update(
        {
            "api_version": API_VERSION,
            "data": {"object": obj},
            "pending_webhooks": 1,
            "request": {"id": request[0], "idempotency_key": request[1]},
            "type": type_,
        }
    )
    result["id"] = result["id"].replace("_test_", "_1")
    if previous is not None:
        result["data"]["previous_attributes"] = previous
    if account is not None:
        result["account"] = account
    return result


def dispute(source: dict[str, Any], status: str) -> dict[str, Any]:
    """A chargeback of the whole charge, as Stripe's Dispute object has it."""
    result = base("dp", "dispute")
    result.update(
        {
            "amount": source["amount"],
            "balance_transactions": [],
            "charge": source["id"],
            "currency": source["currency"],
            "evidence_details": {
                "due_by": None,
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
            },
            "is_charge_refundable": False,
            "metadata": {},
            "payment_intent": source["payment_intent"],
            "reason": "fraudulent",
            "status": status,
        }
    )
    return result
