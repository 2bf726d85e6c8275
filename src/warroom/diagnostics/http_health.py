"""HTTP health: ``curl -f`` against one or more URLs, with a timeout and the last failure kept.

Semantics follow ``curl -f`` without ``-L``: a 4xx or 5xx fails, a redirect is reported (with
its Location) but not followed. URLs are checked in parallel so one that never answers costs
one timeout, not one per URL. One httpx client per diagnostic (building one costs ≈ 28 ms).
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..model.safe_text import clean
from ..model.times import to_datetime
from .base import BAD, ColumnLayout, describe_error, Diagnostic, OK, Row, Snapshot, WARN

COLUMNS = ("URL", "STATUS", "LATENCY", "RESULT", "LAST FAILURE")
# In a narrow pane: which URL, what it answers now, and when and how it last failed.
LAYOUT = ColumnLayout(keep=("URL", "RESULT", "LAST FAILURE"),
                      cut=(("LAST FAILURE", 10), ("URL", 10), ("RESULT", 8)),
                      middle=("URL",), rest=("STATUS", "LATENCY"))


@dataclass
class Check:
    url: str
    status: int | None
    latency_ms: float | None
    ok: bool
    detail: str


def split_targets(target: str) -> list[str]:
    return [u for u in re.split(r"[\s,]+", target.strip()) if u]


def verdict(status: int, location: str = "") -> tuple[bool, str]:
    """``curl -f``: 4xx/5xx fail; anything else passes (a redirect is not followed)."""
    if status >= 400:
        return False, f"HTTP {status}"
    if 300 <= status < 400:
        return True, f"redirect → {location}" if location else "redirect"
    return True, "ok"


def build(source: str, target: str, taken_ms: int, checks: list[Check],
          last_failure: dict[str, tuple[int, str]]) -> Snapshot:
    rows = []
    for c in checks:
        failed = last_failure.get(c.url)
        level = OK if c.ok and c.status and c.status < 300 else WARN if c.ok else BAD
        latency = "-" if c.latency_ms is None else f"{c.latency_ms:.0f} ms"
        rows.append(Row(c.url, (clean(c.url), str(c.status or "-"), latency, clean(c.detail),
                                f"{to_datetime(failed[0]):%H:%M:%S}Z {clean(failed[1])}" if failed else "-"), level))
    bad = sum(not c.ok for c in checks)
    summary = [f"{len(checks) - bad}/{len(checks)} passing"]
    extra = {"checks": [{"url": clean(c.url), "status": c.status, "ok": c.ok,
                         "latency_ms": None if c.latency_ms is None else round(c.latency_ms, 1),
                         "detail": clean(c.detail)} for c in checks]}
    return Snapshot(source, target, taken_ms, COLUMNS, rows, summary, extra=extra, layout=LAYOUT)


class HttpDiagnostic(Diagnostic):
    name = "http"
    title = "HTTP health"
    target_help = "one or more URLs, comma or space separated"
    default_interval = 5.0
    floor = 1.0

    def __init__(self, target: str = "", clock=None, timeout: float = 3.0, **options: Any) -> None:
        super().__init__(target, clock, **options)
        self.urls = split_targets(target)
        self.timeout = timeout
        self.last_failure: dict[str, tuple[int, str]] = {}
        self._client = None
        self._pool: ThreadPoolExecutor | None = None

    def _check(self, url: str) -> Check:
        import httpx

        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout, follow_redirects=False)
        start = time.perf_counter()
        try:
            resp = self._client.get(url)
        except httpx.TimeoutException as exc:
            return Check(url, None, None, False, f"timed out after {self.timeout:g}s ({type(exc).__name__})")
        except Exception as exc:
            return Check(url, None, None, False, describe_error(exc))
        latency = (time.perf_counter() - start) * 1000
        ok, detail = verdict(resp.status_code, resp.headers.get("location", ""))
        return Check(url, resp.status_code, latency, ok, detail)

    def collect(self) -> Snapshot:
        if not self.urls:
            raise ValueError("no URL to check: give one or more with --target")
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=min(8, len(self.urls)), thread_name_prefix="http-health")
        checks = list(self._pool.map(self._check, self.urls))
        now = self.clock()
        for c in checks:
            if not c.ok:
                self.last_failure[c.url] = (now, c.detail)
        return build(self.name, self.display_target, now, checks, self.last_failure)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
