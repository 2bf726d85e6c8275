"""Shared bits for the benchmarks: fixtures of a given size, the environment a console runs in,
robust statistics, and the report every bench prints.

The machines are shared and noisy: every bench measures its floor in the same run and
quotes medians, p99 and ratios, never a single timing. A console on a real pty is
``tests.services.terminal.Terminal``, the driver the pty tests use.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path

from warroom.model.events import ENTRY_KINDS, Event
from warroom.model.ids import format_hlc, uuid7
from warroom.model.policy import load_policy
from warroom.model.times import now_ms
from warroom.room import Room
from warroom.store.log import LocalLog

ROOT = Path(__file__).resolve().parents[1]


def make_incident_db(path: Path, events: int, user: str = "bench") -> str:
    """A log holding one open SEV1 incident of ``events`` events, 1 ms apart, the newest a
    second ago: an entry typed now is the newest, the last row of the timeline, and the
    incident is young enough that no clock rings. Returns its id."""
    start = now_ms() - events - 1000
    room = Room(LocalLog(path), user, load_policy("cygni"), clock=lambda: start)
    state = room.declare("Checkout returning 5xx", "SEV1", service="api", impact="EU users")
    base = state.declared_ms
    batch = []
    for i in range(events - 1):
        ms = base + 1 + i
        batch.append(Event(uuid7(ms), state.id, "entry",
                           {"kind": ENTRY_KINDS[i % 5], "text": f"entry {i}: p99 latency {i % 700} ms on api-{i % 9}"},
                           user, "Scribe", ms, ms, format_hlc(ms, 1), room.origin))
        if len(batch) == 10_000:
            room.writer_log().append(batch)
            batch = []
    room.writer_log().append(batch)
    room.close()
    return state.id


def console_env() -> dict:
    """The environment a console under test runs in, the floor's as well as warroom's."""
    env = {k: v for k, v in os.environ.items()
           # any value (even "0") stops bytecode caching; an installed package has its
           # bytecode compiled, so every app here runs from cached bytecode
           if k != "PYTHONDONTWRITEBYTECODE"}
    # TEXTUAL_FPS: the frame rate warroom's console sets for itself, given to the floor too
    return {**env, "TERM": "xterm-256color", "TEXTUAL_FPS": "1000", "WARROOM_USER": "bench",
            "WARROOM_CONFIG_DIR": "/nonexistent"}


def pct(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0-100), nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def describe(name: str, values: list[float], unit: str = "ms") -> str:
    return (f"{name:<38} n={len(values):<4} median {statistics.median(values):8.2f} {unit}"
            f"   p99 {pct(values, 99):8.2f} {unit}")


def arguments(doc: str) -> argparse.ArgumentParser:
    """A bench's options: its own, plus ``--json``."""
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true",
                        help="print the figures as one JSON object instead of text")
    return parser


class Report:
    """What a bench found. As text, each line is printed as it comes; with ``--json``
    nothing is printed until :meth:`done`, which prints one object::

        {"bench": "keys", "params": {...}, "figures": {name: {"n", "median", "p99", "unit"}},
         "ratios": {name: x}, "targets": {name: {"value", "limit", "pass"}}}
    """

    def __init__(self, bench: str, as_json: bool, **params) -> None:
        self.as_json = as_json
        self.data: dict = {"bench": bench, "params": params, "figures": {}, "ratios": {}, "targets": {}}

    def line(self, text: str) -> None:
        if not self.as_json:
            print(text, flush=True)

    def figure(self, name: str, values: list[float], unit: str = "ms", text: str | None = None) -> None:
        """A distribution: its size, median and p99 (and max). The text line is ``describe``'s
        unless ``text`` is given; ``text=""`` prints none."""
        self.data["figures"][name] = {"n": len(values), "median": round(statistics.median(values), 3),
                                      "p99": round(pct(values, 99), 3), "max": round(max(values), 3),
                                      "unit": unit}
        if text != "":
            self.line(describe(name, values, unit) if text is None else text)

    def value(self, name: str, value: float, unit: str, text: str | None = None) -> None:
        """A single figure (a catch-up time, a CPU share)."""
        self.data["figures"][name] = {"n": 1, "value": round(value, 4), "unit": unit}
        if text is not None:
            self.line(text)

    def ratio(self, name: str, value: float, text: str | None = None) -> None:
        self.data["ratios"][name] = round(value, 3)
        if text is not None:
            self.line(text)

    def target(self, name: str, value: float, limit: float) -> str:
        """Record ``value <= limit``; returns PASS or FAIL for the text."""
        ok = value <= limit
        self.data["targets"][name] = {"value": round(value, 3), "limit": limit, "pass": ok}
        return "PASS" if ok else "FAIL"

    def done(self) -> None:
        if self.as_json:
            print(json.dumps(self.data, indent=2, ensure_ascii=False), flush=True)
