"""Public booking by slug (`…/booking/organisations/{slug}`) or by resource token (`…/booking/{token}`)."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import Parameter

from application import public_booking as public
from application.context import Context
from entrypoints.http import present
from entrypoints.http.idempotency import idempotent, json_response
from entrypoints.http.schemas.public import (
    AvailabilityOut,
    PublicOrganisationOut,
    PublicQuoteOut,
    PublicResourceOut,
    PublicResourceTypeOut,
    QuoteBody,
    ReserveBody,
    ReserveOut,
    SlotOut,
    SlugCatalogOut,
    TokenCatalogOut,
    TokenResourceOut,
)

Slug = Annotated[str, Parameter(min_length=1, max_length=63)]
Token = Annotated[str, Parameter(min_length=1, max_length=128)]
Day = Annotated[date, Parameter(query="date")]
OptionalId = Annotated[int | None, Parameter(ge=1, required=False)]


def _organisation(front: public.Storefront) -> PublicOrganisationOut:
    org = front.organisation
    return PublicOrganisationOut(org.slug, org.name, org.timezone, org.currency)


def _types(front: public.Storefront, accepts: bool) -> list[PublicResourceTypeOut]:
    return [
        PublicResourceTypeOut(
            id=t.id,
            name=t.name,
            description=t.description,
            slot_minutes=t.slot_minutes,
            max_slots_per_booking=t.max_slots_per_booking,
            max_quantity=t.max_quantity,
            price_amount=t.price_amount,
            price_currency=t.price_currency or front.organisation.currency,
            payment_required=t.payment_required,
            bookable=bool(front.resources.get(t.id)) and (accepts or not t.payment_required),
            resources=[PublicResourceOut(r.id, r.name) for r in front.resources.get(t.id, [])],
        )
        for t in front.types
    ]


def _availability(found: public.Availability) -> AvailabilityOut:
    slots = [SlotOut(s.start, s.end, s.available_quantity > 0, s.available_quantity) for s in found.slots]
    return AvailabilityOut(found.day, found.timezone, found.resource_type_id, slots)


def _quote_request(data: QuoteBody) -> public.PublicRequest:
    return public.PublicRequest(
        data.resource_type_id, data.resource_id, data.start_time, data.end_time, data.quantity
    )


async def _quote(ctx: Context, entry: public.Entry, data: QuoteBody) -> PublicQuoteOut:
    q, required = await public.quote(ctx, entry, _quote_request(data))
    return PublicQuoteOut(
        q.unit_amount, q.units, q.subtotal, q.service_fee, q.taxes, q.total, q.currency, required
    )


def reserved_out(done: public.Reserved) -> ReserveOut:
    r = done.reservation
    return ReserveOut(
        reservation_id=r.id,
        reference=r.reference,
        status=r.status.value,
        payment_status=r.payment_status.value,
        requires_payment=r.requires_payment,
        quoted_amount=r.quote.total,
        quoted_currency=r.quote.currency,
        hold_expires_at=present.utc(r.hold_expires_at),
        manage_token=done.manage_token,
    )


async def _reserve(
    request: Request[Any, Any, State], ctx: Context, entry: public.Entry, data: ReserveBody, scope: str
) -> Response[Any]:
    command = public.ReserveRequest(
        data.resource_type_id,
        data.resource_id,
        data.start_time,
        data.end_time,
        data.quantity,
        data.customer_name,
        data.customer_email,
        data.customer_phone,
        data.notes,
        data.success_url,
        data.cancel_url,
    )

    async def run() -> Response[bytes]:
        return json_response(reserved_out(await public.reserve(ctx, entry, command)), 201)

    if request.headers.get("idempotency-key") is None:
        return await run()
    organisation_id = await public.organisation_id_of(ctx, entry)
    return await idempotent(request, request.app.state.idempotency, organisation_id, scope, run)


class SlugBookingController(Controller):
    path = "/api/public/booking/organisations/{slug:str}"
    tags = ["public booking"]
    security = [{}]

    @get("/", opt={"rate_limit": "PUBLIC_CATALOG"})
    async def catalog(self, slug: Slug, ctx: NamedDependency[Context]) -> SlugCatalogOut:
        front = await public.catalog(ctx, public.Entry(slug=slug))
        accepts = front.organisation.accepts_payments()
        return SlugCatalogOut(_organisation(front), accepts, _types(front, accepts))

    @get("/availability", opt={"rate_limit": "PUBLIC_AVAILABILITY"})
    async def availability(
        self,
        slug: Slug,
        day: Day,
        ctx: NamedDependency[Context],
        resource_type_id: Annotated[int, Parameter(query="resourceTypeId", ge=1)],
        resource_id: Annotated[int | None, Parameter(query="resourceId", ge=1, required=False)] = None,
    ) -> AvailabilityOut:
        found = await public.availability(ctx, public.Entry(slug=slug), day, resource_type_id, resource_id)
        return _availability(found)

    @post("/quote", status_code=200, opt={"rate_limit": "PUBLIC_QUOTE"})
    async def quote(self, slug: Slug, data: QuoteBody, ctx: NamedDependency[Context]) -> PublicQuoteOut:
        return await _quote(ctx, public.Entry(slug=slug), data)

    @post("/reserve", status_code=201, opt={"rate_limit": "PUBLIC_RESERVE"})
    async def reserve(
        self, request: Request[Any, Any, State], slug: Slug, data: ReserveBody, ctx: NamedDependency[Context]
    ) -> Response[ReserveOut]:
        return await _reserve(request, ctx, public.Entry(slug=slug), data, f"slug:{slug}")


class TokenBookingController(Controller):
    path = "/api/public/booking/{token:str}"
    tags = ["public booking"]
    security = [{}]

    @get("/", opt={"rate_limit": "PUBLIC_CATALOG"})
    async def catalog(self, token: Token, ctx: NamedDependency[Context]) -> TokenCatalogOut:
        front = await public.catalog(ctx, public.Entry(token=token))
        accepts = front.organisation.accepts_payments()
        resource = front.token_resource
        assert resource is not None
        return TokenCatalogOut(
            _organisation(front),
            accepts,
            TokenResourceOut(resource.id, resource.name, resource.capacity),
            _types(front, accepts)[0],
        )

    @get("/availability", opt={"rate_limit": "PUBLIC_AVAILABILITY"})
    async def availability(self, token: Token, day: Day, ctx: NamedDependency[Context]) -> AvailabilityOut:
        return _availability(await public.availability(ctx, public.Entry(token=token), day, None, None))

    @post("/quote", status_code=200, opt={"rate_limit": "PUBLIC_QUOTE"})
    async def quote(self, token: Token, data: QuoteBody, ctx: NamedDependency[Context]) -> PublicQuoteOut:
        return await _quote(ctx, public.Entry(token=token), data)

    @post("/reserve", status_code=201, opt={"rate_limit": "PUBLIC_RESERVE"})
    async def reserve(
        self,
        request: Request[Any, Any, State],
        token: Token,
        data: ReserveBody,
        ctx: NamedDependency[Context],
    ) -> Response[ReserveOut]:
        scope = "token:" + hashlib.sha256(token.encode()).hexdigest()
        return await _reserve(request, ctx, public.Entry(token=token), data, scope)
