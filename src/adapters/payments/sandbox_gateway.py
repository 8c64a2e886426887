"""The sandbox provider: Stripe's shapes without Stripe, for development; its checkout page feeds the
same event handling the real webhook does. Production refuses to start with it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.payments.stripe_gateway import verified_event
from adapters.postgres.errors import translated
from adapters.postgres.tables import organisations
from adapters.postgres.tables import sandbox_checkout_sessions as sessions
from application.card_ports import CardDetails
from application.payment_ports import (
    AccountState,
    AccountUpdated,
    CheckoutCompleted,
    CheckoutRequest,
    CheckoutSession,
    IntentRequest,
    IntentState,
    PaymentIntentFailed,
    ProviderEvent,
    RefundResult,
)
from domain.errors import PaymentProviderError, PaymentsUnavailable


def _id(prefix: str) -> str:
    return f"{prefix}_sandbox_{secrets.token_hex(12)}"


class SandboxGateway:
    name = "sandbox"

    def __init__(self, engine: AsyncEngine, public_base_url: str, webhook_secrets: list[str]) -> None:
        self._engine = engine
        self._base = public_base_url
        self._secrets = [s for s in webhook_secrets if s]

    # Saved cards need Stripe.js and Stripe's Customers: the sandbox says so, plainly (409).
    async def create_customer(self, user_id: int, email: str, idempotency_key: str) -> str:
        raise PaymentsUnavailable("saved cards need the stripe payments provider")

    async def setup_intent(self, customer_id: str) -> str:
        raise PaymentsUnavailable("saved cards need the stripe payments provider")

    async def attach(self, payment_method_id: str, customer_id: str) -> CardDetails:
        raise PaymentsUnavailable("saved cards need the stripe payments provider")

    async def detach(self, payment_method_id: str) -> None:
        raise PaymentsUnavailable("saved cards need the stripe payments provider")

    async def create_intent(self, request: IntentRequest) -> IntentState:
        raise PaymentsUnavailable("paying with a saved card needs the stripe payments provider")

    async def retrieve_intent(self, intent_id: str) -> IntentState:
        raise PaymentsUnavailable("paying with a saved card needs the stripe payments provider")

    async def cancel_intent(self, intent_id: str) -> IntentState:
        raise PaymentsUnavailable("paying with a saved card needs the stripe payments provider")

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
