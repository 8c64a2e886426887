"""A customer's own bookings across organisations (API.md section 13): listed, seen, cancelled, moved and
downloaded by reference; another user's reference is simply not found."""

from __future__ import annotations

from collections.abc import Callable

from application.access import no_api_keys
from application.calendars import BookingCalendar
from application.cancel import RefundOutcome
from application.card_payments import CardPayments
from application.checkout import Reserved
from application.ports import Clock, Page, PageRequest, UnitOfWorkFactory
from application.retry import RetryCheckout
from application.self_service import ManagedBooking, OwnBooking, SelfService
from domain.catalog import Organisation
from domain.errors import InvalidInput
from domain.identity import Caller
from domain.status import ReservationStatus
from domain.stays import When

STATUSES = tuple(s.value for s in ReservationStatus)


class CustomerBookings:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        self_service: SelfService,
        calendar: BookingCalendar,
        retry: RetryCheckout,
        status_url: Callable[[Organisation], str],
        cards: CardPayments,
    ) -> None:
        self.uow, self.clock, self.self_service, self.calendar = uow, clock, self_service, calendar
        self.retry, self.status_url, self.cards = retry, status_url, cards

    def _own(self, caller: Caller, reference: str) -> OwnBooking:
        no_api_keys(caller)  # a customer is a person: keys act for organisations
        return OwnBooking(caller.user_id, reference)

    async def page(
        self, caller: Caller, status: str | None, upcoming: bool | None, page: PageRequest
    ) -> Page[ManagedBooking]:
        no_api_keys(caller)
        statuses = tuple(s.strip() for s in status.split(",") if s.strip()) if status else ()
        unknown = [s for s in statuses if s not in STATUSES]
        if unknown:
            raise InvalidInput(f"status is one or more of {', '.join(STATUSES)}", "status")
        async with self.uow() as uow:
            found = await uow.reservations.of_customer(
                caller.user_id, statuses, upcoming, self.clock.now(), page
            )
            shown = [await self.self_service.managed(uow, r) for r in found.items]
        return Page(shown, found.total, page)

    async def one(self, caller: Caller, reference: str) -> ManagedBooking:
        return await self.self_service.view(self._own(caller, reference))

    async def cancel(
        self, caller: Caller, reference: str, reason: str | None
    ) -> tuple[ManagedBooking, RefundOutcome]:
        return await self.self_service.cancel(self._own(caller, reference), reason)

    async def reschedule(self, caller: Caller, reference: str, when: When) -> ManagedBooking:
        return await self.self_service.reschedule(self._own(caller, reference), when)

    async def checkout(
        self, caller: Caller, reference: str, success: str | None, cancel: str | None
    ) -> tuple[Reserved, str]:
        """A new Checkout Session for the owner's own unpaid booking (the open one is ended first), and the
        status URL it returns to."""
        own = self._own(caller, reference)
        found = await self.self_service.view(own)
        back = self.status_url(found.organisation)
        return await self.retry.for_customer(own.user_id, own.reference, success, cancel, back), back

    async def pay(
        self, caller: Caller, reference: str, payment_method_id: str, return_url: str
    ) -> tuple[Reserved, str]:
        """Pay (or pay again) one's own booking awaiting payment with a saved card; the status URL too."""
        own = self._own(caller, reference)
        found = await self.self_service.view(own)
        done = await self.cards.pay_own(caller, own.reference, payment_method_id, return_url)
        return done, self.status_url(found.organisation)

    async def calendar_file(self, caller: Caller, reference: str) -> bytes:
        return await self.calendar(self._own(caller, reference))
