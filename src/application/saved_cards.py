"""A customer's saved cards (API.md section 13): a Stripe Customer per user on the platform account, made on
first use and only once however many first uses race; a SetupIntent for Stripe.js; attach, list, detach."""

from __future__ import annotations

from application.access import no_api_keys
from application.card_ports import CardVault, SavedCard
from application.ports import UnitOfWorkFactory
from domain.errors import Conflict, NotFound
from domain.identity import Caller

MAX_CARDS = 20


class SavedCardAdmin:
    def __init__(self, uow: UnitOfWorkFactory, vault: CardVault, publishable_key: str | None) -> None:
        self.uow, self.vault, self.publishable_key = uow, vault, publishable_key

    async def customer(self, caller: Caller) -> str:
        """The user's Customer at the provider: created with an idempotency key of the user, so two
        concurrent first uses get the same one; the first stored wins."""
        no_api_keys(caller)
        async with self.uow() as uow:
            known = await uow.saved_cards.customer_of(caller.user_id)
            user = await uow.users.by_id(caller.user_id)
        if known is not None:
            return known
        if user is None:
            raise NotFound("no such user")
        made = await self.vault.create_customer(user.id, user.email, f"customer:{user.id}")
        async with self.uow() as uow:
            kept = await uow.saved_cards.set_customer(user.id, made)
            await uow.commit()
        return kept

    async def setup_intent(self, caller: Caller) -> tuple[str, str | None]:
        customer = await self.customer(caller)
        return await self.vault.setup_intent(customer), self.publishable_key

    async def add(self, caller: Caller, payment_method_id: str) -> SavedCard:
        customer = await self.customer(caller)
        async with self.uow() as uow:
            cards = await uow.saved_cards.of_user(caller.user_id)
        if len(cards) >= MAX_CARDS:
            raise Conflict(f"at most {MAX_CARDS} saved cards")
        details = await self.vault.attach(payment_method_id, customer)
        async with self.uow() as uow:
            known = await uow.saved_cards.by_payment_method(caller.user_id, details.payment_method_id)
            card = known or await uow.saved_cards.add(
                SavedCard(
                    0,
                    caller.user_id,
                    details.payment_method_id,
                    details.brand,
                    details.last4,
                    details.exp_month,
                    details.exp_year,
                )
            )
            await uow.commit()
        return card

    async def list(self, caller: Caller) -> list[SavedCard]:
        no_api_keys(caller)
        async with self.uow() as uow:
            return await uow.saved_cards.of_user(caller.user_id)

    async def delete(self, caller: Caller, card_id: int) -> None:
        no_api_keys(caller)
        async with self.uow() as uow:
            card = await uow.saved_cards.get(caller.user_id, card_id)
        if card is None:
            raise NotFound("no such payment method")
        await self.vault.detach(card.payment_method_id)
        async with self.uow() as uow:
            await uow.saved_cards.delete(caller.user_id, card_id)
            await uow.commit()
