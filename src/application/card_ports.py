"""Ports of saved cards: the provider's Customers and PaymentMethods, and the cards the platform keeps
(nothing about a card but its brand, last 4 digits and expiry)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class SavedCard:
    id: int
    user_id: int
    payment_method_id: str  # the provider's pm_… id
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    created_at: datetime | None = None


@dataclass(frozen=True)
class CardDetails:
    payment_method_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class CardVault(Protocol):
    """The provider's side: Customers on the platform account and the cards attached to them."""

    async def create_customer(self, user_id: int, email: str, idempotency_key: str) -> str: ...
    async def setup_intent(self, customer_id: str) -> str:
        """A SetupIntent's client secret, for Stripe.js to collect a card for this Customer."""
        ...

    async def attach(self, payment_method_id: str, customer_id: str) -> CardDetails: ...
    async def detach(self, payment_method_id: str) -> None: ...


class SavedCards(Protocol):
    async def customer_of(self, user_id: int) -> str | None: ...
    async def set_customer(self, user_id: int, customer_id: str) -> str:
        """Keep the user's Customer id unless one is kept already; the one kept."""
        ...

    async def add(self, card: SavedCard) -> SavedCard: ...
    async def of_user(self, user_id: int) -> list[SavedCard]: ...
    async def get(self, user_id: int, card_id: int) -> SavedCard | None: ...
    async def by_payment_method(self, user_id: int, payment_method_id: str) -> SavedCard | None: ...
    async def delete(self, user_id: int, card_id: int) -> bool: ...
