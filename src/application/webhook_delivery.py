"""Outgoing webhooks on their way: each recorded event fanned out to the endpoints that want it (an outbox
consumer, in the event's claiming transaction), then sent by the worker, signed, retried on the schedule of
API.md section 10 until a 2xx, a 410, or three days."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from datetime import timedelta

from application.ports import Clock, OutboxEvent, UnitOfWork, UnitOfWorkFactory
from application.webhook_ports import (
    FAILED,
    SUCCEEDED,
    Delivery,
    Outcome,
    ReservationDocument,
    WebhookSender,
)
from domain.webhooks import PING, TIMEOUT_SECONDS, Endpoint, gave_up_on, next_attempt, signatures

log = logging.getLogger("booking.webhooks")

CLAIM = timedelta(seconds=TIMEOUT_SECONDS * 6)  # a claimed attempt is another worker's again after this
IN_FLIGHT = 16  # requests one worker has open at once
KEEP_DELIVERIES = timedelta(days=30)


def _money(event: OutboxEvent) -> dict[str, object] | None:
    if not event.type.startswith("payment."):
        return None
    p = event.payload
    return {"amount": p.get("amount", 0), "currency": p.get("currency", ""), "stripeId": p.get("stripe_id")}


class FanOutWebhooks:
    """The outbox consumer: one delivery for each endpoint of the organisation that wants the event, its
    body made now from the reservation as staff see it."""

    name = "webhooks"

    def __init__(self, document: ReservationDocument) -> None:
        self.document = document

    async def __call__(self, uow: UnitOfWork, event: OutboxEvent) -> None:
        endpoints = await uow.webhook_endpoints.subscribed(event.organisation_id, event.type)
        if not endpoints:
            return
        reservation = await uow.reservations.get(
            event.organisation_id, event.reservation_id, include_deleted=True
        )
        if reservation is None:
            return  # gone with its organisation
        data: dict[str, object] = {"reservation": self.document(reservation)}
        money = _money(event)
        if money is not None:
            data["payment"] = money
        body = {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": data}
        encoded = json.dumps(body, separators=(",", ":"), default=str).encode()
        await uow.webhook_deliveries.add(
            [
                Delivery(
                    id=0,
                    organisation_id=event.organisation_id,
                    endpoint_id=endpoint.id,
                    event_id=f"evt_{event.id}",
                    event_type=event.type,
                    body=encoded,
                    next_attempt_at=event.occurred_at,
                )
                for endpoint in endpoints
            ]
        )


class DeliverWebhooks:
    """One round of sending: claim what is due, send it (a few at a time), record each outcome."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, sender: WebhookSender, retry_scale: float = 1.0
    ) -> None:
        self.uow, self.clock, self.sender, self.scale = uow, clock, sender, retry_scale
        self.slots = asyncio.Semaphore(IN_FLIGHT)

    async def __call__(self, batch: int = 64) -> int:
        """Attempts made this round."""
        now = self.clock.now()
        async with self.uow() as uow:
            due = await uow.webhook_deliveries.claim(now, now + CLAIM, batch)
            await uow.commit()
        if not due:
            return 0
        await asyncio.gather(*(self._deliver(d, e) for d, e in due))
        return len(due)

    async def _deliver(self, delivery: Delivery, endpoint: Endpoint) -> None:
        outcome = await self._attempt(delivery, endpoint)
        # Each outcome recorded as it comes: a killed worker re-sends only what was in flight.
        async with self.uow() as uow:
            await self._record(uow, delivery, endpoint, outcome)
            await uow.commit()

    async def _attempt(self, delivery: Delivery, endpoint: Endpoint) -> Outcome:
        if not endpoint.enabled and delivery.event_type != PING:
            return Outcome(None, "the endpoint is disabled", 0)
        now = self.clock.now()
        stamp = int(now.timestamp())
        headers = {
            "content-type": "application/json",
            "user-agent": "booking-platform-webhooks/1",
            "webhook-id": delivery.event_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": signatures(
                endpoint.secrets_at(now), delivery.event_id, stamp, delivery.body
            ),
            "booking-delivery": f"{delivery.id}.{delivery.attempt}",  # which attempt of which delivery
        }
        async with self.slots:
            return await self.sender.send(endpoint.url, headers, delivery.body)

    async def _record(
        self, uow: UnitOfWork, delivery: Delivery, endpoint: Endpoint, outcome: Outcome
    ) -> None:
        now = self.clock.now()
        first = delivery.created_at or now
        if outcome.succeeded:
            status, retry = SUCCEEDED, None
        elif outcome.status == 410 or not endpoint.enabled:
            status, retry = FAILED, None
        else:
            retry = next_attempt(delivery.attempt, first, now, self.scale)
            status = delivery.status if retry is not None else FAILED
        await uow.webhook_deliveries.record(
            replace(
                delivery,
                status=status,
                response_status=outcome.status,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
                next_attempt_at=retry,
            ),
            now,
        )
        if delivery.event_type == PING or not endpoint.enabled:
            return  # a ping says how the endpoint answers; a switched-off endpoint stays as it is
        if outcome.succeeded:
            if endpoint.failing_since is not None:
                await uow.webhook_endpoints.failing(
                    endpoint.organisation_id, endpoint.id, None, disable=False
                )
            return
        since = endpoint.failing_since or now
        gone = outcome.status == 410
        # Off after 410, or three days of nothing but failures: this delivery tried that long in vain.
        exhausted = retry is None and since <= first
        disable = gone or exhausted or gave_up_on(since, now, self.scale)
        if disable:
            why = "it answered 410 Gone" if gone else "three days of nothing but failures"
            log.warning("webhook endpoint %s switched off: %s", endpoint.id, why)
        await uow.webhook_endpoints.failing(endpoint.organisation_id, endpoint.id, since, disable)


class PurgeDeliveries:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    async def __call__(self) -> int:
        async with self.uow() as uow:
            purged = await uow.webhook_deliveries.purge(self.clock.now() - KEEP_DELIVERIES, 5_000)
            await uow.commit()
        return purged
