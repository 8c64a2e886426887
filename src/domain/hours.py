"""Opening hours: weekly intervals plus date overrides, in the organisation's timezone."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.errors import InvalidInput
from domain.timezones import boundary_instant, parse_hhmm, wall_time

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Bounds on what one type may carry, so that no request has to expand more than this per day and type.
MAX_INTERVALS_PER_DAY = 12
MAX_DATE_OVERRIDES = 366


@dataclass(frozen=True)
class Interval:
    """One opening interval of a day in wall-clock 'HH:MM' (end may be '24:00')."""

    start: str
    end: str


@dataclass(frozen=True)
class DateOverride:
    """A date whose hours replace the weekly ones; no hours means closed."""

    day: date
    closed: bool
    hours: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class OpeningHours:
    """Weekly hours by weekday key with date overrides."""

    weekly: dict[str, tuple[Interval, ...]] = field(default_factory=dict)
    overrides: tuple[DateOverride, ...] = ()

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The wall-clock intervals that apply on a local date."""
        for override in self.overrides:
            if override.day == day:
                return () if override.closed else override.hours
        return self.weekly.get(WEEKDAYS[day.weekday()], ())

    def instants_on(self, day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
        """The opening intervals of a local date as UTC (opening, closing) instants."""
        spans = []
        for interval in self.intervals_on(day):
            opening = boundary_instant(wall_time(day, interval.start), tz)
            closing = boundary_instant(wall_time(day, interval.end), tz)
            if closing > opening:
                spans.append((opening, closing))
        return spans


def _minutes(hhmm: str, field_name: str) -> int:
    try:
        hours, minutes = parse_hhmm(hhmm)
    except ValueError as exc:
        raise InvalidInput(str(exc), field_name) from exc
    return hours * 60 + minutes


def validate_intervals(intervals: tuple[Interval, ...], field_name: str) -> tuple[Interval, ...]:
    """Check HH:MM, start before end and no overlap; returns the intervals sorted by start."""
    if len(intervals) > MAX_INTERVALS_PER_DAY:
        raise InvalidInput(f"at most {MAX_INTERVALS_PER_DAY} intervals a day", field_name)
    spans = []
    for index, interval in enumerate(intervals):
        start = _minutes(interval.start, f"{field_name}[{index}].start")
        end = _minutes(interval.end, f"{field_name}[{index}].end")
        if start >= 24 * 60:
            raise InvalidInput("an interval cannot start at 24:00", f"{field_name}[{index}].start")
        if start >= end:
            raise InvalidInput("start must be before end", f"{field_name}[{index}]")
        spans.append((start, end, interval))
    spans.sort(key=lambda span: span[0])
    for previous, current in itertools.pairwise(spans):
        if current[0] < previous[1]:
            raise InvalidInput("intervals of one day must not overlap", field_name)
    return tuple(span[2] for span in spans)


def validate_weekly(weekly: dict[str, tuple[Interval, ...]]) -> dict[str, tuple[Interval, ...]]:
    """Known weekday keys, each day's intervals valid."""
    result = {}
    for key, intervals in weekly.items():
        if key not in WEEKDAYS:
            raise InvalidInput(f"unknown weekday {key!r}; use {', '.join(WEEKDAYS)}", "weeklyHours")
        result[key] = validate_intervals(intervals, f"weeklyHours.{key}")
    return result


def validate_overrides(overrides: tuple[DateOverride, ...]) -> tuple[DateOverride, ...]:
    """One override per date; a closed date has no hours; an open one has valid hours."""
    if len(overrides) > MAX_DATE_OVERRIDES:
        raise InvalidInput(f"at most {MAX_DATE_OVERRIDES} date overrides; remove past ones", "dateOverrides")
    seen: set[date] = set()
    result = []
    for index, override in enumerate(overrides):
        name = f"dateOverrides[{index}]"
        if override.day in seen:
            raise InvalidInput(f"{override.day} is overridden twice", name)
        seen.add(override.day)
        if override.closed and override.hours:
            raise InvalidInput("a closed date has no hours", name)
        hours = validate_intervals(override.hours, f"{name}.hours")
        result.append(DateOverride(override.day, override.closed or not hours, hours))
    return tuple(sorted(result, key=lambda o: o.day))
