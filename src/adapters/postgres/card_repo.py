"""Saved cards and the users' Stripe Customer ids on PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, select, update

from adapters.postgres.base import Repository
from adapters.postgres.tables import saved_cards as cards
from adapters.postgres.tables import users
from application.card_ports import SavedCard


def _card(row: Mapping[Any, Any]) -> SavedCard:
    return SavedCard(
        id=row["id"],
        user_id=row["user_id"],
        payment_method_id=row["stripe_payment_method_id"],
        brand=row["brand"],
        last4=row["last4"],
        exp_month=row["exp_month"],
        exp_year=row["exp_year"],
        created_at=row["created_at"],
    )


class SqlSavedCards(Repository):
    async def customer_of(self, user_id: int) -> str | None:
        found = await self.scalar(select(users.c.stripe_customer_id).where(users.c.id == user_id))
        return str(found) if found else None

    async def set_customer(self, user_id: int, customer_id: str) -> str:
        await self.execute(
            update(users)
            .where(users.c.id == user_id, users.c.stripe_customer_id.is_(None))
            .values(stripe_customer_id=customer_id)
        )
        kept = await self.customer_of(user_id)
        assert kept is not None
        return kept

    async def add(self, card: SavedCard) -> SavedCard:
        row = await self.row(
            insert(cards)
            .values(
                user_id=card.user_id,
                stripe_payment_method_id=card.payment_method_id,
                brand=card.brand,
                last4=card.last4,
                exp_month=card.exp_month,
                exp_year=card.exp_year,
            )
            .returning(cards)
        )
        assert row is not None
        return _card(row)

    async def of_user(self, user_id: int) -> list[SavedCard]:
        rows = await self.rows(select(cards).where(cards.c.user_id == user_id).order_by(cards.c.id))
        return [_card(r) for r in rows]

    async def get(self, user_id: int, card_id: int) -> SavedCard | None:
        row = await self.row(select(cards).where(cards.c.user_id == user_id, cards.c.id == card_id))
        return _card(row) if row else None

    async def by_payment_method(self, user_id: int, payment_method_id: str) -> SavedCard | None:
        row = await self.row(
            select(cards).where(
                cards.c.user_id == user_id, cards.c.stripe_payment_method_id == payment_method_id
            )
        )
        return _card(row) if row else None

    async def delete(self, user_id: int, card_id: int) -> bool:
        done = await self.execute(delete(cards).where(cards.c.user_id == user_id, cards.c.id == card_id))
        return bool(done.rowcount)
