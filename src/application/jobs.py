"""Background jobs: lapsed payment holds, pending payments, finished reservations, recorded events, old
idempotency keys. Safe in many processes: each claims its rows with FOR UPDATE SKIP LOCKED."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from application.calendars import ImportCalendars
from application.checkout import Checkouts
from application.mail import PurgeMail, RemindCustomers, SendMail
from application.outbox import DispatchOutbox, PurgeOutbox
from application.ports import Clock, IdempotencyStore, Metrics, UnitOfWorkFactory
from application.webhook_delivery import DeliverWebhooks, PurgeDeliveries
from domain.errors import PaymentProviderError

log = logging.getLogger("booking.jobs")

RECONCILE_AFTER = timedelta(minutes=3)  # a payment pending this long without a webhook is asked about
RECONCILE_EVERY = timedelta(minutes=1)
COMPLETE_AFTER = timedelta(minutes=0)
KEY_RETENTION = timedelta(hours=24)
DRAIN_FOR = timedelta(seconds=5)


@dataclass(frozen=True)
class Round:
    expired: int
    reconciled: int
    completed: int
    dispatched: int = 0
    delivered: int = 0


class BackgroundJobs:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        checkouts: Checkouts,
        idempotency: IdempotencyStore,
        metrics: Metrics,
        dispatch: DispatchOutbox,
        purge: PurgeOutbox,
        deliver: DeliverWebhooks,
        purge_deliveries: PurgeDeliveries,
        *,
        send_mail: SendMail | None = None,
        remind: RemindCustomers | None = None,
        purge_mail: PurgeMail | None = None,
        import_calendars: ImportCalendars | None = None,
    ) -> None:
        self.uow, self.clock, self.checkouts, self.idempotency = uow, clock, checkouts, idempotency
        self.metrics, self.dispatch, self.purge = metrics, dispatch, purge
        self.deliver, self.purge_deliveries = deliver, purge_deliveries
        self.send_mail, self.remind, self.purge_mail = send_mail, remind, purge_mail
        self.import_calendars = import_calendars

    async def run_once(self) -> Round:
        done = Round(
            await self.expire_lapsed_holds(),
            await self.reconcile_pending(),
            await self.complete_past(),
            await self.dispatch_events(),
        )
        if self.remind is not None:
            await self.remind()
        if self.import_calendars is not None:
            await self.import_calendars()
        await self.forget_old_keys()
        await self.purge_deliveries()
        if self.purge_mail is not None:
            await self.purge_mail()
        self.metrics.holds_expired(done.expired)
        self.metrics.payments_reconciled(done.reconciled)
        return done

    async def expire_lapsed_holds(self, batch: int = 100) -> int:
        """Pending payments past their hold end expired; their Checkout Sessions expired at the provider."""
        now = self.clock.now()
        async with self.uow() as uow:
            lapsed = await uow.reservations.lapsed_holds(now, batch)
            for reservation in lapsed:
                reservation.expire_hold(now)
                await uow.reservations.update(reservation)
            await uow.commit()
        for reservation in lapsed:
            await self.checkouts.expire_quietly(reservation.stripe_checkout_session_id)
        return len(lapsed)

    async def reconcile_pending(self, batch: int = 50) -> int:
        """Pending payments with no word from the provider for a while: ask and apply the answer."""
        now = self.clock.now()
        async with self.uow() as uow:
            due = await uow.reservations.claim_pending_payments(
                now - RECONCILE_AFTER, now - RECONCILE_EVERY, now, batch
            )
            await uow.commit()
        done = 0
        for organisation_id, reservation_id in due:
            try:
                await self.checkouts.reconcile(organisation_id, reservation_id)
                done += 1
            except PaymentProviderError:
                log.warning(
                    "reconciling reservation %s failed: the payment provider is unavailable", reservation_id
                )
        return done

    async def complete_past(self, batch: int = 500) -> int:
        """Confirmed reservations that have ended become completed (each records reservation.completed)."""
        now = self.clock.now()
        async with self.uow() as uow:
            ended = await uow.reservations.ended(now - COMPLETE_AFTER, batch)
            for reservation in ended:
                reservation.complete(now)
                await uow.reservations.update(reservation)
            await uow.commit()
        return len(ended)

    async def dispatch_events(self, purge: bool = True) -> int:
        """Recorded events to their consumers, until none is due (a burst is drained in one round)."""
        total = 0
        while handled := await self.dispatch():
            total += handled
        if purge:
            await self.purge()
        return total

    async def notify(self) -> Round:
        """The quick round, every second or so: recorded events fanned out, webhooks and e-mails sent while
        any are due, for a few seconds at most (a burst is drained over the next rounds, and a stopping
        worker is never kept waiting long)."""
        until = self.clock.now() + DRAIN_FOR
        dispatched = await self.dispatch_events(purge=False)
        delivered = 0
        while sent := await self.deliver():
            delivered += sent
            dispatched += await self.dispatch_events(purge=False)
            if self.clock.now() >= until:
                break
        if self.send_mail is not None:
            while mailed := await self.send_mail():
                delivered += mailed
                if self.clock.now() >= until:
                    break
        return Round(0, 0, 0, dispatched, delivered)

    async def forget_old_keys(self) -> int:
        """Idempotency keys past their 24 hours: the table does not grow with history."""
        return await self.idempotency.forget_before(self.clock.now() - KEY_RETENTION, 5_000)
