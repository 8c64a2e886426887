"""Wall-clock times in an IANA zone turned into instants, DST gaps and overlaps included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_MINUTE = timedelta(minutes=1)


# IANA areas whose zones are places; "localtime", "Factory", POSIX rules (EST5EDT), bare abbreviations (CET)
# and Etc/GMT+5 (whose sign is inverted) are not, and neither are the old one-word country links.
PLACE_AREAS = frozenset(
    "Africa America Antarctica Arctic Asia Atlantic Australia Europe Indian Pacific "
    "US Canada Brazil Mexico Chile".split()
)


def is_place_zone(name: str) -> bool:
    """Whether an IANA name is one an organisation may choose: a place (Area/Location) or UTC."""
    return name == "UTC" or (name.split("/", 1)[0] in PLACE_AREAS and "/" in name)


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ValueError for an unknown one."""
    if not name or name != name.strip() or name not in _names():
        raise ValueError(f"unknown IANA timezone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA timezone {name!r}") from exc


_NAMES: frozenset[str] = frozenset()


def _names() -> frozenset[str]:
    global _NAMES
    if not _NAMES:
        _NAMES = frozenset(available_timezones())
    return _NAMES


def local_instant(wall: datetime, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of a naive wall-clock time: None in a DST gap, the first occurrence when ambiguous."""
    aware = wall.replace(tzinfo=tz, fold=0)
    instant = aware.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != wall:
        return None
    return instant


def boundary_instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """The instant an opening or closing time means; one inside a DST gap means the moment of the jump."""
    instant = local_instant(wall, tz)
    if instant is not None:
        return instant
    # fold=1 in a gap lands before the jump; walk forward to the first minute after it.
    probe = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    probe = probe.replace(second=0, microsecond=0)
    before = probe.astimezone(tz).utcoffset()
    for _ in range(24 * 60):
        probe += _MINUTE
        if probe.astimezone(tz).utcoffset() != before:
            return probe
    raise ValueError(f"no DST transition found near {wall}")  # pragma: no cover - tzdata guarantees one


def wall_time(day: date, hhmm: str) -> datetime:
    """Naive wall-clock datetime of 'HH:MM' on a day; '24:00' is the next midnight."""
    hours, minutes = parse_hhmm(hhmm)
    if hours == 24:
        return datetime.combine(day + timedelta(days=1), time(0, 0))
    return datetime.combine(day, time(hours, minutes))


def parse_hhmm(text: str) -> tuple[int, int]:
    """'HH:MM' as (hours, minutes); 24:00 allowed as an end of day; ValueError otherwise."""
    if len(text) != 5 or text[2] != ":" or not (text[:2].isdigit() and text[3:].isdigit()):
        raise ValueError(f"{text!r} is not HH:MM")
    hours, minutes = int(text[:2]), int(text[3:])
    if not (0 <= minutes < 60 and (0 <= hours < 24 or (hours == 24 and minutes == 0))):
        raise ValueError(f"{text!r} is not a time of day")
    return hours, minutes


def local_date_of(instant: datetime, tz: ZoneInfo) -> date:
    """The organisation-local calendar date of an instant."""
    return instant.astimezone(tz).date()
