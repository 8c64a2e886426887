"""What the customer has chosen so far on a booking page, read from its query string, and the month
calendar drawn from the availability calendar (API.md section 9): which days can be picked next."""

from __future__ import annotations

import calendar as months
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from application.calendar import Calendar, CalendarDay
from domain.catalog import ResourceType
from domain.stays import BookingUnit, When


@dataclass(frozen=True)
class Choice:
    """The steps taken: a type, a month shown, a day, a slot, or the two ends of a stay."""

    type_id: int | None = None
    month: date | None = None  # the first of the month shown
    day: date | None = None  # slot types: the day whose times are shown
    start: datetime | None = None  # slot types: the slot chosen
    first: date | None = None  # stays: check-in (nights) or the first day (days)
    last: date | None = None  # stays: check-out (nights) or the last day (days)
    quantity: int = 1
    embed: bool = False

    def query(self, **changes: object) -> str:
        """This choice with some steps changed, as a query string."""
        c = replace(self, **changes)  # type: ignore[arg-type]
        pairs: list[tuple[str, str]] = []
        if c.type_id is not None:
            pairs.append(("type", str(c.type_id)))
        if c.month is not None:
            pairs.append(("month", c.month.strftime("%Y-%m")))
        for name, value in (("date", c.day), ("start", c.start), ("first", c.first), ("last", c.last)):
            if value is not None:
                pairs.append((name, value.isoformat()))
        if c.quantity != 1:
            pairs.append(("quantity", str(c.quantity)))
        if c.embed:
            pairs.append(("embed", "1"))
        return "?" + urlencode(pairs) if pairs else ""

    def when(self, rt: ResourceType) -> When | None:
        """The time to quote and book, once every step of this type is taken."""
        if rt.booking_unit == BookingUnit.SLOT:
            if self.start is None:
                return None
            return When(start_time=self.start, end_time=self.start + timedelta(minutes=rt.slot_minutes))
        if self.first is None or self.last is None:
            return None
        if rt.booking_unit == BookingUnit.NIGHT:
            return When(check_in=self.first, check_out=self.last)
        return When(start_date=self.first, days=(self.last - self.first).days + 1)


def month_range(first: date) -> tuple[date, date]:
    last = first.replace(day=months.monthrange(first.year, first.month)[1])
    return first, last


def shift_month(first: date, by: int) -> date:
    index = first.year * 12 + first.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class Cell:
    day: date | None  # None: a blank before the first or after the last of the month
    free: bool = False
    link: str | None = None  # where choosing this day leads; None: it cannot be chosen now
    chosen: bool = False
    within: bool = False  # inside the stay chosen so far
    label: str = ""


@dataclass
class Month:
    title: str
    weekdays: list[str]
    weeks: list[list[Cell]] = field(default_factory=list)
    previous: str | None = None
    following: str | None = None


def month_of(
    found: Calendar, choice: Choice, rt: ResourceType, today: date, base: str, title: str, weekdays: list[str]
) -> Month:
    """The month grid: free days marked, and for each the link that takes the next step."""
    first = choice.month or today.replace(day=1)
    by_day = {d.day: d for d in found.days}
    cells: list[Cell] = [Cell(None) for _ in range(first.weekday())]
    for number in range(1, months.monthrange(first.year, first.month)[1] + 1):
        day = first.replace(day=number)
        info = by_day.get(day)
        free = bool(info and info.available and day >= today)
        cell = Cell(day, free=free, label=str(number))
        link = _next_step(choice, rt, day, free, by_day, info.check_in_allowed if info else None, today)
        if link is not None:
            cell.link = base + choice.query(**link)
        cell.chosen = day in (choice.day, choice.first, choice.last)
        if choice.first and choice.last:
            cell.within = choice.first < day < choice.last
        cells.append(cell)
    while len(cells) % 7:
        cells.append(Cell(None))
    grid = Month(title, weekdays, [cells[i : i + 7] for i in range(0, len(cells), 7)])
    if first > today.replace(day=1):
        grid.previous = base + choice.query(month=shift_month(first, -1))
    grid.following = base + choice.query(month=shift_month(first, 1))
    return grid


def _next_step(
    choice: Choice,
    rt: ResourceType,
    day: date,
    free: bool,
    by_day: Mapping[date, CalendarDay],
    check_in_allowed: bool | None,
    today: date,
) -> dict[str, object] | None:
    if rt.booking_unit == BookingUnit.SLOT:
        return {"day": day, "start": None} if free else None
    picking_end = choice.first is not None and choice.last is None and day > choice.first
    if picking_end and choice.first is not None:
        if _free_between(choice.first, day, rt, by_day):
            return {"last": day}
        return None
    if free and check_in_allowed is not False:
        return {"first": day, "last": None}
    return None


def _free_between(first: date, end: date, rt: ResourceType, by_day: Mapping[date, CalendarDay]) -> bool:
    """Whether a stay from `first` to `end` is free: every night before check-out, or every day
    through the last, within the type's longest stay."""
    last_used = end - timedelta(days=1) if rt.booking_unit == BookingUnit.NIGHT else end
    length = (last_used - first).days + 1
    if rt.max_stay is not None and length > rt.max_stay:
        return False
    day = first
    while day <= last_used:
        info = by_day.get(day)
        if info is None or not info.available:
            return False
        day += timedelta(days=1)
    return True
