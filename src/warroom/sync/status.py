"""What the status bar shows about the shared store, and who else is in the room.

Plain data, no redis import: the console renders it (ui/widgets/panels.py) on every change
the sync engine reports, from its worker thread, without pulling the engine's dependencies in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..model.safe_text import clean_name
from ..model.times import MAX_MS, MIN_MS

SKEW_WARN_MS = 30_000


@dataclass(frozen=True)
class Presence:
    """Another terminal in the room, as its heartbeat (every few seconds) last said."""

    user: str
    role: str
    incident_id: str | None
    origin: str
    seen_ms: int  # the store's clock


@dataclass(frozen=True)
class SyncStatus:
    state: str = "reconnecting"  # live | reconnecting | offline | catching up
    pending: int = 0  # local events not yet in the store
    skew_ms: int | None = None  # our clock minus the store's TIME
    peers: list[Presence] = field(default_factory=list)  # the others, not this terminal
    last_error: str = ""  # one line, credentials redacted

    @property
    def skew_warning(self) -> str:
        if self.skew_ms is None or abs(self.skew_ms) <= SKEW_WARN_MS:
            return ""
        ahead = "ahead of" if self.skew_ms > 0 else "behind"
        return f"clock {abs(self.skew_ms) / 1000:.0f}s {ahead} the store"

    @property
    def text(self) -> str:
        """The status bar's words: "live", "offline · 12 events waiting", …"""
        words = self.state
        if self.pending and self.state != "live":
            words += f" · {self.pending} event{'s' if self.pending != 1 else ''} waiting"
        return words


def parse_presence(raw) -> Presence | None:
    """A peer's presence record, or None when it is not one (hostile or stale formats):
    validated like an event, so one bad key can neither crash nor mislead the status bar."""
    if not isinstance(raw, bytes) or len(raw) > 4096:
        return None
    try:
        data = json.loads(raw, parse_constant=_refuse)
        incident, seen = data.get("incident_id"), data["seen_ms"]
        if (not isinstance(seen, int) or isinstance(seen, bool) or not MIN_MS <= seen <= MAX_MS
                or not all(isinstance(data.get(k, ""), str) for k in ("user", "role", "origin"))
                or not isinstance(incident, (str, type(None)))):
            return None
        return Presence(clean_name(data["user"])[:80], clean_name(data.get("role") or "")[:40],
                        clean_name(incident)[:80] if incident else None,
                        clean_name(data["origin"])[:40], seen)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def _refuse(name: str):
    raise ValueError(name)
