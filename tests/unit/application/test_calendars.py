"""Calendars on fakes: blocks as staff set them, the import keeping blocks in step with a feed (a booking
in the way is never moved, a broken feed keeps the last blocks), and the feed and import rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.ical_import import occurrences
from application.calendar_ports import Fetched, ImportJob
from application.calendars import BlockAdmin, ImportCalendars
from domain.calendars import IMPORTED, MANUAL, Busy, busy_spans, in_feed
from domain.errors import CapacityConflict, InvalidInput, NotFound
from tests.unit.application.factories import Shop, staff
from tests.unit.application.fake_calendars import ScriptedSource
from tests.unit.application.fakes import NOW, FakeUnitOfWork, FixedClock

JOB = ImportJob(1, 1, "https://other.example/x.ics", None, None, "Europe/Berlin", None)


def h(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


class Wiring:
    def __init__(self, script: list[Fetched | str] | None = None) -> None:
        self.shop = Shop(type_fields={"payment_required": False})
        self.world = self.shop.world
        self.clock = FixedClock(NOW)
        self.uow = lambda: FakeUnitOfWork(self.world, clock=self.clock)
        self.admin = BlockAdmin(self.uow, self.clock)
        self.imports = ImportCalendars(self.uow, self.clock, ScriptedSource(list(script or [])))

    def blocks(self) -> list[tuple[str | None, datetime, datetime, str]]:
        return sorted(
            (b.import_uid, b.start_time, b.end_time, b.source) for b in self.world.calendars.blocks.values()
        )


async def test_staff_block_free_time_and_never_a_booked_one() -> None:
    w = Wiring()
    w.shop.put(start_time=h(10), end_time=h(11))
    with pytest.raises(CapacityConflict):
        await w.admin.create(staff(), 1, h(9), h(12), "maintenance")
    with pytest.raises(InvalidInput):
        await w.admin.create(staff(), 1, h(12), h(12), None)
    with pytest.raises(InvalidInput):
        await w.admin.create(staff(), 1, h(0), h(24 * 400), None)
    with pytest.raises(NotFound):
        await w.admin.create(staff(), 999, h(12), h(13), None)
    made = await w.admin.create(staff(), 1, h(12), h(14), "owner's use")
    assert (made.source, made.reason) == (MANUAL, "owner's use")
    assert [b.id for b in await w.admin.list(staff(), 1)] == [made.id]
    await w.admin.delete(staff(), 1, made.id)
    with pytest.raises(NotFound):
        await w.admin.delete(staff(), 1, made.id)


async def test_an_import_keeps_blocks_in_step_and_counts_what_a_booking_keeps_out() -> None:
    first = [Busy("a", h(30), h(40)), Busy("b", h(50), h(60)), Busy("c", h(10), h(11))]
    w = Wiring(
        [
            Fetched(True, first, '"1"'),
            Fetched(False, []),
            Fetched(True, [Busy("b", h(52), h(60))]),
            "the feed answered 500",
        ]
    )
    w.shop.put(start_time=h(10), end_time=h(11))  # a booking of ours where the other channel says busy
    w.world.calendars.jobs = [JOB]
    assert await w.imports() == 1
    assert w.blocks() == [("a", h(30), h(40), IMPORTED), ("b", h(50), h(60), IMPORTED)]
    assert w.world.calendars.recorded[-1] == (
        1,
        "1 imported event(s) overlap bookings or blocks here and were left out",
        True,
    )
    w.world.calendars.jobs = [JOB]
    await w.imports()  # 304: nothing changes
    assert len(w.blocks()) == 2
    assert w.world.calendars.recorded[-1] == (1, None, True)
    w.world.calendars.jobs = [JOB]
    await w.imports()  # a gone and b moved
    assert w.blocks() == [("b", h(52), h(60), IMPORTED)]
    w.world.calendars.jobs = [JOB]
    await w.imports()  # broken: the last good blocks stay, the error is recorded
    assert w.blocks() == [("b", h(52), h(60), IMPORTED)]
    assert w.world.calendars.recorded[-1] == (1, "the feed answered 500", False)


def test_overlapping_imported_events_become_one_block_and_ended_ones_go() -> None:
    spans = busy_spans(
        [
            Busy("x", h(1), h(3)),
            Busy("y", h(2), h(5)),
            Busy("z", h(5), h(6)),
            Busy("old", h(-5), h(-1)),
            Busy("w", h(9), h(10)),
        ],
        NOW,
    )
    assert spans == [Busy("x", h(1), h(6)), Busy("w", h(9), h(10))]


def test_a_feed_lists_a_year_ahead_thirty_days_back_and_recent_cancellations() -> None:
    assert in_feed(h(24), h(25), None, NOW)
    assert not in_feed(h(24 * 366), h(24 * 366 + 1), None, NOW)
    assert not in_feed(h(-24 * 31), h(-24 * 31 + 1), None, NOW)
    assert in_feed(h(24), h(25), NOW - timedelta(days=29), NOW)
    assert not in_feed(h(24), h(25), NOW - timedelta(days=31), NOW)


def test_feed_events_become_occurrences_in_the_organisations_local_days() -> None:
    body = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:stay\r\nDTSTART;VALUE=DATE:20270329\r\nDTEND;VALUE=DATE:20270331\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:floating\r\nDTSTART:20270301T100000\r\nDTEND:20270301T110000\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:weekly\r\nDTSTART:20270301T080000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=2\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:free\r\nDTSTART:20270302T080000Z\r\nDTEND:20270302T090000Z\r\nTRANSP:TRANSPARENT\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    since, until = datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
    nights = ImportJob(1, 1, "u", None, None, "Europe/Berlin", ("15:00", "11:00"))
    found = {e.uid.split("#")[0]: e for e in occurrences(body, since, until, nights)}
    assert set(found) == {"stay", "floating", "weekly"}
    # 29 March 2027 is after Berlin's change to summer time: check-in 15:00 is 13:00 UTC
    assert found["stay"].start == datetime(2027, 3, 29, 13, 0, tzinfo=UTC)
    assert found["stay"].end == datetime(2027, 3, 31, 9, 0, tzinfo=UTC)
    assert found["floating"].start == datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # local 10:00 in winter
    weekly = sorted(e.start for e in occurrences(body, since, until, nights) if e.uid.startswith("weekly"))
    assert weekly == [datetime(2027, 3, 1, 8, tzinfo=UTC), datetime(2027, 3, 8, 8, tzinfo=UTC)]
    days = ImportJob(1, 1, "u", None, None, "Europe/Berlin", None)
    whole = next(e for e in occurrences(body, since, until, days) if e.uid.startswith("stay"))
    assert whole.start == datetime(2027, 3, 28, 22, 0, tzinfo=UTC)  # local midnight
