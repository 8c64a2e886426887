"""checkout-retry: another Checkout Session for the same reservation, while its hold or its capacity lasts.

One reservation never has two open sessions: a retry claims the reservation (a concurrent one is refused),
ends the old session at the provider, renews the hold, and only then opens the new session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import timedelta
from typing import TypeVar

from application.checkout import Checkouts, Reserved, retry_possible
from application.holds import expire_lapsed_around
from application.intents import apply_intent
from application.payment_ports import PaymentGateway
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.catalog import Organisation, ResourceType
from domain.errors import CapacityConflict, NotFound, RetryNotPossible
from domain.reservation import Reservation
from domain.status import PaymentStatus, ReservationStatus

S = ReservationStatus
Finder = Callable[[UnitOfWork], Awaitable[Reservation | None]]  # the reservation to pay again, locked
T = TypeVar("T")
Opener = Callable[[Reservation, Organisation, ResourceType], Awaitable[T]]
CLAIM = timedelta(minutes=2)  # longer than the provider calls of one retry can take


class RetryCheckout:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, gateway: PaymentGateway, checkouts: Checkouts
    ) -> None:
        self.uow, self.clock, self.gateway, self.checkouts = uow, clock, gateway, checkouts

    async def __call__(self, organisation_id: int, session_id: str, status_url: str) -> Reserved:
        """Expire the old session, renew the hold (HOLD_MINUTES + 1 from now), open a new session that
        returns to `status_url`."""

        async def by_session(uow: UnitOfWork) -> Reservation | None:
            found = await uow.reservations.by_checkout_session(session_id, lock=True)
            return found if found is not None and found.organisation_id == organisation_id else None

        back = status_url + "?sessionId={CHECKOUT_SESSION_ID}"
        # No manage token: whoever holds a session id (it travels in URLs) must not manage the booking.
        return await self._again(by_session, back, back, "no such checkout session")

    async def for_customer(
        self, user_id: int, reference: str, success: str | None, cancel: str | None, status_url: str
    ) -> Reserved:
        """The owner's own pending (or lapsed, while its time is free) booking, paid through a new Checkout
        Session; the open session is ended first. `status_url` is the organisation's checkout-status."""
        back = status_url + "?sessionId={CHECKOUT_SESSION_ID}"
        terms = self.checkouts.terms
        success_url = terms.return_url(success, back, "successUrl")
        cancel_url = terms.return_url(cancel, back, "cancelUrl")

        async def by_owner(uow: UnitOfWork) -> Reservation | None:
            return await uow.reservations.by_customer(user_id, reference.upper(), lock=True)

        return await self._again(by_owner, success_url, cancel_url)

    async def _again(
        self, find: Finder, success: str, cancel: str, missing: str = "no such booking"
    ) -> Reserved:
        async def checkout(reservation: Reservation, org: Organisation, rt: ResourceType) -> Reserved:
            return await self.checkouts.open(reservation, org, rt.name, success, cancel, None, retried=True)

        return await self.attempt(find, missing, checkout)

    async def attempt(self, find: Finder, missing: str, pay: Opener[T]) -> T:
        """Another payment attempt: claim the reservation (a concurrent attempt is refused), end the
        current session or PaymentIntent, renew the hold, then `pay` (a Checkout Session, or a charge of a
        saved card)."""
        reservation, org, rt = await self._claim(find, missing)
        try:
            await self._end_current_session(reservation)
            await self._end_current_intent(reservation)
            reservation = await self._renew(reservation)
        except BaseException:
            await self._unclaim(reservation)
            raise
        return await pay(reservation, org, rt)

    async def _end_current_intent(self, reservation: Reservation) -> None:
        """A saved-card attempt still awaiting 3-D Secure ends before another starts; one that succeeded
        meanwhile is applied and this attempt refused."""
        current = reservation.stripe_payment_intent_id
        if current is None:
            return
        intent = await self.gateway.cancel_intent(current)
        if intent.status not in ("succeeded", "processing"):
            return
        async with self.uow() as uow:
            locked = await uow.reservations.get(reservation.organisation_id, reservation.id, lock=True)
            if locked is not None:
                await apply_intent(uow, self.checkouts.cashier, locked, intent)
            await uow.commit()
        raise RetryNotPossible("the booking was paid meanwhile")

    async def _claim(self, find: Finder, missing: str) -> tuple[Reservation, Organisation, ResourceType]:
        now = self.clock.now()
        async with self.uow() as uow:
            reservation = await find(uow)
            if reservation is None:
                raise NotFound(missing)
            organisation_id = reservation.organisation_id
            org = await uow.organisations.by_id(organisation_id)
            rt = await uow.resource_types.get(organisation_id, reservation.resource_type_id)
            if org is None or rt is None or not await retry_possible(uow, reservation, now):
                raise RetryNotPossible(
                    "this booking cannot be paid again now: it is paid or being paid, cancelled, retried too "
                    "often or right now, its time is taken, or the organisation cannot take payments"
                )
            if not await uow.reservations.claim_checkout(organisation_id, reservation.id, now + CLAIM, now):
                raise RetryNotPossible(
                    "another retry of this booking is running"
                )  # pragma: no cover - locked
            reservation.count_attempt()
            await uow.commit()
        return reservation, org, rt

    async def _end_current_session(self, reservation: Reservation) -> None:
        """The current session must not be payable once the new one exists; if it was paid meanwhile, that
        payment is applied and the retry refused."""
        current = reservation.stripe_checkout_session_id
        if current is None:
            return
        session = await self.gateway.expire_checkout(current)
        if session.status != "complete":
            return
        async with self.uow() as uow:
            locked = await uow.reservations.get(reservation.organisation_id, reservation.id, lock=True)
            if locked is not None:
                await self.checkouts.apply(uow, locked, session)
            await uow.commit()
        raise RetryNotPossible("the booking was paid meanwhile")

    async def _renew(self, reservation: Reservation) -> Reservation:
        now = self.clock.now()
        async with self.uow() as uow:
            current = await uow.reservations.get(reservation.organisation_id, reservation.id, lock=True)
            if current is None or current.status not in (S.PENDING_PAYMENT, S.EXPIRED):
                raise RetryNotPossible("the booking changed meanwhile")
            if current.payment_status in (PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED):
                raise RetryNotPossible("the booking was paid meanwhile")
            await expire_lapsed_around(uow, current, now)
            current.renew_hold(self.checkouts.terms.hold_until(now), now)
            try:
                async with uow.savepoint():
                    saved = await uow.reservations.update(current)
            except CapacityConflict as exc:
                raise RetryNotPossible("the time is no longer free") from exc
            await uow.commit()
        return saved

    async def _unclaim(self, reservation: Reservation) -> None:
        with suppress(
            Exception
        ):  # the claim lapses by itself after CLAIM; the first error is the one to report
            async with self.uow() as uow:
                await uow.reservations.release_checkout(reservation.organisation_id, reservation.id)
                await uow.commit()
