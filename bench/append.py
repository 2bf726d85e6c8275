"""Durable append: one timeline entry committed through the Room, vs a raw sqlite3 commit of
a comparable row in the same mode (WAL, synchronous=FULL), in the same run and directory.

    .venv/bin/python -m bench.append [n] [--json]
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from warroom.model.policy import load_policy
from warroom.room import Room
from warroom.store.log import LocalLog

from .common import arguments, pct, Report


def raw_commit(path: Path):
    """A commit of one comparable row on a bare table, timed in ms per call."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, body TEXT)")

    def commit(i: int) -> float:
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t(k, body) VALUES (?, ?)", (f"key-{i}", '{"kind":"note","text":"x"}' * 3))
        conn.execute("COMMIT")
        return (time.perf_counter() - start) * 1000
    return commit


def room_append(path: Path):
    """One timeline entry through Room.note (event row, its indexes and its outbox row)."""
    room = Room(LocalLog(path), "bench", load_policy("cygni"))
    incident = room.declare("bench", "SEV2").id

    def commit(i: int) -> float:
        start = time.perf_counter()
        room.note(incident, f"entry {i}: p99 latency up on api-{i % 9}")
        return (time.perf_counter() - start) * 1000
    return commit


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("n", nargs="?", type=int, default=2000, help="commits of each")
    args = parser.parse_args()
    n = args.n
    report = Report("append", args.json, n=n)
    floor: list[float] = []
    ours: list[float] = []
    with tempfile.TemporaryDirectory(dir=Path.home()) as tmp:
        raw, room = raw_commit(Path(tmp) / "raw.db"), room_append(Path(tmp) / "room.db")
        for i in range(n):  # interleaved, order alternating, so the disk's bad moments hit both
            if i % 2:
                floor.append(raw(i))
                ours.append(room(i))
            else:
                ours.append(room(i))
                floor.append(raw(i))
    report.figure("raw sqlite3 commit (WAL+FULL)", floor)
    report.figure("Room.note durable append", ours)
    median, p99 = statistics.median(ours) / statistics.median(floor), pct(ours, 99) / pct(floor, 99)
    report.ratio("append / raw, median", median)
    report.ratio("append / raw, p99", p99, f"ratio append / raw: median {median:.2f}x   p99 {p99:.2f}x")
    report.done()


if __name__ == "__main__":
    main()
