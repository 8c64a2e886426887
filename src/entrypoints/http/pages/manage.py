"""The manage page (`/manage/{manageToken}`): the booking, what a cancellation would refund now, cancel
with a confirmation step, reschedule on the same calendar as the booking page, add to calendar, pay."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import Parameter
from litestar.response import Redirect, Template

from application.self_service import ManagedBooking
from application.storefront import Entry
from domain.errors import DomainError, InvalidInput, RescheduleNotPossible, RetryNotPossible, SlotUnavailable
from domain.status import ReservationStatus
from domain.stays import BookingUnit
from entrypoints.composition import Runtime, UseCases
from entrypoints.http.pages.booking import (
    HANDLERS,
    Day,
    Embed,
    First,
    Last,
    Month,
    Start,
    choice_of,
    guard_of,
)
from entrypoints.http.pages.render import page, status_of
from entrypoints.http.pages.selection import Choice, month_of, month_range
from entrypoints.http.pages.words import PageWords
from entrypoints.http.present import stay_fields

ManageToken = Annotated[str, Parameter(min_length=1, max_length=128)]
Flag = Annotated[str | None, Parameter(max_length=1, required=False)]
REFUSED = (SlotUnavailable, RescheduleNotPossible, InvalidInput, RetryNotPossible)


def _when_text(found: ManagedBooking, words: PageWords) -> str:
    r = found.reservation
    dates = stay_fields(r.stay)
    if dates.check_in and dates.check_out and dates.nights:
        nights = words.length("night", dates.nights)
        return f"{words.day(dates.check_in)} \u2013 {words.day(dates.check_out)} ({nights})"
    if dates.start_date and dates.days:
        return f"{words.day(dates.start_date)} ({words.length('day', dates.days)})"
    return words.span(r.start_time, r.end_time)


def _context(
    request: Request[Any, Any, State], token: str, found: ManagedBooking
) -> tuple[PageWords, dict[str, Any]]:
    """The page's language, and what the manage templates show."""
    r, org = found.reservation, found.organisation
    words = PageWords(org.locale, org.timezone)
    base = f"/manage/{token}"
    guard = guard_of(request.app.state)
    cancellable = r.status in (
        ReservationStatus.CONFIRMED,
        ReservationStatus.PENDING,
        ReservationStatus.PENDING_PAYMENT,
    )
    return words, {
        "organisation": org,
        "r": r,
        "rt": found.resource_type,
        "base": base,
        "when_text": _when_text(found, words),
        "status_text": words(f"statuses.{r.status.value}")
        if f"statuses.{r.status.value}"
        else r.status.value,
        "total": words.money(r.quote.total, r.quote.currency),
        "refund_now": words.money(found.refund_if_cancelled_now, r.quote.currency),
        "refund_amount": found.refund_if_cancelled_now,
        "cancellable": cancellable,
        "payable": r.status == ReservationStatus.PENDING_PAYMENT and r.stripe_checkout_session_id is not None,
        "movable": r.status in (ReservationStatus.CONFIRMED, ReservationStatus.PENDING),
        "ics": f"/api/public/reservations/{token}/calendar.ics",
        "csrf_cancel": guard.token(base + "/cancel"),
        "csrf_move": guard.token(base + "/reschedule"),
        "csrf_pay": guard.token(base + "/pay"),
        "errors": {},
    }


class ManagePages(Controller):
    path = "/manage/{token:str}"
    include_in_schema = False
    exception_handlers = HANDLERS  # type: ignore[assignment]

    @get("/", opt={"rate_limit": "PUBLIC_MANAGE"})
    async def view(
        self,
        request: Request[Any, Any, State],
        token: ManageToken,
        cases: NamedDependency[UseCases],
        booked: Flag = None,
        moved: Flag = None,
        embed: Embed = None,
    ) -> Template:
        found = await cases.self_service.view(token)
        words, context = _context(request, token, found)
        return page("manage.html", words, booked=booked == "1", moved=moved == "1", **context)

    @get("/cancel", opt={"rate_limit": "PUBLIC_MANAGE"})
    async def confirm_cancel(
        self, request: Request[Any, Any, State], token: ManageToken, cases: NamedDependency[UseCases]
    ) -> Template:
        words, context = _context(request, token, await cases.self_service.view(token))
        return page("cancel.html", words, **context)

    @post("/cancel", opt={"rate_limit": "PUBLIC_MANAGE"}, status_code=200)
    async def cancel(
        self, request: Request[Any, Any, State], token: ManageToken, cases: NamedDependency[UseCases]
    ) -> Template:
        form = dict(await request.form())
        guard_of(request.app.state).check(request, form)
        found, refund = await cases.self_service.cancel(token, str(form.get("reason") or "").strip() or None)
        words, context = _context(request, token, found)
        refunded = words.money(refund.amount, refund.currency) if refund.amount else None
        return page("manage.html", words, cancelled=True, refunded=refunded, **context)

    @get("/reschedule", opt={"rate_limit": "PUBLIC_MANAGE"})
    async def choose_new_time(
        self,
        request: Request[Any, Any, State],
        token: ManageToken,
        cases: NamedDependency[UseCases],
        month: Month = None,
        day: Day = None,
        start: Start = None,
        first: First = None,
        last: Last = None,
    ) -> Template:
        found = await cases.self_service.view(token)
        choice = choice_of(
            found.reservation.resource_type_id, month, day=day, start=start, first=first, last=last
        )
        return await _reschedule_page(request, cases, token, found, choice)

    @post("/reschedule", opt={"rate_limit": "PUBLIC_MANAGE"}, status_code=303)
    async def reschedule(
        self, request: Request[Any, Any, State], token: ManageToken, cases: NamedDependency[UseCases]
    ) -> Redirect | Template:
        form = dict(await request.form())
        guard_of(request.app.state).check(request, form)
        found = await cases.self_service.view(token)
        choice = _posted_choice(form, found.reservation.resource_type_id)
        rt = found.resource_type
        when = choice.when(rt) if rt is not None else None
        if when is None:
            raise InvalidInput("choose a new time first", "startTime")
        try:
            await cases.self_service.reschedule(token, when)
        except REFUSED as exc:
            return await _reschedule_page(request, cases, token, found, choice, exc)
        return Redirect(f"/manage/{token}?moved=1", status_code=303)

    @post("/pay", opt={"rate_limit": "PUBLIC_CHECKOUT_RETRY"}, status_code=303)
    async def pay(
        self, request: Request[Any, Any, State], token: ManageToken, cases: NamedDependency[UseCases]
    ) -> Redirect:
        form = dict(await request.form())
        guard_of(request.app.state).check(request, form)
        found = await cases.self_service.view(token)
        r, org = found.reservation, found.organisation
        if r.stripe_checkout_session_id is None:
            raise RetryNotPossible("this booking has nothing to pay")
        runtime: Runtime = request.app.state.runtime
        back = f"{runtime.settings.public_base_url}/book/{org.slug}/return"
        done = await cases.retry_checkout(org.id, r.stripe_checkout_session_id, back)
        if done.session is None or not done.session.url:
            raise RetryNotPossible("no payment page")
        return Redirect(done.session.url, status_code=303)


def _posted_choice(form: dict[str, Any], type_id: int) -> Choice:
    def parsed(name: str, kind: Any) -> Any:
        value = str(form.get(name) or "").strip()
        if not value:
            return None
        try:
            return kind.fromisoformat(value)
        except ValueError:
            raise InvalidInput("the form is not complete", "startTime") from None

    return Choice(
        type_id=type_id,
        start=parsed("start", datetime),
        first=parsed("first", date),
        last=parsed("last", date),
    )


async def _reschedule_page(
    request: Request[Any, Any, State],
    cases: UseCases,
    token: str,
    found: ManagedBooking,
    choice: Choice,
    refused: DomainError | None = None,
) -> Template:
    words, context = _context(request, token, found)
    rt, org = found.resource_type, found.organisation
    if rt is None:
        raise InvalidInput("this booking cannot be moved here", "startTime")
    entry = Entry(slug=org.slug)
    today = datetime.now(org.tz).date()
    shown = choice.month or (
        choice.day or choice.first or found.reservation.start_time.astimezone(org.tz).date()
    ).replace(day=1)
    choice = replace(choice, month=shown)
    base = context["base"] + "/reschedule"
    found_month = await cases.calendar(entry, *month_range(shown), rt.id, None)
    context["month"] = month_of(found_month, choice, rt, today, base, words.month(shown), words.weekdays())
    context["choice"] = choice
    if rt.booking_unit == BookingUnit.SLOT and choice.day is not None:
        slots = await cases.availability(entry, choice.day, rt.id, None)
        context["day_title"] = words.day(choice.day)
        context["slots"] = [
            (s, words.time(s.start))
            for s in slots.slots
            if s.available_quantity >= found.reservation.quantity and s.start > datetime.now(s.start.tzinfo)
        ]
    when = choice.when(rt)
    if when is not None and rt.booking_unit != BookingUnit.SLOT:
        assert choice.first is not None
        assert choice.last is not None
        context["new_when"] = f"{words.day(choice.first)} \u2013 {words.day(choice.last)}"
    if refused is not None:
        context["errors"] = {"_": refused.detail}
    status = status_of(refused) if refused is not None else 200
    return page("reschedule.html", words, status, zone=words.zone(datetime.now(org.tz)), **context)
