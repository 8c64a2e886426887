"""Customer self-service by the secret manage token: read the booking, cancel it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from application.booking import place, price, retrying, target_of
from application.cancel import RefundOutcome, cancel_with_refund, check_reason, money_back, refund_rule
from application.checkout import Checkouts
from application.payments import Cashier
from application.ports import Clock, SecretHasher, UnitOfWork, UnitOfWorkFactory
from application.public_booking import check_public_time
from domain.catalog import Organisation, ResourceType, open_to_public
from domain.errors import InvalidTransition, NotFound, RescheduleNotPossible
from domain.reservation import Reservation, check_times
from domain.status import ReservationStatus
from domain.stays import When, period_of


@dataclass(frozen=True)
class ManagedBooking:
    reservation: Reservation
    organisation: Organisation
    resource_type: ResourceType | None
    refund_if_cancelled_now: int


@dataclass(frozen=True)
class OwnBooking:
    """A logged-in customer's booking, named by its reference: theirs or nobody's (API.md section 13)."""

    user_id: int
    reference: str


BookingKey = str | OwnBooking  # a manage token, or a customer's own reference


class SelfService:
    """What the holder of a manage token may do: see the booking and what cancelling now would refund,
    cancel it (by the snapshot policy) until it starts, move it to another time at the same price."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        secret_hash: SecretHasher,
        cashier: Cashier,
        checkouts: Checkouts,
    ) -> None:
        self.uow, self.clock, self.secret_hash, self.cashier, self.checkouts = (
            uow,
            clock,
            secret_hash,
            cashier,
            checkouts,
        )

    async def _find(self, uow: UnitOfWork, key: BookingKey, lock: bool = False) -> Reservation | None:
        if isinstance(key, OwnBooking):
            return await uow.reservations.by_customer(key.user_id, key.reference.upper(), lock)
        return await uow.reservations.by_manage_token(self.secret_hash(key), lock)

    async def view(self, key: BookingKey) -> ManagedBooking:
        """The booking behind a manage token (or a customer's own reference); NotFound for any other."""
        async with self.uow() as uow:
            reservation = await self._find(uow, key)
            if reservation is None:
                raise NotFound("no such booking")
            return await self.managed(uow, reservation)

    async def managed(self, uow: UnitOfWork, reservation: Reservation) -> ManagedBooking:
        """A booking as its customer sees it: with its organisation, type and what cancelling now refunds."""
        org = await uow.organisations.by_id(reservation.organisation_id)
        rt = await uow.resource_types.get(reservation.organisation_id, reservation.resource_type_id)
        amount = 0
        if reservation.status != ReservationStatus.CANCELLED:
            rule = refund_rule(reservation, "policy")
            _, amount = await money_back(uow, reservation, rule, self.clock.now())
        assert org is not None
        return ManagedBooking(reservation, org, rt, amount)

    async def cancel(self, key: BookingKey, reason: str | None) -> tuple[ManagedBooking, RefundOutcome]:
        """The customer cancels; the snapshot policy decides any refund."""
        check_reason(reason)
        now = self.clock.now()
        async with self.uow() as uow:
            found = await self._find(uow, key)
        if found is not None and found.start_time > now:
            await self.checkouts.end_open_session(found)  # first, and outside any transaction
        async with self.uow() as uow:
            reservation = await self._find(uow, key, lock=True)
            if reservation is None:
                raise NotFound("no such booking")
            if reservation.status != ReservationStatus.CANCELLED and reservation.start_time <= now:
                raise InvalidTransition(
                    "a booking that has started is cancelled by the organisation, not online"
                )
            key = f"refund:{reservation.id}:cancel"
            done = await cancel_with_refund(uow, self.cashier, reservation, reason, "policy", key)
            saved = done.reservation
            org = await uow.organisations.by_id(saved.organisation_id)
            rt = await uow.resource_types.get(saved.organisation_id, saved.resource_type_id)
            await uow.commit()
        assert org is not None
        return ManagedBooking(saved, org, rt, 0), done.refund

    async def organisation_of(self, key: BookingKey) -> int:
        """The organisation of the booking behind a manage token, for scoping idempotency keys."""
        async with self.uow() as uow:
            reservation = await self._find(uow, key)
        if reservation is None:
            raise NotFound("no such booking")
        return reservation.organisation_id

    async def reschedule(self, key: BookingKey, when: When) -> ManagedBooking:
        """Move the booking to a time a customer may book, with the same quantity and total, until the
        organisation's rescheduleMinHoursBefore; atomic: the old time is let go only as the new is taken."""
        now = self.clock.now()

        async def attempt() -> None:
            async with self.uow() as uow:
                current = await self._find(uow, key, lock=True)
                if current is None:
                    raise NotFound("no such booking")
                org = await uow.organisations.by_id(current.organisation_id)
                rt = await uow.resource_types.get(current.organisation_id, current.resource_type_id)
                assert org is not None
                if rt is None or not open_to_public(org, rt):
                    raise RescheduleNotPossible("this organisation does not take bookings online now")
                current.check_movable_by_customer(now, org.reschedule_min_hours_before)
                rules = replace(rt.stay_rules, unit=current.booking_unit)
                period = period_of(when, rules, org.tz)
                check_times(period.start, period.end)
                check_public_time(replace(rt, booking_unit=rules.unit), period, org.tz, now)
                if period == current.period:
                    return  # already there: nothing to write
                total = price(org, rt, period, current.quantity).total
                current.reschedule_by_customer(period, total, now, org.reschedule_min_hours_before)
                target = await target_of(uow, current)
                placed = await place(
                    uow, target, period.start, period.end, current.quantity, now, exclude=current.id
                )
                current.place_on(placed, target.mode)
                await uow.reservations.update(current, reallocate=True)
                await uow.commit()

        await retrying(attempt)
        return await self.view(key)
