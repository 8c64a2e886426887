"""The sandbox provider: Stripe's shapes without Stripe, for development; its checkout page feeds the
same event handling the real webhook does. Production refuses to start with it."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.payments.stripe_gateway import verified_event
from adapters.postgres.errors import translated
from adapters.postgres.tables import organisations
from adapters.postgres.tables import sandbox_checkout_sessions as sessions
from adapters.postgres.tables import sandbox_payment_intents as intents
from application.card_ports import CardDetails
from application.payment_ports import (
    INTENT_MODE,
    AccountState,
    AccountUpdated,
    CheckoutCompleted,
    CheckoutRequest,
    CheckoutSession,
    IntentChanged,
    IntentRequest,
    IntentState,
    PaymentIntentFailed,
    ProviderEvent,
    RefundResult,
)
from domain.errors import InvalidInput, PaymentProviderError

# Stripe's test PaymentMethods the sandbox saves: what each card does, its brand and last 4.
TEST_CARDS = {
    "pm_card_visa": ("succeeds", "visa", "4242"),
    "pm_card_authenticationRequired": ("authenticates", "visa", "3184"),
    "pm_card_chargeDeclined": ("declines", "visa", "0002"),
}
INTENT_OUTCOMES = {
    "succeeds": "succeeded",
    "authenticates": "requires_action",
    "declines": "requires_payment_method",
}
UNFINISHED = ("requires_action", "requires_payment_method")


def _id(prefix: str) -> str:
    return f"{prefix}_sandbox_{secrets.token_hex(12)}"


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = urlencode([*parse_qsl(parts.query), *params.items()])
    return urlunsplit(parts._replace(query=query))


async def _one(conn: AsyncConnection, *where: Any) -> Mapping[Any, Any] | None:
    return (await conn.execute(select(intents).where(*where))).mappings().first()


class SandboxGateway:
    name = "sandbox"

    def __init__(self, engine: AsyncEngine, public_base_url: str, webhook_secrets: list[str]) -> None:
        self._engine = engine
        self._base = public_base_url
        self._secrets = [s for s in webhook_secrets if s]

    # Saved cards: Stripe's test PaymentMethod ids choose what the card does (see TEST_CARDS).
    async def create_customer(self, user_id: int, email: str, idempotency_key: str) -> str:
        return f"cus_sandbox_{user_id}"  # one per user, however often asked

    async def setup_intent(self, customer_id: str) -> str:
        return f"seti_sandbox_{secrets.token_hex(12)}_secret_{secrets.token_hex(12)}"

    async def attach(self, payment_method_id: str, customer_id: str) -> CardDetails:
        card = TEST_CARDS.get(payment_method_id)
        if card is None:
            raise InvalidInput(f"the sandbox saves only {', '.join(TEST_CARDS)}", "paymentMethodId")
        behaviour, brand, last4 = card
        saved = f"pm_sandbox_{behaviour}_{secrets.token_hex(8)}"
        return CardDetails(saved, brand, last4, 12, datetime.now(UTC).year + 3)

    async def detach(self, payment_method_id: str) -> None:
        return None  # nothing is kept on the sandbox's side

    async def create_intent(self, request: IntentRequest) -> IntentState:
        behaviour = (
            request.payment_method_id.split("_")[2] if request.payment_method_id.count("_") >= 3 else ""
        )
        status = INTENT_OUTCOMES.get(behaviour)
        if status is None:
            raise PaymentProviderError("not a sandbox card")
        metadata = {
            "reservation_id": str(request.reservation_id),
            "organisation_id": str(request.organisation_id),
            "reference": request.reference,
            "mode": INTENT_MODE,
        }
        async with translated(), self._engine.begin() as conn:
            await conn.execute(  # one intent per idempotency key, as Stripe replays a repeated create
                pg_insert(intents)
                .values(
                    id=_id("pi"),
                    organisation_id=request.organisation_id,
                    reservation_id=request.reservation_id,
                    amount=request.amount,
                    currency=request.currency,
                    status=status,
                    payment_method_id=request.payment_method_id,
                    return_url=request.return_url,
                    metadata=metadata,
                    idempotency_key=request.idempotency_key,
                )
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
            )
            row = await _one(conn, intents.c.idempotency_key == request.idempotency_key)
        assert row is not None
        return self._intent(row)

    async def retrieve_intent(self, intent_id: str) -> IntentState:
        async with translated(), self._engine.connect() as conn:
            row = await _one(conn, intents.c.id == intent_id)
        if row is None:
            raise PaymentProviderError("no such sandbox payment")
        return self._intent(row)

    async def cancel_intent(self, intent_id: str) -> IntentState:
        async with translated(), self._engine.begin() as conn:
            await conn.execute(
                update(intents)
                .where(intents.c.id == intent_id, intents.c.status.in_(UNFINISHED))
                .values(status="canceled")
            )
        return await self.retrieve_intent(intent_id)

    async def authenticate(self, intent_id: str, passed: bool) -> tuple[ProviderEvent, str]:
        """The customer answered the 3-D Secure page: the event Stripe would send, and where to go back."""
        async with translated(), self._engine.begin() as conn:
            row = await _one(conn, intents.c.id == intent_id, intents.c.status == "requires_action")
            if row is None:
                raise PaymentProviderError("this sandbox payment is not waiting for authentication")
            status = "succeeded" if passed else "requires_payment_method"
            await conn.execute(update(intents).where(intents.c.id == intent_id).values(status=status))
        intent = await self.retrieve_intent(intent_id)
        back = _with_query(row["return_url"], payment_intent=intent_id)
        if passed:
            return IntentChanged(_id("evt"), intent), back
        return PaymentIntentFailed(_id("evt"), intent_id, intent.metadata), back

    async def intent_row(self, intent_id: str) -> dict[str, Any] | None:
        async with translated(), self._engine.connect() as conn:
            row = await _one(conn, intents.c.id == intent_id)
        return dict(row) if row else None

    def _intent(self, row: Mapping[Any, Any]) -> IntentState:
        waiting = row["status"] == "requires_action"
        return IntentState(
            id=row["id"],
            status=row["status"],
            amount=row["amount"],
            currency=row["currency"],
            client_secret=f"{row['id']}_secret_sandbox",
            metadata=dict(row["metadata"]),
            next_action_url=f"{self._base}/sandbox/intents/{row['id']}" if waiting else None,
        )

    async def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        session_id = _id("cs")
        metadata = {
            "reservation_id": str(request.reservation_id),
            "organisation_id": str(request.organisation_id),
            "reference": request.reference,
            "description": request.description,
        }
        async with translated(), self._engine.begin() as conn:
            await conn.execute(
                insert(sessions).values(
                    id=session_id,
                    organisation_id=request.organisation_id,
                    reservation_id=request.reservation_id,
                    amount=request.amount,
                    currency=request.currency,
                    status="open",
                    payment_status="unpaid",
                    success_url=request.success_url,
                    cancel_url=request.cancel_url,
                    expires_at=request.expires_at,
                    metadata=metadata,
                )
            )
        return await self.retrieve_checkout(session_id)

    async def retrieve_checkout(self, session_id: str) -> CheckoutSession:
        async with translated(), self._engine.connect() as conn:
            row = (await conn.execute(select(sessions).where(sessions.c.id == session_id))).mappings().first()
        if row is None:
            raise PaymentProviderError("no such sandbox checkout session")
        status = row["status"]
        if status == "open" and row["expires_at"] <= datetime.now(UTC):
            status = "expired"
        return CheckoutSession(
            id=row["id"],
            url=f"{self._base}/sandbox/checkout/{row['id']}",
            status=status,
            payment_status=row["payment_status"],
            payment_intent_id=row["payment_intent_id"],
            amount_total=row["amount"],
            currency=row["currency"],
            metadata=dict(row["metadata"]),
        )

    async def session_row(self, session_id: str) -> dict[str, Any] | None:
        async with translated(), self._engine.connect() as conn:
            row = (await conn.execute(select(sessions).where(sessions.c.id == session_id))).mappings().first()
        return dict(row) if row else None

    async def complete(self, session_id: str) -> ProviderEvent:
        """The customer pressed Pay: the session completes, as checkout.session.completed tells."""
        intent = _id("pi")
        async with translated(), self._engine.begin() as conn:
            done = await conn.execute(
                update(sessions)
                .where(sessions.c.id == session_id, sessions.c.status == "open")
                .values(status="complete", payment_status="paid", payment_intent_id=intent)
            )
        if done.rowcount != 1:
            raise PaymentProviderError("the sandbox checkout session is not open")
        return CheckoutCompleted(_id("evt"), await self.retrieve_checkout(session_id))

    async def decline(self, session_id: str) -> ProviderEvent:
        """The customer pressed Decline: the card is refused, the session stays open for another try."""
        session = await self.retrieve_checkout(session_id)
        return PaymentIntentFailed(_id("evt"), _id("pi"), session.metadata)

    async def expire_checkout(self, session_id: str) -> CheckoutSession:
        async with translated(), self._engine.begin() as conn:
            await conn.execute(
                update(sessions)
                .where(sessions.c.id == session_id, sessions.c.status == "open")
                .values(status="expired")
            )
        return await self.retrieve_checkout(session_id)

    async def refund(
        self, payment_intent_id: str, amount: int, reason: str | None, idempotency_key: str
    ) -> RefundResult:
        return RefundResult(_id("re"), amount, "succeeded")

    async def create_account(self, organisation_id: int, email: str | None, idempotency_key: str) -> str:
        return _id("acct")

    async def onboarding_link(self, account_id: str, refresh_url: str, return_url: str) -> str:
        return f"{self._base}/sandbox/connect/{account_id}"

    async def retrieve_account(self, account_id: str) -> AccountState:
        async with translated(), self._engine.connect() as conn:
            row = (
                (
                    await conn.execute(
                        select(organisations).where(organisations.c.stripe_account_id == account_id)
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            return AccountState(account_id, False, False, False)
        return AccountState(
            account_id, row["charges_enabled"], row["payouts_enabled"], row["details_submitted"]
        )

    def account_completed(self, account_id: str) -> ProviderEvent:
        """Onboarding finished: Stripe would send account.updated with charges and payouts enabled."""
        return AccountUpdated(_id("evt"), AccountState(account_id, True, True, True))

    def parse_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        return verified_event(payload, signature, self._secrets)
