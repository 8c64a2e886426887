"""Slot generation for a local date, exactly as API.md section 4 describes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.errors import OutsideBookingWindow
from domain.hours import OpeningHours
from domain.timezones import boundary_instant, local_date_of, local_instant, parse_hhmm, wall_time


@dataclass(frozen=True)
class Slot:
    """A bookable start: [start, end) in UTC, end = start + slotMinutes of real time."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class SlotRules:
    """The parts of a resource type that shape its slot grid and booking window."""

    slot_minutes: int
    slot_interval_minutes: int
    min_notice_minutes: int = 0
    max_advance_days: int = 365


def grid_slots(hours: OpeningHours, day: date, tz: ZoneInfo, rules: SlotRules) -> list[Slot]:
    """Every slot of the grid on a local date, in start order."""
    length = timedelta(minutes=rules.slot_minutes)
    step = timedelta(minutes=rules.slot_interval_minutes)
    result: list[Slot] = []
    to_instant = _converter(day, tz)
    for interval in hours.intervals_on(day):
        wall, end_wall = wall_time(day, interval.start), wall_time(day, interval.end)
        closing = boundary_instant(end_wall, tz)
        while wall < end_wall:
            start = to_instant(wall)
            wall += step
            if start is None:
                continue  # a wall-clock start inside a DST gap does not exist
            if start + length > closing:
                break  # instants grow with wall time, so no later start fits either
            result.append(Slot(start, start + length))
    return result


def _converter(day: date, tz: ZoneInfo) -> Callable[[datetime], datetime | None]:
    """Wall time to instant for one day: plain arithmetic when the offset is the same all day long."""
    midnight = datetime.combine(day, time(0, 0))
    first = midnight.replace(tzinfo=tz).utcoffset()
    last = (midnight + timedelta(days=2)).replace(tzinfo=tz).utcoffset()
    if (
        first is None
        or first != last
        or first != (midnight + timedelta(days=1)).replace(tzinfo=tz).utcoffset()
    ):
        return lambda wall: local_instant(wall, tz)
    offset = first
    return lambda wall: (wall - offset).replace(tzinfo=UTC)


def slots_per_day(hours: OpeningHours, day: date, rules: SlotRules) -> int:
    """About how many slots the grid has on a date (DST apart): the cost of pricing that day."""
    total = 0
    for interval in hours.intervals_on(day):
        start, end = parse_hhmm(interval.start), parse_hhmm(interval.end)
        minutes = (end[0] - start[0]) * 60 + end[1] - start[1] - rules.slot_minutes
        total += max(0, minutes // rules.slot_interval_minutes + 1)
    return total


def offered_slots(
    hours: OpeningHours, day: date, tz: ZoneInfo, rules: SlotRules, now: datetime
) -> list[Slot]:
    """The slots a customer is offered: the grid minus those inside the notice or beyond the window."""
    earliest = now + timedelta(minutes=rules.min_notice_minutes)
    latest = now + timedelta(days=rules.max_advance_days)
    # A local date lies within a day of its UTC date: days clear of the window have no slot to offer.
    if day < (earliest - timedelta(days=1)).date() or day > (latest + timedelta(days=1)).date():
        return []
    return [slot for slot in grid_slots(hours, day, tz, rules) if earliest <= slot.start <= latest]


def check_public_booking(
    hours: OpeningHours,
    tz: ZoneInfo,
    rules: SlotRules,
    max_slots: int,
    start: datetime,
    end: datetime,
    now: datetime,
) -> int:
    """The number of slots a customer's booking spans; OutsideBookingWindow when it breaks a rule."""
    if start < now + timedelta(minutes=rules.min_notice_minutes):
        raise OutsideBookingWindow("the start is inside the minimum notice or in the past")
    if start > now + timedelta(days=rules.max_advance_days):
        raise OutsideBookingWindow("the start is beyond the advance booking window")
    length = timedelta(minutes=rules.slot_minutes)
    slots, remainder = divmod(end - start, length)
    if remainder or not 1 <= slots <= max_slots:
        raise OutsideBookingWindow(
            f"a booking lasts 1 to {max_slots} consecutive slots of {rules.slot_minutes} minutes"
        )
    day = local_date_of(start, tz)
    if not any(slot.start == start for slot in grid_slots(hours, day, tz, rules)):
        raise OutsideBookingWindow("the start is not on the slot grid of that day")
    if not any(opening <= start and end <= closing for opening, closing in hours.instants_on(day, tz)):
        raise OutsideBookingWindow("the booking does not fit inside the opening hours")
    return int(slots)
