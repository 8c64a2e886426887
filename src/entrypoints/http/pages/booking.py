"""The booking page by slug (`/book/{slug}`) or resource token (`/book/r/{token}`), its return page
after payment, and its theme; each step a plain link or form, so that a booking works without JavaScript."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import Parameter
from litestar.response import Redirect, Template

from application import public_booking as public
from application.storefront import Entry, Storefront
from domain.catalog import ResourceType
from domain.errors import DomainError, InvalidInput, NotFound, SlotUnavailable
from domain.stays import BookingUnit
from entrypoints.composition import Runtime, UseCases
from entrypoints.http.pages.forms import FormGuard
from entrypoints.http.pages.render import error_page, field_errors, page, status_of
from entrypoints.http.pages.selection import Choice, month_of, month_range
from entrypoints.http.pages.words import PageWords

Id = Annotated[int | None, Parameter(query="type", ge=1, le=9_007_199_254_740_991, required=False)]
Month = Annotated[str | None, Parameter(query="month", pattern=r"^\d{4}-\d{2}$", required=False)]
Day = Annotated[date | None, Parameter(query="date", required=False)]
Start = Annotated[datetime | None, Parameter(query="start", required=False)]
First = Annotated[date | None, Parameter(query="first", required=False)]
Last = Annotated[date | None, Parameter(query="last", required=False)]
Quantity = Annotated[int, Parameter(query="quantity", ge=1, le=1000)]
Embed = Annotated[str | None, Parameter(query="embed", required=False, max_length=1)]
Slug = Annotated[str, Parameter(min_length=1, max_length=63)]
Token = Annotated[str, Parameter(min_length=1, max_length=128)]
SessionId = Annotated[str | None, Parameter(query="sessionId", max_length=255, required=False)]
SessionAlias = Annotated[str | None, Parameter(query="session_id", max_length=255, required=False)]

MANAGE_COOKIE = "booking_manage"  # the manage link, for the return page of the browser that booked
# The reserve API's field names, and the form fields they are shown beside.
FIELDS = {
    "customerName": "name",
    "customerEmail": "email",
    "customerPhone": "phone",
    "quantity": "quantity",
    "notes": "notes",
}
CHANGING = (SlotUnavailable, InvalidInput)


@dataclass(frozen=True)
class Place:
    """Which booking page: its entry and the path the page lives at."""

    entry: Entry
    path: str

    @staticmethod
    def of(slug: str | None = None, token: str | None = None) -> Place:
        if token is not None:
            return Place(Entry(token=token), f"/book/r/{token}")
        return Place(Entry(slug=slug), f"/book/{slug}")


def guard_of(state: State) -> FormGuard:
    runtime: Runtime = state.runtime
    return FormGuard(runtime.settings.jwt_secret, runtime.settings.public_base_url)


def _bookable(front: Storefront, rt: ResourceType) -> bool:
    return bool(front.resources.get(rt.id)) and (
        front.organisation.accepts_payments() or not rt.payment_required
    )


def choice_of(type_id: int | None, month: str | None, **steps: Any) -> Choice:
    first_of_month = None
    if month is not None:
        try:
            first_of_month = date.fromisoformat(month + "-01")
        except ValueError:
            raise InvalidInput("not a month", "month") from None
    return Choice(type_id=type_id, month=first_of_month, **steps)


async def booking_page(
    request: Request[Any, Any, State],
    cases: UseCases,
    place: Place,
    choice: Choice,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    front = await cases.storefronts.catalog(place.entry)
    org = front.organisation
    words = PageWords(org.locale, org.timezone)
    types = [t for t in front.types if _bookable(front, t)]
    if place.entry.token is not None and types:
        choice = replace(choice, type_id=types[0].id)
    rt = next((t for t in types if t.id == choice.type_id), None)
    today = datetime.now(org.tz).date()
    context: dict[str, Any] = {
        "organisation": org,
        "place": place,
        "types": types,
        "rt": rt,
        "choice": choice,
        "errors": errors or {},
        "values": values or {},
        "embed": choice.embed,
        "zone": words.zone(datetime.now(org.tz)),
        "money": words.money,
        "csrf": guard_of(request.app.state).token(place.path + "/reserve"),
        "token_page": place.entry.token is not None,
    }
    if rt is not None:
        await _steps(cases, place, rt, choice, words, today, context)
    partial = request.headers.get("x-partial") == "steps"
    return page("steps.html" if partial else "book.html", words, status, **context)


async def _steps(
    cases: UseCases,
    place: Place,
    rt: ResourceType,
    choice: Choice,
    words: PageWords,
    today: date,
    context: dict[str, Any],
) -> None:
    type_id = None if place.entry.token is not None else rt.id
    shown = choice.month or (choice.day or choice.first or today).replace(day=1)
    choice = replace(choice, month=shown)
    first, last = month_range(shown)
    found = await cases.calendar(place.entry, first, last, type_id, None)
    context["choice"] = choice
    context["month"] = month_of(found, choice, rt, today, place.path, words.month(shown), words.weekdays())
    if rt.booking_unit == BookingUnit.SLOT and choice.day is not None:
        slots = await cases.availability(place.entry, choice.day, type_id, None)
        context["day_title"] = words.day(choice.day)
        context["slots"] = [
            (s, words.time(s.start), place.path + choice.query(start=s.start))
            for s in slots.slots
            if s.available_quantity >= choice.quantity and s.start > datetime.now(s.start.tzinfo)
        ]
    when = choice.when(rt)
    if when is None:
        return
    request = public.PublicRequest(type_id, None, when, choice.quantity)
    try:
        quote, _ = await cases.quote(place.entry, request)
    except CHANGING as exc:
        context["errors"] = {**context["errors"], "_": exc.detail}
        return
    context["quote"] = quote
    context["when"] = when
    if when.start_time is not None and when.end_time is not None:
        context["when_text"] = words.span(when.start_time, when.end_time)
    else:
        assert choice.first is not None
        assert choice.last is not None
        nights = (choice.last - choice.first).days
        n = nights if rt.booking_unit == BookingUnit.NIGHT else nights + 1
        length = words.length(rt.booking_unit.value, n)
        context["when_text"] = f"{words.day(choice.first)} \u2013 {words.day(choice.last)} ({length})"


async def reserve_from_form(
    request: Request[Any, Any, State], cases: UseCases, place: Place
) -> Response[Any] | Template:
    form = dict(await request.form())
    guard_of(request.app.state).check(request, form)
    choice = _form_choice(form)
    values = {k: str(form.get(k) or "") for k in ("name", "email", "phone", "notes")}
    front = await cases.storefronts.catalog(place.entry)
    rt = next((t for t in front.types if t.id == choice.type_id), None)
    if place.entry.token is not None and front.types:
        rt = front.types[0]
    when = choice.when(rt) if rt is not None else None
    if rt is None or when is None:
        raise InvalidInput("choose what and when to book first", "startTime")
    runtime: Runtime = request.app.state.runtime
    base = runtime.settings.public_base_url
    command = public.ReserveRequest(
        None if place.entry.token is not None else rt.id,
        None,
        when,
        choice.quantity,
        customer_name=values["name"].strip(),
        customer_email=values["email"].strip(),
        customer_phone=values["phone"].strip(),
        notes=values["notes"].strip() or None,
    )
    try:
        done = await cases.reserve(place.entry, command, f"{base}{place.path}/return")
    except CHANGING as exc:
        errors = field_errors(exc, FIELDS) if isinstance(exc, InvalidInput) else {"_": exc.detail}
        return await booking_page(request, cases, place, choice, errors, values, status_of(exc))
    r = done.reservation
    if done.session is not None and done.session.url:
        back = Redirect(done.session.url, status_code=303)
        back.cookies.append(
            Cookie(
                key=MANAGE_COOKIE,
                value=f"{r.id}.{done.manage_token}",
                path=place.path,
                max_age=6 * 3600,
                httponly=True,
                samesite="lax",
                secure=runtime.settings.production,
            )
        )
        return back
    embed = "&embed=1" if choice.embed else ""
    return Redirect(f"/manage/{done.manage_token}?booked=1{embed}", status_code=303)


def _form_choice(form: dict[str, Any]) -> Choice:
    def text(name: str) -> str | None:
        value = str(form.get(name) or "").strip()
        return value or None

    try:
        type_id = int(text("type") or 0) or None
        start = datetime.fromisoformat(s) if (s := text("start")) else None
        first = date.fromisoformat(s) if (s := text("first")) else None
        last = date.fromisoformat(s) if (s := text("last")) else None
        quantity = int(text("quantity") or 1)
    except ValueError:
        raise InvalidInput("the form is not complete", "startTime") from None
    if start is not None and start.tzinfo is None:
        raise InvalidInput("the form is not complete", "startTime")
    return Choice(
        type_id=type_id, start=start, first=first, last=last, quantity=quantity, embed=text("embed") == "1"
    )


async def return_page(
    request: Request[Any, Any, State], cases: UseCases, place: Place, session_id: str | None
) -> Template:
    if not session_id:
        raise NotFound("no such payment")
    organisation_id = await cases.storefronts.organisation_id_of(place.entry, public_only=False)
    state = await cases.checkout_status(organisation_id, session_id, None)
    front = await cases.storefronts.catalog(place.entry)
    org = front.organisation
    words = PageWords(org.locale, org.timezone)
    r = state.reservation
    kept = request.cookies.get(MANAGE_COOKIE, "")
    rid, _, token = kept.partition(".")
    manage = f"/manage/{token}" if rid == str(r.id) and token else None
    if r.status.value == "confirmed":
        outcome = "paid"
    elif r.status.value == "pending_payment" and r.payment_status.value in ("pending", "processing"):
        outcome = "processing"
    elif state.can_retry:
        outcome = "failed"
    else:
        outcome = "expired"
    return page(
        "return.html",
        words,
        organisation=org,
        place=place,
        reservation=r,
        outcome=outcome,
        manage=manage,
        session_id=session_id,
        csrf=guard_of(request.app.state).token(place.path + "/retry"),
        here=f"{place.path}/return?sessionId={session_id}",
    )


async def retry_from_form(request: Request[Any, Any, State], cases: UseCases, place: Place) -> Redirect:
    form = dict(await request.form())
    guard_of(request.app.state).check(request, form)
    session_id = str(form.get("session") or "")
    organisation_id = await cases.storefronts.organisation_id_of(place.entry, public_only=False)
    runtime: Runtime = request.app.state.runtime
    done = await cases.retry_checkout(
        organisation_id, session_id, f"{runtime.settings.public_base_url}{place.path}/return"
    )
    if done.session is None or not done.session.url:
        raise NotFound("no payment page")
    return Redirect(done.session.url, status_code=303)


def theme(colour: str | None) -> Response[str]:
    """The organisation's colour as a stylesheet: the pages allow no inline styles."""
    brand = colour if colour and re.fullmatch(r"#[0-9a-fA-F]{6}", colour) else "#2f5d8a"
    red, green, blue = (int(brand[i : i + 2], 16) / 255 for i in (1, 3, 5))
    light = 0.2126 * red**2.2 + 0.7152 * green**2.2 + 0.0722 * blue**2.2 > 0.18  # text must stay readable
    body = f":root{{--brand:{brand};--on-brand:{'#1d232a' if light else '#fff'}}}\n"
    return Response(body, media_type="text/css", headers={"cache-control": "max-age=300"})


HANDLERS = {DomainError: error_page, ValidationException: error_page, HTTPException: error_page}


class BookingPages(Controller):
    path = "/book"
    include_in_schema = False
    exception_handlers = HANDLERS  # type: ignore[assignment]

    @get("/{slug:str}", opt={"rate_limit": "PUBLIC_CATALOG"})
    async def by_slug(
        self,
        request: Request[Any, Any, State],
        slug: Slug,
        cases: NamedDependency[UseCases],
        type_id: Id = None,
        month: Month = None,
        day: Day = None,
        start: Start = None,
        first: First = None,
        last: Last = None,
        quantity: Quantity = 1,
        embed: Embed = None,
    ) -> Template:
        choice = choice_of(
            type_id,
            month,
            day=day,
            start=start,
            first=first,
            last=last,
            quantity=quantity,
            embed=embed == "1",
        )
        return await booking_page(request, cases, Place.of(slug=slug), choice)

    @get("/r/{token:str}", opt={"rate_limit": "PUBLIC_CATALOG"})
    async def by_token(
        self,
        request: Request[Any, Any, State],
        token: Token,
        cases: NamedDependency[UseCases],
        month: Month = None,
        day: Day = None,
        start: Start = None,
        first: First = None,
        last: Last = None,
        quantity: Quantity = 1,
        embed: Embed = None,
    ) -> Template:
        choice = choice_of(
            None, month, day=day, start=start, first=first, last=last, quantity=quantity, embed=embed == "1"
        )
        return await booking_page(request, cases, Place.of(token=token), choice)

    @post("/{slug:str}/reserve", opt={"rate_limit": "PUBLIC_RESERVE"}, status_code=303)
    async def reserve_slug(
        self, request: Request[Any, Any, State], slug: Slug, cases: NamedDependency[UseCases]
    ) -> Response[Any] | Template:
        return await reserve_from_form(request, cases, Place.of(slug=slug))

    @post("/r/{token:str}/reserve", opt={"rate_limit": "PUBLIC_RESERVE"}, status_code=303)
    async def reserve_token(
        self, request: Request[Any, Any, State], token: Token, cases: NamedDependency[UseCases]
    ) -> Response[Any] | Template:
        return await reserve_from_form(request, cases, Place.of(token=token))

    @get("/{slug:str}/return", opt={"rate_limit": "PUBLIC_CHECKOUT_STATUS"})
    async def return_slug(
        self,
        request: Request[Any, Any, State],
        slug: Slug,
        cases: NamedDependency[UseCases],
        session_id: SessionId = None,
        session_alias: SessionAlias = None,
    ) -> Template:
        return await return_page(request, cases, Place.of(slug=slug), session_id or session_alias)

    @get("/r/{token:str}/return", opt={"rate_limit": "PUBLIC_CHECKOUT_STATUS"})
    async def return_token(
        self,
        request: Request[Any, Any, State],
        token: Token,
        cases: NamedDependency[UseCases],
        session_id: SessionId = None,
        session_alias: SessionAlias = None,
    ) -> Template:
        return await return_page(request, cases, Place.of(token=token), session_id or session_alias)

    @post("/{slug:str}/retry", opt={"rate_limit": "PUBLIC_CHECKOUT_RETRY"}, status_code=303)
    async def retry_slug(
        self, request: Request[Any, Any, State], slug: Slug, cases: NamedDependency[UseCases]
    ) -> Redirect:
        return await retry_from_form(request, cases, Place.of(slug=slug))

    @post("/r/{token:str}/retry", opt={"rate_limit": "PUBLIC_CHECKOUT_RETRY"}, status_code=303)
    async def retry_token(
        self, request: Request[Any, Any, State], token: Token, cases: NamedDependency[UseCases]
    ) -> Redirect:
        return await retry_from_form(request, cases, Place.of(token=token))

    @get("/{slug:str}/theme.css", opt={"rate_limit": "PUBLIC_CATALOG"})
    async def theme_slug(self, slug: Slug, cases: NamedDependency[UseCases]) -> Response[str]:
        front = await cases.storefronts.catalog(Entry(slug=slug))
        return theme(front.organisation.brand_color)

    @get("/r/{token:str}/theme.css", opt={"rate_limit": "PUBLIC_CATALOG"})
    async def theme_token(self, token: Token, cases: NamedDependency[UseCases]) -> Response[str]:
        front = await cases.storefronts.catalog(Entry(token=token))
        return theme(front.organisation.brand_color)
