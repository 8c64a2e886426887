"""Connect: `/v1/accounts`, `/v1/account_links`, and onboarding progress driven by the control API."""

from __future__ import annotations

import re
from typing import Any

from . import objects
from .state import Store
from .wire import StripeError, as_bool, as_dict, check_metadata, check_url, names, reject_unknown, require

ACCOUNT_PARAMS = names(
    "account_token business_profile business_type capabilities company controller country "
    "default_currency documents email expand external_account groups individual metadata settings "
    "tos_acceptance type"
)
LINK_PARAMS = names("account collect collection_options expand refresh_url return_url type")
DASHBOARD_TYPE = {"express": "express", "full": "standard", "none": "custom"}


def create_account(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    reject_unknown(params, ACCOUNT_PARAMS)
    controller = as_dict(params.get("controller"), "controller")
    account_type = params.get("type")
    if account_type not in (None, "express", "standard", "custom"):
        raise StripeError(400, "Invalid type: must be one of custom, express, or standard", param="type")
    if account_type is None:
        dashboard = as_dict(controller.get("stripe_dashboard"), "controller[stripe_dashboard]").get("type")
        account_type = DASHBOARD_TYPE.get(str(dashboard), "none") if controller else "standard"
    country = str(params.get("country") or "US").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise StripeError(400, f"Country '{country}' is unknown.", param="country")
    capabilities = {}
    for name, spec in as_dict(params.get("capabilities"), "capabilities").items():
        requested = as_dict(spec, f"capabilities[{name}]").get("requested", "false")
        if as_bool(requested, f"capabilities[{name}][requested]"):
            capabilities[name] = "inactive"
    if account_type in ("express", "custom") and not capabilities:
        raise StripeError(
            400,
            f"You must request at least one capability (for example `transfers`) when "
            f"creating an {account_type} account.",
            param="capabilities",
        )
    email = params.get("email")
    if email and "@" not in email:
        raise StripeError(400, f"Invalid email address: {email}", code="email_invalid", param="email")
    fields = {
        "type": account_type,
        "country": country,
        "email": email or None,
        "capabilities": capabilities,
        "metadata": check_metadata(params.get("metadata")),
        "business_profile": as_dict(params.get("business_profile"), "business_profile"),
        "controller": _controller(controller, account_type),
    }
    if params.get("default_currency"):
        fields["default_currency"] = params["default_currency"]
    return store.put(objects.account(fields))


def create_link(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    reject_unknown(params, LINK_PARAMS)
    account = store.get(require(params, "account"), "account", param="account", status=400)
    link_type = require(params, "type")
    if link_type not in ("account_onboarding", "account_update"):
        raise StripeError(
            400, "Invalid type: must be one of account_onboarding or account_update", param="type"
        )
    if link_type == "account_update" and account["type"] != "custom":
        raise StripeError(
            400,
            f"You cannot create `account_update` type Account Links for {account['type']} accounts.",
            param="type",
        )
    for url_param in ("refresh_url", "return_url"):
        if params.get(url_param):
            check_url(params[url_param], url_param)
    return objects.account_link(store.base_url, account["id"], link_type)


def update_account(store: Store, account_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Onboarding progress: flips the flags, activates capabilities when charges are enabled."""
    account = store.get(account_id, "account")
    flags = ("charges_enabled", "payouts_enabled", "details_submitted")
    previous = {flag: account[flag] for flag in flags if flag in body and body[flag] != account[flag]}
    for flag in flags:
        if flag in body:
            account[flag] = bool(body[flag])
    if "charges_enabled" in body:
        status = "active" if account["charges_enabled"] else "inactive"
        previous["capabilities"] = dict(account["capabilities"])
        account["capabilities"] = {name: status for name in account["capabilities"] or {"transfers": 0}}
        due = [] if account["charges_enabled"] else objects.ONBOARDING_DUE
        previous["requirements"] = account["requirements"]
        account["requirements"] = objects.requirements(body.get("currently_due", due))
    return [store.emit("account.updated", account, account=account_id, previous=previous)]


def _controller(controller: dict[str, Any], account_type: str) -> dict[str, Any]:
    if controller:
        return {**controller, "is_controller": True, "type": "application"}
    if account_type == "standard":
        return {"type": "account"}
    return {"is_controller": True, "type": "application"}
