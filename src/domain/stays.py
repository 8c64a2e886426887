"""Stays by the night and bookings by the day (API.md section 8): local dates in the organisation's
timezone turned into the instants they occupy, exact on DST days, and the rules a customer's stay keeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.booking import units_for
from domain.errors import InvalidInput, OutsideBookingWindow
from domain.hours import OpeningHours
from domain.timezones import boundary_instant, wall_time

MAX_STAY = 90  # nights or days of one booking: its interval stays a bounded read
MAX_GUESTS = 50  # adults, and children, of one booking
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 2), date(2199, 12, 30)  # a day inside booking's 1900 to 2200


class BookingUnit(StrEnum):
    SLOT = "slot"  # the slot grid of section 4
    NIGHT = "night"  # check-in and check-out dates
    DAY = "day"  # whole days


# The request fields that name a booking's time, by unit (as the API spells them).
SHAPES: dict[BookingUnit, tuple[str, str]] = {
    BookingUnit.SLOT: ("startTime", "endTime"),
    BookingUnit.NIGHT: ("checkIn", "checkOut"),
    BookingUnit.DAY: ("startDate", "days"),
}


@dataclass(frozen=True)
class Stay:
    """A booking by the night or the day, as local dates."""

    unit: BookingUnit
    first: date  # the check-in date, or the first day
    count: int  # nights, or days

    @property
    def last(self) -> date:
        """The check-out date, or the day after the last day: not itself occupied."""
        return self.first + timedelta(days=self.count)

    def dates(self) -> list[date]:
        """The dates it occupies: each night's date (night D -> D+1 is date D), or each day."""
        return [self.first + timedelta(days=i) for i in range(self.count)]


@dataclass(frozen=True)
class StayRules:
    """The parts of a resource type that shape its stays."""

    unit: BookingUnit
    check_in_time: str = "15:00"
    check_out_time: str = "11:00"
    min_stay: int = 1
    max_stay: int = 30
    min_notice_minutes: int = 0
    max_advance_days: int = 365


def occupied(stay: Stay, rules: StayRules, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants a stay occupies, without buffers: [check-in date at check-in time, check-out date at
    check-out time), or [first day 00:00, day after the last 00:00). Wall times are kept across DST (a night
    over a change lasts 23 or 25 hours); a wall time inside a DST gap means the moment of the jump."""
    if stay.unit == BookingUnit.NIGHT:
        start_wall, end_wall = rules.check_in_time, rules.check_out_time
    else:
        start_wall = end_wall = "00:00"
    return (
        boundary_instant(wall_time(stay.first, start_wall), tz),
        boundary_instant(wall_time(stay.last, end_wall), tz),
    )


@dataclass(frozen=True)
class When:
    """The time a request names: instants (slot types), check-in and check-out dates (night types), or a
    start date and a number of days (day types). Which applies is the resource type's to say."""

    start_time: datetime | None = None
    end_time: datetime | None = None
    check_in: date | None = None
    check_out: date | None = None
    start_date: date | None = None
    days: int | None = None

    def given(self) -> list[str]:
        """The API names of the fields this request sets."""
        return [_API_NAMES[name] for name in _FIELDS if getattr(self, name) is not None]

    def completed_by(self, current: When, unit: BookingUnit) -> When:
        """A partial change (PATCH) with the fields of `unit` it leaves out taken from `current`."""
        own = {
            BookingUnit.SLOT: ("start_time", "end_time"),
            BookingUnit.NIGHT: ("check_in", "check_out"),
            BookingUnit.DAY: ("start_date", "days"),
        }[unit]
        values = {name: getattr(self, name) for name in _FIELDS}
        for name in own:
            if values[name] is None:
                values[name] = getattr(current, name)
        return When(**values)

    @property
    def empty(self) -> bool:
        return not self.given()

    def dates_named(self) -> tuple[date, date] | None:
        """The first and last local dates a stay request names (None when it names instants);
        InvalidInput for dates no booking can have."""
        first = self.check_in or self.start_date
        if first is None:
            return None
        if self.check_in is not None:
            last = self.check_out or first
        else:
            last = first + timedelta(days=min(max(self.days or 1, 1), MAX_STAY))
        for value, name in ((first, "checkIn" if self.check_in else "startDate"), (last, "checkOut")):
            if not EARLIEST_DATE <= value <= LATEST_DATE:
                raise InvalidInput("dates must lie between 1900 and 2200", name)
        return first, max(first, last)


_FIELDS = ("start_time", "end_time", "check_in", "check_out", "start_date", "days")
_API_NAMES = dict(
    zip(_FIELDS, ("startTime", "endTime", "checkIn", "checkOut", "startDate", "days"), strict=True)
)


@dataclass(frozen=True)
class Period:
    """What a booking occupies: its instants (buffers apart) and, for a stay, its dates."""

    start: datetime
    end: datetime
    stay: Stay | None = None

    @property
    def when(self) -> When:
        """The request that names this period again."""
        stay = self.stay
        if stay is None:
            return When(start_time=self.start, end_time=self.end)
        if stay.unit == BookingUnit.NIGHT:
            return When(check_in=stay.first, check_out=stay.last)
        return When(start_date=stay.first, days=stay.count)


def period_of(when: When, rules: StayRules, tz: ZoneInfo) -> Period:
    """The period a request names on a type booked by `rules.unit`; InvalidInput for the other shape, a
    missing field, or dates out of order."""
    own = SHAPES[rules.unit]
    given = when.given()
    foreign = [name for name in given if name not in own]
    if foreign:
        raise InvalidInput(
            f"a resource type booked by the {rules.unit} takes {own[0]} and {own[1]}, not {foreign[0]}",
            foreign[0],
        )
    for name in own:
        if name not in given:
            raise InvalidInput(f"{name} is required for a resource type booked by the {rules.unit}", name)
    if rules.unit == BookingUnit.SLOT:
        assert when.start_time is not None
        assert when.end_time is not None
        return Period(when.start_time, when.end_time)
    if rules.unit == BookingUnit.NIGHT:
        assert when.check_in is not None
        assert when.check_out is not None
        first, count, field = when.check_in, (when.check_out - when.check_in).days, "checkOut"
        if count < 1:
            raise InvalidInput("checkOut must be after checkIn", "checkOut")
    else:
        assert when.start_date is not None
        assert when.days is not None
        first, count, field = when.start_date, when.days, "days"
        if count < 1:
            raise InvalidInput("days must be at least 1", "days")
    if count > MAX_STAY:
        raise InvalidInput(f"a booking lasts at most {MAX_STAY} {rules.unit}s", field)
    if first < EARLIEST_DATE or first + timedelta(days=count) > LATEST_DATE:
        raise InvalidInput("dates must lie between 1900 and 2200", own[0])
    stay = Stay(rules.unit, first, count)
    return Period(*occupied(stay, rules, tz), stay)


def units_booked(period: Period, slot_minutes: int, quantity: int) -> int:
    """What the quote counts: nights or days times quantity for a stay, else slots times quantity."""
    if period.stay is not None:
        return period.stay.count * quantity
    return units_for(period.start, period.end, slot_minutes, quantity)


def check_guests(adults: int | None, children: int | None, max_guests: int | None, quantity: int) -> None:
    """Adults 1 to 50, children 0 to 50; together at most the type's maxGuests for each unit booked."""
    if adults is not None and not 1 <= adults <= MAX_GUESTS:
        raise InvalidInput(f"adults must be between 1 and {MAX_GUESTS}", "adults")
    if children is not None and not 0 <= children <= MAX_GUESTS:
        raise InvalidInput(f"children must be between 0 and {MAX_GUESTS}", "children")
    guests = (adults or 0) + (children or 0)
    if max_guests is not None and guests > max_guests * quantity:
        field = "children" if children else "adults"
        raise InvalidInput(f"at most {max_guests} guests for each unit booked", field)


# -- the public rules of a stay ---------------------------------------------------------------------


def may_start_on(hours: OpeningHours, day: date) -> bool:
    """Whether a stay may start on a date: weekly hours name the weekdays that allow a start (none named:
    every day); a date override with hours allows it, a closed one does not."""
    if not any(hours.weekly.values()):
        return not any(o.closed and o.day == day for o in hours.overrides)
    return bool(hours.intervals_on(day))


def closed_dates(stay: Stay, hours: OpeningHours) -> list[date]:
    """The dates of a stay that a closed date override forbids."""
    closed = {o.day for o in hours.overrides if o.closed}
    return [d for d in stay.dates() if d in closed]


def window_problem(start: datetime, end: datetime, rules: StayRules, now: datetime) -> str | None:
    """Why a stay's occupied interval breaks the notice or the advance window, or None."""
    if start < now + timedelta(minutes=rules.min_notice_minutes):
        return "the stay starts inside the minimum notice or in the past"
    if end > now + timedelta(days=rules.max_advance_days):
        return "the stay ends beyond the advance booking window"
    return None


def check_public_stay(period: Period, rules: StayRules, hours: OpeningHours, now: datetime) -> None:
    """OutsideBookingWindow unless a customer may book this stay: its length, the start weekday, no
    closed date, the notice and the window. Staff are bound by none of these, only by capacity."""
    stay = period.stay
    assert stay is not None
    unit = f"{stay.unit}s"
    if not rules.min_stay <= stay.count <= rules.max_stay:
        raise OutsideBookingWindow(f"a stay lasts {rules.min_stay} to {rules.max_stay} {unit}")
    if not may_start_on(hours, stay.first):
        raise OutsideBookingWindow(f"no stay may start on {stay.first:%A}s")
    closed = closed_dates(stay, hours)
    if closed:
        raise OutsideBookingWindow(f"{closed[0].isoformat()} is closed")
    problem = window_problem(period.start, period.end, rules, now)
    if problem:
        raise OutsideBookingWindow(problem)


def one_unit(day: date, rules: StayRules, tz: ZoneInfo) -> Period:
    """The one-night stay D -> D+1, or the one-day booking of D: what a calendar prices for date D."""
    stay = Stay(rules.unit, day, 1)
    return Period(*occupied(stay, rules, tz), stay)


def open_alone(period: Period, rules: StayRules, hours: OpeningHours, now: datetime) -> bool:
    """Whether a customer may book the dates of this stay at all (length and start day apart): no closed
    date, inside the notice and the window."""
    assert period.stay is not None
    return (
        not closed_dates(period.stay, hours) and window_problem(period.start, period.end, rules, now) is None
    )


def starts_allowed(day: date, rules: StayRules, hours: OpeningHours, tz: ZoneInfo, now: datetime) -> bool:
    """Whether a customer's stay may start on a date: the shortest stay from it keeps every rule."""
    shortest = Stay(rules.unit, day, rules.min_stay)
    try:
        check_public_stay(Period(*occupied(shortest, rules, tz), shortest), rules, hours, now)
    except OutsideBookingWindow:
        return False
    return True
