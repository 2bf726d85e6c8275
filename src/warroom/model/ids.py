"""Identifiers and the hybrid logical clock that orders events across terminals."""

from __future__ import annotations

import os
import re
import threading

_BASE32 = "0123456789abcdefghjkmnpqrstvwxyz"
_HLC = re.compile(r"^(\d{15})\.(\d{6})$")


def uuid7(ms: int) -> str:
    """A UUIDv7 string: 48 bits of milliseconds, then random bits (RFC 9562)."""
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76 | ((rand >> 64) & 0xFFF) << 64
    value |= 0b10 << 62 | (rand & ((1 << 62) - 1))
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def short_token(length: int = 6) -> str:
    return "".join(_BASE32[b % 32] for b in os.urandom(length))


def slugify(title: str, limit: int = 40) -> str:
    """Lower-case words joined by dashes, for channel-style names.

    >>> slugify("API down: 5xx on /checkout!")
    'api-down-5xx-on-checkout'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:limit].rstrip("-") or "incident"


class HybridClock:
    """A hybrid logical clock (Kulkarni et al.): wall time that never runs backwards.

    A stamp is ``(wall_ms, counter)``, written as a fixed-width string that sorts like
    the tuple. Seeing a remote stamp moves the clock past it, so anything this terminal
    does after seeing an event orders after that event, whatever the two wall clocks say.
    """

    def __init__(self, wall, last: str | None = None) -> None:
        self._wall = wall
        self._lock = threading.Lock()
        self._ms, self._counter = 0, 0
        if last:
            self.observe(last)

    def now(self) -> str:
        with self._lock:
            wall = self._wall()
            if wall > self._ms:
                self._ms, self._counter = wall, 0
            else:
                self._counter += 1
            return format_hlc(self._ms, self._counter)

    def observe(self, stamp: str) -> None:
        ms, counter = parse_hlc(stamp)
        with self._lock:
            if (ms, counter) > (self._ms, self._counter):
                self._ms, self._counter = ms, counter


def format_hlc(ms: int, counter: int) -> str:
    return f"{ms:015d}.{counter:06d}"


def parse_hlc(stamp: str) -> tuple[int, int]:
    """``(wall_ms, counter)`` of a stamp; ValueError unless it is exactly one we would write."""
    m = _HLC.match(stamp)
    if m is None:
        raise ValueError(f"not a clock stamp: {stamp[:40]!r}")
    return int(m[1]), int(m[2])
