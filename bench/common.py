"""Shared bits for the benchmarks: fixtures of a given size, and robust statistics.

The machines are shared and noisy: every script measures its floor in the same run and
quotes medians, p99 and ratios, never a single timing.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from warroom.events import Event  # noqa: E402
from warroom.ids import format_hlc, uuid7  # noqa: E402
from warroom.local_log import LocalLog  # noqa: E402
from warroom.policy import load_policy  # noqa: E402
from warroom.room import Room  # noqa: E402

KINDS = ("note", "decision", "action", "hypothesis", "observation")


def make_incident_db(path: Path, events: int, user: str = "bench") -> str:
    """A log holding one open SEV1 incident of ``events`` events; returns its id."""
    room = Room(LocalLog(path), user, load_policy("cygni"))
    state = room.declare("Checkout returning 5xx", "SEV1", service="api", impact="EU users")
    base = state.declared_ms
    batch = []
    for i in range(events - 1):
        ms = base + i * 10
        batch.append(Event(uuid7(ms), state.id, "entry",
                           {"kind": KINDS[i % 5], "text": f"entry {i}: p99 latency {i % 700} ms on api-{i % 9}"},
                           user, "Scribe", ms, ms, format_hlc(ms, 1), room.origin))
        if len(batch) == 10_000:
            room.log.append(batch)
            batch = []
    room.log.append(batch)
    room.log.close()
    return state.id


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def describe(name: str, values: list[float], unit: str = "ms") -> str:
    return (f"{name:<38} n={len(values):<4} median {statistics.median(values):8.2f} {unit}"
            f"   p99 {pct(values, 99):8.2f} {unit}")
