"""Payments: Stripe's webhook, Connect onboarding, refunds and the ledger, the publishable config."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import Parameter

from application import connect
from application.access import authorize
from domain.access import REFUNDS
from domain.identity import Caller
from entrypoints.composition import Runtime, UseCases
from entrypoints.http.idempotency import caller_scope, idempotent, json_response
from entrypoints.http.links import connect_return
from entrypoints.http.schemas.common import utc
from entrypoints.http.schemas.payments import (
    ConnectOut,
    LedgerEntryOut,
    LedgerOut,
    PaymentLinkBody,
    PaymentLinkOut,
    RefundBody,
    RefundOut,
    StripeConfigOut,
    WebhookOut,
)

PathId = Annotated[int, Parameter(ge=1, le=9_007_199_254_740_991)]


def _connect(found: connect.ConnectStatus) -> ConnectOut:
    a = found.account
    return ConnectOut(a.status, a.charges_enabled, a.payouts_enabled, found.onboarding_url)


class StripeController(Controller):
    path = "/api/payments/stripe"
    tags = ["payments"]
    security = [{}]

    @post("/webhook", status_code=200)
    async def webhook(
        self,
        request: Request[Any, Any, State],
        cases: NamedDependency[UseCases],
        state: State,
    ) -> WebhookOut:
        """Stripe's events, verified on the raw body with either signing secret."""
        runtime: Runtime = state.runtime
        payload = await request.body()
        event = runtime.gateway.parse_event(payload, request.headers.get("stripe-signature"))
        return WebhookOut(await cases.handle_provider_event(event))

    @get("/config")
    async def config(
        self,
        request: Request[Any, Any, State],
        cases: NamedDependency[UseCases],
        slug: Annotated[str | None, Parameter(query="slug", max_length=63, required=False)] = None,
    ) -> StripeConfigOut:
        """The publishable key for Stripe.js, and the currency (the organisation's with ?slug=)."""
        currency = await cases.storefronts.currency_of(slug)
        return StripeConfigOut(request.app.state.runtime.settings.stripe_publishable_key, currency)


class ConnectController(Controller):
    path = "/api/organisations/{organisation_id:int}/stripe/connect"
    tags = ["payments"]

    @post("/", status_code=200, opt={"provider": True})
    async def start(
        self,
        organisation_id: PathId,
        cases: NamedDependency[UseCases],
        state: State,
        caller: NamedDependency[Caller],
    ) -> ConnectOut:
        runtime: Runtime = state.runtime
        back = connect_return(runtime.settings.public_base_url, organisation_id)
        return _connect(await cases.connect.connect(caller, organisation_id, back))

    @get("/")
    async def status(
        self, organisation_id: PathId, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> ConnectOut:
        return _connect(await cases.connect.connect_status(caller, organisation_id))


class RefundsController(Controller):
    path = "/api/reservations/{reservation_id:int}"
    tags = ["reservations"]

    @post("/payment-link", status_code=201, opt={"provider": True})
    async def payment_link(
        self,
        reservation_id: PathId,
        cases: NamedDependency[UseCases],
        caller: NamedDependency[Caller],
        data: PaymentLinkBody | None = None,
    ) -> PaymentLinkOut:
        """A Checkout link for a booking staff made; the customer is e-mailed it when it has an e-mail."""
        link = await cases.payment_links.create(
            caller, reservation_id, (data or PaymentLinkBody()).expires_in_hours
        )
        return PaymentLinkOut(link.url, link.session_id, link.amount, link.currency, utc(link.expires_at))  # type: ignore[arg-type]

    @post("/refund", status_code=201, opt={"idempotent": True, "provider": True})
    async def refund(
        self,
        request: Request[Any, Any, State],
        reservation_id: PathId,
        cases: NamedDependency[UseCases],
        state: State,
        caller: NamedDependency[Caller],
        data: RefundBody | None = None,
    ) -> Response[RefundOut]:
        runtime: Runtime = state.runtime
        body = data or RefundBody()
        key = request.headers.get("idempotency-key")

        async def run() -> Response[bytes]:
            made = await cases.refund_reservation(caller, reservation_id, body.amount, body.reason, key)
            return json_response(
                RefundOut(
                    made.id, made.amount, made.currency, made.status, made.reason, utc(made.created_at)
                ),
                201,
            )

        organisation_id, _ = authorize(caller, REFUNDS)
        return await idempotent(request, runtime.idempotency, organisation_id, caller_scope(caller), run)

    @get("/payments")
    async def ledger(
        self, reservation_id: PathId, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> LedgerOut:
        payments, refunds = await cases.ledger(caller, reservation_id)
        entries = [
            LedgerEntryOut(
                "payment", p.id, p.amount, p.currency, p.status, utc(p.created_at), p.payment_intent_id
            )
            for p in payments
        ] + [
            LedgerEntryOut(
                "refund", r.id, r.amount, r.currency, r.status, utc(r.created_at), r.stripe_refund_id
            )
            for r in refunds
        ]
        entries.sort(key=lambda e: (e.created_at is None, e.created_at, e.kind != "payment", e.id))
        return LedgerOut(entries)
