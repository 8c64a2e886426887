"""Another channel's iCalendar feed, read for import: a conditional GET to the checked address (ETag,
If-Modified-Since), a timeout and a size limit, then the events and their recurrences in a window, with
all-day events as the organisation's local days (a night type's: check-in to check-out)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import recurring_ical_events  # type: ignore[import-untyped]
from icalendar import Calendar

from adapters.outbound import OutboundGuard, Refused
from application.calendar_ports import Fetched, ImportFailed, ImportJob
from domain.calendars import IMPORT_MAX_BYTES, IMPORT_TIMEOUT_SECONDS, Busy
from domain.timezones import parse_hhmm


class HttpCalendarSource:
    def __init__(self, guard: OutboundGuard, timeout: float = IMPORT_TIMEOUT_SECONDS) -> None:
        self.guard, self.timeout = guard, timeout
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False)

    async def read(self, job: ImportJob, since: datetime, until: datetime) -> Fetched:
        body, etag, modified = await self._get(job)
        if body is None:
            return Fetched(False, [], job.etag, job.last_modified)
        return Fetched(True, occurrences(body, since, until, job), etag, modified)

    async def _get(self, job: ImportJob) -> tuple[bytes | None, str | None, str | None]:
        try:
            target = await self.guard.pin(job.url)
        except Refused as exc:
            raise ImportFailed(str(exc)) from None
        headers = {
            "host": target.host_header,
            "accept": "text/calendar",
            "user-agent": "booking-platform-ical/1",
        }
        if job.etag:
            headers["if-none-match"] = job.etag
        if job.last_modified:
            headers["if-modified-since"] = job.last_modified
        extensions = {"sni_hostname": target.server_name} if target.server_name else {}
        try:
            async with self.client.stream(
                "GET", target.url, headers=headers, extensions=extensions
            ) as response:
                if response.status_code == 304:
                    return None, job.etag, job.last_modified
                if response.status_code != 200:
                    raise ImportFailed(f"the feed answered {response.status_code}")
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > IMPORT_MAX_BYTES:
                        raise ImportFailed(f"the feed is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MiB")
                    chunks.append(chunk)
                return b"".join(chunks), response.headers.get("etag"), response.headers.get("last-modified")
        except httpx.TimeoutException:
            raise ImportFailed(f"no answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise ImportFailed(f"the feed could not be fetched ({type(exc).__name__})") from None

    async def close(self) -> None:
        await self.client.aclose()


def occurrences(body: bytes, since: datetime, until: datetime, job: ImportJob) -> list[Busy]:
    """Every occurrence of every event (cancelled and transparent ones left out) overlapping the window."""
    zone = ZoneInfo(job.timezone)
    try:
        calendar = Calendar.from_ical(body)
        found = recurring_ical_events.of(calendar).between(since, until)
    except Exception as exc:  # icalendar and the expansion raise many kinds on malformed input
        raise ImportFailed(f"the feed is not valid iCalendar ({type(exc).__name__})") from None
    events = []
    for event in found:
        if (
            str(event.get("status", "")).upper() == "CANCELLED"
            or str(event.get("transp", "")).upper() == "TRANSPARENT"
        ):
            continue
        start, end = _when(event, zone, job.day_times)
        if end > start:
            uid = str(event.get("uid") or hashlib.sha256(event.to_ical()).hexdigest()[:32])
            events.append(Busy(f"{uid}#{start.isoformat()}", start, end))
    return events


def _when(event: Any, zone: ZoneInfo, day_times: tuple[str, str] | None) -> tuple[datetime, datetime]:
    start = event.decoded("dtstart")
    if "dtend" in event:
        end = event.decoded("dtend")
    elif "duration" in event:
        end = start + event.decoded("duration")
    else:
        end = start + (timedelta(days=1) if not isinstance(start, datetime) else timedelta(0))
    if isinstance(start, datetime):
        return _aware(start, zone), _aware(end if isinstance(end, datetime) else _midnight(end), zone)
    check_in, check_out = day_times or ("00:00", "00:00")
    return _at(start, check_in, zone), _at(end, check_out, zone)


def _aware(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)  # floating: local time


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _at(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    hours, minutes = parse_hhmm(hhmm)
    return datetime.combine(day, time(hours, minutes), zone)
