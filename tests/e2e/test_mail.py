"""E-mail end to end (API.md section 11): the real server and worker processes, a real SMTP server in this
process (aiosmtpd), the Stripe stand-in. Every notification of a booking's life arrives exactly once, in
English and in German, with the local times of a DST day; a refusing SMTP server delays mail, never a booking."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import icalendar
import pytest

from tests.stripe_standin import StandIn
from tests.support.api import WEEK, unique
from tests.support.payments import Shop, connected_shop, send, sql, stripe_env, wait_for
from tests.support.servers import Server, Worker, base_env, run_worker
from tests.support.smtp import Inbox, attachments, html_of, smtp_server, text_of

pytestmark = pytest.mark.e2e

FAST = {"WORKER_INTERVAL_SECONDS": "1", "MAIL_RETRY_SCALE": "0.01"}  # 10 s -> 0.1 s, 60 s -> 0.6 s, ...
# Berlin leaves winter time at 02:00 on 28 March 2027: 10:00 that day is 08:00 UTC, the day before 09:00 UTC.
DST_DAY = datetime(2027, 3, 28, 8, 0, tzinfo=UTC)
DAY_BEFORE = datetime(2027, 3, 27, 9, 0, tzinfo=UTC)

WORDS = {
    "en": {
        "confirmed": "confirmed",
        "receipt": "payment received",
        "rescheduled": "moved",
        "cancelled": "cancelled",
        "new": "New booking",
        "cancelled_by_customer": "cancelled by the customer",
        "summer": "10:00\u202fAM \u2013 11:00\u202fAM Central European Summer Time (Europe/Berlin)",
        "winter": "10:00\u202fAM \u2013 11:00\u202fAM Central European Standard Time (Europe/Berlin)",
        "day": "Sunday, March 28, 2027",
        "refund": "Refund: €50.00",
        "paid": "payment of €50.00",
        "manage": "Manage your booking",
    },
    "de": {
        "confirmed": "bestätigt",
        "receipt": "Zahlung für",
        "rescheduled": "verlegt",
        "cancelled": "storniert",
        "new": "Neue Buchung",
        "cancelled_by_customer": "vom Kunden storniert",
        "summer": "10:00 \u2013 11:00 Mitteleuropäische Sommerzeit (Europe/Berlin)",
        "winter": "10:00 \u2013 11:00 Mitteleuropäische Normalzeit (Europe/Berlin)",
        "day": "Sonntag, 28. März 2027",
        "refund": "Erstattung: 50,00\xa0€",
        "paid": "Zahlung über 50,00\xa0€",
        "manage": "Buchung verwalten",
    },
}


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with smtp_server() as running:
        yield running


@pytest.fixture(scope="module")
def mail_env(database_url: str, standin: StandIn, inbox: Inbox) -> dict[str, str]:
    return base_env(database_url, **stripe_env(standin), SMTP_URL=inbox.url, **FAST)


@pytest.fixture(scope="module")
def mailing(mail_env: dict[str, str]) -> Iterator[Server]:
    srv = Server(mail_env)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def worker(mail_env: dict[str, str], mailing: Server) -> Iterator[Worker]:
    running = run_worker(mail_env | {"PUBLIC_BASE_URL": mailing.url})
    yield running
    running.stop()


@pytest.fixture
def web(mailing: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mailing.url, timeout=30) as client:
        yield client


def _shop(web: httpx.Client, standin: StandIn, database_url: str, locale: str) -> tuple[Shop, str]:
    shop = connected_shop(web, standin, database_url, locale=locale)
    desk = f"desk-{shop.owner.slug}@example.com"
    shop.owner.ok(
        "PATCH", f"/api/organisations/{shop.owner.organisation_id}", json={"notificationEmail": desk}
    )
    return shop, desk


def _arrived(inbox: Inbox, address: str, count: int, timeout: float = 60) -> list[Any]:
    return wait_for(lambda: (found := inbox.to(address)) and len(found) >= count and found, timeout=timeout)  # type: ignore[no-any-return]


def _one(messages: list[Any], word: str) -> Any:
    found = [m for m in messages if word in str(m["Subject"])]
    assert len(found) == 1, ([str(m["Subject"]) for m in messages], word)
    return found[0]


@pytest.mark.parametrize("locale", ["en", "de"])
def test_a_paid_booking_life_tells_customer_and_desk_each_thing_once_in_their_language(
    web: httpx.Client, standin: StandIn, database_url: str, inbox: Inbox, worker: Worker, locale: str
) -> None:
    words = WORDS[locale]
    shop, desk = _shop(web, standin, database_url, locale)
    customer = f"{unique('jo')}@example.com"
    made = shop.reserve(web, DST_DAY, customerEmail=customer, customerName="Jo Doe").json()
    reference, token = made["reference"], made["manageToken"]
    assert send(web, standin.pay(made["stripeCheckoutSessionId"])["event"]).status_code == 200
    moved = web.post(
        f"/api/public/reservations/{token}/reschedule",
        json={"startTime": DAY_BEFORE.isoformat(), "endTime": (DAY_BEFORE + timedelta(hours=1)).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    cancelled = web.post(f"/api/public/reservations/{token}/cancel", json={})
    assert cancelled.status_code == 200, cancelled.text

    _arrived(inbox, customer, 4)
    _arrived(inbox, desk, 2)
    time.sleep(3)  # a second copy of anything would have arrived by now
    mine, desks = inbox.to(customer), inbox.to(desk)
    assert len(mine) == 4, [str(m["Subject"]) for m in mine]
    assert len(desks) == 2, [str(m["Subject"]) for m in desks]

    confirmed = _one(mine, words["confirmed"])
    assert reference in str(confirmed["Subject"])
    body = text_of(confirmed)
    assert words["day"] in body
    assert (
        words["summer"] in body
    )  # 08:00 UTC shown as Berlin's 10:00 summer time on the day the clocks change
    assert f"{web.base_url}/manage/{token}" in body
    assert words["manage"] in html_of(confirmed)
    (ics,) = attachments(confirmed).values()
    event = next(iter(icalendar.Calendar.from_ical(ics).walk("VEVENT")))
    assert event.decoded("dtstart") == DST_DAY
    assert str(event["uid"]).startswith(reference)

    receipt = _one(mine, words["receipt"])
    assert words["paid"] in text_of(receipt)
    rescheduled = _one(mine, words["rescheduled"])
    assert words["winter"] in text_of(rescheduled)  # the day before, still winter time
    gone = _one(mine, words["cancelled"])
    assert words["refund"] in text_of(gone)
    for message in mine:  # the customer's own manage link is the only secret a message carries
        assert str(message["From"]).startswith("bookings@")
    assert token in text_of(confirmed)

    new = _one(desks, words["new"])
    assert reference in str(new["Subject"])
    assert token not in text_of(new)
    assert "Jo Doe" in text_of(new)
    _one(desks, words["cancelled_by_customer"])
    queued = sql(
        database_url,
        "SELECT kind, count(*) FROM outgoing_mail WHERE recipient = ANY($1) GROUP BY kind ORDER BY kind",
        [customer, desk],
    )
    assert [(k, n) for k, n in queued] == [
        ("cancelled", 1),
        ("confirmed", 1),
        ("organisation_cancelled", 1),
        ("organisation_new", 1),
        ("receipt", 1),
        ("rescheduled", 1),
    ]


# The subject lines of the other notifications, in each language ({r} the reference).
OTHER_SUBJECTS = {
    "en": {
        "payment_failed": "payment for {r} did not go through",
        "expired": "booking {r} was not paid in time",
        "received": "booking {r} received",
        "reminder": "reminder of your booking {r}",
        "confirmed": "booking {r} confirmed",
        "find_booking": "your bookings",
    },
    "de": {
        "payment_failed": "Zahlung für {r} fehlgeschlagen",
        "expired": "Buchung {r} nicht rechtzeitig bezahlt",
        "received": "Buchung {r} eingegangen",
        "reminder": "Erinnerung an Ihre Buchung {r}",
        "confirmed": "Buchung {r} bestätigt",
        "find_booking": "Ihre Buchungen",
    },
}


@pytest.mark.parametrize("locale", ["en", "de"])
def test_failed_payment_expiry_approval_reminder_and_find_booking(
    web: httpx.Client, standin: StandIn, database_url: str, inbox: Inbox, worker: Worker, locale: str
) -> None:
    said = OTHER_SUBJECTS[locale]
    shop, desk = _shop(web, standin, database_url, locale)
    customer = f"{unique('al')}@example.com"
    failing = shop.reserve(web, DST_DAY + timedelta(hours=2), customerEmail=customer).json()
    assert send(web, standin.pay(failing["stripeCheckoutSessionId"], "unpaid")["event"]).status_code == 200
    assert send(web, standin.async_fail(failing["stripeCheckoutSessionId"])["event"]).status_code == 200
    lapsing = shop.reserve(web, DST_DAY + timedelta(hours=4), customerEmail=customer).json()
    sql(
        database_url,
        "UPDATE reservations SET hold_expires_at = now() - interval '1 minute' WHERE id = $1",
        lapsing["reservationId"],
    )
    approval = shop.owner.resource_type(weeklyHours=WEEK, requiresApproval=True)
    shop.owner.resource(approval["id"])
    asked = web.post(
        f"/api/public/booking/organisations/{shop.owner.slug}/reserve",
        json={
            "resourceTypeId": approval["id"],
            "startTime": (DST_DAY + timedelta(days=1)).isoformat(),
            "endTime": (DST_DAY + timedelta(days=1, hours=1)).isoformat(),
            "customerName": "Al",
            "customerEmail": customer,
            "customerPhone": "+49 30 1",
        },
    )
    assert asked.status_code == 201, asked.text
    soon = (datetime.now(UTC) + timedelta(hours=20)).replace(minute=0, second=0, microsecond=0)
    free = shop.owner.resource_type(weeklyHours=WEEK)
    room = shop.owner.resource(free["id"])
    staff_made = shop.owner.ok(
        "POST",
        "/api/reservations",
        201,
        json={
            "resourceId": room["id"],
            "startTime": soon.isoformat(),
            "endTime": (soon + timedelta(hours=1)).isoformat(),
            "customerInfo": {"name": "Al", "email": customer},
        },
    )
    # booked three days ago, starting within 24 h: the reminder is due
    sql(
        database_url,
        "UPDATE reservations SET created_at = now() - interval '3 days' WHERE id = $1",
        staff_made["id"],
    )
    found = web.post(
        f"/api/public/booking/organisations/{shop.owner.slug}/find-booking", json={"email": customer}
    )
    assert found.status_code == 202
    nobody = web.post(
        f"/api/public/booking/organisations/{shop.owner.slug}/find-booking",
        json={"email": "nobody@example.com"},
    )
    assert nobody.status_code == 202
    assert (
        web.post(
            f"/api/public/booking/organisations/{shop.owner.slug}/find-booking", json={"email": "x"}
        ).status_code
        == 400
    )

    mine = _arrived(inbox, customer, 6)
    subjects = sorted(str(m["Subject"]).split(": ", 1)[1] for m in mine)
    assert subjects == sorted(
        [
            said["payment_failed"].format(r=failing["reference"]),
            said["expired"].format(r=lapsing["reference"]),
            said["received"].format(r=asked.json()["reference"]),
            said["reminder"].format(r=staff_made["reference"]),
            said["confirmed"].format(r=staff_made["reference"]),
            said["find_booking"],
        ]
    ), subjects
    listing = text_of(_one(mine, said["find_booking"]))
    assert asked.json()["reference"] in listing
    assert f"/manage/{asked.json()['manageToken']}" in listing
    assert failing["reference"] in listing  # still held for payment: its page lets the customer pay
    assert inbox.to("nobody@example.com") == []
    # the staff booking was made by staff: the desk hears of customers' bookings only
    desks = [str(m["Subject"]) for m in inbox.to(desk)]
    assert all(staff_made["reference"] not in s for s in desks)


def test_a_refusing_mail_server_delays_mail_never_a_booking_and_each_arrives_once(
    web: httpx.Client, standin: StandIn, database_url: str, inbox: Inbox, worker: Worker
) -> None:
    free_owner = connected_shop(web, standin, database_url).owner
    free = free_owner.resource_type(weeklyHours=WEEK)
    free_owner.resource(free["id"], capacity=10)
    customers = [f"{unique('busy')}@example.com" for _ in range(5)]
    inbox.refusing = True
    try:
        made = []
        for i, customer in enumerate(customers):
            started = datetime.now()
            answer = web.post(
                f"/api/public/booking/organisations/{free_owner.slug}/reserve",
                json={
                    "resourceTypeId": free["id"],
                    "startTime": (DST_DAY + timedelta(days=3, hours=i)).isoformat(),
                    "endTime": (DST_DAY + timedelta(days=3, hours=i + 1)).isoformat(),
                    "customerName": "Busy",
                    "customerEmail": customer,
                    "customerPhone": "+49 30 2",
                },
            )
            assert answer.status_code == 201, answer.text
            assert (datetime.now() - started).total_seconds() < 5  # the booking did not wait for mail
            made.append(answer.json())
        refused_before = inbox.refused
        wait_for(lambda: inbox.refused >= refused_before + 10, timeout=60)  # tried, and tried again
        pending = sql(
            database_url,
            "SELECT status, attempt, error FROM outgoing_mail WHERE recipient = ANY($1)",
            customers,
        )
        assert {row["status"] for row in pending} == {"pending"}
        assert all("451" in row["error"] for row in pending if row["attempt"] > 0)
    finally:
        inbox.refusing = False
    for customer in customers:
        _arrived(inbox, customer, 1)
    time.sleep(3)
    assert [len(inbox.to(c)) for c in customers] == [1] * 5  # each once, none lost, none twice
    for booking in made:
        assert booking["status"] == "confirmed"
