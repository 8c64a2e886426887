"""Stays by the night and by the day: occupied instants exact across every DST transition of 2025 to 2028,
consecutive stays that never meet, the quote counting nights, the public rules only for customers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.allocation import Allocation, Bookable, Occupancy, allocate, buffered
from domain.errors import InvalidInput, OutsideBookingWindow, SlotUnavailable
from domain.hours import DateOverride, Interval, OpeningHours
from domain.stays import (
    BookingUnit,
    Period,
    Stay,
    StayRules,
    When,
    check_guests,
    check_public_stay,
    occupied,
    period_of,
    starts_allowed,
    units_booked,
)

# Zones that change at 02:00 or 03:00 (Europe, the US), in the southern summer (Sydney, Auckland,
# Santiago, which changes at midnight), by half an hour (Lord Howe) and at midnight (Havana, Beirut).
ZONES = (
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Santiago",
    "Australia/Lord_Howe",
    "America/Havana",
    "Asia/Beirut",
    "UTC",
)
NIGHT, DAY = BookingUnit.NIGHT, BookingUnit.DAY


@cache
def transitions(zone: str) -> tuple[date, ...]:
    """The local dates of 2025 to 2028 on which the zone's offset changes."""
    tz = ZoneInfo(zone)
    found, day = [], date(2025, 1, 1)
    while day < date(2029, 1, 1):
        here = datetime(day.year, day.month, day.day, tzinfo=tz).utcoffset()
        after = (datetime(day.year, day.month, day.day) + timedelta(days=1)).replace(tzinfo=tz).utcoffset()
        if here != after:
            found.append(day)
        day += timedelta(days=1)
    return tuple(found) or (date(2026, 3, 29),)


def test_every_zone_but_utc_has_its_transitions() -> None:
    for zone in ZONES[:-1]:
        assert len(transitions(zone)) >= 7, zone  # two a year, four years (Havana, Beirut: fewer kept)


@st.composite
def near_a_transition(draw: st.DrawFn) -> tuple[str, date]:
    zone = draw(st.sampled_from(ZONES))
    around = draw(st.sampled_from(transitions(zone)))
    return zone, around + timedelta(days=draw(st.integers(-4, 2)))


@st.composite
def night_rules(draw: st.DrawFn) -> StayRules:
    check_in = draw(st.integers(0, 23 * 60 + 59))
    check_out = draw(st.integers(0, check_in))
    return StayRules(NIGHT, _hhmm(check_in), _hhmm(check_out))


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _wall(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%H:%M")


@settings(max_examples=400, deadline=None)
@given(near_a_transition(), night_rules(), st.integers(1, 14), st.integers(1, 14))
def test_consecutive_stays_never_conflict(
    place: tuple[str, date], rules: StayRules, first_nights: int, second_nights: int
) -> None:
    zone, check_in = place
    tz = ZoneInfo(zone)
    first = occupied(Stay(NIGHT, check_in, first_nights), rules, tz)
    second = occupied(Stay(NIGHT, check_in + timedelta(days=first_nights), second_nights), rules, tz)
    assert first[0] < first[1] <= second[0] < second[1]


@settings(max_examples=300, deadline=None)
@given(near_a_transition(), st.integers(1, 10), st.integers(1, 10), st.integers(0, 120), st.integers(0, 120))
def test_consecutive_stays_with_a_cleaning_buffer_that_fits_the_gap_never_conflict(
    place: tuple[str, date], first_nights: int, second_nights: int, before: int, after: int
) -> None:
    """Check-out 11:00, check-in 15:00: buffers that fit the four hours keep stays apart (no zone changes
    its clocks between 11:00 and 15:00)."""
    zone, check_in = place
    tz, rules = ZoneInfo(zone), StayRules(NIGHT, "15:00", "11:00")
    first = occupied(Stay(NIGHT, check_in, first_nights), rules, tz)
    second = occupied(Stay(NIGHT, check_in + timedelta(days=first_nights), second_nights), rules, tz)
    assert buffered(*first, before, after)[1] <= buffered(*second, before, after)[0]


@settings(max_examples=400, deadline=None)
@given(near_a_transition(), st.integers(1, 10))
def test_a_night_lasts_as_long_as_the_clock_says_and_check_in_stays_at_its_wall_time(
    place: tuple[str, date], nights: int
) -> None:
    zone, check_in = place
    tz, rules = ZoneInfo(zone), StayRules(NIGHT, "15:00", "11:00")
    start, end = occupied(Stay(NIGHT, check_in, nights), rules, tz)
    assert (_wall(start, tz), _wall(end, tz)) == ("15:00", "11:00")
    assert start.astimezone(tz).date() == check_in
    assert end.astimezone(tz).date() == check_in + timedelta(days=nights)
    # Wall-clock length, corrected by how much the offset changed in between: 23 or 25 hours over a change.
    shift = start.astimezone(tz).utcoffset() - end.astimezone(tz).utcoffset()  # type: ignore[operator]
    assert end - start == timedelta(days=nights) - timedelta(hours=4) + shift


def test_the_night_of_the_spring_change_in_berlin_is_23_hours_and_the_autumn_one_25() -> None:
    tz, rules = ZoneInfo("Europe/Berlin"), StayRules(NIGHT, "15:00", "11:00")
    spring = occupied(Stay(NIGHT, date(2026, 3, 28), 1), rules, tz)
    autumn = occupied(Stay(NIGHT, date(2026, 10, 24), 1), rules, tz)
    assert spring == (datetime(2026, 3, 28, 14, tzinfo=UTC), datetime(2026, 3, 29, 9, tzinfo=UTC))
    assert spring[1] - spring[0] == timedelta(hours=19)  # 15:00 to 11:00 is 20 hours less the lost one
    assert autumn[1] - autumn[0] == timedelta(hours=21)


@settings(max_examples=300, deadline=None)
@given(near_a_transition(), st.integers(1, 10), st.integers(1, 10))
def test_day_bookings_run_midnight_to_midnight_and_consecutive_ones_meet_exactly(
    place: tuple[str, date], days: int, more: int
) -> None:
    zone, first_day = place
    tz, rules = ZoneInfo(zone), StayRules(DAY)
    start, end = occupied(Stay(DAY, first_day, days), rules, tz)
    following = occupied(Stay(DAY, first_day + timedelta(days=days), more), rules, tz)
    assert end == following[0]
    assert start.astimezone(tz).date() == first_day
    # A midnight inside a DST gap (Santiago, Havana, Beirut) means the moment of the jump, 01:00.
    assert _wall(start, tz) in ("00:00", "01:00")


@settings(max_examples=200, deadline=None)
@given(near_a_transition(), st.integers(1, 30), st.integers(1, 20))
def test_the_quote_counts_nights_times_quantity(place: tuple[str, date], nights: int, quantity: int) -> None:
    zone, check_in = place
    period = period_of(
        When(check_in=check_in, check_out=check_in + timedelta(days=nights)),
        StayRules(NIGHT),
        ZoneInfo(zone),
    )
    assert period.stay == Stay(NIGHT, check_in, nights)
    assert units_booked(period, 24 * 60, quantity) == nights * quantity


# -- a stay never splits over resources ------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 20), st.integers(1, 5)), max_size=12),
    st.integers(0, 20),
    st.integers(1, 7),
)
def test_a_stay_is_placed_whole_on_one_resource_or_refused(
    booked: list[tuple[int, int, int]], check_in: int, nights: int
) -> None:
    tz, rules = ZoneInfo("Europe/Berlin"), StayRules(NIGHT)
    day0 = date(2026, 3, 20)

    def stay(offset: int, length: int) -> tuple[datetime, datetime]:
        return occupied(Stay(NIGHT, day0 + timedelta(days=offset), length), rules, tz)

    occupancies = [Occupancy(rid + 1, 1, *stay(offset, length)) for rid, offset, length in booked]
    villas = [Bookable(1, 1), Bookable(2, 1), Bookable(3, 1)]
    start, end = stay(check_in, nights)
    free = [
        v.id
        for v in villas
        if not any(o.resource_id == v.id and o.start < end and start < o.end for o in occupancies)
    ]
    try:
        placed = allocate(villas, occupancies, start, end, 1)
    except SlotUnavailable:
        assert not free
        return
    assert len(placed) == 1
    assert placed[0].resource_id in free
    assert placed[0] == Allocation(placed[0].resource_id, 1)


# -- the public rules, for customers only ---------------------------------------------------------------

NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


@settings(max_examples=400, deadline=None)
@given(
    st.integers(0, 60),
    st.integers(1, 12),
    st.integers(1, 4),
    st.integers(4, 10),
    st.frozensets(st.sampled_from(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))),
    st.frozensets(st.integers(0, 70), max_size=4),
    st.integers(0, 3 * 24 * 60),
    st.integers(10, 60),
)
def test_public_rules_refuse_exactly_what_breaks_one(
    offset: int,
    nights: int,
    min_stay: int,
    max_stay: int,
    start_days: frozenset[str],
    closed_offsets: frozenset[int],
    notice: int,
    advance: int,
) -> None:
    rules = StayRules(NIGHT, "15:00", "11:00", min_stay, max_stay, notice, advance)
    today = NOW.date()
    closed = {today + timedelta(days=d) for d in closed_offsets}
    hours = OpeningHours(
        {day: (Interval("00:00", "24:00"),) for day in start_days},
        tuple(DateOverride(d, True) for d in sorted(closed)),
    )
    check_in = today + timedelta(days=offset)
    period = period_of(When(check_in=check_in, check_out=check_in + timedelta(days=nights)), rules, BERLIN)
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[check_in.weekday()]
    broken = (
        not min_stay <= nights <= max_stay
        or (bool(start_days) and weekday not in start_days)
        or (not start_days and check_in in closed)
        or any(check_in + timedelta(days=i) in closed for i in range(nights))
        or period.start < NOW + timedelta(minutes=notice)
        or period.end > NOW + timedelta(days=advance)
    )
    if broken:
        with pytest.raises(OutsideBookingWindow):
            check_public_stay(period, rules, hours, NOW)
    else:
        check_public_stay(period, rules, hours, NOW)
    assert starts_allowed(check_in, rules, hours, BERLIN, NOW) == _shortest_allowed(check_in, rules, hours)


def _shortest_allowed(check_in: date, rules: StayRules, hours: OpeningHours) -> bool:
    shortest = Stay(NIGHT, check_in, rules.min_stay)
    try:
        check_public_stay(Period(*occupied(shortest, rules, BERLIN), shortest), rules, hours, NOW)
    except OutsideBookingWindow:
        return False
    return True


def test_the_check_out_date_itself_is_not_occupied_so_a_closed_check_out_day_is_fine() -> None:
    rules = StayRules(NIGHT)
    hours = OpeningHours({}, (DateOverride(date(2026, 6, 13), True),))
    period = period_of(When(check_in=date(2026, 6, 10), check_out=date(2026, 6, 13)), rules, BERLIN)
    check_public_stay(period, rules, hours, NOW)
    longer = period_of(When(check_in=date(2026, 6, 10), check_out=date(2026, 6, 14)), rules, BERLIN)
    with pytest.raises(OutsideBookingWindow, match="2026-06-13 is closed"):
        check_public_stay(longer, rules, hours, NOW)


# -- shapes and guests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "when", "field"),
    [
        (NIGHT, When(start_time=NOW, end_time=NOW + timedelta(hours=1)), "startTime"),
        (NIGHT, When(check_in=date(2026, 6, 10)), "checkOut"),
        (NIGHT, When(check_in=date(2026, 6, 10), check_out=date(2026, 6, 10)), "checkOut"),
        (NIGHT, When(check_in=date(2026, 6, 10), check_out=date(2026, 6, 9)), "checkOut"),
        (NIGHT, When(check_in=date(2026, 6, 1), check_out=date(2026, 9, 30)), "checkOut"),
        (DAY, When(check_in=date(2026, 6, 10), check_out=date(2026, 6, 11)), "checkIn"),
        (DAY, When(start_date=date(2026, 6, 10), days=0), "days"),
        (DAY, When(start_date=date(2026, 6, 10), days=91), "days"),
        (BookingUnit.SLOT, When(start_date=date(2026, 6, 10), days=1), "startDate"),
        (BookingUnit.SLOT, When(start_time=NOW), "endTime"),
    ],
)
def test_the_wrong_shape_for_the_unit_is_invalid_and_names_the_field(
    unit: BookingUnit, when: When, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        period_of(when, StayRules(unit), BERLIN)
    assert refused.value.field == field


def test_a_partial_change_keeps_the_fields_it_leaves_out() -> None:
    current = When(check_in=date(2026, 6, 10), check_out=date(2026, 6, 13))
    assert When(check_out=date(2026, 6, 15)).completed_by(current, NIGHT) == When(
        check_in=date(2026, 6, 10), check_out=date(2026, 6, 15)
    )
    moved = When(start_time=NOW).completed_by(current, NIGHT)
    with pytest.raises(InvalidInput):
        period_of(moved, StayRules(NIGHT), BERLIN)  # a slot field on a night booking is still refused


@pytest.mark.parametrize(
    ("adults", "children", "max_guests", "quantity", "field"),
    [
        (0, None, None, 1, "adults"),
        (51, None, None, 1, "adults"),
        (2, -1, None, 1, "children"),
        (2, 51, None, 1, "children"),
        (4, 3, 6, 1, "children"),
        (7, None, 6, 1, "adults"),
    ],
)
def test_guests_beyond_the_limits_are_invalid(
    adults: int, children: int | None, max_guests: int | None, quantity: int, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_guests(adults, children, max_guests, quantity)
    assert refused.value.field == field


def test_guests_within_the_limits_pass_and_max_guests_counts_per_unit_booked() -> None:
    check_guests(None, None, 2, 1)
    check_guests(4, 2, 6, 1)
    check_guests(6, 2, 4, 2)  # two rooms of four
