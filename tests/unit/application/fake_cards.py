"""Fakes of saved cards: the platform's table of cards and the provider's Customers (one per idempotency
key, as Stripe replays a repeated create)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

from application.card_ports import CardDetails, SavedCard
from domain.identity import User


@dataclass
class CardWorld:
    users: dict[int, User] = field(default_factory=dict)
    customers: dict[int, str] = field(default_factory=dict)  # user -> the provider's Customer
    cards: dict[int, SavedCard] = field(default_factory=dict)


class FakeUsers:
    def __init__(self, world: CardWorld) -> None:
        self.w = world

    async def by_id(self, user_id: int) -> User | None:
        return self.w.users.get(user_id)


class FakeSavedCards:
    def __init__(self, world: CardWorld) -> None:
        self.w = world

    async def customer_of(self, user_id: int) -> str | None:
        return self.w.customers.get(user_id)

    async def set_customer(self, user_id: int, customer_id: str) -> str:
        return self.w.customers.setdefault(user_id, customer_id)

    async def add(self, card: SavedCard) -> SavedCard:
        kept = replace(card, id=len(self.w.cards) + 1)
        self.w.cards[kept.id] = kept
        return kept

    async def of_user(self, user_id: int) -> list[SavedCard]:
        return [c for c in self.w.cards.values() if c.user_id == user_id]

    async def get(self, user_id: int, card_id: int) -> SavedCard | None:
        card = self.w.cards.get(card_id)
        return card if card is not None and card.user_id == user_id else None

    async def by_payment_method(self, user_id: int, payment_method_id: str) -> SavedCard | None:
        return next(
            (c for c in await self.of_user(user_id) if c.payment_method_id == payment_method_id), None
        )

    async def delete(self, user_id: int, card_id: int) -> bool:
        return self.w.cards.pop(card_id, None) is not None


class FakeVault:
    """The provider: a Customer per idempotency key; attaching a test card gives it a new id."""

    def __init__(self) -> None:
        self.customers: dict[str, str] = {}
        self.created: list[str] = []  # idempotency keys of every create call
        self.attached: list[tuple[str, str]] = []
        self.detached: list[str] = []

    async def create_customer(self, user_id: int, email: str, idempotency_key: str) -> str:
        self.created.append(idempotency_key)
        await asyncio.sleep(0)  # let a concurrent first use in, as a network call would
        return self.customers.setdefault(idempotency_key, f"cus_{len(self.customers) + 1}")

    async def setup_intent(self, customer_id: str) -> str:
        return f"seti_1_secret_{customer_id}"

    async def attach(self, payment_method_id: str, customer_id: str) -> CardDetails:
        self.attached.append((payment_method_id, customer_id))
        return CardDetails(f"{payment_method_id}_saved", "visa", "4242", 12, 2034)

    async def detach(self, payment_method_id: str) -> None:
        self.detached.append(payment_method_id)
