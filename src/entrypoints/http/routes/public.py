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
from application import storefront
from application.calendar import Calendar
from application.checkout import CheckoutState, Reserved
from application.storefront import Entry
from domain.stays import BookingUnit
from entrypoints.composition import Runtime, UseCases
from entrypoints.http.idempotency import idempotent, json_response
from entrypoints.http.links import status_url
from entrypoints.http.schemas.common import utc
from entrypoints.http.schemas.payments import CheckoutStatusOut, RetryBody
from entrypoints.http.schemas.public import (
    AvailabilityOut,
    CalendarDayOut,
    CalendarOut,
    FindBookingBody,
    PaymentDataOut,
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
From = Annotated[date, Parameter(query="from")]
To = Annotated[date, Parameter(query="to")]
SessionId = Annotated[str | None, Parameter(query="sessionId", min_length=1, max_length=255, required=False)]
IntentId = Annotated[
    str | None, Parameter(query="paymentIntentId", min_length=1, max_length=255, required=False)
]


def _organisation(front: storefront.Storefront) -> PublicOrganisationOut:
    org = front.organisation
    return PublicOrganisationOut(org.slug, org.name, org.timezone, org.currency)


def _types(front: storefront.Storefront, accepts: bool) -> list[PublicResourceTypeOut]:
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
            booking_unit=t.booking_unit.value,
            check_in_time=t.check_in_time if t.booking_unit == BookingUnit.NIGHT else None,
            check_out_time=t.check_out_time if t.booking_unit == BookingUnit.NIGHT else None,
            min_stay=t.min_stay if t.booking_unit != BookingUnit.SLOT else None,
            max_stay=t.max_stay if t.booking_unit != BookingUnit.SLOT else None,
            max_guests=t.max_guests,
        )
        for t in front.types
    ]


def _availability(found: public.Availability) -> AvailabilityOut:
    slots = [SlotOut(s.start, s.end, s.available_quantity > 0, s.available_quantity) for s in found.slots]
    return AvailabilityOut(found.day, found.timezone, found.resource_type_id, slots)


def _calendar(found: Calendar) -> CalendarOut:
    days = [
        CalendarDayOut(
            date=d.day,
            available=d.available,
            available_quantity=d.available_quantity,
            free_slots=d.free_slots,
            check_in_allowed=d.check_in_allowed,
        )
        for d in found.days
    ]
    return CalendarOut(found.resource_type_id, found.timezone, found.booking_unit.value, days)


def _quote_request(data: QuoteBody) -> public.PublicRequest:
    return public.PublicRequest(
        data.resource_type_id, data.resource_id, data.when(), data.quantity, data.adults, data.children
    )


async def _quote(cases: UseCases, entry: Entry, data: QuoteBody) -> PublicQuoteOut:
    q, required = await cases.quote(entry, _quote_request(data))
    return PublicQuoteOut(
        q.unit_amount, q.units, q.subtotal, q.service_fee, q.taxes, q.total, q.currency, required
    )


def reserved_out(done: Reserved, status_url: str) -> ReserveOut:
    r = done.reservation
    out = ReserveOut(
        reservation_id=r.id,
        reference=r.reference,
        status=r.status.value,
        payment_status=r.payment_status.value,
        requires_payment=r.requires_payment,
        quoted_amount=r.quote.total,
        quoted_currency=r.quote.currency,
        hold_expires_at=utc(r.hold_expires_at),
        manage_token=done.manage_token,
    )
    session = done.session
    if session is not None and session.url:
        out.checkout_url = session.url
        out.stripe_checkout_session_id = session.id
        out.payment_data = PaymentDataOut(
            provider="stripe",
            mode="checkout",
            checkout_url=session.url,
            stripe_checkout_session_id=session.id,
            amount=r.quote.total,
            currency=r.quote.currency,
            status=session.status,
            status_url=f"{status_url}?sessionId={session.id}",
        )
    if done.card is not None:
        intent = done.card.intent
        out.payment_data = PaymentDataOut(
            provider="stripe",
            mode="payment_intent",
            amount=intent.amount,
            currency=intent.currency,
            status=intent.status,
            status_url=f"{status_url}?paymentIntentId={intent.id}",
            payment_intent_id=intent.id,
            client_secret=intent.client_secret,
            publishable_key=done.card.publishable_key,
            next_action_url=intent.next_action_url,
        )
    return out


def _status_out(state: CheckoutState) -> CheckoutStatusOut:
    r = state.reservation
    return CheckoutStatusOut(
        r.id, r.reference, r.status.value, r.payment_status.value, r.requires_payment, state.can_retry
    )


async def _checkout_status(
    cases: UseCases, entry: Entry, session_id: str | None, intent_id: str | None
) -> CheckoutStatusOut:
    organisation_id = await cases.storefronts.organisation_id_of(entry, public_only=False)
    return _status_out(await cases.checkout_status(organisation_id, session_id, intent_id))


async def _retry(
    request: Request[Any, Any, State], cases: UseCases, runtime: Runtime, entry: Entry, data: RetryBody
) -> Response[Any]:
    organisation_id = await cases.storefronts.organisation_id_of(entry, public_only=False)
    back = status_url(runtime.settings.public_base_url, entry)

    async def run() -> Response[bytes]:
        done = await cases.retry_checkout(organisation_id, data.session_id, back)
        return json_response(reserved_out(done, back), 200)

    return await idempotent(request, runtime.idempotency, organisation_id, _page_scope(entry), run)


def _page_scope(entry: Entry) -> str:
    """Idempotency keys of public routes belong to the page: its slug, or (a hash of) its token."""
    if entry.slug is not None:
        return f"slug:{entry.slug}"
    return "token:" + hashlib.sha256((entry.token or "").encode()).hexdigest()


async def customer_user(request: Request[Any, Any, State], cases: UseCases) -> int | None:
    """The logged-in customer of a public request (`Authorization: Bearer`), or None for a guest; a token
    that is sent but invalid is a 401, never a silent guest booking."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return (await cases.authenticate.by_token(credential.strip(), None)).user_id


async def _reserve(
    request: Request[Any, Any, State], cases: UseCases, runtime: Runtime, entry: Entry, data: ReserveBody
) -> Response[Any]:
    user_id = await customer_user(request, cases)
    command = public.ReserveRequest(
        data.resource_type_id,
        data.resource_id,
        data.when(),
        data.quantity,
        data.adults,
        data.children,
        data.customer_name,
        data.customer_email,
        data.customer_phone,
        data.notes,
        data.success_url,
        data.cancel_url,
        user_id,
        data.payment_method_id,
        data.return_url,
    )

    back = status_url(runtime.settings.public_base_url, entry)

    async def run() -> Response[bytes]:
        done = await cases.reserve(entry, command, back)
        return json_response(reserved_out(done, back), 201)

    if request.headers.get("idempotency-key") is None:
        return await run()
    organisation_id = await cases.storefronts.organisation_id_of(entry)
    # A logged-in customer's keys are theirs alone.
    scope = _page_scope(entry) + (f":customer:{user_id}" if user_id is not None else "")
    return await idempotent(request, runtime.idempotency, organisation_id, scope, run)


class SlugBookingController(Controller):
    path = "/api/public/booking/organisations/{slug:str}"
    tags = ["public booking"]
    security = [{}]

    @get("/", opt={"rate_limit": "PUBLIC_CATALOG"})
    async def catalog(self, slug: Slug, cases: NamedDependency[UseCases]) -> SlugCatalogOut:
        front = await cases.storefronts.catalog(Entry(slug=slug))
        accepts = front.organisation.accepts_payments()
        return SlugCatalogOut(_organisation(front), accepts, _types(front, accepts))

    @get("/availability", opt={"rate_limit": "PUBLIC_AVAILABILITY"})
    async def availability(
        self,
        slug: Slug,
        day: Day,
        cases: NamedDependency[UseCases],
        resource_type_id: Annotated[int, Parameter(query="resourceTypeId", ge=1, le=9_007_199_254_740_991)],
        resource_id: Annotated[
            int | None, Parameter(query="resourceId", ge=1, le=9_007_199_254_740_991, required=False)
        ] = None,
    ) -> AvailabilityOut:
        found = await cases.availability(Entry(slug=slug), day, resource_type_id, resource_id)
        return _availability(found)

    @get("/calendar", opt={"rate_limit": "PUBLIC_AVAILABILITY"})
    async def calendar(
        self,
        slug: Slug,
        first: From,
        last: To,
        cases: NamedDependency[UseCases],
        resource_type_id: Annotated[int, Parameter(query="resourceTypeId", ge=1, le=9_007_199_254_740_991)],
        resource_id: Annotated[
            int | None, Parameter(query="resourceId", ge=1, le=9_007_199_254_740_991, required=False)
        ] = None,
    ) -> CalendarOut:
        return _calendar(await cases.calendar(Entry(slug=slug), first, last, resource_type_id, resource_id))

    @post("/quote", status_code=200, opt={"rate_limit": "PUBLIC_QUOTE"})
    async def quote(self, slug: Slug, data: QuoteBody, cases: NamedDependency[UseCases]) -> PublicQuoteOut:
        return await _quote(cases, Entry(slug=slug), data)

    @post(
        "/reserve",
        status_code=201,
        opt={"rate_limit": "PUBLIC_RESERVE", "idempotent": True, "provider": True},
    )
    async def reserve(
        self,
        request: Request[Any, Any, State],
        slug: Slug,
        data: ReserveBody,
        cases: NamedDependency[UseCases],
        state: State,
    ) -> Response[ReserveOut]:
        runtime: Runtime = state.runtime
        return await _reserve(request, cases, runtime, Entry(slug=slug), data)

    @get("/checkout-status", opt={"rate_limit": "PUBLIC_CHECKOUT_STATUS", "provider": True})
    async def checkout_status(
        self,
        slug: Slug,
        cases: NamedDependency[UseCases],
        session_id: SessionId = None,
        payment_intent_id: IntentId = None,
    ) -> CheckoutStatusOut:
        return await _checkout_status(cases, Entry(slug=slug), session_id, payment_intent_id)

    @post("/find-booking", status_code=202, opt={"rate_limit": "PUBLIC_MANAGE"})
    async def find_booking(self, slug: Slug, data: FindBookingBody, cases: NamedDependency[UseCases]) -> None:
        """The manage links of the address's upcoming bookings are e-mailed to it; 202 whatever is found."""
        await cases.find_booking(slug, data.email)

    @post(
        "/checkout-retry",
        status_code=200,
        opt={"rate_limit": "PUBLIC_CHECKOUT_RETRY", "idempotent": True, "provider": True},
    )
    async def checkout_retry(
        self,
        request: Request[Any, Any, State],
        slug: Slug,
        data: RetryBody,
        cases: NamedDependency[UseCases],
        state: State,
    ) -> Response[ReserveOut]:
        runtime: Runtime = state.runtime
        return await _retry(request, cases, runtime, Entry(slug=slug), data)


class TokenBookingController(Controller):
    path = "/api/public/booking/{token:str}"
    tags = ["public booking"]
    security = [{}]

    @get("/", opt={"rate_limit": "PUBLIC_CATALOG"})
    async def catalog(self, token: Token, cases: NamedDependency[UseCases]) -> TokenCatalogOut:
        front = await cases.storefronts.catalog(Entry(token=token))
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
    async def availability(self, token: Token, day: Day, cases: NamedDependency[UseCases]) -> AvailabilityOut:
        return _availability(await cases.availability(Entry(token=token), day, None, None))

    @get("/calendar", opt={"rate_limit": "PUBLIC_AVAILABILITY"})
    async def calendar(
        self, token: Token, first: From, last: To, cases: NamedDependency[UseCases]
    ) -> CalendarOut:
        return _calendar(await cases.calendar(Entry(token=token), first, last, None, None))

    @post("/quote", status_code=200, opt={"rate_limit": "PUBLIC_QUOTE"})
    async def quote(self, token: Token, data: QuoteBody, cases: NamedDependency[UseCases]) -> PublicQuoteOut:
        return await _quote(cases, Entry(token=token), data)

    @post(
        "/reserve",
        status_code=201,
        opt={"rate_limit": "PUBLIC_RESERVE", "idempotent": True, "provider": True},
    )
    async def reserve(
        self,
        request: Request[Any, Any, State],
        token: Token,
        data: ReserveBody,
        cases: NamedDependency[UseCases],
        state: State,
    ) -> Response[ReserveOut]:
        runtime: Runtime = state.runtime
        return await _reserve(request, cases, runtime, Entry(token=token), data)

    @get("/checkout-status", opt={"rate_limit": "PUBLIC_CHECKOUT_STATUS", "provider": True})
    async def checkout_status(
        self,
        token: Token,
        cases: NamedDependency[UseCases],
        session_id: SessionId = None,
        payment_intent_id: IntentId = None,
    ) -> CheckoutStatusOut:
        return await _checkout_status(cases, Entry(token=token), session_id, payment_intent_id)

    @post(
        "/checkout-retry",
        status_code=200,
        opt={"rate_limit": "PUBLIC_CHECKOUT_RETRY", "idempotent": True, "provider": True},
    )
    async def checkout_retry(
        self,
        request: Request[Any, Any, State],
        token: Token,
        data: RetryBody,
        cases: NamedDependency[UseCases],
        state: State,
    ) -> Response[ReserveOut]:
        runtime: Runtime = state.runtime
        return await _retry(request, cases, runtime, Entry(token=token), data)
