"""Outgoing webhooks on fakes: fan-out to the endpoints that want an event, Standard Webhooks signatures
(checked by the `standardwebhooks` package's own verifier), the retry schedule, 410, three days, rotation;
and the address rules with a resolver that says what we want."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from unittest import mock

import pytest
import standardwebhooks.webhooks
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from adapters.outbound import OutboundGuard, Refused
from application.outbox import DispatchOutbox
from application.ports import OutboxEvent, PageRequest
from application.webhook_delivery import DeliverWebhooks, FanOutWebhooks
from application.webhook_endpoints import WebhookAdmin
from application.webhook_ports import FAILED, PENDING, SUCCEEDED
from domain.errors import InvalidInput
from domain.webhooks import refused_address, validate_url
from tests.unit.application.factories import Shop, staff
from tests.unit.application.fake_webhooks import FakeReceiver
from tests.unit.application.fakes import NOW, FakeOutbox, FakeUnitOfWork, FixedClock


def verify(secret: str, body: bytes, headers: dict[str, str], at: datetime) -> None:
    """The `standardwebhooks` package's own verifier, its clock set to `at` (ours runs in 2030)."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Frozen:  # type: ignore[override]
            return cls.fromtimestamp(at.timestamp(), tz)

    with mock.patch.object(standardwebhooks.webhooks, "datetime", Frozen):
        Webhook(secret).verify(body, headers)


class AnyTarget:
    async def check(self, url: str, field: str = "url") -> None:
        return None


class Wiring:
    def __init__(self, script: list[int | None] | None = None, start: datetime = NOW) -> None:
        self.shop = Shop(type_fields={"payment_required": False})
        self.world = self.shop.world
        self.clock = FixedClock(start)
        self.receiver = FakeReceiver(list(script or []))
        self.events: list[OutboxEvent] = []
        self.outbox = FakeOutbox(self.events, {})
        self.uow = lambda: FakeUnitOfWork(self.world, self.outbox, clock=self.clock)
        self.admin = WebhookAdmin(self.uow, self.clock, AnyTarget(), allow_http=True)
        self.dispatch = DispatchOutbox(self.uow, self.clock, [FanOutWebhooks(lambda r: {"id": r.id})])
        self.deliver = DeliverWebhooks(self.uow, self.clock, self.receiver)

    def record(self, reservation_id: int, event_type: str, **payload: object) -> None:
        at = self.clock.now()
        self.events.append(OutboxEvent(len(self.events) + 1, 1, reservation_id, event_type, payload, at))

    @property
    def deliveries(self) -> list:  # type: ignore[type-arg]
        return sorted(self.world.webhooks.deliveries.values(), key=lambda d: d.id)


async def test_each_event_goes_to_the_endpoints_that_want_it_once() -> None:
    w = Wiring()
    everything = await w.admin.create(staff(), "https://a.example/hook", ["*"], None)
    confirmations = await w.admin.create(staff(), "https://b.example/hook", ["reservation.confirmed"], "crm")
    booked = w.shop.put()
    w.record(booked.id, "reservation.created")
    w.record(booked.id, "reservation.confirmed")
    w.record(booked.id, "payment.refunded", amount=700, currency="eur", stripe_id="re_1")
    assert await w.dispatch() == 3
    assert await w.dispatch() == 0  # dispatched events are not fanned out again
    sent = [(d.endpoint_id, d.event_type) for d in w.deliveries]
    assert sent == [
        (everything.id, "reservation.created"),
        (everything.id, "reservation.confirmed"),
        (confirmations.id, "reservation.confirmed"),
        (everything.id, "payment.refunded"),
    ]
    body = json.loads(w.deliveries[-1].body)
    assert body["type"] == "payment.refunded"
    assert body["data"] == {
        "reservation": {"id": booked.id},
        "payment": {"amount": 700, "currency": "eur", "stripeId": "re_1"},
    }
    assert {d.event_id for d in w.deliveries if d.event_type == "reservation.confirmed"} == {"evt_2"}


async def test_deliveries_are_signed_as_standard_webhooks_and_retried_on_the_schedule() -> None:
    w = Wiring(script=[500, None, 302, 200])
    endpoint = await w.admin.create(staff(), "https://a.example/hook", ["*"], None)
    w.record(w.shop.put().id, "reservation.created")
    await w.dispatch()
    waits = []
    for _ in range(4):
        assert await w.deliver() == 1
        (delivery,) = w.deliveries
        if delivery.next_attempt_at:
            waits.append(delivery.next_attempt_at - w.clock.now())
            assert await w.deliver() == 0  # not due yet
            w.clock.current = delivery.next_attempt_at
    assert waits == [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30)]
    (delivery,) = w.deliveries
    assert (delivery.status, delivery.attempt, delivery.response_status) == (SUCCEEDED, 4, 200)
    ids = set()
    for _, headers, body in w.receiver.received:
        verify(
            endpoint.secret, body, headers, at=datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
        )
        ids.add(headers["webhook-id"])
    assert ids == {"evt_1"}  # one id across every retry: receivers dedupe by it
    with pytest.raises(WebhookVerificationError):
        verify("whsec_" + "A" * 44, body, headers, at=w.clock.now())
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify(endpoint.secret, body, headers, at=w.clock.now() + timedelta(minutes=6))


async def test_410_switches_the_endpoint_off_and_three_days_of_failures_give_up() -> None:
    w = Wiring(script=[410])
    gone = await w.admin.create(staff(), "https://gone.example/hook", ["*"], None)
    w.record(w.shop.put().id, "reservation.created")
    await w.dispatch()
    await w.deliver()
    assert w.deliveries[0].status == FAILED
    assert not w.world.webhooks.endpoints[gone.id].enabled
    w.record(w.shop.put().id, "reservation.created")
    await w.dispatch()
    assert len(w.deliveries) == 1  # a switched-off endpoint is sent nothing more

    w = Wiring(script=[503] * 100)
    down = await w.admin.create(staff(), "https://down.example/hook", ["*"], None)
    w.record(w.shop.put().id, "reservation.created")
    await w.dispatch()
    attempts = 0
    while w.deliveries[0].status == PENDING:
        await w.deliver()
        attempts += 1
        if w.deliveries[0].next_attempt_at:
            w.clock.current = w.deliveries[0].next_attempt_at
    # 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then every 12 h until three days have passed
    assert attempts == 11
    assert w.deliveries[0].status == FAILED
    assert w.clock.now() - NOW <= timedelta(days=3)  # the last try came before three days were up
    assert not w.world.webhooks.endpoints[down.id].enabled


async def test_a_rotated_secret_signs_alongside_the_new_one_for_a_day() -> None:
    w = Wiring()
    endpoint = await w.admin.create(staff(), "https://a.example/hook", ["*"], None)
    rotated = await w.admin.rotate_secret(staff(), endpoint.id)
    assert rotated.secret != endpoint.secret
    await w.admin.ping(staff(), endpoint.id)
    await w.deliver()
    _, headers, body = w.receiver.received[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    verify(endpoint.secret, body, headers, w.clock.now())  # receivers on the old secret keep working
    verify(rotated.secret, body, headers, w.clock.now())
    w.clock.advance(hours=25)
    await w.admin.ping(staff(), endpoint.id)
    await w.deliver()
    _, headers, body = w.receiver.received[-1]
    assert len(headers["webhook-signature"].split(" ")) == 1
    verify(rotated.secret, body, headers, w.clock.now())
    with pytest.raises(WebhookVerificationError):
        verify(endpoint.secret, body, headers, w.clock.now())
    listed = await w.admin.deliveries(staff(), endpoint.id, PageRequest())
    assert [d.event_type for d in listed.items] == ["ping", "ping"]
    again = await w.admin.redeliver(staff(), endpoint.id, listed.items[0].id)
    assert again.event_id == listed.items[0].event_id


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.9", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),  # cloud metadata: link-local
        ("100.64.0.1", True),  # shared address space
        ("224.0.0.1", True),
        ("0.0.0.0", True),
        ("::1", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("::ffff:127.0.0.1", True),  # IPv4-mapped loopback
        ("::ffff:10.0.0.1", True),
        ("2002:7f00:1::1", True),  # 6to4 of 127.0.0.1
        ("2002:a00:7::1", True),  # 6to4 of 10.0.0.7
        ("2002:5db8:d822::1", False),  # 6to4 of 93.184.216.34
        ("93.184.216.34", False),
        ("2606:2800:220:1:248:1893:25c8:1946", False),
    ],
)
def test_outgoing_requests_go_to_public_addresses_only(address: str, refused: bool) -> None:
    assert (refused_address(address) is not None) == refused


async def test_a_name_resolving_to_a_private_address_is_refused_at_save_and_at_delivery() -> None:
    answers = {"hooks.example": ["93.184.216.34"], "internal.example": ["10.0.0.7"]}

    async def resolver(host: str, port: int) -> list[str]:
        return answers[host]

    guard = OutboundGuard(allow_private=False, resolver=resolver)
    pinned = await guard.pin("https://hooks.example:8443/in?x=1")
    assert (pinned.url, pinned.host_header, pinned.server_name) == (
        "https://93.184.216.34:8443/in?x=1",
        "hooks.example:8443",
        "hooks.example",
    )
    with pytest.raises(InvalidInput, match=r"10\.0\.0\.7 is a private address"):
        await guard.check("https://internal.example/in")
    answers["hooks.example"] = ["93.184.216.34", "127.0.0.1"]  # the name changed since it was saved
    with pytest.raises(Refused, match="loopback"):
        await guard.pin("https://hooks.example/in")
    assert (
        await OutboundGuard(True, resolver).pin("https://internal.example/in")
    ).url == "https://10.0.0.7/in"


@pytest.mark.parametrize(
    "url",
    ["ftp://a.example/x", "https://", "https://user:pw@a.example/x", "http://a.example/x", "a.example/x"],
)
def test_an_endpoint_url_is_https_with_a_host_and_no_credentials(url: str) -> None:
    with pytest.raises(InvalidInput):
        validate_url(url, allow_http=False)


async def test_endpoints_of_another_organisation_are_not_found_and_bad_events_refused() -> None:
    w = Wiring()
    mine = await w.admin.create(staff(), "https://a.example/hook", ["*"], None)
    other = replace(staff(), organisation_id=2)
    with pytest.raises(InvalidInput):
        await w.admin.create(staff(), "https://a.example/hook", ["reservation.exploded"], None)
    from domain.errors import NotFound

    for call in (w.admin.get(other, mine.id), w.admin.ping(other, mine.id), w.admin.delete(other, mine.id)):
        with pytest.raises(NotFound):
            await call
