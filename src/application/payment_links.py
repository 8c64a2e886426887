"""Payment links (API.md section 13): staff send the customer of a booking they made a Checkout Session for
its price; the booking keeps its status, its paymentStatus waits for the money (the webhook settles it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.access import authorize
from application.checkout import CheckoutTerms
from application.mail_ports import OutgoingMail
from application.payment_ports import CheckoutRequest, PaymentGateway
from application.payments import KEPT
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.access import RESERVATIONS_WRITE
from domain.catalog import Organisation
from domain.errors import Conflict, InvalidInput, NotFound, PaymentsUnavailable
from domain.identity import Caller
from domain.money import application_fee
from domain.notifications import Mail
from domain.reservation import Reservation


@dataclass(frozen=True)
class PaymentLink:
    url: str
    session_id: str
    amount: int
    currency: str
    expires_at: datetime


class PaymentLinks:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        gateway: PaymentGateway,
        terms: CheckoutTerms,
        return_url: Callable[[Organisation], str],
    ) -> None:
        self.uow, self.clock, self.gateway, self.terms, self.return_url = (
            uow,
            clock,
            gateway,
            terms,
            return_url,
        )

    async def _payable(
        self, uow: UnitOfWork, organisation_id: int, reservation_id: int
    ) -> tuple[Reservation, Organisation]:
        reservation = await uow.reservations.get(organisation_id, reservation_id, lock=True)
        org = await uow.organisations.by_id(organisation_id)
        if reservation is None or org is None:
            raise NotFound("no such reservation")
        if not org.accepts_payments():
            raise PaymentsUnavailable("this organisation cannot take payments now")
        payments, _ = await uow.payments.of_reservation(organisation_id, reservation_id)
        if any(p.status in KEPT or p.status == "processing" for p in payments):
            raise Conflict("this reservation is paid or being paid")
        if reservation.quote.total <= 0:
            raise Conflict("this reservation has nothing to pay")
        reservation.payment_link_opened()  # the status machine's word: confirmed or pending, not paid
        return reservation, org

    async def create(self, caller: Caller, reservation_id: int, hours: int = 24) -> PaymentLink:
        organisation_id, _ = authorize(caller, RESERVATIONS_WRITE)
        if not 1 <= hours <= 24:
            raise InvalidInput("expiresInHours is 1 to 24", "expiresInHours")
        now = self.clock.now()
        async with self.uow() as uow:
            reservation, org = await self._payable(uow, organisation_id, reservation_id)
            reservation.count_attempt()
            await uow.reservations.update(reservation)
            await uow.commit()
        if reservation.stripe_checkout_session_id:  # one open link at a time
            await self.gateway.expire_checkout(reservation.stripe_checkout_session_id)
        total, expires = reservation.quote.total, now + timedelta(hours=hours)
        back = self.return_url(org) + "?sessionId={CHECKOUT_SESSION_ID}"
        session = await self.gateway.create_checkout(
            CheckoutRequest(
                reservation_id=reservation.id,
                organisation_id=org.id,
                reference=reservation.reference,
                description=f"Booking {reservation.reference}",
                amount=total,
                currency=reservation.quote.currency,
                application_fee=application_fee(
                    total, org.effective_commission(self.terms.platform_commission_bps)
                ),
                destination=org.stripe.account_id,
                expires_at=expires,
                success_url=back,
                cancel_url=back,
                customer_email=reservation.customer.email,
                idempotency_key=f"paylink:{reservation.id}:{reservation.checkout_attempt}",
            )
        )
        try:
            await self._record(organisation_id, reservation_id, org, session.id, session.url, expires, now)
        except BaseException:
            await self.gateway.expire_checkout(
                session.id
            )  # paid or changed meanwhile: the link must not stay open
            raise
        return PaymentLink(session.url or "", session.id, total, reservation.quote.currency, expires)

    async def _record(
        self,
        organisation_id: int,
        reservation_id: int,
        org: Organisation,
        session_id: str,
        url: str | None,
        expires: datetime,
        now: datetime,
    ) -> None:
        async with self.uow() as uow:
            current, _ = await self._payable(uow, organisation_id, reservation_id)
            await uow.reservations.update(current)
            await uow.reservations.set_checkout(organisation_id, reservation_id, session_id, now)
            if current.customer.email and url:
                link = {"url": url, "expires_at": expires.isoformat()}
                mail = OutgoingMail(
                    0,
                    org.id,
                    current.id,
                    f"paylink_{session_id}",
                    Mail.PAYMENT_LINK,
                    current.customer.email,
                    link,
                )
                await uow.outgoing_mail.add([mail])
            await uow.commit()
