"""A saved-card PaymentIntent's state applied to its reservation on fakes: the one rule the synchronous
answer, the webhook and reconciliation share (application/intents.apply_intent)."""

from __future__ import annotations

from dataclasses import replace

from application.intents import apply_intent
from application.payment_ports import IntentState
from application.payments import Cashier
from domain.status import PaymentStatus, ReservationStatus
from tests.unit.application.factories import Shop
from tests.unit.application.fakes import FakeGateway, FixedClock, uow_factory

S, P = ReservationStatus, PaymentStatus


async def _apply(shop: Shop, reservation_id: int, intent: IntentState) -> None:
    cashier = Cashier(FakeGateway(), FixedClock())
    async with uow_factory(shop.world)() as uow:
        current = await uow.reservations.get(1, reservation_id, lock=True)
        assert current is not None
        await apply_intent(uow, cashier, current, intent)
        await uow.commit()


def held(shop: Shop, intent_id: str) -> int:
    made = shop.held("cs_old")
    shop.world.reservations[made.id] = replace(
        shop.world.reservations[made.id], stripe_payment_intent_id=intent_id
    )
    return made.id


async def test_success_confirms_once_and_processing_waits() -> None:
    shop = Shop()
    rid = held(shop, "pi_2")
    await _apply(shop, rid, IntentState("pi_2", "processing", 5000, "eur"))
    assert shop.now(rid).payment_status == P.PROCESSING
    assert shop.now(rid).status == S.PENDING_PAYMENT
    for _ in range(2):
        await _apply(shop, rid, IntentState("pi_2", "succeeded", 5000, "eur"))
    assert (shop.now(rid).status, shop.now(rid).payment_status) == (S.CONFIRMED, P.SUCCEEDED)
    assert [p.payment_intent_id for p in shop.world.payments] == ["pi_2"]  # once


async def test_a_decline_of_the_current_attempt_fails_it_and_an_older_ones_changes_nothing() -> None:
    shop = Shop()
    rid = held(shop, "pi_2")
    await _apply(shop, rid, IntentState("pi_1", "requires_payment_method", 5000, "eur"))  # an older attempt
    assert shop.now(rid).payment_status == P.PENDING
    await _apply(shop, rid, IntentState("pi_2", "requires_action", 5000, "eur"))  # 3-D Secure: wait
    assert shop.now(rid).payment_status == P.PENDING
    await _apply(shop, rid, IntentState("pi_2", "requires_payment_method", 5000, "eur"))
    assert (shop.now(rid).status, shop.now(rid).payment_status) == (S.PENDING_PAYMENT, P.FAILED)  # hold kept
