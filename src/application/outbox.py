"""Handing recorded events to their consumers: each event to each consumer once, in event order.

The worker claims a batch of events (SKIP LOCKED: two workers never hold the same one) and runs every
consumer that has not handled it yet inside the claiming transaction, each in a savepoint: a consumer's
work and the record that it was done commit together. A consumer that fails is retried alone, later."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from application.ports import Clock, OutboxEvent, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("booking.outbox")

RETENTION = timedelta(days=7)  # dispatched events are kept this long, for inspection, then purged
FIRST_RETRY = timedelta(seconds=5)
LAST_RETRY = timedelta(hours=1)


class Consumer(Protocol):
    """Something that acts on events: its name is where its progress is recorded."""

    name: str

    async def __call__(self, uow: UnitOfWork, event: OutboxEvent) -> None: ...


def retry_delay(attempts: int) -> timedelta:
    """Doubling from 5 s, at most an hour."""
    doubling: int = 1 << min(20, max(0, attempts - 1))
    return min(LAST_RETRY, FIRST_RETRY * doubling)


class DispatchOutbox:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, consumers: Sequence[Consumer]) -> None:
        self.uow, self.clock, self.consumers = uow, clock, consumers

    async def __call__(self, batch: int = 200) -> int:
        """Dispatch one batch; how many events every consumer has now handled."""
        now = self.clock.now()
        dispatched = 0
        async with self.uow() as uow:
            for event in await uow.outbox.claim(batch, now):
                done = await uow.outbox.consumptions(event.id)
                waiting = [c for c in self.consumers if not (c.name in done and done[c.name].done)]
                failures = [await self._consume(uow, consumer, event) for consumer in waiting]
                failed = [attempts for attempts in failures if attempts]
                if failed:
                    await uow.outbox.settle(event.id, None, now + retry_delay(min(failed)))
                else:
                    await uow.outbox.settle(event.id, now, None)
                    dispatched += 1
            await uow.commit()
        return dispatched

    async def _consume(self, uow: UnitOfWork, consumer: Consumer, event: OutboxEvent) -> int:
        """Run one consumer on one event; 0 when it succeeded, else its attempts so far."""
        now = self.clock.now()
        try:
            async with uow.savepoint():
                await consumer(uow, event)
        except Exception as exc:
            log.warning(
                "outbox consumer %s failed on event %s (%s): %s", consumer.name, event.id, event.type, exc
            )
            await uow.outbox.record(event.id, consumer.name, now, f"{type(exc).__name__}: {exc}"[:500])
            attempts = (await uow.outbox.consumptions(event.id))[consumer.name].attempts
            return max(1, attempts)
        await uow.outbox.record(event.id, consumer.name, now, None)
        return 0


class PurgeOutbox:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    async def __call__(self) -> int:
        async with self.uow() as uow:
            purged = await uow.outbox.purge(self.clock.now() - RETENTION, 5_000)
            await uow.commit()
        return purged


class CountEvents:
    """The consumer every deployment has: a counter per event type, for the operator's dashboards."""

    name = "metrics"

    def __init__(self, metrics: EventMetrics) -> None:
        self.metrics = metrics

    async def __call__(self, uow: UnitOfWork, event: OutboxEvent) -> None:
        self.metrics.outbox_event(event.type)


class EventMetrics(Protocol):
    def outbox_event(self, event_type: str) -> None: ...
