"""The month view of a booking page (API.md section 9): per date what a customer could still book, from one
read of up to 62 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from application.ports import Clock, HeavyWork
from application.public_booking import HEAVY_AVAILABILITY, offered, target_in, view_of
from application.public_ports import PublicReads, ViewWindow
from application.storefront import Entry
from domain.allocation import Bookable, Occupancy, buffered, slot_availability
from domain.catalog import ResourceType
from domain.errors import InvalidInput
from domain.slots import slots_per_day
from domain.stays import EARLIEST_DATE, LATEST_DATE, BookingUnit, one_unit, open_alone, starts_allowed

MAX_CALENDAR_DAYS = 62  # two months at most: one bounded read, whatever the history


@dataclass(frozen=True)
class CalendarDay:
    day: date
    available: bool
    available_quantity: int
    free_slots: int | None = None  # slot types
    check_in_allowed: bool | None = None  # night and day types


@dataclass(frozen=True)
class Calendar:
    resource_type_id: int
    timezone: str
    booking_unit: BookingUnit
    days: list[CalendarDay]


def check_range(first: date, last: date) -> list[date]:
    """The dates from `first` to `last` inclusive; InvalidInput beyond 62 of them or out of order."""
    if last < first:
        raise InvalidInput("to must not be before from", "to")
    if (last - first).days >= MAX_CALENDAR_DAYS:
        raise InvalidInput(f"a calendar covers at most {MAX_CALENDAR_DAYS} days", "to")
    if first < EARLIEST_DATE or last > LATEST_DATE:
        raise InvalidInput("dates must lie between 1900 and 2200", "from")
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


class PublicCalendar:
    """Free slots per date for slot types; for night and day types the units a one-night (one-day) booking
    of each date could get, whether those dates are open to customers and whether a stay may start."""

    def __init__(self, reads: PublicReads, clock: Clock, heavy: HeavyWork) -> None:
        self.reads, self.clock, self.heavy = reads, clock, heavy

    async def __call__(
        self, entry: Entry, first: date, last: date, resource_type_id: int | None, resource_id: int | None
    ) -> Calendar:
        dates = check_range(first, last)
        now = self.clock.now()
        view = await view_of(self.reads, self.clock, entry, resource_type_id, ViewWindow.days(first, last))
        target = target_in(view, resource_id)
        rt, tz = target.resource_type, view.organisation.tz
        bookables = [Bookable(r.id, r.capacity) for r in target.resources]
        occupancies = view.usage.occupancies

        def priced() -> list[CalendarDay]:
            days_of = _slot_days if rt.booking_unit == BookingUnit.SLOT else _stay_days
            return days_of(rt, dates, tz, bookables, occupancies, now)

        # What pricing costs: each window against each busy resource (a sweep each), plus the bookings.
        windows = len(dates)
        if rt.booking_unit == BookingUnit.SLOT:
            windows = sum(slots_per_day(rt.hours, day, rt.slot_rules) for day in dates)
        busy = len({o.resource_id for o in occupancies})
        heavy = windows * (1 + busy) + len(occupancies) > HEAVY_AVAILABILITY
        days = await self.heavy.run(priced) if heavy else priced()
        return Calendar(rt.id, view.organisation.timezone, rt.booking_unit, days)


def _slot_days(
    rt: ResourceType,
    dates: list[date],
    tz: ZoneInfo,
    bookables: list[Bookable],
    occupancies: list[Occupancy],
    now: datetime,
) -> list[CalendarDay]:
    """Each date's offered slots priced together, as the single-day availability prices them."""
    offers = [offered(rt, day, tz, now) for day in dates]
    windows = [_buffered(rt, slot.start, slot.end) for slots in offers for slot in slots]
    units = iter(slot_availability(bookables, occupancies, windows, rt.max_quantity))
    return [_slot_day(day, [next(units) for _ in slots]) for day, slots in zip(dates, offers, strict=True)]


def _stay_days(
    rt: ResourceType,
    dates: list[date],
    tz: ZoneInfo,
    bookables: list[Bookable],
    occupancies: list[Occupancy],
    now: datetime,
) -> list[CalendarDay]:
    """Each date's one-night (one-day) booking priced together; open to customers or not, and whether a
    stay may start on it."""
    rules = rt.stay_rules
    periods = [one_unit(day, rules, tz) for day in dates]
    windows = [_buffered(rt, p.start, p.end) for p in periods]
    units_of = slot_availability(bookables, occupancies, windows, rt.max_quantity)
    return [
        CalendarDay(
            day,
            units > 0 and open_alone(period, rules, rt.hours, now),
            units,
            check_in_allowed=starts_allowed(day, rules, rt.hours, tz, now),
        )
        for day, period, units in zip(dates, periods, units_of, strict=True)
    ]


def _buffered(rt: ResourceType, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    return buffered(start, end, rt.buffer_before_minutes, rt.buffer_after_minutes)


def _slot_day(day: date, units: list[int]) -> CalendarDay:
    free = sum(1 for n in units if n > 0)
    return CalendarDay(day, free > 0, max(units, default=0), free_slots=free)
