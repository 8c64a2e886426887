"""Background jobs: lapsed payment holds, pending payments, finished reservations. Safe in many processes:
each claims its rows with FOR UPDATE SKIP LOCKED or in one statement."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from application.checkout import expire_session, reconcile
from application.context import Context
from application.outbox import CountEvents, DispatchOutbox, PurgeOutbox
from domain.errors import PaymentProviderError

log = logging.getLogger("booking.jobs")

RECONCILE_AFTER = timedelta(minutes=3)  # a payment pending this long without a webhook is asked about
RECONCILE_EVERY = timedelta(minutes=1)
COMPLETE_AFTER = timedelta(minutes=0)
KEY_RETENTION = timedelta(hours=24)


@dataclass(frozen=True)
class Round:
    expired: int
    reconciled: int
    completed: int


async def expire_lapsed_holds(ctx: Context, batch: int = 100) -> int:
    """Pending payments past their hold end expired; their Checkout Sessions are expired at the provider."""
    now = ctx.clock.now()
    async with ctx.uow() as uow:
        lapsed = await uow.reservations.lapsed_holds(now, batch)
        for reservation in lapsed:
            reservation.expire_hold(now)
            await uow.reservations.update(reservation)
        await uow.commit()
    for reservation in lapsed:
        await expire_session(ctx, reservation.stripe_checkout_session_id)
    return len(lapsed)


async def reconcile_pending(ctx: Context, batch: int = 50) -> int:
    """Pending payments with no word from the provider for a while: ask and apply the answer."""
    now = ctx.clock.now()
    async with ctx.uow() as uow:
        due = await uow.reservations.claim_pending_payments(
            now - RECONCILE_AFTER, now - RECONCILE_EVERY, now, batch
        )
        await uow.commit()
    done = 0
    for organisation_id, reservation_id in due:
        try:
            await reconcile(ctx, organisation_id, reservation_id)
            done += 1
        except PaymentProviderError:
            log.warning(
                "reconciling reservation %s failed: the payment provider is unavailable", reservation_id
            )
    return done


async def complete_past(ctx: Context, batch: int = 500) -> int:
    """Confirmed reservations that have ended become completed (each records reservation.completed)."""
    now = ctx.clock.now()
    async with ctx.uow() as uow:
        ended = await uow.reservations.ended(now - COMPLETE_AFTER, batch)
        for reservation in ended:
            reservation.complete(now)
            await uow.reservations.update(reservation)
        await uow.commit()
    return len(ended)


async def forget_old_keys(ctx: Context) -> int:
    """Idempotency keys past their 24 hours: the table does not grow with history."""
    return await ctx.idempotency.forget_before(ctx.clock.now() - KEY_RETENTION, 5_000)


async def dispatch_events(ctx: Context) -> int:
    """Recorded events to their consumers, until none is due (a burst is drained in one round)."""
    dispatch = DispatchOutbox(ctx.uow, ctx.clock, [CountEvents(ctx.metrics)])
    total = 0
    while handled := await dispatch():
        total += handled
    await PurgeOutbox(ctx.uow, ctx.clock)()
    return total


async def run_once(ctx: Context) -> Round:
    done = Round(await expire_lapsed_holds(ctx), await reconcile_pending(ctx), await complete_past(ctx))
    await dispatch_events(ctx)
    await forget_old_keys(ctx)
    ctx.metrics.holds_expired(done.expired)
    ctx.metrics.payments_reconciled(done.reconciled)
    return done
