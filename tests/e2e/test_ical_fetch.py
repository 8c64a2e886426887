"""Reading another channel's feed over real HTTP (the import adapter against a local server): conditional
requests by Last-Modified as well as ETag, a timeout, and a size limit, each failing in one clear line."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from adapters.ical_import import HttpCalendarSource
from adapters.outbound import OutboundGuard
from application.calendar_ports import ImportFailed, ImportJob
from domain.calendars import IMPORT_MAX_BYTES

pytestmark = pytest.mark.e2e
STAMP = "Wed, 02 Dec 2026 08:00:00 GMT"
FEED = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//other//EN\r\nBEGIN:VEVENT\r\nUID:a@other\r\n"
    b"DTSTAMP:20260101T000000Z\r\nDTSTART:20270105T100000Z\r\nDTEND:20270105T110000Z\r\nEND:VEVENT\r\n"
    b"END:VCALENDAR\r\n"
)


class Channel(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        Channel.seen.append({k.lower(): v for k, v in self.headers.items()})
        if self.path == "/slow.ics":
            time.sleep(2)
        if self.path == "/huge.ics":
            self.send_response(200)
            self.end_headers()
            chunk = b"X" * 65536
            for _ in range(IMPORT_MAX_BYTES // len(chunk) + 2):
                self.wfile.write(chunk)
            return
        if self.headers.get("if-modified-since") == STAMP:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("last-modified", STAMP)  # no ETag: only the date says whether it changed
        self.send_header("content-length", str(len(FEED)))
        self.end_headers()
        self.wfile.write(FEED)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def channel() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Channel)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def job(url: str, last_modified: str | None = None) -> ImportJob:
    return ImportJob(1, 1, url, None, last_modified, "Europe/Berlin", None)


async def read(url: str, last_modified: str | None = None, timeout: float = 10) -> Any:
    source = HttpCalendarSource(OutboundGuard(allow_private=True), timeout=timeout)
    now = datetime(2027, 1, 1, tzinfo=UTC)
    try:
        return await source.read(job(url, last_modified), now, now + timedelta(days=365))
    finally:
        await source.close()


def test_a_feed_without_etag_is_asked_again_by_its_last_modified_date(channel: str) -> None:
    first = asyncio.run(read(f"{channel}/plain.ics"))
    assert (first.changed, len(first.events), first.last_modified) == (True, 1, STAMP)
    again = asyncio.run(read(f"{channel}/plain.ics", last_modified=first.last_modified))
    assert Channel.seen[-1]["if-modified-since"] == STAMP
    assert (again.changed, again.events) == (False, [])  # 304: the blocks stay as they are


def test_a_slow_feed_times_out_and_a_huge_one_is_cut_off(channel: str) -> None:
    with pytest.raises(ImportFailed, match=r"^no answer within 0.5 s$"):
        asyncio.run(read(f"{channel}/slow.ics", timeout=0.5))
    with pytest.raises(ImportFailed, match=r"^the feed is larger than 2 MiB$"):
        asyncio.run(read(f"{channel}/huge.ics"))
