"""Use cases of money and holds on fakes: webhooks, reconciliation, retry, cancellation, refunds, the
public reserve and the worker's jobs. No database, no network: milliseconds each."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from application.cancel import CancelReservation, RefundReservation
from application.checkout import Checkouts, CheckoutStatus, CheckoutTerms, ManageTokens
from application.jobs import BackgroundJobs
from application.outbox import DispatchOutbox, PurgeOutbox
from application.payment_ports import ChargeRefunded, CheckoutCompleted, ProviderRefund
from application.payments import Cashier
from application.public_booking import PublicReserve, ReserveRequest
from application.reservations import DeleteReservation
from application.retry import RetryCheckout
from application.storefront import Entry
from application.webhook_delivery import DeliverWebhooks, PurgeDeliveries
from application.webhooks import HandleProviderEvent
from domain.access import Role
from domain.errors import Forbidden, PaymentProviderError, RefundExceedsPayment, RetryNotPossible
from domain.payment import Payment
from domain.status import PaymentStatus, ReservationStatus
from domain.stays import When
from tests.unit.application.factories import Shop, staff
from tests.unit.application.fake_webhooks import FakeReceiver
from tests.unit.application.fakes import NOW, FakeGateway, FakeMetrics, FakeReads, FixedClock, uow_factory

S, P = ReservationStatus, PaymentStatus


class Wiring:
    """The use cases of one test, built on one shop's world with fake ports."""

    def __init__(self, shop: Shop) -> None:
        self.shop, self.world = shop, shop.world
        self.gateway, self.clock, self.metrics = FakeGateway(), FixedClock(), FakeMetrics()
        self.uow = uow_factory(self.world)
        self.cashier = Cashier(self.gateway, self.clock)
        self.checkouts = Checkouts(self.uow, self.gateway, self.clock, self.cashier, CheckoutTerms())
        self.webhook = HandleProviderEvent(self.uow, self.clock, self.gateway, self.cashier, self.metrics)

    async def open_hold(self, start_days: int = 10) -> int:
        """A payment hold made through the public reserve, with its Checkout Session at the fake provider."""
        reserve = PublicReserve(
            FakeReads(self.world),
            self.uow,
            uow_factory(self.world, autocommit=True),
            self.clock,
            self.metrics,
            self.checkouts,
            ManageTokens(b"k" * 32),
            lambda secret: f"hash:{secret}",
        )
        start = (NOW + timedelta(days=start_days)).replace(hour=10)
        request = ReserveRequest(
            1,
            None,
            When(start, start + timedelta(hours=1)),
            customer_name="Jo",
            customer_email="jo@example.com",
            customer_phone="1",
        )
        made = await reserve(Entry(slug="acme-spa"), request, "https://book.example/status")
        return made.reservation.id

    def session_of(self, reservation_id: int) -> str:
        session = self.world.reservations[reservation_id].stripe_checkout_session_id
        assert session is not None
        return session


@pytest.fixture
def w() -> Wiring:
    return Wiring(Shop())


async def test_a_public_reserve_holds_the_time_and_opens_a_checkout(w: Wiring) -> None:
    rid = await w.open_hold()
    held = w.world.reservations[rid]
    assert (held.status, held.payment_status) == (S.PENDING_PAYMENT, P.PENDING)
    assert held.hold_expires_at == NOW + timedelta(minutes=31)
    assert w.gateway.requests[0].idempotency_key == f"checkout:{rid}:1"
    assert w.world.events_of(rid) == ["reservation.created"]


async def test_the_provider_down_at_reserve_releases_the_hold(w: Wiring) -> None:
    w.gateway.down = True
    with pytest.raises(PaymentProviderError):
        await w.open_hold()
    assert all(r.deleted_at is not None for r in w.world.reservations.values())  # nothing holds the time


async def test_a_paid_session_confirms_once_and_a_repeat_changes_nothing(w: Wiring) -> None:
    rid = await w.open_hold()
    event = CheckoutCompleted("evt_1", w.gateway.pay(w.session_of(rid)))
    assert await w.webhook(event) == "processed"
    assert await w.webhook(event) == "already_processed"
    done = w.world.reservations[rid]
    assert (done.status, done.payment_status) == (S.CONFIRMED, P.SUCCEEDED)
    assert len(w.world.payments) == 1
    assert w.world.events_of(rid) == ["reservation.created", "payment.succeeded", "reservation.confirmed"]


async def test_a_late_payment_after_the_time_was_taken_is_refunded_in_full(w: Wiring) -> None:
    rid = await w.open_hold()
    w.clock.advance(minutes=40)  # the hold lapsed
    other = await w.open_hold()  # another customer takes the time (and expires the lapsed hold)
    assert w.world.reservations[rid].status == S.EXPIRED
    assert await w.webhook(CheckoutCompleted("evt_late", w.gateway.pay(w.session_of(rid)))) == "processed"
    late = w.world.reservations[rid]
    assert (late.status, late.payment_status) == (S.EXPIRED, P.REFUNDED)
    assert w.gateway.refunds == [(f"pi_{w.session_of(rid)}", 5000, f"refund:pi_{w.session_of(rid)}:full")]
    assert w.world.reservations[other].status == S.PENDING_PAYMENT


async def test_a_late_payment_is_kept_when_the_hold_in_its_way_has_lapsed_too(w: Wiring) -> None:
    rid = await w.open_hold()
    w.clock.advance(minutes=40)
    second = await w.open_hold()
    w.clock.advance(minutes=40)  # the second lapses too, and nobody has expired it
    assert await w.webhook(CheckoutCompleted("evt_late", w.gateway.pay(w.session_of(rid)))) == "processed"
    assert w.world.reservations[rid].status == S.CONFIRMED
    assert w.world.reservations[second].status == S.EXPIRED
    assert w.gateway.refunds == []


async def test_a_payment_for_a_deleted_hold_is_refunded(w: Wiring) -> None:
    rid = await w.open_hold()
    session = w.gateway.pay(w.session_of(rid))  # paid before the deletion; the webhook comes after
    await DeleteReservation(w.uow, w.clock, w.checkouts)(staff(), rid)
    assert w.world.reservations[rid].deleted_at is not None
    await w.webhook(CheckoutCompleted("evt_2", session))
    assert [amount for _, amount, _ in w.gateway.refunds] == [5000]


async def test_deleting_a_hold_expires_its_session_first(w: Wiring) -> None:
    rid = await w.open_hold()
    await DeleteReservation(w.uow, w.clock, w.checkouts)(staff(), rid)
    assert w.gateway.expired == [w.session_of(rid)]
    assert w.world.reservations[rid].status == S.CANCELLED


async def test_a_lost_webhook_is_healed_by_checkout_status(w: Wiring) -> None:
    rid = await w.open_hold()
    w.gateway.pay(w.session_of(rid))  # the webhook never arrives
    state = await CheckoutStatus(w.uow, w.clock, w.checkouts)(1, w.session_of(rid))
    assert (state.reservation.status, state.can_retry) == (S.CONFIRMED, False)


async def test_a_retry_ends_the_old_session_renews_the_hold_and_stops_after_five(w: Wiring) -> None:
    rid = await w.open_hold()
    retry = RetryCheckout(w.uow, w.clock, w.gateway, w.checkouts)
    sessions = [w.session_of(rid)]
    for _ in range(5):
        again = await retry(1, sessions[-1], "https://book.example/status")
        assert again.manage_token is None
        assert again.session is not None
        sessions.append(again.session.id)
    assert [w.gateway.sessions[s].status for s in sessions] == ["expired"] * 5 + ["open"]
    with pytest.raises(RetryNotPossible):
        await retry(1, sessions[-1], "https://book.example/status")


async def test_a_retry_is_refused_once_another_customer_took_the_time(w: Wiring) -> None:
    rid = await w.open_hold()
    w.clock.advance(minutes=40)
    await w.open_hold()
    retry = RetryCheckout(w.uow, w.clock, w.gateway, w.checkouts)
    with pytest.raises(RetryNotPossible):
        await retry(1, w.session_of(rid), "https://book.example/status")
    state = await CheckoutStatus(w.uow, w.clock, w.checkouts)(1, w.session_of(rid))
    assert state.can_retry is False


def paid(w: Wiring, **fields: object) -> int:
    """A confirmed reservation paid 6,075 (5,000 + 2.5 % fee + 19 % tax), 10 days ahead."""
    from domain.money import Quote

    made = w.shop.put(
        requires_payment=True,
        payment_status=P.SUCCEEDED,
        quote=Quote(5000, 1, 5000, 125, 950, 6075, "eur"),
        **fields,
    )
    w.world.payments.append(
        Payment(900, 1, made.id, 6075, "eur", "succeeded", "booking", "pi_paid", "cs_paid")
    )
    return made.id


async def test_a_policy_cancellation_refunds_the_policy_amount_less_what_went_back_before(w: Wiring) -> None:
    rid = paid(w)
    await RefundReservation(w.uow, w.clock, w.cashier)(staff(), rid, 1000, "goodwill", "k1")
    done = await CancelReservation(w.uow, w.cashier, w.checkouts)(staff(), rid, None)
    assert done.refund.amount == 5950 - 1000  # the 125 fee is kept
    assert w.world.events_of(rid) == ["payment.refunded", "reservation.cancelled", "payment.refunded"]


async def test_only_admins_cancel_with_a_full_refund(w: Wiring) -> None:
    rid = paid(w)
    with pytest.raises(Forbidden):
        await CancelReservation(w.uow, w.cashier, w.checkouts)(staff(Role.STAFF), rid, None, "full")
    assert w.world.reservations[rid].status == S.CONFIRMED
    assert w.gateway.refunds == []


async def test_refunds_never_exceed_what_was_paid(w: Wiring) -> None:
    rid = paid(w)
    refund = RefundReservation(w.uow, w.clock, w.cashier)
    with pytest.raises(RefundExceedsPayment):
        await refund(staff(), rid, 6076, None, "k2")
    made = await refund(staff(), rid, None, None, "k3")
    assert made.amount == 6075
    assert w.world.reservations[rid].payment_status == P.REFUNDED
    with pytest.raises(RefundExceedsPayment):
        await refund(staff(), rid, None, None, "k4")


async def test_a_dashboard_refund_enters_the_ledger_once(w: Wiring) -> None:
    rid = paid(w)
    event = ChargeRefunded("evt_r", "pi_paid", "ch_1", 700, [ProviderRefund("re_dash", 700, "succeeded")])
    assert await w.webhook(event) == "processed"
    assert await w.webhook(replace(event, id="evt_r2")) == "processed"  # another delivery, the same refund
    assert [r.amount for r in w.world.refunds] == [700]
    assert w.world.reservations[rid].payment_status == P.PARTIALLY_REFUNDED


async def test_the_worker_expires_lapsed_holds_completes_past_bookings_and_dispatches_events(
    w: Wiring,
) -> None:
    rid = await w.open_hold()
    past = w.shop.put(start_time=NOW - timedelta(hours=3), end_time=NOW - timedelta(hours=2))
    w.clock.advance(minutes=40)
    jobs = BackgroundJobs(
        w.uow,
        w.clock,
        w.checkouts,
        NoKeys(),
        w.metrics,
        DispatchOutbox(w.uow, w.clock, []),
        PurgeOutbox(w.uow, w.clock),
        DeliverWebhooks(w.uow, w.clock, FakeReceiver()),
        PurgeDeliveries(w.uow, w.clock),
    )
    done = await jobs.run_once()
    assert (done.expired, done.completed) == (1, 1)
    assert w.world.reservations[rid].status == S.EXPIRED
    assert w.gateway.expired == [w.session_of(rid)]
    assert w.world.reservations[past.id].status == S.COMPLETED
    assert w.world.events_of(past.id) == ["reservation.completed"]


class NoKeys:
    async def forget_before(self, before: object, limit: int) -> int:
        return 0
