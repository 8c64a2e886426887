"""Staff reservation use cases and the outbox dispatch, on fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.outbox import DispatchOutbox, retry_delay
from application.ports import OutboxEvent
from application.reservations import CreateReservation, NewReservation, ReservationChanges, UpdateReservation
from domain.errors import InvalidTransition, SlotUnavailable, VersionMismatch
from domain.status import PaymentStatus, ReservationStatus
from domain.stays import When
from tests.unit.application.factories import Shop, staff
from tests.unit.application.fakes import NOW, FakeMetrics, FakeOutbox, FakeUnitOfWork, FixedClock, uow_factory

S, P = ReservationStatus, PaymentStatus
START = NOW + timedelta(days=3)


@pytest.fixture
def shop() -> Shop:
    return Shop(type_fields={"payment_required": False})


async def test_staff_book_within_capacity_and_the_creation_is_recorded(shop: Shop) -> None:
    create = CreateReservation(uow_factory(shop.world), FixedClock(), FakeMetrics())
    made = await create(staff(), NewReservation(When(START, START + timedelta(hours=1)), resource_id=1))
    assert (made.status, made.payment_status) == (S.CONFIRMED, P.NOT_REQUIRED)
    assert shop.world.events_of(made.id) == ["reservation.created"]
    with pytest.raises(SlotUnavailable):
        await create(staff(), NewReservation(When(START, START + timedelta(hours=1)), resource_id=1))
    assert len(shop.world.reservations) == 1  # the refused one left nothing behind, no event either
    assert len(shop.world.outbox) == 1


async def test_a_move_is_rescheduled_and_a_clash_changes_nothing(shop: Shop) -> None:
    first = shop.put(start_time=START, end_time=START + timedelta(hours=1))
    second = shop.put(start_time=START + timedelta(hours=2), end_time=START + timedelta(hours=3))
    update = UpdateReservation(uow_factory(shop.world), FixedClock())
    moved = await update(
        staff(), first.id, ReservationChanges(When(START + timedelta(hours=5), START + timedelta(hours=6))), 1
    )
    assert (moved.start_time, moved.version) == (START + timedelta(hours=5), 2)
    assert shop.world.events_of(first.id) == ["reservation.rescheduled"]
    with pytest.raises(SlotUnavailable):
        await update(
            staff(),
            second.id,
            ReservationChanges(When(START + timedelta(hours=5), START + timedelta(hours=6))),
            None,
        )
    assert shop.now(second.id).start_time == START + timedelta(hours=2)
    assert shop.world.events_of(second.id) == []
    with pytest.raises(VersionMismatch):
        await update(staff(), first.id, ReservationChanges(notes="late"), 1)


async def test_a_paid_reservation_is_not_cancelled_by_patch(shop: Shop) -> None:
    paid = shop.put(requires_payment=True, payment_status=P.SUCCEEDED)
    update = UpdateReservation(uow_factory(shop.world), FixedClock())
    with pytest.raises(InvalidTransition):
        await update(staff(), paid.id, ReservationChanges(status="cancelled"), None)
    assert shop.now(paid.id).status == S.CONFIRMED


def event(eid: int) -> OutboxEvent:
    return OutboxEvent(eid, 1, 7, "reservation.created", {}, NOW)


class Consumer:
    def __init__(self, name: str, failures: int = 0) -> None:
        self.name, self.failures, self.seen = name, failures, []  # type: ignore[var-annotated]

    async def __call__(self, uow: object, e: OutboxEvent) -> None:
        self.seen.append(e.id)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("receiver down")


async def test_a_failing_consumer_is_retried_alone_and_the_others_run_once() -> None:
    outbox = FakeOutbox([event(1), event(2)], {})
    clock = FixedClock()
    steady, flaky = Consumer("steady"), Consumer("flaky", failures=1)
    dispatch = DispatchOutbox(lambda: FakeUnitOfWork(Shop().world, outbox), clock, [steady, flaky])
    assert await dispatch() == 1  # event 2; event 1 waits for the flaky consumer
    assert outbox.retry_at[1] == NOW + retry_delay(1)
    assert await dispatch() == 0  # not due yet
    clock.advance(seconds=5)
    assert await dispatch() == 1
    assert steady.seen == [1, 2]  # never twice
    assert flaky.seen == [1, 2, 1]
    assert outbox.records[(1, "flaky")].attempts == 2
    assert outbox.records[(1, "steady")].attempts == 1


def test_retries_wait_longer_each_time_up_to_an_hour() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [5, 10, 20]
    assert retry_delay(100) == timedelta(hours=1)
