"""In-memory fakes of the ports, for use-case tests that run in milliseconds.

`World` is the database: units of work copy it on entry and write it back on commit, so a rolled-back unit
writes nothing (its events neither). The reservations repository refuses over-capacity holding allocations
the way the database's trigger does: by the allocations' stored holding flag, so a hold that has lapsed but
was not expired still counts (until someone expires it), exactly as in PostgreSQL."""

from __future__ import annotations

import copy
import itertools
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Self, TypeVar

from application.payment_ports import (
    INTENT_MODE,
    AccountState,
    CheckoutRequest,
    CheckoutSession,
    IntentRequest,
    IntentState,
    ProviderEvent,
    RefundResult,
)
from application.ports import Consumption, OutboxEvent, Page, PageRequest, ReservationFilter, Usage
from application.public_ports import BookingView, ViewWindow
from domain.allocation import Occupancy, buffered, peak_usage
from domain.catalog import Organisation, Resource, ResourceType, StripeAccount
from domain.errors import CapacityConflict, PaymentProviderError
from domain.events import ReservationEvent
from domain.payment import Payment, Refund
from domain.reservation import Reservation
from domain.status import HOLDING, ReservationStatus
from tests.unit.application.fake_calendars import CalendarWorld, FakeBlocks, FakeImports
from tests.unit.application.fake_cards import CardWorld, FakeSavedCards, FakeUsers
from tests.unit.application.fake_mail import FakeMailQueue, FakeReminders, MailWorld
from tests.unit.application.fake_webhooks import FakeWebhookDeliveries, FakeWebhookEndpoints, WebhookWorld

T = TypeVar("T")
NOW = datetime(2030, 6, 3, 9, 0, tzinfo=UTC)


class FixedClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class World:
    """Everything a PostgreSQL database would keep for these tests."""

    organisations: dict[int, Organisation] = field(default_factory=dict)
    resource_types: dict[int, ResourceType] = field(default_factory=dict)
    resources: dict[int, Resource] = field(default_factory=dict)
    reservations: dict[int, Reservation] = field(default_factory=dict)
    token_hashes: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, int] = field(default_factory=dict)  # every Checkout Session id -> reservation
    claims: dict[int, datetime] = field(default_factory=dict)  # checkout-retry claims
    reconciled: dict[int, datetime] = field(default_factory=dict)
    payments: list[Payment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    processed_events: set[str] = field(default_factory=set)
    outbox: list[tuple[int, str]] = field(default_factory=list)  # (reservation id, event type)
    commits: int = 0
    ids: Any = field(default_factory=lambda: itertools.count(1))
    webhooks: WebhookWorld = field(default_factory=WebhookWorld)
    mail: MailWorld = field(default_factory=MailWorld)
    calendars: CalendarWorld = field(default_factory=CalendarWorld)
    cards: CardWorld = field(default_factory=CardWorld)

    def next_id(self) -> int:
        return int(next(self.ids))

    def events_of(self, reservation_id: int) -> list[str]:
        return [kind for rid, kind in self.outbox if rid == reservation_id]


class FakeOrganisations:
    def __init__(self, world: World) -> None:
        self.w = world

    async def by_id(self, organisation_id: int) -> Organisation | None:
        return self.w.organisations.get(organisation_id)

    async def by_slug(self, slug: str) -> Organisation | None:
        return next((o for o in self.w.organisations.values() if o.slug == slug), None)

    async def by_stripe_account(self, account_id: str) -> Organisation | None:
        return next((o for o in self.w.organisations.values() if o.stripe.account_id == account_id), None)

    async def set_stripe(self, organisation_id: int, account: StripeAccount) -> None:
        self.w.organisations[organisation_id] = replace(self.w.organisations[organisation_id], stripe=account)


class FakeResourceTypes:
    def __init__(self, world: World) -> None:
        self.w = world

    async def get(self, organisation_id: int, type_id: int) -> ResourceType | None:
        found = self.w.resource_types.get(type_id)
        return found if found is not None and found.organisation_id == organisation_id else None

    async def all(self, organisation_id: int, listing: bool = False) -> list[ResourceType]:
        return [t for t in self.w.resource_types.values() if t.organisation_id == organisation_id]


class FakeResources:
    def __init__(self, world: World) -> None:
        self.w = world

    async def get(self, organisation_id: int, resource_id: int) -> Resource | None:
        found = self.w.resources.get(resource_id)
        return found if found is not None and found.organisation_id == organisation_id else None

    async def of_types(self, organisation_id: int, type_ids: list[int]) -> list[Resource]:
        return [
            r
            for r in self.w.resources.values()
            if r.organisation_id == organisation_id and r.resource_type_id in type_ids
        ]

    async def by_token(self, token: str) -> Resource | None:
        return next((r for r in self.w.resources.values() if r.public_booking_token == token), None)


@dataclass
class Pending:
    reservation_id: int
    events: list[ReservationEvent]


class FakeReservations:
    def __init__(self, world: World, pending: list[Pending]) -> None:
        self.w = world
        self.pending = pending

    # -- what the database guarantees ---------------------------------------------------------------

    def _occupancy(self, r: Reservation) -> list[Occupancy]:
        rt = self.w.resource_types[r.resource_type_id]
        start, end = buffered(r.start_time, r.end_time, rt.buffer_before_minutes, rt.buffer_after_minutes)
        return [Occupancy(a.resource_id, a.quantity, start, end) for a in r.allocations]

    def _check_capacity(self, r: Reservation) -> None:
        if r.status not in HOLDING or r.deleted_at is not None:
            return
        for occ in self._occupancy(r):
            others = [
                o
                for other in self.w.reservations.values()
                if other.id != r.id and other.status in HOLDING and other.deleted_at is None
                for o in self._occupancy(other)
                if o.resource_id == occ.resource_id
            ]
            if (
                peak_usage(others, occ.start, occ.end) + occ.quantity
                > self.w.resources[occ.resource_id].capacity
            ):
                raise CapacityConflict("not enough free capacity for the requested time")

    def _saved(self, r: Reservation) -> Reservation:
        if r.events:
            self.pending.append(Pending(r.id, list(r.events)))
            r.events.clear()
        kept = copy.deepcopy(r)
        self.w.reservations[r.id] = kept
        return copy.deepcopy(kept)

    # -- the port -----------------------------------------------------------------------------------

    async def add(self, reservation: Reservation, manage_token_hash: str | None = None) -> Reservation:
        r = replace(reservation, id=self.w.next_id(), events=list(reservation.events), created_at=NOW)
        self._check_capacity(r)
        if manage_token_hash is not None:
            self.w.token_hashes[manage_token_hash] = r.id
        reservation.events.clear()
        return self._saved(r)

    async def get(
        self, organisation_id: int, reservation_id: int, lock: bool = False, include_deleted: bool = False
    ) -> Reservation | None:
        found = self.w.reservations.get(reservation_id)
        if found is None or found.organisation_id != organisation_id:
            return None
        if found.deleted_at is not None and not include_deleted:
            return None
        return copy.deepcopy(replace(found, checkout_claimed_until=self.w.claims.get(found.id)))

    async def by_manage_token(self, token_hash: str, lock: bool = False) -> Reservation | None:
        rid = self.w.token_hashes.get(token_hash)
        return None if rid is None else await self.get(self.w.reservations[rid].organisation_id, rid)

    async def by_checkout_session(
        self, session_id: str, lock: bool = False, include_deleted: bool = False
    ) -> Reservation | None:
        rid = self.w.sessions.get(session_id)
        if rid is None:
            return None
        return await self.get(self.w.reservations[rid].organisation_id, rid, include_deleted=include_deleted)

    async def update(self, reservation: Reservation, reallocate: bool = False) -> Reservation:
        self._check_capacity(reservation)
        reservation.version += 1
        return self._saved(reservation)

    async def delete(self, organisation_id: int, reservation_id: int, now: datetime) -> None:
        r = self.w.reservations[reservation_id]
        self.w.reservations[reservation_id] = replace(r, deleted_at=now, allocations=[])

    async def usage(
        self,
        resource_ids: list[int],
        start: datetime,
        end: datetime,
        now: datetime,
        exclude: int | None = None,
    ) -> Usage:
        occupancies, lapsed = [], []
        for r in self.w.reservations.values():
            if r.id == exclude or r.status not in HOLDING or r.deleted_at is not None:
                continue
            for occ in self._occupancy(r):
                if occ.resource_id in resource_ids and occ.start < end and start < occ.end:
                    if r.holds_capacity(now):
                        occupancies.append(occ)
                    else:
                        lapsed.append(r.id)
        return Usage(occupancies, sorted(set(lapsed)))

    async def locked(self, reservation_ids: list[int]) -> list[Reservation]:
        return [
            copy.deepcopy(self.w.reservations[i]) for i in sorted(reservation_ids) if i in self.w.reservations
        ]

    async def claim_checkout(
        self, organisation_id: int, reservation_id: int, until: datetime, now: datetime
    ) -> bool:
        held = self.w.claims.get(reservation_id)
        if held is not None and held > now:
            return False
        self.w.claims[reservation_id] = until
        self.w.reservations[reservation_id].checkout_attempt += 1
        return True

    async def release_checkout(self, organisation_id: int, reservation_id: int) -> None:
        self.w.claims.pop(reservation_id, None)

    async def set_intent(
        self, organisation_id: int, reservation_id: int, intent_id: str, now: datetime
    ) -> None:
        made = self.w.reservations[reservation_id]
        made.stripe_payment_intent_id, made.stripe_checkout_session_id = intent_id, None
        self.w.claims.pop(reservation_id, None)

    async def by_customer(self, user_id: int, reference: str, lock: bool = False) -> Reservation | None:
        return next(
            (
                copy.deepcopy(r)
                for r in self.w.reservations.values()
                if r.customer_user_id == user_id and r.reference == reference
            ),
            None,
        )

    async def set_checkout(
        self, organisation_id: int, reservation_id: int, session_id: str, now: datetime
    ) -> None:
        self.w.reservations[reservation_id].stripe_checkout_session_id = session_id
        self.w.sessions[session_id] = reservation_id
        self.w.claims.pop(reservation_id, None)

    async def claim_reconcile(
        self, organisation_id: int, reservation_id: int, not_since: datetime, now: datetime
    ) -> bool:
        last = self.w.reconciled.get(reservation_id)
        if last is not None and last >= not_since:
            return False
        self.w.reconciled[reservation_id] = now
        return True

    async def lapsed_holds(self, now: datetime, limit: int) -> list[Reservation]:
        return [
            copy.deepcopy(r)
            for r in self.w.reservations.values()
            if r.status == ReservationStatus.PENDING_PAYMENT
            and r.hold_expires_at is not None
            and r.hold_expires_at <= now
        ][:limit]

    async def claim_pending_payments(
        self, started_before: datetime, not_since: datetime, now: datetime, limit: int
    ) -> list[tuple[int, int]]:
        return [
            (r.organisation_id, r.id)
            for r in self.w.reservations.values()
            if r.status == ReservationStatus.PENDING_PAYMENT
        ][:limit]

    async def ended(self, before: datetime, limit: int) -> list[Reservation]:
        return [
            copy.deepcopy(r)
            for r in self.w.reservations.values()
            if r.status == ReservationStatus.CONFIRMED and r.end_time < before and r.deleted_at is None
        ][:limit]

    async def page(
        self, organisation_id: int, query: ReservationFilter, page: PageRequest
    ) -> Page[Reservation]:
        found = [
            r
            for r in self.w.reservations.values()
            if r.organisation_id == organisation_id and r.deleted_at is None
        ]
        return Page(found[page.offset : page.offset + page.limit], len(found), page)


class FakePayments:
    def __init__(self, world: World) -> None:
        self.w = world

    async def of_reservation(
        self, organisation_id: int, reservation_id: int
    ) -> tuple[list[Payment], list[Refund]]:
        paid = [p for p in self.w.payments if p.reservation_id == reservation_id]
        ids = {p.id for p in paid}
        return paid, [r for r in self.w.refunds if r.payment_id in ids]

    async def by_intent(self, organisation_id: int, payment_intent_id: str) -> Payment | None:
        return next((p for p in self.w.payments if p.payment_intent_id == payment_intent_id), None)

    async def by_intent_anywhere(self, payment_intent_id: str) -> Payment | None:
        return await self.by_intent(0, payment_intent_id)

    async def add(self, payment: Payment) -> Payment:
        existing = await self.by_intent(payment.organisation_id, payment.payment_intent_id or "")
        if existing is not None:
            return existing
        made = replace(payment, id=self.w.next_id(), created_at=NOW)
        self.w.payments.append(made)
        return made

    async def set_status(
        self, organisation_id: int, payment_id: int, status: str, charge_id: str | None = None
    ) -> None:
        self.w.payments = [replace(p, status=status) if p.id == payment_id else p for p in self.w.payments]

    async def add_refund(self, organisation_id: int, reservation_id: int, refund: Refund) -> Refund | None:
        if any(r.stripe_refund_id == refund.stripe_refund_id for r in self.w.refunds):
            return None
        made = replace(refund, id=self.w.next_id(), created_at=NOW)
        self.w.refunds.append(made)
        return made

    async def record_event(self, event_id: str, event_type: str) -> bool:
        if event_id in self.w.processed_events:
            return False
        self.w.processed_events.add(event_id)
        return True


class FakeOutbox:
    """The outbox with its consumptions, for the dispatch tests."""

    def __init__(self, events: list[OutboxEvent], records: dict[tuple[int, str], Consumption]) -> None:
        self.events, self.records = events, records
        self.dispatched: dict[int, datetime | None] = {}
        self.retry_at: dict[int, datetime | None] = {}

    async def claim(self, limit: int, now: datetime) -> list[OutboxEvent]:
        due = [
            e
            for e in self.events
            if self.dispatched.get(e.id) is None
            and (self.retry_at.get(e.id) is None or self.retry_at[e.id] <= now)  # type: ignore[operator]
        ]
        return due[:limit]

    async def consumptions(self, event_id: int) -> dict[str, Consumption]:
        return {name: c for (eid, name), c in self.records.items() if eid == event_id}

    async def record(self, event_id: int, consumer: str, now: datetime, error: str | None) -> None:
        before = self.records.get((event_id, consumer), Consumption(0, False))
        self.records[(event_id, consumer)] = Consumption(before.attempts + 1, error is None)

    async def settle(self, event_id: int, dispatched_at: datetime | None, retry_at: datetime | None) -> None:
        self.dispatched[event_id], self.retry_at[event_id] = dispatched_at, retry_at

    async def purge(self, before: datetime, limit: int) -> int:
        return 0

    async def undispatched(self) -> int:
        return sum(1 for e in self.events if self.dispatched.get(e.id) is None)


class FakeUnitOfWork:
    def __init__(
        self,
        world: World,
        outbox: FakeOutbox | None = None,
        autocommit: bool = False,
        clock: FixedClock | None = None,
    ) -> None:
        self.clock = clock or FixedClock()
        self.shared = world
        self.outbox_fake = outbox or FakeOutbox([], {})
        self.autocommit = autocommit  # the hot path's single statement: it commits itself

    async def __aenter__(self) -> Self:
        self.world = copy.deepcopy(self.shared)
        self.pending: list[Pending] = []
        self._bind()
        self.outbox = self.outbox_fake
        return self

    def _bind(self) -> None:
        self.organisations = FakeOrganisations(self.world)
        self.resource_types = FakeResourceTypes(self.world)
        self.resources = FakeResources(self.world)
        self.reservations = FakeReservations(self.world, self.pending)
        self.payments = FakePayments(self.world)
        self.webhook_endpoints = FakeWebhookEndpoints(self.world)
        self.webhook_deliveries = FakeWebhookDeliveries(self.world, self.clock.now)
        self.outgoing_mail = FakeMailQueue(self.world, self.clock.now)
        self.reminders = FakeReminders(self.world)
        self.blocks, self.imports = FakeBlocks(self.world), FakeImports(self.world)
        self.saved_cards, self.users = FakeSavedCards(self.world.cards), FakeUsers(self.world.cards)

    async def __aexit__(self, exc_type: object, *exc: object) -> None:
        if self.autocommit and exc_type is None:
            await self.commit()
        self.pending.clear()

    async def commit(self) -> None:
        self.world.outbox.extend((p.reservation_id, e.type) for p in self.pending for e in p.events)
        self.pending.clear()
        self.world.commits += 1
        self.shared.__dict__.update(copy.deepcopy(self.world).__dict__)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        snapshot = copy.deepcopy(self.world)
        recorded = len(self.pending)
        try:
            yield
        except BaseException:
            self.world.__dict__.update(snapshot.__dict__)
            del self.pending[recorded:]
            raise


def uow_factory(world: World, autocommit: bool = False) -> Callable[[], FakeUnitOfWork]:
    return lambda: FakeUnitOfWork(world, autocommit=autocommit)


class FakeGateway:
    """The payment provider: sessions it made, refunds it gave; `down` makes every call fail."""

    name = "fake"

    def __init__(self) -> None:
        self.sessions: dict[str, CheckoutSession] = {}
        self.requests: list[CheckoutRequest] = []
        self.refunds: list[tuple[str, int, str]] = []  # (intent, amount, idempotency key)
        self.expired: list[str] = []
        self.down = False
        self.intents: list[tuple[IntentRequest, IntentState]] = []
        self.intent_answer = "succeeded"
        self.cancelled: list[str] = []

    def _up(self) -> None:
        if self.down:
            raise PaymentProviderError("the payment provider is down")

    async def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        self._up()
        self.requests.append(request)
        session = CheckoutSession(
            f"cs_{len(self.requests)}",
            f"https://pay.example/cs_{len(self.requests)}",
            "open",
            "unpaid",
            metadata={
                "reservation_id": str(request.reservation_id),
                "organisation_id": str(request.organisation_id),
            },
            amount_total=request.amount,
            currency=request.currency,
        )
        self.sessions[session.id] = session
        return session

    def pay(self, session_id: str) -> CheckoutSession:
        """The customer pays at the provider (the webhook may or may not follow)."""
        paid = replace(
            self.sessions[session_id],
            status="complete",
            payment_status="paid",
            payment_intent_id=f"pi_{session_id}",
        )
        self.sessions[session_id] = paid
        return paid

    async def retrieve_checkout(self, session_id: str) -> CheckoutSession:
        self._up()
        return self.sessions[session_id]

    async def expire_checkout(self, session_id: str) -> CheckoutSession:
        self._up()
        session = self.sessions[session_id]
        if session.status == "open":
            session = self.sessions[session_id] = replace(session, status="expired")
            self.expired.append(session_id)
        return session

    async def create_intent(self, request: IntentRequest) -> IntentState:
        """Created and confirmed; `intent_answer` says how (a repeated idempotency key replays)."""
        self._up()
        known = next((i for r, i in self.intents if r.idempotency_key == request.idempotency_key), None)
        if known is not None:
            return known
        metadata = {"reservation_id": str(request.reservation_id), "mode": INTENT_MODE}
        made = IntentState(
            f"pi_{len(self.intents) + 1}",
            self.intent_answer,
            request.amount,
            request.currency,
            None,
            metadata,
        )
        self.intents.append((request, made))
        return made

    async def retrieve_intent(self, intent_id: str) -> IntentState:
        return next(i for _, i in self.intents if i.id == intent_id)

    async def cancel_intent(self, intent_id: str) -> IntentState:
        self._up()
        self.cancelled.append(intent_id)
        return replace(await self.retrieve_intent(intent_id), status="canceled")

    async def refund(
        self, payment_intent_id: str, amount: int, reason: str | None, idempotency_key: str
    ) -> RefundResult:
        self._up()
        if all(key != idempotency_key for _, _, key in self.refunds):
            self.refunds.append((payment_intent_id, amount, idempotency_key))
        return RefundResult(f"re_{idempotency_key}", amount, "succeeded")

    async def create_account(self, organisation_id: int, email: str | None, idempotency_key: str) -> str:
        return f"acct_{organisation_id}"

    async def onboarding_link(self, account_id: str, refresh_url: str, return_url: str) -> str:
        return f"https://connect.example/{account_id}"

    async def retrieve_account(self, account_id: str) -> AccountState:
        return AccountState(account_id, True, True, True)

    def parse_event(self, payload: bytes, signature: str | None) -> ProviderEvent:
        raise NotImplementedError


class FakeMetrics:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args: self.calls.append((name, args))


class FakeReads:
    """The public booking view, read from the world as the one-statement query would read it."""

    def __init__(self, world: World) -> None:
        self.w = world

    async def booking_view(
        self,
        slug: str | None,
        token: str | None,
        resource_type_id: int | None,
        window: ViewWindow,
        now: datetime,
    ) -> BookingView | None:
        org = next((o for o in self.w.organisations.values() if o.slug == slug), None)
        rt = self.w.resource_types.get(resource_type_id or 0)
        if org is None or rt is None or rt.organisation_id != org.id:
            return None
        resources = [r for r in self.w.resources.values() if r.resource_type_id == rt.id and r.is_active]
        first, last = window.first_day, window.last_day or window.first_day
        start = window.start or datetime.combine(first, datetime.min.time(), UTC) - timedelta(days=1)  # type: ignore[arg-type]
        end = window.end or datetime.combine(last, datetime.min.time(), UTC) + timedelta(days=3)  # type: ignore[arg-type]
        reservations = FakeReservations(self.w, [])
        usage = await reservations.usage(
            [r.id for r in resources], start - timedelta(days=1), end + timedelta(days=1), now
        )
        return BookingView(org, rt, resources, usage)


class FakeHeavy:
    async def run(self, work: Callable[[], T]) -> T:
        return work()


def seq(values: Sequence[T]) -> list[T]:
    return list(values)
