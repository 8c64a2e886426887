"""The sandbox provider's pages: a hosted checkout with Pay and Decline, and Connect onboarding.

Development and tests only (production refuses the sandbox). Each button produces the event Stripe would
send and hands it to the same event handling as the webhook."""

from __future__ import annotations

import html
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import Parameter
from litestar.response import Redirect

from adapters.payments.sandbox_gateway import TEST_CARDS, SandboxGateway
from domain.errors import NotFound
from domain.money import format_amount
from entrypoints.composition import Runtime, UseCases

Id = Annotated[str, Parameter(min_length=1, max_length=64)]

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui;max-width:32rem;margin:4rem auto}}
button{{font-size:1.1rem;margin-right:1rem}}</style>
</head><body><h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str, status: int = 200) -> Response[str]:
    return Response(
        PAGE.format(title=html.escape(title), body=body), media_type="text/html", status_code=status
    )


def _back(row: dict[str, Any], session_id: str) -> str:
    """Where Checkout's back link leads: the shop's cancel URL, as Stripe's hosted page has it."""
    return html.escape(str(row["cancel_url"]).replace("{CHECKOUT_SESSION_ID}", session_id))


def _sandbox(runtime: Runtime) -> SandboxGateway:
    gateway = runtime.gateway
    if not isinstance(gateway, SandboxGateway):
        raise NotFound("the sandbox provider is not in use")
    return gateway


CARD_DOES = {
    "succeeds": "succeeds",
    "authenticates": "asks for 3-D Secure (a page to authenticate or fail)",
    "declines": "is declined",
}


async def _authenticated(cases: UseCases, runtime: Runtime, intent_id: str, passed: bool) -> Redirect:
    """The answer goes through the same event handling as Stripe's webhook, then back to the shop."""
    event, back = await _sandbox(runtime).authenticate(intent_id, passed)
    await cases.handle_provider_event(event)
    return Redirect(back, status_code=303)


class SandboxController(Controller):
    path = "/sandbox"
    tags = ["sandbox"]
    include_in_schema = False

    @get("/checkout/{session_id:str}")
    async def checkout(self, session_id: Id, cases: NamedDependency[UseCases], state: State) -> Response[str]:
        runtime: Runtime = state.runtime
        row = await _sandbox(runtime).session_row(session_id)
        if row is None:
            return _page("Unknown checkout", "<p>No such checkout session.</p>", 404)
        what = html.escape(row["metadata"].get("description", "Booking"))
        amount = html.escape(format_amount(row["amount"], row["currency"]))
        if row["status"] != "open":
            return _page("Checkout", f"<p>{what}: this checkout is {html.escape(row['status'])}.</p>")
        here = f"/sandbox/checkout/{html.escape(session_id)}"
        body = (
            f"<p>{what}</p><p><strong>{amount}</strong></p><p>Sandbox: no money moves.</p>"
            f'<form method="post" action="{here}/pay" style="display:inline"><button>Pay</button></form>'
            f'<form method="post" action="{here}/decline" style="display:inline">'
            "<button>Decline</button></form>"
            f'<p><a href="{_back(row, session_id)}">Back to the shop</a></p>'
        )
        return _page("Sandbox checkout", body)

    @post("/checkout/{session_id:str}/pay", status_code=303)
    async def pay(self, session_id: Id, cases: NamedDependency[UseCases], state: State) -> Redirect:
        runtime: Runtime = state.runtime
        sandbox = _sandbox(runtime)
        event = await sandbox.complete(session_id)
        await cases.handle_provider_event(event)
        row = await sandbox.session_row(session_id)
        assert row is not None
        return Redirect(row["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id), status_code=303)

    @post("/checkout/{session_id:str}/decline", status_code=200)
    async def decline(self, session_id: Id, cases: NamedDependency[UseCases], state: State) -> Response[str]:
        runtime: Runtime = state.runtime
        sandbox = _sandbox(runtime)
        await cases.handle_provider_event(await sandbox.decline(session_id))
        row = await sandbox.session_row(session_id)
        assert row is not None
        back = (
            f'<p><a href="/sandbox/checkout/{html.escape(session_id)}">Try again</a></p>'
            f'<p><a href="{_back(row, session_id)}">Back to the shop</a></p>'
        )
        return _page("Payment declined", "<p>The sandbox card was declined.</p>" + back)

    @get("/cards")
    async def cards(self, state: State) -> Response[str]:
        _sandbox(state.runtime)
        rows = "".join(
            f"<tr><td><code>{pm}</code></td><td>{brand} \u2022\u2022\u2022\u2022 {last4}</td>"
            f"<td>{CARD_DOES[behaviour]}</td></tr>"
            for pm, (behaviour, brand, last4) in TEST_CARDS.items()
        )
        body = (
            '<p>Save one with <code>POST /api/me/payment-methods {"paymentMethodId": "…"}</code>.</p>'
            f"<table><tr><th>paymentMethodId</th><th>card</th><th>paying with it</th></tr>{rows}</table>"
        )
        return _page("Sandbox test cards", body)

    @get("/intents/{intent_id:str}")
    async def intent(self, intent_id: Id, state: State) -> Response[str]:
        row = await _sandbox(state.runtime).intent_row(intent_id)
        if row is None:
            return _page("Unknown payment", "<p>No such payment.</p>", 404)
        amount = html.escape(format_amount(row["amount"], row["currency"]))
        if row["status"] != "requires_action":
            return _page("3-D Secure", f"<p>{amount}: this payment is {html.escape(row['status'])}.</p>")
        here = f"/sandbox/intents/{html.escape(intent_id)}"
        body = (
            f"<p>Your bank asks you to confirm a payment of <strong>{amount}</strong>.</p>"
            "<p>Sandbox: no money moves.</p>"
            f'<form method="post" action="{here}/authenticate" style="display:inline">'
            "<button>Authenticate</button></form>"
            f'<form method="post" action="{here}/fail" style="display:inline">'
            "<button>Fail authentication</button></form>"
        )
        return _page("Sandbox 3-D Secure", body)

    @post("/intents/{intent_id:str}/authenticate", status_code=303)
    async def authenticate(self, intent_id: Id, cases: NamedDependency[UseCases], state: State) -> Redirect:
        return await _authenticated(cases, state.runtime, intent_id, passed=True)

    @post("/intents/{intent_id:str}/fail", status_code=303)
    async def fail(self, intent_id: Id, cases: NamedDependency[UseCases], state: State) -> Redirect:
        return await _authenticated(cases, state.runtime, intent_id, passed=False)

    @get("/connect/{account_id:str}")
    async def connect(self, account_id: Id, cases: NamedDependency[UseCases], state: State) -> Response[str]:
        runtime: Runtime = state.runtime
        _sandbox(runtime)
        body = (
            f"<p>Account {html.escape(account_id)}</p>"
            f'<form method="post" action="/sandbox/connect/{html.escape(account_id)}/complete">'
            '<button type="submit">Complete onboarding</button></form>'
        )
        return _page("Sandbox Connect onboarding", body)

    @post("/connect/{account_id:str}/complete", status_code=200)
    async def complete(
        self, account_id: Id, cases: NamedDependency[UseCases], state: State
    ) -> dict[str, Any]:
        runtime: Runtime = state.runtime
        await cases.handle_provider_event(_sandbox(runtime).account_completed(account_id))
        return {"status": "connected", "account": account_id}
