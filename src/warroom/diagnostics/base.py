"""The headless half of a diagnostic: what it fetches, how often, and what went wrong.

A diagnostic knows nothing of Textual. ``fetch()`` never raises: a failure comes back as a
snapshot carrying a one-line ``error`` ("auth failed", "refused", "timed out"), so the pane,
``warroom diag run`` and the drills all treat every outcome alike. :class:`RefreshSchedule`
holds the pacing rules the pane follows (interval with a floor, pause, never two refreshes at
once, hang detection) so they are tested without a screen.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

from ..model.safe_text import clean, clean_name
from ..model.times import iso

# Row and cell levels; the pane maps them to colours, the text render ignores them.
OK, WARN, BAD, DIM = "ok", "warn", "bad", "dim"
_LEVEL_RANK = {BAD: 0, WARN: 1, "": 2, OK: 2, DIM: 3}


@dataclass(slots=True)
class Row:
    key: str
    cells: tuple[str, ...]
    level: str = ""
    cell_levels: tuple[tuple[int, str], ...] = ()

    @property
    def rank(self) -> int:
        """Sort key putting unhealthy rows first."""
        return _LEVEL_RANK.get(self.level, 2)


@dataclass(frozen=True)
class ColumnLayout:
    """Which columns matter when a pane is narrower than its table (the pane does the fitting).

    ``keep`` stay in view, most important first (the first is pinned at the left while the
    rest scroll; the last gives way first when even cut they do not fit). When they do not fit
    whole, the columns in ``cut`` are cut down to that many cells, in the order listed, those
    in ``middle`` keeping both ends (pod names and URLs differ at the end). The other columns
    follow, ``rest`` first, only while they fit whole: they give way before anything kept is
    cut, and the table scrolls to them. ``confirm`` are the cells an action on a row names in
    its y/n question."""

    keep: tuple[str, ...] = ()
    cut: tuple[tuple[str, int], ...] = ()
    middle: tuple[str, ...] = ()
    rest: tuple[str, ...] = ()
    confirm: tuple[str, ...] = ()


@dataclass
class Snapshot:
    source: str
    target: str
    taken_ms: int
    columns: tuple[str, ...] = ()
    rows: list[Row] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    ranked: bool = False  # rows already sorted unhealthy-first, then by key
    layout: ColumnLayout = ColumnLayout()  # how a narrow pane shows the columns; not part of the data

    @property
    def ok(self) -> bool:
        return not self.error

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "target": self.target, "taken_at": iso(self.taken_ms),
            "error": self.error or None, "summary": self.summary,
            "columns": list(self.columns),
            "rows": [dict(zip(self.columns, r.cells), _level=r.level) for r in self.rows],
            **({"extra": self.extra} if self.extra else {}),
        }


def render_text(snap: Snapshot, limit: int = 40) -> str:
    """Plain text of a snapshot, as evidence and as ``diag run`` prints it (redacted)."""
    lines = [f"{snap.source} {snap.target} at {iso(snap.taken_ms)}"]
    if snap.error:
        lines.append(f"ERROR: {snap.error}")
    lines += snap.summary
    if snap.columns and snap.rows:
        # each cell masked whole before it is cut to its column: a cut URL escapes the mask
        rows = [tuple(clean_name(str(c)) for c in r) for r in [snap.columns] + [r.cells for r in snap.rows[:limit]]]
        widths = [min(60, max(len(r[i]) for r in rows if i < len(r))) for i in range(len(snap.columns))]
        for r in rows:
            lines.append("  ".join(c[:60].ljust(w) for c, w in zip(r, widths)).rstrip())
        if len(snap.rows) > limit:
            lines.append(f"… {len(snap.rows) - limit} more rows")
    return clean("\n".join(lines))


KNOWN_KINDS = ("timed out", "refused", "auth failed", "unknown host", "error:", "hanging")


def describe_error(exc: BaseException) -> str:
    """One line naming what went wrong, with the usual causes spelled the same everywhere."""
    # masked whole before it is split or cut: a private key spans lines, a URL the cut
    text = clean(str(exc)).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    if first.startswith(KNOWN_KINDS):
        return first[:300]
    low = " ".join(text).lower()
    name = type(exc).__name__.lower()
    if isinstance(exc, (TimeoutError, socket.timeout)) or "timeout" in name or "timed out" in low:
        kind = "timed out"
    elif isinstance(exc, ConnectionRefusedError) or "connection refused" in low or "refused" in name:
        kind = "refused"
    elif ("authentication" in low or "password" in low or "unauthorized" in low or "401" in low
          or "403" in low or "forbidden" in low or "noauth" in low or "auth" in name):
        kind = "auth failed"
    elif "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low:
        kind = "unknown host"
    else:
        kind = "error"
    return f"{kind}: {first}"[:300]


class Diagnostic:
    """Base for every diagnostic. Subclasses set the class fields and implement ``collect``."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    target_help: ClassVar[str] = ""
    default_interval: ClassVar[float] = 2.0
    floor: ClassVar[float] = 0.5
    # action id -> (key, label); subclasses that can act on a row fill it in.
    actions: ClassVar[dict[str, tuple[str, str]]] = {}

    def __init__(self, target: str = "", clock: Callable[[], int] | None = None, **options: Any) -> None:
        self.target = target
        self.options = options
        self.clock = clock or (lambda: int(time.time() * 1000))

    @property
    def display_target(self) -> str:
        """The target as it may be shown and recorded: credentials masked."""
        return clean(self.target) or "(default)"

    def fetch(self) -> Snapshot:
        """One snapshot; never raises."""
        try:
            snap = self.collect()
        except Exception as exc:  # any client failure becomes a visible error line
            snap = Snapshot(self.name, self.display_target, self.clock(), error=describe_error(exc))
        return snap

    def collect(self) -> Snapshot:
        raise NotImplementedError

    def snapshot(self, **kw: Any) -> Snapshot:
        return Snapshot(self.name, self.display_target, self.clock(), **kw)

    def detail(self, key: str) -> list[str]:
        """Extra lines about one row (events and log tail of a pod); empty when there are none."""
        return []

    def act(self, action: str, key: str) -> str:
        """Run an action on a row; returns a one-line result. Raises ValueError if unknown."""
        raise ValueError(f"{self.name} has no action {action!r}")

    def close(self) -> None:
        """Release connections and threads."""


class RefreshSchedule:
    """When to refresh: an interval with a floor, pause, one refresh at a time, hang detection.

    Times are monotonic seconds passed in by the caller so tests drive it by hand.
    """

    STEPS = (0.5, 1, 2, 3, 5, 10, 15, 30, 60)

    def __init__(self, interval: float, floor: float, hang_after: float = 5.0) -> None:
        self.floor = floor
        self.interval = max(interval, floor)
        self.hang_after = hang_after
        self.paused = False
        self.started: float | None = None
        self.last_good_ms: int | None = None
        self.last_error = ""
        self.refreshes = 0

    @property
    def in_flight(self) -> bool:
        return self.started is not None

    def faster(self) -> float:
        smaller = [s for s in self.STEPS if s < self.interval and s >= self.floor]
        self.interval = smaller[-1] if smaller else self.floor
        return self.interval

    def slower(self) -> float:
        larger = [s for s in self.STEPS if s > self.interval]
        self.interval = larger[0] if larger else self.interval
        return self.interval

    def toggle_pause(self) -> bool:
        self.paused = not self.paused
        return self.paused

    def begin(self, now: float, force: bool = False) -> bool:
        """Start a refresh if allowed; False while paused (unless forced) or one is running."""
        if self.in_flight or (self.paused and not force):
            return False
        self.started = now
        return True

    def end(self, snap: Snapshot) -> None:
        self.started = None
        self.refreshes += 1
        if snap.error:
            self.last_error = snap.error
        else:
            self.last_error = ""
            self.last_good_ms = snap.taken_ms

    def hanging(self, now: float) -> float:
        """Seconds the running refresh has waited, once past ``hang_after``; else 0."""
        if self.started is None:
            return 0.0
        waited = now - self.started
        return waited if waited >= self.hang_after else 0.0
