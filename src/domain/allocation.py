"""Allocation of units to resources by peak usage, with buffers; all or nothing."""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import InvalidInput, SlotUnavailable


@dataclass(frozen=True)
class Occupancy:
    """Units of a resource held over a buffered interval [start, end) by a holding reservation."""

    resource_id: int
    quantity: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Bookable:
    """A resource as allocation sees it."""

    id: int
    capacity: int
    is_active: bool = True


@dataclass(frozen=True)
class Allocation:
    """Units of a reservation placed on one resource."""

    resource_id: int
    quantity: int


def buffered(
    start: datetime, end: datetime, before_minutes: int, after_minutes: int
) -> tuple[datetime, datetime]:
    """The interval a booking occupies: its time widened by the type's buffers."""
    return start - timedelta(minutes=before_minutes), end + timedelta(minutes=after_minutes)


def peak_usage(occupancies: Iterable[Occupancy], start: datetime, end: datetime) -> int:
    """The most units held at any instant of [start, end)."""
    events: list[tuple[datetime, int]] = []
    for occ in occupancies:
        if occ.start < end and start < occ.end:
            events.append((max(occ.start, start), occ.quantity))
            events.append((occ.end, -occ.quantity))
    # At equal instants releases come first: [a, b) and [b, c) never overlap.
    events.sort(key=lambda event: (event[0], event[1]))
    usage = peak = 0
    for _, delta in events:
        usage += delta
        peak = max(peak, usage)
    return peak


def free_capacity(
    resource: Bookable, occupancies: Iterable[Occupancy], start: datetime, end: datetime
) -> int:
    """Units of a resource still free over the whole of [start, end)."""
    if not resource.is_active:
        return 0
    mine = (occ for occ in occupancies if occ.resource_id == resource.id)
    return max(0, resource.capacity - peak_usage(mine, start, end))


def fits_again(
    allocations: Sequence[Allocation],
    resources: Sequence[Bookable],
    occupancies: Iterable[Occupancy],
    start: datetime,
    end: datetime,
) -> bool:
    """Whether each allocation still fits on its own resource over the buffered [start, end)."""
    grouped = by_resource(occupancies)
    capacity = {r.id: r for r in resources}
    return all(
        a.resource_id in capacity
        and free_capacity(capacity[a.resource_id], grouped.get(a.resource_id, ()), start, end) >= a.quantity
        for a in allocations
    )


def by_resource(occupancies: Iterable[Occupancy]) -> dict[int, list[Occupancy]]:
    """Occupancies grouped by resource, to price many slots without rescanning them all."""
    grouped: dict[int, list[Occupancy]] = {}
    for occ in occupancies:
        grouped.setdefault(occ.resource_id, []).append(occ)
    return grouped


def allocate(
    resources: Sequence[Bookable],
    occupancies: Sequence[Occupancy],
    start: datetime,
    end: datetime,
    quantity: int,
    chosen: Sequence[int] | None = None,
    prefer: Sequence[int] = (),
) -> list[Allocation]:
    """Place `quantity` units over the buffered [start, end): on `chosen` resources, else best fit.

    One chosen resource takes every unit; several chosen each take at least one; with none chosen the
    fewest resources are used, preferring the tightest fit, equal fits in `prefer` order (else by id).
    SlotUnavailable when it cannot all fit.
    """
    if quantity < 1:
        raise InvalidInput("quantity must be at least 1", "quantity")
    grouped = by_resource(occupancies)
    free = {r.id: free_capacity(r, grouped.get(r.id, ()), start, end) for r in resources}
    if chosen:
        return _allocate_chosen(list(chosen), free, quantity)
    rank = {rid: i for i, rid in enumerate(prefer)}
    return _best_fit(free, quantity, lambda rid: (rank.get(rid, len(rank)), rid))


def _allocate_chosen(chosen: list[int], free: dict[int, int], quantity: int) -> list[Allocation]:
    if len(set(chosen)) != len(chosen):
        raise InvalidInput("a resource is listed twice", "resourceIds")
    if quantity < len(chosen):
        raise InvalidInput("each listed resource takes at least one unit", "quantity")
    if any(free.get(rid, 0) < 1 for rid in chosen):
        raise SlotUnavailable("a chosen resource has no free capacity for that time")
    units = dict.fromkeys(chosen, 1)
    remaining = quantity - len(chosen)
    for rid in sorted(chosen, key=lambda r: (-free[r], r)):
        take = min(remaining, free[rid] - 1)
        units[rid] += take
        remaining -= take
    if remaining:
        raise SlotUnavailable("the chosen resources do not have enough free capacity for that time")
    return [Allocation(rid, units[rid]) for rid in chosen]


def _best_fit(
    free: dict[int, int], quantity: int, order: Callable[[int], tuple[int, int]]
) -> list[Allocation]:
    single = [rid for rid, units in free.items() if units >= quantity]
    if single:
        best = min(single, key=lambda rid: (free[rid], order(rid)))
        return [Allocation(best, quantity)]
    result: list[Allocation] = []
    remaining = quantity
    candidates = sorted((rid for rid, units in free.items() if units > 0), key=lambda r: (-free[r], order(r)))
    while remaining and candidates:
        fits = [rid for rid in candidates if free[rid] >= remaining]
        rid = min(fits, key=lambda r: (free[r], order(r))) if fits else candidates[0]
        candidates.remove(rid)
        take = min(remaining, free[rid])
        result.append(Allocation(rid, take))
        remaining -= take
    if remaining:
        raise SlotUnavailable("not enough free capacity for that time")
    return result


# A sweep over a resource's sorted boundaries beats pricing each window once its windows overlap this many of
# its bookings on average (a day's or a month's slots on a quiet resource: each window; a crowd: a sweep).
SWEEP_OVERLAPS = 4


def slot_availability(
    resources: Sequence[Bookable],
    occupancies: Iterable[Occupancy],
    windows: Sequence[tuple[datetime, datetime]],
    max_quantity: int | None = None,
) -> list[int]:
    """available_quantity for many windows at once: every window starts with the capacity of all active
    resources, and each busy resource takes back what it uses from only the windows its bookings overlap
    (from the few bookings over each, or, in a crowd, one sweep over them for those windows together)."""
    grouped = by_resource(occupancies)
    totals = [sum(r.capacity for r in resources if r.is_active)] * len(windows)
    spans = _Spans(windows)
    for r in resources:
        held = grouped.get(r.id)
        if not (r.is_active and held):
            continue
        ranges = [spans.overlapped_by(o) for o in held]
        touched = spans.union(ranges)
        pairs = sum(len(indexes) for indexes in ranges)
        if pairs > SWEEP_OVERLAPS * (len(held) + len(touched)):
            used = list(zip(touched, peaks_over(held, [windows[i] for i in touched]), strict=True))
        else:
            over: dict[int, list[Occupancy]] = {}
            for o, indexes in zip(held, ranges, strict=True):
                for i in indexes:
                    over.setdefault(i, []).append(o)
            used = [(i, _peak_of(found, *windows[i])) for i, found in over.items()]
        for index, peak in used:
            totals[index] -= min(r.capacity, peak)
    return [min(t, max_quantity) for t in totals] if max_quantity is not None else totals


class _Spans:
    """Which windows a booking overlaps: by bisection when the windows' starts and ends both run forward (a
    grid of slots, a row of nights), else by looking at each."""

    def __init__(self, windows: Sequence[tuple[datetime, datetime]]) -> None:
        self.windows = windows
        self.starts, self.ends = [w[0] for w in windows], [w[1] for w in windows]
        self.forward = all(a <= b for a, b in itertools.pairwise(self.starts)) and all(
            a <= b for a, b in itertools.pairwise(self.ends)
        )

    def overlapped_by(self, o: Occupancy) -> Sequence[int]:
        if self.forward:  # the windows ending after it starts and starting before it ends
            return range(bisect_right(self.ends, o.start), bisect_left(self.starts, o.end))
        return [i for i, (s, e) in enumerate(self.windows) if s < o.end and o.start < e]

    def union(self, ranges: list[Sequence[int]]) -> list[int]:
        """The windows any of them overlaps, in order, without materialising each overlap."""
        if not self.forward:
            return sorted({i for indexes in ranges for i in indexes})
        result: list[int] = []
        reached = 0
        for span in sorted((r for r in ranges if len(r)), key=lambda r: r[0]):
            low, high = max(span[0], reached), span[-1] + 1
            if high > low:
                result.extend(range(low, high))
                reached = high
        return result


def _peak_of(overlapping: list[Occupancy], start: datetime, end: datetime) -> int:
    """The peak usage of a window from the bookings that overlap it."""
    if len(overlapping) == 1:
        return overlapping[0].quantity
    return peak_usage(overlapping, start, end)


def peaks_over(occupancies: Iterable[Occupancy], windows: Sequence[tuple[datetime, datetime]]) -> list[int]:
    """peak_usage of every window: usage as a step function over sorted boundaries, then a sliding
    maximum over the steps each window overlaps (windows in start order; their ends rarely go back)."""
    changes: dict[datetime, int] = {}
    for occ in occupancies:
        changes[occ.start] = changes.get(occ.start, 0) + occ.quantity
        changes[occ.end] = changes.get(occ.end, 0) - occ.quantity
    times = sorted(changes)
    usage, level = [], 0
    for instant in times:
        level += changes[instant]
        usage.append(level)  # held over [times[k], times[k + 1])
    order = sorted(range(len(windows)), key=lambda i: windows[i])
    result = [0] * len(windows)
    steps: deque[int] = deque()  # steps overlapping the window, their usage decreasing
    first = added = 0
    last_end: datetime | None = None
    for index in order:
        start, end = windows[index]
        if last_end is not None and end < last_end:  # an end that goes back: price this one directly
            result[index] = _peak_of_steps(times, usage, start, end)
            continue
        last_end = end
        while added < len(times) and times[added] < end:
            while steps and usage[steps[-1]] <= usage[added]:
                steps.pop()
            steps.append(added)
            added += 1
        while first < added - 1 and times[first + 1] <= start:
            first += 1  # step `first` ends at or before the window starts
        while steps and steps[0] < first:
            steps.popleft()
        result[index] = max(0, usage[steps[0]]) if steps else 0
    return result


def _peak_of_steps(times: list[datetime], usage: list[int], start: datetime, end: datetime) -> int:
    low = max(0, bisect_right(times, start) - 1)
    high = bisect_left(times, end)
    return max([0, *usage[low:high]])


def available_quantity(
    resources: Sequence[Bookable],
    occupancies: Sequence[Occupancy] | dict[int, list[Occupancy]],
    start: datetime,
    end: datetime,
    max_quantity: int | None = None,
) -> int:
    """The most one booking could get over [start, end): the sum of each resource's free capacity."""
    grouped = occupancies if isinstance(occupancies, dict) else by_resource(occupancies)
    total = sum(free_capacity(r, grouped.get(r.id, ()), start, end) for r in resources)
    return min(total, max_quantity) if max_quantity is not None else total
