"""What a saved-card PaymentIntent's state does to its reservation: the same for the synchronous answer,
the webhook and reconciliation, so that each applies it exactly as the others would."""

from __future__ import annotations

from application.payment_ports import IntentState
from application.payments import Cashier
from application.ports import UnitOfWork
from domain.reservation import Reservation


async def apply_intent(
    uow: UnitOfWork, cashier: Cashier, reservation: Reservation, intent: IntentState
) -> None:
    if intent.status == "succeeded":
        await cashier.received(uow, reservation, intent.id, intent.amount, intent.currency, None, True)
    elif intent.status == "processing":
        await cashier.received(uow, reservation, intent.id, intent.amount, intent.currency, None, False)
    elif (
        intent.status in ("requires_payment_method", "canceled")
        and intent.id == reservation.stripe_payment_intent_id
    ):
        # Declined or ended: another card may be tried. An older attempt's word changes nothing.
        await cashier.failed(uow, reservation, intent.id)
