from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.allocation import (
    Bookable,
    Occupancy,
    allocate,
    available_quantity,
    buffered,
    free_capacity,
    peak_usage,
    slot_availability,
)
from domain.errors import InvalidInput, SlotUnavailable

T0 = datetime(2026, 4, 1, 8, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_peak_usage_not_the_sum_of_overlaps() -> None:
    # two back-to-back bookings of 1 unit each overlap a long window but never each other
    occ = [Occupancy(1, 1, at(0), at(60)), Occupancy(1, 1, at(60), at(120))]
    assert peak_usage(occ, at(0), at(120)) == 1
    assert free_capacity(Bookable(1, 2), occ, at(0), at(120)) == 1


def test_buffers_widen_the_occupied_interval() -> None:
    start, end = buffered(at(60), at(120), before_minutes=15, after_minutes=10)
    assert (start, end) == (at(45), at(130))
    occ = [Occupancy(1, 1, start, end)]
    assert free_capacity(Bookable(1, 1), occ, *buffered(at(0), at(50), 0, 0)) == 0
    assert free_capacity(Bookable(1, 1), occ, *buffered(at(130), at(190), 0, 0)) == 1


def test_explicit_resource_takes_every_unit() -> None:
    resources = [Bookable(1, 3), Bookable(2, 3)]
    assert [(a.resource_id, a.quantity) for a in allocate(resources, [], at(0), at(60), 3, [2])] == [(2, 3)]
    with pytest.raises(SlotUnavailable):
        allocate(resources, [Occupancy(2, 1, at(0), at(60))], at(0), at(60), 3, [2])


def test_resource_list_gives_each_at_least_one() -> None:
    resources = [Bookable(1, 1), Bookable(2, 5), Bookable(3, 2)]
    result = allocate(resources, [], at(0), at(60), 5, [1, 2, 3])
    assert {a.resource_id: a.quantity for a in result} == {1: 1, 2: 3, 3: 1}
    with pytest.raises(InvalidInput):
        allocate(resources, [], at(0), at(60), 2, [1, 2, 3])
    with pytest.raises(SlotUnavailable):
        allocate(resources, [Occupancy(1, 1, at(0), at(60))], at(0), at(60), 3, [1, 2])


def test_best_fit_uses_the_fewest_and_tightest_resources() -> None:
    resources = [Bookable(1, 4), Bookable(2, 2), Bookable(3, 3)]
    assert [(a.resource_id, a.quantity) for a in allocate(resources, [], at(0), at(60), 2)] == [(2, 2)]
    assert [(a.resource_id, a.quantity) for a in allocate(resources, [], at(0), at(60), 3)] == [(3, 3)]
    spread = allocate(resources, [], at(0), at(60), 6)
    assert len(spread) == 2
    assert sum(a.quantity for a in spread) == 6
    with pytest.raises(SlotUnavailable):
        allocate(resources, [], at(0), at(60), 10)


def test_inactive_resources_offer_nothing() -> None:
    resources = [Bookable(1, 5, is_active=False), Bookable(2, 1)]
    assert available_quantity(resources, [], at(0), at(60)) == 1
    assert available_quantity(resources, [], at(0), at(60), max_quantity=0) == 0


@st.composite
def scenario(draw: st.DrawFn) -> tuple[list[Bookable], list[tuple[int, int, int, list[int] | None]]]:
    capacities = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    resources = [Bookable(i + 1, cap) for i, cap in enumerate(capacities)]
    requests = []
    for _ in range(draw(st.integers(1, 25))):
        start = draw(st.integers(0, 20)) * 15
        length = draw(st.integers(1, 8)) * 15
        quantity = draw(st.integers(1, 6))
        chosen = draw(
            st.one_of(
                st.none(),
                st.lists(st.integers(1, len(resources)), min_size=1, max_size=len(resources), unique=True),
            )
        )
        requests.append((start, length, quantity, chosen))
    return resources, requests


@settings(max_examples=400, deadline=None)
@given(data=scenario(), before=st.integers(0, 30), after=st.integers(0, 30))
def test_allocation_never_exceeds_any_capacity(
    data: tuple[list[Bookable], list[tuple[int, int, int, list[int] | None]]], before: int, after: int
) -> None:
    resources, requests = data
    held: list[Occupancy] = []
    for start, length, quantity, chosen in requests:
        window = buffered(at(start), at(start + length), before, after)
        offered = available_quantity(resources, held, *window)
        try:
            placed = allocate(resources, held, *window, quantity, chosen)
        except SlotUnavailable:
            if chosen is None:
                assert quantity > offered  # best fit refuses only what does not fit
            continue
        except InvalidInput:
            continue
        assert sum(a.quantity for a in placed) == quantity
        assert all(a.quantity >= 1 for a in placed)
        if chosen:
            assert sorted(a.resource_id for a in placed) == sorted(chosen)
        held.extend(Occupancy(a.resource_id, a.quantity, *window) for a in placed)
    # at every instant where usage can change, no resource holds more than its capacity
    instants = {occ.start for occ in held}
    for resource in resources:
        mine = [o for o in held if o.resource_id == resource.id]
        for instant in instants:
            usage = sum(o.quantity for o in mine if o.start <= instant < o.end)
            assert usage <= resource.capacity


@settings(max_examples=200, deadline=None)
@given(data=scenario(), cap=st.one_of(st.none(), st.integers(0, 5)))
def test_slot_availability_equals_available_quantity(
    data: tuple[list[Bookable], list[tuple[int, int, int, list[int] | None]]], cap: int | None
) -> None:
    resources, requests = data
    held: list[Occupancy] = []
    for start, length, quantity, chosen in requests:
        try:
            placed = allocate(resources, held, at(start), at(start + length), quantity, chosen)
        except (SlotUnavailable, InvalidInput):
            continue
        held.extend(Occupancy(a.resource_id, a.quantity, at(start), at(start + length)) for a in placed)
    windows = [(at(m), at(m + 60)) for m in range(0, 360, 30)]
    expected = [available_quantity(resources, held, s, e, cap) for s, e in windows]
    assert slot_availability(resources, held, windows, cap) == expected


def test_equal_fits_follow_the_preferred_order() -> None:
    resources = [Bookable(1, 2), Bookable(2, 2), Bookable(3, 2)]
    assert allocate(resources, [], at(0), at(60), 1)[0].resource_id == 1
    assert allocate(resources, [], at(0), at(60), 1, prefer=[3, 1, 2])[0].resource_id == 3


def test_fits_again_checks_each_allocation_on_its_own_resource() -> None:
    from domain.allocation import Allocation, Bookable, Occupancy, fits_again

    start = datetime(2026, 5, 1, 10, tzinfo=UTC)
    end = start + timedelta(hours=1)
    resources = [Bookable(1, 2), Bookable(2, 1)]
    taken = [Occupancy(2, 1, start, end)]
    assert fits_again([Allocation(1, 2)], resources, taken, start, end)
    assert not fits_again([Allocation(1, 1), Allocation(2, 1)], resources, taken, start, end)
    assert not fits_again([Allocation(3, 1)], resources, taken, start, end)  # a resource that is gone


_T0 = datetime(2026, 3, 29, 0, tzinfo=UTC)
_minutes = st.integers(min_value=0, max_value=600)


@st.composite
def _bookings_and_windows(draw: st.DrawFn) -> tuple[list[Occupancy], list[tuple[datetime, datetime]]]:
    occupancies = []
    for _ in range(draw(st.integers(0, 70))):  # crowds too: both ways of pricing are checked
        start = draw(_minutes)
        length = draw(st.integers(1, 240))
        occupancies.append(
            Occupancy(
                1,
                draw(st.integers(1, 3)),
                _T0 + timedelta(minutes=start),
                _T0 + timedelta(minutes=start + length),
            )
        )
    windows = []
    for _ in range(draw(st.integers(1, 30))):
        start = draw(_minutes)
        windows.append(
            (_T0 + timedelta(minutes=start), _T0 + timedelta(minutes=start + draw(st.integers(1, 300))))
        )
    return occupancies, windows


@settings(max_examples=400, deadline=None)
@given(_bookings_and_windows())
def test_the_sweep_prices_every_window_as_peak_usage_does(
    case: tuple[list[Occupancy], list[tuple[datetime, datetime]]],
) -> None:
    from domain.allocation import peak_usage, peaks_over

    occupancies, windows = case
    assert peaks_over(occupancies, windows) == [peak_usage(occupancies, s, e) for s, e in windows]


@settings(max_examples=200, deadline=None)
@given(_bookings_and_windows(), st.integers(1, 5))
def test_slot_availability_equals_available_quantity_window_by_window(
    case: tuple[list[Occupancy], list[tuple[datetime, datetime]]], capacity: int
) -> None:
    from domain.allocation import slot_availability

    occupancies, windows = case
    resources = [Bookable(1, capacity + 3), Bookable(2, capacity)]
    expected = [available_quantity(resources, occupancies, s, e, 6) for s, e in windows]
    assert slot_availability(resources, occupancies, windows, 6) == expected
    # a grid (starts and ends running forward) is priced by bisection: the same answers
    step, length = windows[0][1] - windows[0][0], timedelta(minutes=15 * capacity)
    grid = [(_T0 + i * step, _T0 + i * step + length) for i in range(len(windows))]
    expected = [available_quantity(resources, occupancies, s, e, 6) for s, e in grid]
    assert slot_availability(resources, occupancies, grid, 6) == expected
