"""Stays, the calendar and a customer's reschedule as use cases, on fakes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from application.calendar import PublicCalendar
from application.checkout import Checkouts, CheckoutTerms
from application.payments import Cashier
from application.public_ports import BookingView, ViewWindow
from application.reservations import CreateReservation, NewReservation
from application.self_service import SelfService
from application.storefront import Entry
from domain.allocation import Allocation
from domain.errors import InvalidInput, OutsideBookingWindow, RescheduleNotPossible, SlotUnavailable
from domain.hours import OpeningHours
from domain.money import Quote
from domain.status import ReservationStatus
from domain.stays import BookingUnit, Stay, StayRules, When, occupied
from tests.unit.application.factories import Shop, staff
from tests.unit.application.fakes import (
    NOW,
    FakeGateway,
    FakeHeavy,
    FakeMetrics,
    FakeReads,
    FixedClock,
    uow_factory,
)

S = ReservationStatus
CHECK_IN = (NOW + timedelta(days=20)).date()


def villas(**fields: object) -> Shop:
    return Shop(
        resources=2,
        type_fields={
            "booking_unit": BookingUnit.NIGHT,
            "payment_required": False,
            "price_amount": 10_000,
            "slot_minutes": 1440,
            "hours": OpeningHours(),
        }
        | fields,
    )


def manage(shop: Shop) -> SelfService:
    clock, gateway = FixedClock(), FakeGateway()
    uow = uow_factory(shop.world)
    cashier = Cashier(gateway, clock)
    return SelfService(
        uow,
        clock,
        lambda token: f"h:{token}",
        cashier,
        Checkouts(uow, gateway, clock, cashier, CheckoutTerms()),
    )


def stay(shop: Shop, first: date, nights: int, resource: int = 1, **fields: object) -> int:
    """A stored night stay with manage token 't<id>'."""
    placed = Stay(BookingUnit.NIGHT, first, nights)
    start, end = occupied(placed, StayRules(BookingUnit.NIGHT), shop.org.tz)
    amount = shop.type.price_amount * nights
    quote = Quote(shop.type.price_amount, nights, amount, 0, 0, amount, "eur")
    made = shop.put(start_time=start, end_time=end, stay=placed, quote=quote, **fields)
    made.allocations = [Allocation(resource, 1)]
    shop.world.token_hashes[f"h:t{made.id}"] = made.id
    return made.id


async def test_staff_book_a_stay_by_its_dates_and_the_quote_counts_nights() -> None:
    shop = villas()
    create = CreateReservation(uow_factory(shop.world), FixedClock(), FakeMetrics())
    made = await create(
        staff(),
        NewReservation(When(check_in=CHECK_IN, check_out=CHECK_IN + timedelta(days=4)), resource_type_id=1),
    )
    assert made.stay == Stay(BookingUnit.NIGHT, CHECK_IN, 4)
    assert (made.quote.units, made.quote.subtotal) == (4, 40_000)
    with pytest.raises(InvalidInput):
        await create(staff(), NewReservation(When(NOW, NOW + timedelta(hours=1)), resource_type_id=1))


async def test_a_customer_moves_a_stay_and_its_old_nights_are_let_go() -> None:
    shop = villas(price_amount=0)
    rid = stay(shop, CHECK_IN, 3)
    moved = await manage(shop).reschedule(
        f"t{rid}", When(check_in=CHECK_IN + timedelta(days=7), check_out=CHECK_IN + timedelta(days=10))
    )
    assert moved.reservation.stay == Stay(BookingUnit.NIGHT, CHECK_IN + timedelta(days=7), 3)
    assert shop.world.events_of(rid) == ["reservation.rescheduled"]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"status": S.CANCELLED}, RescheduleNotPossible),
        (
            {"status": S.PENDING_PAYMENT, "hold_expires_at": NOW + timedelta(minutes=20)},
            RescheduleNotPossible,
        ),
        ({"status": S.COMPLETED}, RescheduleNotPossible),
    ],
)
async def test_only_a_standing_booking_can_be_moved(
    fields: dict[str, object], error: type[Exception]
) -> None:
    shop = villas(price_amount=0)
    rid = stay(shop, CHECK_IN, 3, **fields)
    with pytest.raises(error):
        await manage(shop).reschedule(
            f"t{rid}", When(check_in=CHECK_IN + timedelta(days=7), check_out=CHECK_IN + timedelta(days=10))
        )
    assert shop.now(rid).stay == Stay(BookingUnit.NIGHT, CHECK_IN, 3)


async def test_a_move_to_another_price_too_late_or_against_the_rules_is_refused_and_changes_nothing() -> None:
    shop = villas(min_stay=2)
    rid = stay(shop, CHECK_IN, 3)  # quoted 3 nights at 10,000
    service = manage(shop)
    later = CHECK_IN + timedelta(days=7)
    with pytest.raises(RescheduleNotPossible, match="another price"):
        await service.reschedule(f"t{rid}", When(check_in=later, check_out=later + timedelta(days=4)))
    with pytest.raises(OutsideBookingWindow):
        await service.reschedule(f"t{rid}", When(check_in=later, check_out=later + timedelta(days=1)))
    soon = villas()
    near = stay(soon, NOW.date(), 3)  # checks in at 15:00 today, four hours from now
    with pytest.raises(RescheduleNotPossible, match="24 hours"):
        await manage(soon).reschedule(f"t{near}", When(check_in=later, check_out=later + timedelta(days=3)))
    assert shop.now(rid).version == 1
    assert shop.world.events_of(rid) == []


async def test_a_move_onto_taken_nights_keeps_the_original() -> None:
    shop = villas(price_amount=0)
    shop.world.resources.pop(2)
    rid = stay(shop, CHECK_IN, 3)
    stay(shop, CHECK_IN + timedelta(days=10), 3)
    with pytest.raises(SlotUnavailable):
        await manage(shop).reschedule(
            f"t{rid}", When(check_in=CHECK_IN + timedelta(days=9), check_out=CHECK_IN + timedelta(days=12))
        )
    assert shop.now(rid).stay == Stay(BookingUnit.NIGHT, CHECK_IN, 3)


class CountingReads(FakeReads):
    def __init__(self, shop: Shop) -> None:
        super().__init__(shop.world)
        self.windows: list[ViewWindow] = []

    async def booking_view(self, *args: object, **kwargs: object) -> BookingView | None:
        self.windows.append(args[3])  # type: ignore[arg-type]
        return await super().booking_view(*args, **kwargs)  # type: ignore[arg-type]


async def test_a_calendar_of_62_nights_is_one_read_and_counts_free_villas_per_night() -> None:
    shop = villas()
    stay(shop, CHECK_IN, 2, resource=1)
    stay(shop, CHECK_IN + timedelta(days=1), 1, resource=2)
    reads = CountingReads(shop)
    calendar = PublicCalendar(reads, FixedClock(), FakeHeavy())
    first = CHECK_IN - timedelta(days=1)
    found = await calendar(Entry(slug="acme-spa"), first, first + timedelta(days=61), 1, None)
    assert reads.windows == [ViewWindow.days(first, first + timedelta(days=61))]
    assert len(found.days) == 62
    assert [d.available_quantity for d in found.days[:4]] == [2, 1, 0, 2]
    assert [d.available for d in found.days[:4]] == [True, True, False, True]
    assert all(d.check_in_allowed for d in found.days)
    with pytest.raises(InvalidInput):
        await calendar(Entry(slug="acme-spa"), first, first + timedelta(days=62), 1, None)
    assert len(reads.windows) == 1  # a refused range reads nothing
