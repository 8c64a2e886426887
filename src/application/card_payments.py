"""Paying with a saved card (API.md section 13): a PaymentIntent created and confirmed on the server, a
destination charge with Checkout's application fee; the answer is applied as the webhook would apply it
(`succeeded` confirms, `processing` waits, `requires_action` waits for 3-D Secure, a decline leaves the hold
for another card), and the webhook stays the final word."""

from __future__ import annotations

from dataclasses import dataclass

from application.access import no_api_keys
from application.checkout import CardPaid, Checkouts, Reserved
from application.intents import apply_intent
from application.payment_ports import IntentRequest, PaymentGateway
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.retry import RetryCheckout
from domain.catalog import Organisation, ResourceType
from domain.errors import InvalidInput, NotFound, PaymentProviderError
from domain.identity import Caller
from domain.money import application_fee
from domain.reservation import Reservation


@dataclass(frozen=True)
class Card:
    """A caller's saved card as a charge needs it."""

    payment_method_id: str
    customer_id: str


class CardPayments:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        gateway: PaymentGateway,
        checkouts: Checkouts,
        retry: RetryCheckout,
        publishable_key: str | None,
    ) -> None:
        self.uow, self.clock, self.gateway, self.checkouts = uow, clock, gateway, checkouts
        self.retry, self.publishable_key = retry, publishable_key

    async def card_of(self, user_id: int | None, payment_method_id: str) -> Card:
        """One of this user's saved cards; any other id (or a guest's) is 400 naming paymentMethodId."""
        refused = InvalidInput("not one of your saved cards", "paymentMethodId")
        if user_id is None:
            raise refused
        async with self.uow() as uow:
            card = await uow.saved_cards.by_payment_method(user_id, payment_method_id)
            customer = await uow.saved_cards.customer_of(user_id)
        if card is None or customer is None:
            raise refused
        return Card(card.payment_method_id, customer)

    def return_url(self, supplied: str | None) -> str:
        if not supplied:
            raise InvalidInput("returnUrl is where 3-D Secure comes back to", "returnUrl")
        return self.checkouts.terms.return_url(supplied, supplied, "returnUrl")

    async def pay_own(
        self, caller: Caller, reference: str, payment_method_id: str, return_url: str | None
    ) -> Reserved:
        """Pay (or pay again) the caller's own booking awaiting payment, with one of their cards."""
        no_api_keys(caller)
        back = self.return_url(return_url)
        card = await self.card_of(caller.user_id, payment_method_id)

        async def mine(uow: UnitOfWork) -> Reservation | None:
            return await uow.reservations.by_customer(caller.user_id, reference.upper(), lock=True)

        async def charge(reservation: Reservation, org: Organisation, rt: ResourceType) -> Reserved:
            return await self.charge(reservation, org, rt, card, back)

        return await self.retry.attempt(mine, "no such booking", charge)

    async def charge(
        self, reservation: Reservation, org: Organisation, rt: ResourceType, card: Card, return_url: str
    ) -> Reserved:
        """Create and confirm the PaymentIntent of a held reservation, and apply its answer; if the
        provider fails, the attempt ends and the hold stays for another try."""
        total = reservation.quote.total
        request = IntentRequest(
            reservation_id=reservation.id,
            organisation_id=org.id,
            reference=reservation.reference,
            description=f"{rt.name} ({reservation.reference})",
            amount=total,
            currency=reservation.quote.currency,
            application_fee=application_fee(
                total, org.effective_commission(self.checkouts.terms.platform_commission_bps)
            ),
            destination=org.stripe.account_id,
            customer_id=card.customer_id,
            payment_method_id=card.payment_method_id,
            return_url=return_url,
            idempotency_key=f"intent:{reservation.id}:{reservation.checkout_attempt}",
        )
        try:
            intent = await self.gateway.create_intent(request)
        except PaymentProviderError:
            async with self.uow() as uow:
                await uow.reservations.release_checkout(reservation.organisation_id, reservation.id)
                await uow.commit()
            raise
        async with self.uow() as uow:
            await uow.reservations.set_intent(org.id, reservation.id, intent.id, self.clock.now())
            current = await uow.reservations.get(org.id, reservation.id, lock=True, include_deleted=True)
            if current is None:
                raise NotFound("no such booking")
            await apply_intent(uow, self.checkouts.cashier, current, intent)
            fresh = await uow.reservations.get(org.id, reservation.id, include_deleted=True)
            await uow.commit()
        assert fresh is not None
        return Reserved(fresh, None, card=CardPaid(intent, self.publishable_key))
