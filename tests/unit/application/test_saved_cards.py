"""Saved cards and paying with them, on fakes: one Customer per user however many first uses race, only a
card's outline kept, nobody else's card usable, and a charge that reads as the webhook would apply it (a
provider that fails leaves the hold for another try; a decline lets another card pay, under a new key)."""

from __future__ import annotations

import asyncio

import pytest

from application.card_payments import CardPayments
from application.checkout import Checkouts, CheckoutTerms
from application.payment_ports import CheckoutSession
from application.payments import Cashier
from application.retry import RetryCheckout
from application.saved_cards import MAX_CARDS, SavedCardAdmin
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound, PaymentProviderError
from domain.identity import Caller, User
from domain.status import PaymentStatus, ReservationStatus
from tests.unit.application.factories import Shop
from tests.unit.application.fake_cards import FakeVault
from tests.unit.application.fakes import FakeGateway, FixedClock, uow_factory

S, P = ReservationStatus, PaymentStatus
ANA, BEN = Caller(user_id=7), Caller(user_id=8)
RETURN = "https://shop.example/back"


def admin(shop: Shop) -> tuple[SavedCardAdmin, FakeVault]:
    for caller in (ANA, BEN):
        shop.world.cards.users[caller.user_id] = User(
            caller.user_id, f"u{caller.user_id}@example.com", "U", "h"
        )
    vault = FakeVault()
    return SavedCardAdmin(uow_factory(shop.world), vault, "pk_test"), vault


async def test_concurrent_first_uses_make_one_customer_and_later_uses_ask_no_more() -> None:
    shop = Shop()
    cards, vault = admin(shop)
    made = await asyncio.gather(*(cards.customer(ANA) for _ in range(5)))
    assert set(made) == {"cus_1"}
    assert set(vault.created) == {"customer:7"}  # every racer asked with the same key
    asked = len(vault.created)
    assert await cards.setup_intent(ANA) == ("seti_1_secret_cus_1", "pk_test")
    assert len(vault.created) == asked  # known now: the provider is not asked again
    assert shop.world.cards.customers == {7: "cus_1"}


async def test_a_card_is_kept_once_as_its_outline_and_never_anyone_elses() -> None:
    shop = Shop()
    cards, vault = admin(shop)
    first = await cards.add(ANA, "pm_card_visa")
    again = await cards.add(ANA, "pm_card_visa")
    assert first == again
    assert (first.brand, first.last4, first.exp_month, first.exp_year) == ("visa", "4242", 12, 2034)
    assert await cards.list(BEN) == []
    with pytest.raises(NotFound):
        await cards.delete(BEN, first.id)
    assert vault.detached == []  # Ben's mistake touched nothing at the provider
    await cards.delete(ANA, first.id)
    assert vault.detached == ["pm_card_visa_saved"]
    assert await cards.list(ANA) == []


async def test_keys_are_refused_and_a_full_wallet_asks_the_provider_nothing() -> None:
    shop = Shop()
    cards, vault = admin(shop)
    with pytest.raises(Forbidden):
        await cards.list(Caller(user_id=7, organisation_id=1, api_key_id=3, scopes=()))
    for i in range(MAX_CARDS):
        await cards.add(ANA, f"pm_{i}")
    with pytest.raises(Conflict):
        await cards.add(ANA, "pm_one_more")
    assert len(vault.attached) == MAX_CARDS


class Paying:
    def __init__(self) -> None:
        self.shop = Shop()
        self.cards, _ = admin(self.shop)
        self.gateway, clock = FakeGateway(), FixedClock()
        uow = uow_factory(self.shop.world)
        terms = CheckoutTerms(allowed_redirect_hosts=("shop.example",))
        checkouts = Checkouts(uow, self.gateway, clock, Cashier(self.gateway, clock), terms)
        retry = RetryCheckout(uow, clock, self.gateway, checkouts)
        self.pay = CardPayments(uow, clock, self.gateway, checkouts, retry, "pk_test")
        self.booking = self.shop.held("cs_1", customer_user_id=ANA.user_id, stripe_payment_intent_id=None)
        self.gateway.sessions["cs_1"] = CheckoutSession("cs_1", "https://pay.example/cs_1", "open", "unpaid")

    def now(self) -> tuple[S, P]:
        current = self.shop.now(self.booking.id)
        return current.status, current.payment_status


async def test_a_saved_card_pays_a_held_booking_ending_its_checkout_first() -> None:
    p = Paying()
    card = await p.cards.add(ANA, "pm_card_visa")
    done = await p.pay.pay_own(ANA, p.booking.reference, card.payment_method_id, RETURN)
    assert done.card is not None
    assert done.card.intent.status == "succeeded"
    assert p.gateway.expired == ["cs_1"]  # the Checkout Session can no longer be paid as well
    ((request, _),) = p.gateway.intents
    assert (request.customer_id, request.payment_method_id, request.return_url) == (
        "cus_1",
        card.payment_method_id,
        RETURN,
    )
    assert request.amount == p.booking.quote.total
    assert p.now() == (S.CONFIRMED, P.SUCCEEDED)
    assert [pay.payment_intent_id for pay in p.shop.world.payments] == ["pi_1"]


async def test_someone_elses_card_or_booking_is_refused_and_nothing_is_charged() -> None:
    p = Paying()
    theirs = await p.cards.add(BEN, "pm_card_visa")
    with pytest.raises(InvalidInput):
        await p.pay.pay_own(ANA, p.booking.reference, theirs.payment_method_id, RETURN)
    with pytest.raises(NotFound):
        await p.pay.pay_own(BEN, p.booking.reference, theirs.payment_method_id, RETURN)
    with pytest.raises(InvalidInput):
        await p.pay.pay_own(ANA, p.booking.reference, "pm_x", "https://evil.example/")
    assert p.gateway.intents == []
    assert p.now() == (S.PENDING_PAYMENT, P.PENDING)


async def test_a_provider_failure_keeps_the_hold_and_a_decline_lets_another_card_pay() -> None:
    p = Paying()
    card = await p.cards.add(ANA, "pm_card_visa")
    p.gateway.down = True
    with pytest.raises(PaymentProviderError):
        await p.pay.pay_own(ANA, p.booking.reference, card.payment_method_id, RETURN)
    p.gateway.down = False
    assert p.now() == (S.PENDING_PAYMENT, P.PENDING)
    assert p.shop.world.claims == {}  # the claim went with the failure: a retry may start at once
    p.gateway.intent_answer = "requires_payment_method"
    declined = await p.pay.pay_own(ANA, p.booking.reference, card.payment_method_id, RETURN)
    assert declined.card is not None
    assert declined.card.intent.status == "requires_payment_method"
    assert p.now() == (S.PENDING_PAYMENT, P.FAILED)
    p.gateway.intent_answer = "succeeded"
    await p.pay.pay_own(ANA, p.booking.reference, card.payment_method_id, RETURN)
    assert p.now() == (S.CONFIRMED, P.SUCCEEDED)
    keys = [r.idempotency_key for r, _ in p.gateway.intents]
    assert len(keys) == len(set(keys)) == 2  # a new key per attempt: the retry is a new charge
    assert p.gateway.cancelled == ["pi_1"]  # the declined attempt was ended first
