"""Calendars end to end (API.md section 12): feeds parsed with `icalendar`; blocks honoured by availability,
the calendar and reserve, and by the database when a block and a booking race; imports from a local HTTP
server whose feed changes, answers 304, and breaks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import icalendar
import pytest

from tests.support.api import WEEK, Staff, with_organisation
from tests.support.payments import sql, wait_for
from tests.support.servers import Worker, base_env, run_worker

pytestmark = pytest.mark.e2e

DAY = datetime(2027, 5, 10, tzinfo=UTC)  # within the feeds' year ahead and the types' maxAdvanceDays


def at(hours: float, day: datetime = DAY) -> str:
    return (day + timedelta(hours=hours)).isoformat()


def booking(owner: Staff, resource_id: int, hour: int, **extra: Any) -> dict[str, Any]:
    body = {"resourceId": resource_id, "startTime": at(hour), "endTime": at(hour + 1)} | extra
    return owner.ok("POST", "/api/reservations", 201, json=body)  # type: ignore[no-any-return]


def events_of(client: httpx.Client, url: str) -> dict[str, Any]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(answer.content)
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def test_feeds_list_bookings_with_stable_uids_sequences_utc_times_and_cancellations(
    client: httpx.Client,
) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type(weeklyHours=WEEK)
    room, other = owner.resource(rt["id"])["id"], owner.resource(rt["id"])["id"]
    kept = booking(owner, room, 9, customerInfo={"name": "Ana Feed", "email": "ana@example.com"})
    moved = booking(owner, room, 11)
    owner.ok(
        "PATCH", f"/api/reservations/{moved['id']}", json={"notes": "a change"}, headers={"If-Match": '"1"'}
    )
    gone = booking(owner, other, 9)
    owner.ok("POST", f"/api/reservations/{gone['id']}/cancel", json={})
    feed = owner.ok("GET", f"/api/organisations/{owner.organisation_id}/calendar-feed")["url"]
    assert (
        feed == owner.ok("GET", f"/api/organisations/{owner.organisation_id}/calendar-feed")["url"]
    )  # stable
    token = feed.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 22  # at least 128 bits
    found = events_of(client, feed.replace(str(client.base_url), ""))
    assert set(found) == {f"{b['reference']}@booking" for b in (kept, moved, gone)}
    first = found[f"{kept['reference']}@booking"]
    assert first.decoded("dtstart") == DAY + timedelta(hours=9)
    assert first.decoded("dtstart").tzinfo is not None
    assert first.decoded("dtend") == DAY + timedelta(hours=10)
    assert "Ana Feed" in str(first["summary"])  # staff feeds carry the customer
    assert int(first["sequence"]) == 1
    assert int(found[f"{moved['reference']}@booking"]["sequence"]) == 2  # changed once
    assert str(found[f"{gone['reference']}@booking"]["status"]) == "CANCELLED"
    assert str(first["status"]) == "CONFIRMED"

    only_room = owner.ok("GET", f"/api/resources/{room}/calendar-feed")["url"]
    assert set(events_of(client, only_room.replace(str(client.base_url), ""))) == {
        f"{kept['reference']}@booking",
        f"{moved['reference']}@booking",
    }
    renewed = owner.ok("POST", f"/api/organisations/{owner.organisation_id}/calendar-feed/regenerate")["url"]
    assert renewed != feed
    assert client.get(feed.replace(str(client.base_url), "")).status_code == 404  # the old one is dead
    assert len(events_of(client, renewed.replace(str(client.base_url), ""))) == 3
    assert client.get("/ical/not-a-feed-token-at-all.ics").status_code == 404


def test_the_customer_downloads_their_own_booking(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type(weeklyHours=WEEK)
    owner.resource(rt["id"])
    made = client.post(
        f"/api/public/booking/organisations/{owner.slug}/reserve",
        json={
            "resourceTypeId": rt["id"],
            "startTime": at(14),
            "endTime": at(15),
            "customerName": "Bo",
            "customerEmail": "bo@example.com",
            "customerPhone": "1",
        },
    ).json()
    answer = client.get(f"/api/public/reservations/{made['manageToken']}/calendar.ics")
    assert answer.status_code == 200
    (event,) = icalendar.Calendar.from_ical(answer.content).walk("VEVENT")
    assert str(event["uid"]) == f"{made['reference']}@booking"
    assert event.decoded("dtstart") == DAY + timedelta(hours=14)
    assert client.get("/api/public/reservations/nope/calendar.ics").status_code == 404


def test_blocks_are_refused_over_bookings_and_honoured_by_availability_calendar_and_reserve(
    client: httpx.Client,
) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type(weeklyHours=WEEK)
    room = owner.resource(rt["id"])["id"]
    booked = booking(owner, room, 9)
    over = owner.post(f"/api/resources/{room}/blocks", json={"startTime": at(8), "endTime": at(10)})
    assert over.status_code == 409
    assert over.json()["code"] == "SLOT_UNAVAILABLE"
    bad = owner.post(f"/api/resources/{room}/blocks", json={"startTime": at(12), "endTime": at(11)})
    assert bad.status_code == 400
    block = owner.ok(
        "POST",
        f"/api/resources/{room}/blocks",
        201,
        json={"startTime": at(12), "endTime": at(15), "reason": "maintenance"},
    )
    assert (block["source"], block["reason"]) == ("manual", "maintenance")
    slots = client.get(
        f"/api/public/booking/organisations/{owner.slug}/availability",
        params={"date": DAY.date().isoformat(), "resourceTypeId": rt["id"]},
    ).json()["slots"]
    free = {datetime.fromisoformat(s["startTime"]) for s in slots if s["available"]}
    taken = {DAY + timedelta(hours=h) for h in (9, 12, 13, 14)}  # the booking, and the block's three hours
    assert not taken & free
    assert {DAY + timedelta(hours=10), DAY + timedelta(hours=15)} <= free
    public = client.post(
        f"/api/public/booking/organisations/{owner.slug}/reserve",
        json={
            "resourceTypeId": rt["id"],
            "startTime": at(13),
            "endTime": at(14),
            "customerName": "C",
            "customerEmail": "c@example.com",
            "customerPhone": "1",
        },
    )
    assert public.status_code == 409
    assert (
        owner.post(
            "/api/reservations", json={"resourceId": room, "startTime": at(14), "endTime": at(15)}
        ).status_code
        == 409
    )
    month = client.get(
        f"/api/public/booking/organisations/{owner.slug}/calendar",
        params={"from": DAY.date().isoformat(), "to": DAY.date().isoformat(), "resourceTypeId": rt["id"]},
    ).json()
    assert month["days"][0]["available"] is True  # other hours of the day are still free
    listed = owner.ok("GET", f"/api/resources/{room}/blocks")["data"]
    assert [b["id"] for b in listed] == [block["id"]]
    owner.ok("DELETE", f"/api/resources/{room}/blocks/{block['id']}", 204)
    assert owner.delete(f"/api/resources/{room}/blocks/{block['id']}").status_code == 404
    assert booking(owner, room, 13)["status"] == "confirmed"  # free again
    assert booked["status"] == "confirmed"


def test_a_block_and_a_booking_racing_for_the_same_time_one_wins(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type(weeklyHours=WEEK)
    rooms = {1: owner.resource(rt["id"])["id"], 3: owner.resource(rt["id"], capacity=3)["id"]}
    outcomes = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        for round_ in range(12):
            room = rooms[1 if round_ % 2 else 3]
            start, end = at(round_ * 2, DAY + timedelta(days=3)), at(round_ * 2 + 1, DAY + timedelta(days=3))
            block = pool.submit(
                owner.post, f"/api/resources/{room}/blocks", json={"startTime": start, "endTime": end}
            )
            booking_ = pool.submit(
                owner.post, "/api/reservations", json={"resourceId": room, "startTime": start, "endTime": end}
            )
            answers = (block.result().status_code, booking_.result().status_code)
            outcomes.append(answers)
            assert sorted(answers) == [201, 409], answers  # exactly one of the two, whichever came first
    assert len(outcomes) == 12


@dataclass
class Feed:
    url: str = ""
    body: bytes = b""
    status: int = 200
    etag: str = '"v1"'
    requests: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def serving_feed() -> Iterator[Feed]:
    feed = Feed()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with feed.lock:
                feed.requests.append({k.lower(): v for k, v in self.headers.items()})
                status, body, etag = feed.status, feed.body, feed.etag
            if status == 200 and self.headers.get("if-none-match") == etag:
                status, body = 304, b""
            self.send_response(status)
            self.send_header("etag", etag)
            self.send_header("content-type", "text/calendar")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    feed.url = f"http://127.0.0.1:{server.server_address[1]}/other-channel.ics"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield feed
    finally:
        server.shutdown()
        server.server_close()


def ics(*events: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//other//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n"
    ).encode()


def vevent(uid: str, start: str, end: str, extra: str = "") -> str:
    return f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART{start}\r\nDTEND{end}\r\n{extra}END:VEVENT\r\n"


@pytest.fixture
def worker(database_url: str) -> Iterator[Worker]:
    running = run_worker(base_env(database_url, WORKER_INTERVAL_SECONDS="1"))
    yield running
    running.stop()


def imported(owner: Staff, room: int) -> list[tuple[str, str]]:
    blocks = owner.ok("GET", f"/api/resources/{room}/blocks")["data"]
    return sorted((b["startTime"], b["endTime"]) for b in blocks if b["source"] == "import")


def test_imports_keep_blocks_in_step_with_a_changing_feed_and_survive_a_broken_one(
    client: httpx.Client, database_url: str, worker: Worker
) -> None:
    owner = with_organisation(client)
    villa = owner.resource_type(bookingUnit="night", weeklyHours=WEEK)
    room = owner.resource(villa["id"])["id"]
    soon = (datetime.now(UTC) + timedelta(days=20)).date()
    weekly = soon + timedelta(days=7)
    with serving_feed() as feed:
        feed.body = ics(
            # an all-day stay of two nights: Berlin check-in 15:00 to check-out 11:00
            vevent(
                "stay-1@other", f";VALUE=DATE:{soon:%Y%m%d}", f";VALUE=DATE:{soon + timedelta(days=2):%Y%m%d}"
            ),
            # a weekly hour, three times
            vevent(
                "weekly@other",
                f":{weekly:%Y%m%d}T080000Z",
                f":{weekly:%Y%m%d}T090000Z",
                "RRULE:FREQ=WEEKLY;COUNT=3\r\n",
            ),
            vevent(
                "gone@other", f":{soon:%Y%m%d}T000000Z", f":{soon:%Y%m%d}T010000Z", "STATUS:CANCELLED\r\n"
            ),
        )
        owner.ok("PATCH", f"/api/resources/{room}", json={"icalImportUrl": feed.url})
        blocks = wait_for(lambda: (found := imported(owner, room)) and len(found) == 4 and found, timeout=60)
        berlin_summer = "+02:00" if soon.month in range(4, 11) else "+01:00"
        stay = blocks[0]
        assert datetime.fromisoformat(stay[0]) == datetime.fromisoformat(f"{soon}T15:00:00{berlin_summer}")
        assert [datetime.fromisoformat(b[0]).date() for b in blocks[1:]] == [
            weekly,
            weekly + timedelta(days=7),
            weekly + timedelta(days=14),
        ]
        shown = owner.ok("GET", f"/api/resources/{room}")
        assert shown["icalImportUrl"] == feed.url
        assert shown["icalLastImportAt"] is not None
        assert shown["icalLastImportError"] is None
        nights = client.get(
            f"/api/public/booking/organisations/{owner.slug}/calendar",
            params={
                "from": soon.isoformat(),
                "to": (soon + timedelta(days=2)).isoformat(),
                "resourceTypeId": villa["id"],
            },
        ).json()["days"]
        assert [d["available"] for d in nights][:2] == [False, False]  # the imported stay's nights are taken

        def read_again() -> None:
            sql(database_url, "UPDATE resources SET ical_next_import_at = now() WHERE id = $1", room)

        seen = len(feed.requests)
        read_again()
        wait_for(lambda: len(feed.requests) > seen, timeout=30)
        assert feed.requests[-1].get("if-none-match") == '"v1"'  # conditional: 304, nothing changes
        assert len(imported(owner, room)) == 4

        # the other channel moves the stay and drops the weekly series
        feed.body, feed.etag = (
            ics(
                vevent(
                    "stay-1@other",
                    f";VALUE=DATE:{soon + timedelta(days=3):%Y%m%d}",
                    f";VALUE=DATE:{soon + timedelta(days=4):%Y%m%d}",
                )
            ),
            '"v2"',
        )
        read_again()
        moved = wait_for(lambda: (found := imported(owner, room)) and len(found) == 1 and found, timeout=30)
        assert datetime.fromisoformat(moved[0][0]).date() == soon + timedelta(days=3)

        feed.status = 500  # broken: the last good blocks stay, the error is shown
        read_again()
        wait_for(lambda: owner.ok("GET", f"/api/resources/{room}")["icalLastImportError"], timeout=30)
        assert imported(owner, room) == moved
        assert "500" in owner.ok("GET", f"/api/resources/{room}")["icalLastImportError"]
        feed.status, feed.body, feed.etag = 200, b"this is not a calendar", '"v3"'
        read_again()
        wait_for(
            lambda: "iCalendar" in (owner.ok("GET", f"/api/resources/{room}")["icalLastImportError"] or ""),
            timeout=30,
        )
        assert imported(owner, room) == moved


def test_an_import_url_follows_the_target_rules(client: httpx.Client) -> None:
    owner = with_organisation(client)
    rt = owner.resource_type(weeklyHours=WEEK)
    room = owner.resource(rt["id"])["id"]
    for url in ("ftp://feeds.example/x.ics", "https://user:pw@feeds.example/x.ics", "not a url"):
        refused = owner.patch(f"/api/resources/{room}", json={"icalImportUrl": url})
        assert refused.status_code == 400, (url, refused.text)
        assert refused.json()["errors"][0]["field"] == "icalImportUrl"
    assert owner.ok("PATCH", f"/api/resources/{room}", json={"icalImportUrl": None})["icalImportUrl"] is None
