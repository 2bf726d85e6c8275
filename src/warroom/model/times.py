"""Time in warroom: integer milliseconds since the epoch, always UTC.

Users give times as ISO 8601 (UTC when no offset), ``HH:MM`` (today, UTC) or a
relative ``-5m`` / ``-2h`` / ``-30s`` / ``-1d``; everything shown is UTC. Only "the next
business day" is reckoned in a policy's own time zone: its opening hour is local.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone, tzinfo
from datetime import time as time_of_day

from ..errors import WarroomError

_RELATIVE = re.compile(r"^-(\d+)\s*([smhd])$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
# Every time warroom keeps lies in this range: anything outside it (a hostile stamp, a
# typo'd year, an offset that pushes 9999-12-31 into year 10000) is refused where it
# enters, because every later reader would fail to format it.
MIN_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
MAX_MS = 253_402_214_400_000  # 9999-12-30T00:00:00Z
# How far past now a time may be: a typed --at, a remote event's times and clock stamp.
FUTURE_SLACK_MS = 60_000


class TimeError(WarroomError, ValueError):
    """A time the user gave could not be understood."""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def parse_time(text: str, now: int) -> int:
    """Parse a user-given time relative to ``now`` (ms); raise TimeError if unparsable.

    >>> now = parse_time("2026-11-22T15:00:00Z", 0)
    >>> iso(parse_time("-5m", now))
    '2026-11-22T14:55:00Z'
    >>> iso(parse_time("14:02", now))
    '2026-11-22T14:02:00Z'
    """
    value = text.strip()
    if len(value) > 64:
        raise TimeError(f"cannot read time {value[:20]!r}…: too long")
    if m := _RELATIVE.match(value):
        return in_range(now - int(m[1]) * _UNIT_MS[m[2]], text)
    if m := _CLOCK.match(value):
        hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise TimeError(f"not a time of day: {text!r}")
        day = datetime.fromtimestamp(now / 1000, timezone.utc)
        return in_range(to_ms(day.replace(hour=hour, minute=minute, second=second, microsecond=0)), text)
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise TimeError(
            f"cannot read time {text!r}: use ISO 8601 (2026-11-22T14:02Z), HH:MM, or -5m / -2h"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        ms = to_ms(parsed)
    except (OverflowError, ValueError, OSError):
        ms = None
    return in_range(ms, text)


def in_range(ms: int | None, text: str = "") -> int:
    """``ms`` if it is a time warroom can keep and show, else TimeError."""
    if ms is None or not MIN_MS <= ms <= MAX_MS:
        raise TimeError(f"time {text.strip()!r} is out of range (2000-01-01 to 9999-12-29 UTC)")
    return ms


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


def iso(ms: int | None) -> str | None:
    """ISO 8601 UTC to the second, or to the millisecond when it has any."""
    if ms is None:
        return None
    moment = to_datetime(ms)
    if ms % 1000:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(ms: int) -> str:
    """Full UTC date and time as shown on a timeline line."""
    return to_datetime(ms).strftime("%Y-%m-%d %H:%M:%S")


def hhmm(ms: int) -> str:
    return to_datetime(ms).strftime("%H:%M")


def duration(ms: int) -> str:
    """A signed span as H:MM:SS or MM:SS.

    >>> duration(75_000), duration(-3_725_000)
    ('01:15', '-1:02:05')
    """
    sign = "-" if ms < 0 else ""
    seconds = abs(ms) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{seconds:02d}"
    return f"{sign}{minutes:02d}:{seconds:02d}"


def humanize(ms: int) -> str:
    """A span in words for labels: 5m, 1h30m, 2d.

    >>> humanize(90 * 60_000), humanize(30_000)
    ('1h30m', '30s')
    """
    seconds = abs(ms) // 1000
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return f"{hours // 24}d"


def time_zone(name: str) -> tzinfo:
    """The zone an IANA name stands for (ValueError if none). The zone data ship with the
    ``tzdata`` package, for hosts without the system's zone files; UTC needs neither."""
    if name == "UTC":
        return timezone.utc
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # policies with a zone only

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, UnicodeError):
        raise ValueError(f"no time zone {name!r}") from None


def next_business_day(ms: int, start: str = "09:00", zone: str = "UTC") -> int:
    """The next opening of a working day (Mon–Fri, ``start`` in ``zone``) after ``ms``:
    that morning's when ``ms`` is before it, else the next working day's.

    >>> iso(next_business_day(parse_time("2026-11-27T18:00Z", 0)))  # a Friday evening
    '2026-11-30T09:00:00Z'
    """
    tz = time_zone(zone)
    opening = time_of_day(*(int(part) for part in start.split(":")))
    day = datetime.fromtimestamp(ms / 1000, tz).date()
    if day.weekday() < 5 and to_ms(datetime.combine(day, opening, tz)) > ms:
        return to_ms(datetime.combine(day, opening, tz))
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return to_ms(datetime.combine(day, opening, tz))
