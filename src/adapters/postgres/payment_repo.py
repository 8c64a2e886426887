"""Payments, refunds and processed webhook events on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import RowMapping, func, select, update
from sqlalchemy.dialects.postgresql import insert

from adapters.postgres.base import Repository
from adapters.postgres.tables import payments, processed_webhook_events, refunds
from domain.payment import Payment, Refund


def _payment(row: RowMapping) -> Payment:
    return Payment(
        id=row["id"],
        organisation_id=row["organisation_id"],
        reservation_id=row["reservation_id"],
        amount=row["amount"],
        currency=row["currency"],
        status=row["status"],
        kind=row["kind"],
        payment_intent_id=row["payment_intent_id"],
        checkout_session_id=row["checkout_session_id"],
        charge_id=row["charge_id"],
        created_at=row["created_at"],
    )


def _refund(row: RowMapping) -> Refund:
    return Refund(
        id=row["id"],
        payment_id=row["payment_id"],
        amount=row["amount"],
        currency=row["currency"],
        status=row["status"],
        stripe_refund_id=row["stripe_refund_id"],
        reason=row["reason"],
        created_at=row["created_at"],
    )


class SqlPayments(Repository):
    async def of_reservation(
        self, organisation_id: int, reservation_id: int
    ) -> tuple[list[Payment], list[Refund]]:
        paid = await self.rows(
            select(payments)
            .where(payments.c.organisation_id == organisation_id, payments.c.reservation_id == reservation_id)
            .order_by(payments.c.id)
        )
        back = await self.rows(
            select(refunds)
            .where(refunds.c.organisation_id == organisation_id, refunds.c.reservation_id == reservation_id)
            .order_by(refunds.c.id)
        )
        return [_payment(r) for r in paid], [_refund(r) for r in back]

    async def by_intent(self, organisation_id: int, payment_intent_id: str) -> Payment | None:
        row = await self.row(
            select(payments).where(
                payments.c.organisation_id == organisation_id,
                payments.c.payment_intent_id == payment_intent_id,
            )
        )
        return _payment(row) if row else None

    async def by_intent_anywhere(self, payment_intent_id: str) -> Payment | None:
        row = await self.row(select(payments).where(payments.c.payment_intent_id == payment_intent_id))
        return _payment(row) if row else None

    async def add(self, payment: Payment) -> Payment:
        row = await self.row(
            insert(payments)
            .values(
                organisation_id=payment.organisation_id,
                reservation_id=payment.reservation_id,
                provider="stripe",
                checkout_session_id=payment.checkout_session_id,
                payment_intent_id=payment.payment_intent_id,
                charge_id=payment.charge_id,
                kind=payment.kind,
                amount=payment.amount,
                currency=payment.currency,
                status=payment.status,
            )
            .on_conflict_do_nothing(constraint="uq_payments_organisation_id_payment_intent_id")
            .returning(payments)
        )
        if row is not None:
            return _payment(row)
        existing = await self.by_intent(payment.organisation_id, payment.payment_intent_id or "")
        assert existing is not None
        return existing

    async def set_status(
        self, organisation_id: int, payment_id: int, status: str, charge_id: str | None = None
    ) -> None:
        values: dict[str, object] = {"status": status, "updated_at": func.now()}
        if charge_id is not None:
            values["charge_id"] = charge_id
        await self.execute(
            update(payments)
            .where(payments.c.organisation_id == organisation_id, payments.c.id == payment_id)
            .values(**values)
        )

    async def add_refund(self, organisation_id: int, reservation_id: int, refund: Refund) -> Refund | None:
        row = await self.row(
            insert(refunds)
            .values(
                organisation_id=organisation_id,
                reservation_id=reservation_id,
                payment_id=refund.payment_id,
                stripe_refund_id=refund.stripe_refund_id,
                amount=refund.amount,
                currency=refund.currency,
                status=refund.status,
                reason=refund.reason,
            )
            .on_conflict_do_nothing(constraint="uq_refunds_organisation_id_stripe_refund_id")
            .returning(refunds)
        )
        return _refund(row) if row else None

    async def record_event(self, event_id: str, event_type: str) -> bool:
        row = await self.row(
            insert(processed_webhook_events)
            .values(event_id=event_id, type=event_type)
            .on_conflict_do_nothing()
            .returning(processed_webhook_events.c.event_id)
        )
        return row is not None
