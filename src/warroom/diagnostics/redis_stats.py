"""Redis: cache hit rate from INFO deltas, ops/s, clients, memory against maxmemory, evictions.

INFO's ``keyspace_hits``/``keyspace_misses`` count since the server started, so the rate that
matters in an incident is the delta between two samples. A restart (``uptime_in_seconds``
going down or a new ``run_id``) resets the counters: the tracker then starts over instead of
reporting a negative or absurd rate.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from .base import BAD, ColumnLayout, Diagnostic, OK, Row, Snapshot, WARN

SPARKS = "▁▂▃▄▅▆▇█"
COLUMNS = ("METRIC", "VALUE")
LAYOUT = ColumnLayout(keep=COLUMNS, cut=(("METRIC", 9), ("VALUE", 10)))


def sparkline(values: list[float | None], lo: float = 0.0, hi: float = 1.0) -> str:
    """One character per value between lo and hi; a gap for an unknown value."""
    out = []
    for v in values:
        if v is None:
            out.append(" ")
            continue
        frac = 0.0 if hi <= lo else min(1.0, max(0.0, (v - lo) / (hi - lo)))
        out.append(SPARKS[round(frac * (len(SPARKS) - 1))])
    return "".join(out)


@dataclass
class Interval:
    hits: int
    misses: int
    seconds: float
    commands: int
    evicted: int

    @property
    def hit_rate(self) -> float | None:
        total = self.hits + self.misses
        return self.hits / total if total else None

    @property
    def ops(self) -> float:
        return self.commands / self.seconds if self.seconds > 0 else 0.0


class HitRateTracker:
    """Deltas between successive INFO samples, with a history for the sparkline."""

    def __init__(self, keep: int = 30) -> None:
        self.prev: dict[str, Any] | None = None
        self.prev_t = 0.0
        self.history: deque[float | None] = deque(maxlen=keep)
        self.restarts = 0

    def feed(self, info: dict[str, Any], t: float) -> Interval | None:
        """Take a sample; the interval since the previous one, or None after a (re)start."""
        prev, prev_t = self.prev, self.prev_t
        self.prev, self.prev_t = info, t
        if prev is None:
            return None
        if int(info.get("uptime_in_seconds", 0)) < int(prev.get("uptime_in_seconds", 0)) or \
                info.get("run_id") != prev.get("run_id"):
            self.restarts += 1
            self.history.clear()
            return None

        def delta(key: str) -> int:
            return int(info.get(key, 0)) - int(prev.get(key, 0))

        interval = Interval(delta("keyspace_hits"), delta("keyspace_misses"), t - prev_t,
                            delta("total_commands_processed"), delta("evicted_keys"))
        self.history.append(interval.hit_rate)
        return interval


def _bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def rate_level(rate: float | None) -> str:
    if rate is None:
        return ""
    return OK if rate >= 0.9 else WARN if rate >= 0.7 else BAD


def build(source: str, target: str, taken_ms: int, info: dict[str, Any], interval: Interval | None,
          tracker: HitRateTracker) -> Snapshot:
    """A snapshot from one INFO sample and the interval before it (shared with the drill simulator)."""
    hits, misses = int(info.get("keyspace_hits", 0)), int(info.get("keyspace_misses", 0))
    lifetime = hits / (hits + misses) if hits + misses else None
    rate = interval.hit_rate if interval else None
    used, maxmem = int(info.get("used_memory", 0)), int(info.get("maxmemory", 0))
    mem_pct = used / maxmem if maxmem else None
    mem_level = "" if mem_pct is None else BAD if mem_pct >= 0.9 else WARN if mem_pct >= 0.7 else OK

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{100 * v:.1f}%"

    rows = [
        Row("hit_rate", ("hit rate (interval)", pct(rate) if interval else "- (first sample)"), rate_level(rate)),
        Row("hit_rate_total", ("hit rate (since start)", pct(lifetime)), rate_level(lifetime)),
        Row("hits", ("hits / misses (interval)",
                     f"{interval.hits} / {interval.misses}" if interval else "-")),
        Row("ops", ("ops/s", f"{interval.ops:.0f}" if interval else str(info.get("instantaneous_ops_per_sec", "-")))),
        Row("clients", ("clients", f"{info.get('connected_clients', 0)} connected, "
                                   f"{info.get('blocked_clients', 0)} blocked")),
        Row("memory", ("memory", f"{_bytes(used)} / {_bytes(maxmem) if maxmem else 'no maxmemory'}"
                                 + (f" ({100 * mem_pct:.0f}%)" if mem_pct is not None else "")), mem_level),
        Row("evictions", ("evictions", f"{interval.evicted if interval else 0} in interval, "
                                       f"{info.get('evicted_keys', 0)} total"),
            BAD if interval and interval.evicted else ""),
    ]
    spark = sparkline(list(tracker.history))
    summary = [f"hit rate {pct(rate)}  {spark}",
               f"redis {info.get('redis_version', '?')} up {info.get('uptime_in_seconds', 0)}s"]
    extra = {"hit_rate": rate, "hit_rate_total": lifetime, "history": list(tracker.history),
             "interval_hits": interval.hits if interval else None,
             "interval_misses": interval.misses if interval else None,
             "restarts": tracker.restarts}
    return Snapshot(source, target, taken_ms, COLUMNS, rows, summary, extra=extra, layout=LAYOUT)


class RedisDiagnostic(Diagnostic):
    name = "redis"
    title = "Redis cache"
    target_help = "a Redis URL, e.g. redis://:password@host:6379/0 (password from REDISCLI_AUTH)"
    default_interval = 2.0
    floor = 0.5

    def __init__(self, target: str = "", clock=None, timeout: float = 2.0, **options: Any) -> None:
        super().__init__(target or "redis://127.0.0.1:6379/0", clock, **options)
        self.timeout = timeout
        self.tracker = HitRateTracker()
        self._client = None

    def _redis(self):
        if self._client is None:
            import os

            import redis

            kw = {}
            if os.environ.get("REDISCLI_AUTH") and ":" not in self.target.split("//", 1)[-1].split("@")[0]:
                kw["password"] = os.environ["REDISCLI_AUTH"]
            self._client = redis.Redis.from_url(self.target, socket_timeout=self.timeout,
                                                socket_connect_timeout=self.timeout, **kw)
        return self._client

    def collect(self) -> Snapshot:
        info = self._redis().info("all")
        interval = self.tracker.feed(info, time.monotonic())
        return build(self.name, self.display_target, self.clock(), info, interval, self.tracker)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
