"""E-mail on fakes: which event tells whom (once, however often it is replayed), sending through a server
that refuses for a while, the reminder once per start time, and find-booking that tells only the address."""

from __future__ import annotations

from datetime import timedelta

from application.mail import FindBooking, QueueMail, RemindCustomers, SendMail
from application.mail_ports import FAILED, PENDING, SENT
from application.outbox import DispatchOutbox
from application.ports import OutboxEvent
from domain.booking import Customer
from domain.notifications import Mail, Recipients, mails_for, next_mail_attempt, reminder_due
from domain.status import ReservationStatus
from tests.unit.application.factories import Shop
from tests.unit.application.fake_mail import FakeMailServer, OneEventCalendar, ShowingComposer
from tests.unit.application.fakes import NOW, FakeOutbox, FakeUnitOfWork, FixedClock

WHO = Recipients("jo@example.com", "desk@acme.example", made_by_customer=True)


class Wiring:
    def __init__(self, refusals: int = 0) -> None:
        self.shop = Shop(type_fields={"payment_required": False})
        self.world = self.shop.world
        self.clock = FixedClock(NOW)
        self.events: list[OutboxEvent] = []
        self.uow = lambda: FakeUnitOfWork(self.world, FakeOutbox(self.events, {}), clock=self.clock)
        self.dispatch = DispatchOutbox(self.uow, self.clock, [QueueMail()])
        self.server = FakeMailServer(refusals)
        self.send = SendMail(
            self.uow,
            self.clock,
            ShowingComposer(),
            self.server,
            OneEventCalendar(),
            lambda r: f"https://book.example/manage/t{r.id}",
            "bookings@book.example",
        )

    def record(self, reservation_id: int, event_type: str, **payload: object) -> None:
        self.events.append(
            OutboxEvent(len(self.events) + 1, 1, reservation_id, event_type, payload, self.clock.now())
        )

    @property
    def queue(self) -> list:  # type: ignore[type-arg]
        return sorted(self.world.mail.queue.values(), key=lambda m: m.id)


def test_each_event_tells_whom_section_11_says() -> None:
    assert mails_for("reservation.created", "confirmed", WHO) == [
        (Mail.CONFIRMED, "jo@example.com"),
        (Mail.ORGANISATION_NEW, "desk@acme.example"),
    ]
    assert mails_for("reservation.created", "pending", WHO)[0] == (Mail.RECEIVED, "jo@example.com")
    # awaiting payment: the payment (or its failure, or the expiry) tells the customer
    assert mails_for("reservation.created", "pending_payment", WHO) == [
        (Mail.ORGANISATION_NEW, "desk@acme.example")
    ]
    assert mails_for("payment.succeeded", "confirmed", WHO) == [(Mail.RECEIPT, "jo@example.com")]
    assert mails_for("reservation.cancelled", "cancelled", WHO) == [
        (Mail.CANCELLED, "jo@example.com"),
        (Mail.ORGANISATION_CANCELLED, "desk@acme.example"),
    ]
    staff_made = Recipients("jo@example.com", "desk@acme.example", made_by_customer=False)
    assert mails_for("reservation.cancelled", "cancelled", staff_made) == [(Mail.CANCELLED, "jo@example.com")]
    nobody = Recipients(None, None, made_by_customer=True)
    assert mails_for("reservation.confirmed", "confirmed", nobody) == []
    assert mails_for("reservation.completed", "completed", WHO) == []


async def test_an_event_replayed_queues_its_mail_once_and_it_is_sent_once() -> None:
    w = Wiring()
    booked = w.shop.put(source="public")
    w.record(booked.id, "reservation.created", status="confirmed")
    assert await w.dispatch() == 1
    QueueAgain = QueueMail()
    async with w.uow() as uow:  # the same event handed over again (a worker died before recording it)
        await QueueAgain(uow, w.events[0])
        await uow.commit()
    assert [(m.kind, m.recipient) for m in w.queue] == [
        (Mail.CONFIRMED, "jo@example.com"),
        (Mail.ORGANISATION_NEW, "desk@acme.example"),
    ]
    assert await w.send() == 2
    assert await w.send() == 0
    subjects = [m.subject for m in w.server.accepted]
    assert subjects == ["confirmed en", "organisation_new en"]
    to_customer, to_desk = w.server.accepted
    assert f"https://book.example/manage/t{booked.id}" in to_customer.text
    assert to_customer.attachments[0][1] == "text/calendar"  # the booking for the calendar
    assert "manage" not in to_desk.text  # the customer's link is theirs alone
    assert all(m.status == SENT for m in w.queue)


async def test_a_refusing_server_delays_mail_and_every_message_arrives_once_it_accepts() -> None:
    w = Wiring(refusals=3)
    booked = w.shop.put(source="staff")
    w.record(booked.id, "reservation.confirmed", status="confirmed")
    await w.dispatch()
    assert await w.send() == 1
    (mail,) = w.queue
    assert mail.status == PENDING
    assert mail.error == "451 try again later"
    assert await w.send() == 0  # not due yet: the next attempt waits
    for _ in range(3):
        w.clock.advance(minutes=20)
        await w.send()
    assert [m.status for m in w.queue] == [SENT]
    assert w.queue[0].attempt == 4
    assert len(w.server.accepted) == 1
    assert w.world.reservations[booked.id].status == ReservationStatus.CONFIRMED  # the booking never waited


async def test_a_message_refused_for_two_days_is_given_up_with_its_reason() -> None:
    w = Wiring(refusals=10_000)
    booked = w.shop.put()
    w.record(booked.id, "reservation.confirmed", status="confirmed")
    await w.dispatch()
    for _ in range(100):
        await w.send()
        w.clock.advance(hours=1)
    (mail,) = w.queue
    assert mail.status == FAILED
    assert mail.error == "451 try again later"
    assert next_mail_attempt(1, NOW, NOW) == NOW + timedelta(seconds=10)
    assert next_mail_attempt(20, NOW, NOW + timedelta(days=2)) is None


async def test_the_cancellation_mail_names_the_refund_it_started() -> None:
    from domain.payment import Payment, Refund

    w = Wiring()
    booked = w.shop.put(status=ReservationStatus.CANCELLED, source="public")
    w.world.payments.append(Payment(1, 1, booked.id, "pi_1", 5000, "eur", "succeeded", 500))  # type: ignore[call-arg]
    w.world.refunds.append(Refund(1, 1, 2500, "eur", "succeeded"))
    w.record(booked.id, "reservation.cancelled", status="cancelled")
    await w.dispatch()
    await w.send()
    to_customer = w.server.accepted[0]
    assert to_customer.subject == "cancelled en"
    assert "'amount': 2500" in to_customer.text


async def test_the_reminder_goes_once_per_start_and_not_for_bookings_made_inside_the_day() -> None:
    w = Wiring()
    early = w.shop.put(
        start_time=NOW + timedelta(hours=30), end_time=NOW + timedelta(hours=31), created_at=NOW
    )
    late = w.shop.put(
        start_time=NOW + timedelta(hours=30),
        end_time=NOW + timedelta(hours=31),
        created_at=NOW + timedelta(hours=20),
    )
    remind = RemindCustomers(w.uow, w.clock)
    assert await remind() == 0  # more than 24 h ahead
    w.clock.advance(hours=7)
    assert await remind() == 1  # the late one was booked inside the 24 h: marked, not reminded
    assert await remind() == 0  # reminded for that start
    assert [(m.kind, m.reservation_id) for m in w.queue] == [(Mail.REMINDER, early.id)]
    moved = w.world.reservations[early.id]
    moved.start_time, moved.end_time = NOW + timedelta(hours=40), NOW + timedelta(hours=41)  # rescheduled
    w.clock.advance(hours=10)
    assert await remind() == 1  # a new start: reminded again
    assert [m.reservation_id for m in w.queue] == [early.id, early.id]
    assert late.id not in [m.reservation_id for m in w.queue]
    assert reminder_due(NOW + timedelta(hours=10), NOW - timedelta(days=2), None, NOW) is True
    assert (
        reminder_due(NOW + timedelta(hours=10), NOW + timedelta(hours=1), None, NOW + timedelta(hours=1))
        is False
    )


async def test_find_booking_mails_the_address_its_own_upcoming_links_and_tells_nobody_else() -> None:
    w = Wiring()
    mine = w.shop.put(customer=Customer("Jo", "Jo@Example.com", None))
    w.shop.put(customer=Customer("Jo", "jo@example.com", None), status=ReservationStatus.CANCELLED)
    w.shop.put(
        customer=Customer("Jo", "jo@example.com", None),
        start_time=NOW - timedelta(days=3),
        end_time=NOW - timedelta(days=3, hours=-1),
    )
    w.shop.put(customer=Customer("Al", "al@example.com", None))
    find = FindBooking(w.uow, w.clock)
    await find("acme-spa", "nobody@example.com")
    await find("no-such-shop", "jo@example.com")
    assert w.queue == []
    await find("acme-spa", " jo@example.com ")
    (mail,) = w.queue
    assert (mail.kind, mail.recipient, mail.payload) == (
        Mail.FIND_BOOKING,
        "jo@example.com",
        {"reservations": [mine.id]},
    )
    await w.send()
    assert f"manage/t{mine.id}" in w.server.accepted[0].text
