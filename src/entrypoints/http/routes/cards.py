"""A customer's saved cards: `/api/me/payment-methods` (API.md section 13). Card numbers never reach us:
Stripe.js collects them against the SetupIntent; we keep brand, last 4 and expiry."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from application.card_ports import SavedCard
from domain.identity import Caller
from entrypoints.composition import UseCases
from entrypoints.http.schemas.cards import CardBody, CardList, CardOut, SetupIntentOut
from entrypoints.http.schemas.common import utc

CardId = Annotated[int, Parameter(ge=1, le=9_007_199_254_740_991)]


def _card(c: SavedCard) -> CardOut:
    return CardOut(c.id, c.payment_method_id, c.brand, c.last4, c.exp_month, c.exp_year, utc(c.created_at))


class CardsController(Controller):
    path = "/api/me/payment-methods"
    tags = ["customer"]

    @post("/setup-intent", status_code=200, opt={"provider": True})
    async def setup_intent(
        self, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> SetupIntentOut:
        secret, key = await cases.saved_cards.setup_intent(caller)
        return SetupIntentOut(secret, key)

    @post("/", status_code=201, opt={"provider": True})
    async def add(
        self, data: CardBody, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> CardOut:
        return _card(await cases.saved_cards.add(caller, data.payment_method_id))

    @get("/")
    async def list_cards(self, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]) -> CardList:
        return CardList([_card(c) for c in await cases.saved_cards.list(caller)])

    @delete("/{card_id:int}", status_code=204, opt={"provider": True})
    async def remove(
        self, card_id: CardId, cases: NamedDependency[UseCases], caller: NamedDependency[Caller]
    ) -> None:
        await cases.saved_cards.delete(caller, card_id)
