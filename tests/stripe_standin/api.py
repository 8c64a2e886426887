"""Routes of the Stripe API (`/v1/...`) and of the test control API (`/_test/...`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import checkout, connect, customers, intents, payments
from .state import Store, objects_list
from .wire import StripeError, as_int, check_metadata

Result = tuple[int, Any]


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    request_id: str

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")

    @property
    def stripe_account(self) -> str | None:
        return self.headers.get("stripe-account")

    @property
    def origin(self) -> tuple[str | None, str | None]:
        return (self.request_id, self.idempotency_key)


def _expire(store: Store, call: Call, session_id: str) -> Result:
    checkout.expire(store, session_id, call.origin)
    return 200, checkout.retrieve(store, session_id)


def _refund(store: Store, call: Call) -> Result:
    return 200, payments.create_refund(store, call.params, call.origin)[0]


def _create_intent(store: Store, call: Call) -> Result:
    """A declined confirmation is Stripe's 402 card_error carrying the PaymentIntent (kept, as Stripe keeps it)."""
    intent, _ = intents.create(store, call.params)
    error = intent.get("last_payment_error")
    if intent["status"] == "requires_payment_method" and error:
        declined = StripeError(402, error["message"], type_="card_error", code=error["code"])
        declined.body |= {"decline_code": error.get("decline_code"), "payment_intent": store.snapshot(intent)}
        raise declined
    return 200, intent


def _line_items(store: Store, call: Call, session_id: str) -> Result:
    checkout.retrieve(store, session_id)
    return 200, objects_list(store.line_items[session_id], f"/v1/checkout/sessions/{session_id}/line_items")


V1: list[tuple[str, str, Callable[..., Result]]] = [
    ("POST", r"/v1/checkout/sessions", lambda s, c: (200, checkout.create(s, c.params, c.stripe_account))),
    ("GET", r"/v1/checkout/sessions", lambda s, c: (200, checkout.list_sessions(s, c.params))),
    ("GET", r"/v1/checkout/sessions/([^/]+)", lambda s, c, i: (200, checkout.retrieve(s, i))),
    ("GET", r"/v1/checkout/sessions/([^/]+)/line_items", _line_items),
    ("POST", r"/v1/checkout/sessions/([^/]+)/expire", _expire),
    ("POST", r"/v1/refunds", _refund),
    ("GET", r"/v1/refunds", lambda s, c: (200, payments.list_refunds(s, c.params))),
    ("GET", r"/v1/refunds/([^/]+)", lambda s, c, i: (200, s.get(i, "refund"))),
    ("GET", r"/v1/disputes/([^/]+)", lambda s, c, i: (200, s.get(i, "dispute"))),
    ("GET", r"/v1/payment_intents/([^/]+)", lambda s, c, i: (200, s.get(i, "payment_intent"))),
    ("POST", r"/v1/payment_intents", _create_intent),
    ("POST", r"/v1/payment_intents/([^/]+)/cancel", lambda s, c, i: (200, intents.cancel(s, i)[0])),
    ("GET", r"/v1/charges/([^/]+)", lambda s, c, i: (200, s.get(i, "charge"))),
    ("POST", r"/v1/customers", lambda s, c: (200, customers.create_customer(s, c.params))),
    ("GET", r"/v1/customers/([^/]+)", lambda s, c, i: (200, s.get(i, "customer"))),
    ("POST", r"/v1/setup_intents", lambda s, c: (200, customers.create_setup_intent(s, c.params))),
    ("GET", r"/v1/setup_intents/([^/]+)", lambda s, c, i: (200, s.get(i, "setup_intent"))),
    ("GET", r"/v1/payment_methods/([^/]+)", lambda s, c, i: (200, customers.payment_method(s, i))),
    ("POST", r"/v1/payment_methods/([^/]+)/attach", lambda s, c, i: (200, customers.attach(s, i, c.params))),
    ("POST", r"/v1/payment_methods/([^/]+)/detach", lambda s, c, i: (200, customers.detach(s, i))),
    ("POST", r"/v1/accounts", lambda s, c: (200, connect.create_account(s, c.params))),
    ("GET", r"/v1/accounts/([^/]+)", lambda s, c, i: (200, s.get(i, "account"))),
    ("POST", r"/v1/account_links", lambda s, c: (200, connect.create_link(s, c.params))),
]


def handle_v1(store: Store, call: Call) -> Result:
    """Runs one API call (the caller holds the store's lock); raises StripeError."""
    for method, pattern, handler in V1:
        match = re.fullmatch(pattern, call.path)
        if match and method == call.method:
            status, body = handler(store, call, *match.groups())
            expand = call.params.get("expand")
            if expand:
                body = store.expand(body, expand if isinstance(expand, list) else [expand])
            return status, store.snapshot(body)
    raise StripeError(
        404,
        f"Unrecognized request URL ({call.method}: {call.path}). Please see "
        "https://stripe.com/docs or we can help at https://support.stripe.com/.",
    )


# control API ---------------------------------------------------------------------------------------
def _events(main: str, run: Callable[..., list[dict[str, Any]]]) -> Callable[..., Result]:
    def handler(store: Store, body: dict[str, Any], *ids: str) -> Result:
        events = run(store, *ids, body) if ids else run(store, body)
        return 200, {"event": next(e for e in events if e["type"] == main), "events": events}

    return handler


def _dashboard_refund(kind: str) -> Callable[..., Result]:
    def handler(store: Store, body: dict[str, Any], obj_id: str) -> Result:
        source = store.get(obj_id, kind)
        if kind == "payment_intent":
            source = store.get(source["latest_charge"] or "", "charge", param="payment_intent", status=400)
        amount = as_int(body["amount"], "amount", minimum=1) if body.get("amount") is not None else None
        fields = {"reason": body.get("reason"), "metadata": check_metadata(body.get("metadata"))}
        refund, events = payments.refund_charge(store, source, amount, fields, payments.NO_REQUEST)
        return 200, {"event": events[0], "events": events, "refund": refund}

    return handler


def _list(items: list[dict[str, Any]], query: dict[str, Any], *keys: str) -> Result:
    def keep(item: dict[str, Any]) -> bool:
        for key in keys:
            wanted = query.get(key)
            value = item.get(key, "")
            if wanted and not (value.startswith(wanted) if key == "path" else value == wanted):
                return False
        return True

    return 200, {"data": [item for item in items if keep(item)]}


def _reset(store: Store, body: dict[str, Any]) -> Result:
    store.reset()
    return 200, {"ok": True}


def _clear_faults(store: Store, body: dict[str, Any]) -> Result:
    store.faults.clear()
    return 200, {"ok": True}


SESSION = r"/_test/checkout/sessions/([^/]+)"


def _events_last(run: Callable[..., list[dict[str, Any]]]) -> Callable[..., Result]:
    """The events of a control action, the payment_intent.* one as `event`."""

    def handler(store: Store, body: dict[str, Any], *ids: str) -> Result:
        events = run(store, *ids, body)
        main = next(e for e in reversed(events) if e["type"].startswith("payment_intent."))
        return 200, {"event": main, "events": events}

    return handler


def _disputed(store: Store, body: dict[str, Any], dispute_id: str) -> Result:
    events = payments.move_dispute(store, dispute_id, body)
    return 200, {"event": events[0], "events": events}


CONTROL: list[tuple[str, str, Callable[..., Result]]] = [
    ("GET", r"/_test/health", lambda s, b: (200, {"ok": True})),
    ("POST", r"/_test/reset", _reset),
    ("GET", r"/_test/requests", lambda s, b: _list(s.requests, b, "method", "path")),
    ("GET", r"/_test/events", lambda s, b: _list(s.events, b, "type")),
    ("GET", r"/_test/objects/([^/]+)", lambda s, b, i: (200, s.objects[i]) if i in s.objects else (404, {})),
    ("POST", r"/_test/faults", lambda s, b: (200, s.add_fault(b).public())),
    ("GET", r"/_test/faults", lambda s, b: (200, {"data": [f.public() for f in s.faults]})),
    ("DELETE", r"/_test/faults", _clear_faults),
    ("POST", SESSION + "/pay", _events("checkout.session.completed", payments.pay)),
    (
        "POST",
        SESSION + "/async_succeed",
        _events("checkout.session.async_payment_succeeded", lambda s, i, b: payments.settle(s, i, True)),
    ),
    (
        "POST",
        SESSION + "/async_fail",
        _events("checkout.session.async_payment_failed", lambda s, i, b: payments.settle(s, i, False)),
    ),
    ("POST", SESSION + "/decline", _events("payment_intent.payment_failed", payments.decline)),
    (
        "POST",
        SESSION + "/expire",
        _events("checkout.session.expired", lambda s, i, b: checkout.expire(s, i, payments.NO_REQUEST)),
    ),
    (
        "POST",
        r"/_test/payment_intents/([^/]+)/fail",
        _events("payment_intent.payment_failed", payments.fail_intent),
    ),
    ("POST", r"/_test/payment_intents/([^/]+)/refund", _dashboard_refund("payment_intent")),
    ("POST", r"/_test/charges/([^/]+)/refund", _dashboard_refund("charge")),
    ("POST", r"/_test/accounts/([^/]+)/update", _events("account.updated", connect.update_account)),
    (
        "POST",
        r"/_test/payment_intents/([^/]+)/dispute",
        _events("charge.dispute.created", payments.open_dispute),
    ),
    ("POST", r"/_test/disputes/([^/]+)/update", _disputed),
    ("POST", r"/_test/payment_intents/([^/]+)/authenticate", _events_last(intents.authenticate)),
    ("POST", r"/_test/payment_intents/([^/]+)/settle", _events_last(intents.settle)),
]


def handle_control(store: Store, method: str, path: str, body: dict[str, Any]) -> Result:
    for route_method, pattern, handler in CONTROL:
        match = re.fullmatch(pattern, path)
        if match and route_method == method:
            with store.lock:
                try:
                    status, result = handler(store, body, *match.groups())
                except StripeError as exc:
                    return exc.status, exc.payload("req_control")
                except payments.ControlError as exc:
                    return 409, {"error": {"message": str(exc)}}
                except (ValueError, KeyError, TypeError) as exc:
                    return 400, {"error": {"message": f"bad control request: {exc!r}"}}
                return status, store.snapshot(result)
    return 404, {"error": {"message": f"no control route {method} {path}"}}
