from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import OutsideBookingWindow
from domain.hours import WEEKDAYS, DateOverride, Interval, OpeningHours
from domain.slots import SlotRules, check_public_booking, grid_slots, offered_slots
from domain.timezones import boundary_instant, local_instant

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Tokyo"]


def transition_days(tz: ZoneInfo, years: range = range(2025, 2029)) -> list[date]:
    """Local dates on which the zone's UTC offset changes."""
    days = []
    for year in years:
        day = date(year, 1, 1)
        while day.year == year:
            start = datetime(day.year, day.month, day.day, tzinfo=tz)
            if start.utcoffset() != (start + timedelta(days=1)).replace(tzinfo=tz).utcoffset():
                days.append(day)
            day += timedelta(days=1)
    return days


def all_day(intervals: list[tuple[str, str]]) -> OpeningHours:
    hours = tuple(Interval(s, e) for s, e in intervals)
    return OpeningHours({key: hours for key in WEEKDAYS})


def test_transition_days_exist_except_in_tokyo() -> None:
    assert len(transition_days(ZoneInfo("Europe/Berlin"))) == 8
    assert len(transition_days(ZoneInfo("Australia/Lord_Howe"))) == 8
    assert transition_days(ZoneInfo("Asia/Tokyo")) == []


def test_spring_forward_in_berlin_skips_the_missing_hour() -> None:
    tz = ZoneInfo("Europe/Berlin")
    hours = all_day([("01:00", "05:00")])
    slots = grid_slots(hours, date(2026, 3, 29), tz, SlotRules(60, 60))
    local = [s.start.astimezone(tz).strftime("%H:%M") for s in slots]
    assert local == ["01:00", "03:00", "04:00"]  # 02:00 does not exist that night
    assert all(s.end - s.start == timedelta(hours=1) for s in slots)


def test_fall_back_in_new_york_takes_the_first_occurrence() -> None:
    tz = ZoneInfo("America/New_York")
    hours = all_day([("00:00", "04:00")])
    slots = grid_slots(hours, date(2026, 11, 1), tz, SlotRules(60, 60))
    # the day lasts 25 real hours; wall-clock starts 00,01,02,03 with 01:00 taken at its first (EDT) time
    assert [s.start for s in slots] == [
        datetime(2026, 11, 1, 4, tzinfo=UTC),
        datetime(2026, 11, 1, 5, tzinfo=UTC),
        datetime(2026, 11, 1, 7, tzinfo=UTC),
        datetime(2026, 11, 1, 8, tzinfo=UTC),
    ]


def test_lord_howe_half_hour_shift() -> None:
    tz = ZoneInfo("Australia/Lord_Howe")
    # 2026-10-04 02:00 -> 02:30 (+10:30 -> +11)
    assert local_instant(datetime(2026, 10, 4, 2, 15), tz) is None
    hours = all_day([("01:00", "04:00")])
    slots = grid_slots(hours, date(2026, 10, 4), tz, SlotRules(30, 15))
    starts = [s.start.astimezone(tz).strftime("%H:%M") for s in slots]
    assert "02:00" not in starts
    assert "02:15" not in starts
    assert "02:30" in starts
    closing = boundary_instant(datetime(2026, 10, 5, 4, 0), tz)
    assert closing is not None


def test_date_override_closes_or_replaces_a_day() -> None:
    tz = ZoneInfo("Europe/Berlin")
    day = date(2026, 6, 10)
    hours = OpeningHours(
        {"wed": (Interval("09:00", "12:00"),), "thu": (Interval("09:00", "12:00"),)},
        (
            DateOverride(day, closed=True),
            DateOverride(day + timedelta(days=1), False, (Interval("10:00", "11:00"),)),
        ),
    )
    rules = SlotRules(60, 60)
    assert grid_slots(hours, day, tz, rules) == []
    thursday = grid_slots(hours, day + timedelta(days=1), tz, rules)
    assert [s.start.astimezone(tz).hour for s in thursday] == [10]


def test_notice_and_window_leave_slots_out() -> None:
    tz = ZoneInfo("Asia/Tokyo")
    hours = all_day([("09:00", "12:00")])
    rules = SlotRules(60, 60, min_notice_minutes=90, max_advance_days=1)
    now = datetime(2026, 7, 1, 9, 0, tzinfo=tz).astimezone(UTC)
    today = offered_slots(hours, date(2026, 7, 1), tz, rules, now)
    assert [s.start.astimezone(tz).hour for s in today] == [11]
    assert offered_slots(hours, date(2026, 7, 3), tz, rules, now) == []
    assert offered_slots(hours, date(2026, 6, 30), tz, rules, now) == []


def test_public_booking_rules() -> None:
    tz = ZoneInfo("Europe/Berlin")
    hours = all_day([("09:00", "12:00")])
    rules = SlotRules(60, 30)
    now = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)
    start = datetime(2026, 7, 2, 9, 30, tzinfo=tz)
    assert check_public_booking(hours, tz, rules, 2, start, start + timedelta(hours=2), now) == 2
    bad = [
        (start + timedelta(minutes=10), timedelta(hours=1)),  # off the grid
        (start, timedelta(minutes=90)),  # not whole slots
        (start, timedelta(hours=3)),  # more than maxSlotsPerBooking
        (datetime(2026, 7, 2, 11, 30, tzinfo=tz), timedelta(hours=1)),  # past closing
        (datetime(2026, 6, 30, 9, 0, tzinfo=tz), timedelta(hours=1)),  # in the past
    ]
    for begin, length in bad:
        with pytest.raises(OutsideBookingWindow):
            check_public_booking(hours, tz, rules, 2, begin, begin + length, now)


@st.composite
def opening_day(draw: st.DrawFn) -> list[tuple[str, str]]:
    """One to three non-overlapping intervals on a 15-minute grid, some around 01:00-03:30."""
    marks = sorted(draw(st.sets(st.integers(0, 96), min_size=2, max_size=6)))
    pairs = [(marks[i], marks[i + 1]) for i in range(0, len(marks) - 1, 2)]

    def hhmm(q: int) -> str:
        return f"{q * 15 // 60:02d}:{q * 15 % 60:02d}"

    return [(hhmm(a), hhmm(b)) for a, b in pairs]


TRANSITIONS = [(name, day) for name in ZONES for day in transition_days(ZoneInfo(name))]
# Tokyo has no transition: test it on ordinary days as the control.
TRANSITIONS += [("Asia/Tokyo", date(2026, 3, 29)), ("Asia/Tokyo", date(2026, 11, 1))]


@settings(max_examples=300, deadline=None)
@given(
    where=st.sampled_from(TRANSITIONS),
    intervals=opening_day(),
    slot_minutes=st.sampled_from([15, 30, 45, 60, 90, 120]),
    interval_minutes=st.sampled_from([None, 15, 30, 60]),
)
def test_slots_on_dst_days_are_exact_inside_and_unique(
    where: tuple[str, date], intervals: list[tuple[str, str]], slot_minutes: int, interval_minutes: int | None
) -> None:
    name, day = where
    tz = ZoneInfo(name)
    hours = all_day(intervals)
    slots = grid_slots(hours, day, tz, SlotRules(slot_minutes, interval_minutes or slot_minutes))
    spans = hours.instants_on(day, tz)
    starts = [s.start for s in slots]
    assert len(set(starts)) == len(starts)
    assert starts == sorted(starts)
    for slot in slots:
        assert slot.end - slot.start == timedelta(minutes=slot_minutes)
        assert any(opening <= slot.start and slot.end <= closing for opening, closing in spans)
        # the start is a real wall-clock time of that local date
        assert slot.start.astimezone(tz).date() == day
        assert local_instant(slot.start.astimezone(tz).replace(tzinfo=None), tz) == slot.start


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from([*ZONES, "America/Santiago", "Asia/Kolkata", "Pacific/Chatham"]),
    day=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
    slot_minutes=st.sampled_from([15, 30, 60]),
)
def test_every_day_matches_the_zone_by_zone_conversion(name: str, day: date, slot_minutes: int) -> None:
    """The per-day arithmetic shortcut gives exactly the instants zoneinfo gives."""
    tz = ZoneInfo(name)
    slots = grid_slots(all_day([("00:00", "24:00")]), day, tz, SlotRules(slot_minutes, slot_minutes))
    expected = []
    wall = datetime.combine(day, datetime.min.time())
    while wall.date() == day:
        instant = local_instant(wall, tz)
        if instant is not None:
            expected.append(instant)
        wall += timedelta(minutes=slot_minutes)
    closing = boundary_instant(datetime.combine(day + timedelta(days=1), datetime.min.time()), tz)
    expected = [s for s in expected if s + timedelta(minutes=slot_minutes) <= closing]
    assert [s.start for s in slots] == expected


@pytest.mark.parametrize(
    ("slot", "step", "hours"),
    [(60, 60, ("09:00", "17:00")), (720, 1, ("00:00", "24:00")), (45, 20, ("08:10", "12:00"))],
)
def test_slots_per_day_counts_the_grid_of_a_day_without_a_dst_change(
    slot: int, step: int, hours: tuple[str, str]
) -> None:
    from domain.hours import Interval, OpeningHours
    from domain.slots import SlotRules, grid_slots, slots_per_day

    day = date(2026, 6, 10)
    opening = OpeningHours({"wed": (Interval(*hours),)})
    rules = SlotRules(slot, step)
    assert slots_per_day(opening, day, rules) == len(
        grid_slots(opening, day, ZoneInfo("Europe/Berlin"), rules)
    )
