"""Propagation to the other console's screen: an entry committed in terminal A, until terminal
B's console has repainted with it. Target p99 ≤ 100 ms. The floor, measured in the same run, is a
raw XADD → XREAD BLOCK wake-up between two redis-py clients.

A runs a Room and a SyncEngine; B runs a Room, a SyncEngine and the console (headless, in this
process, so both engines share one interpreter — a pessimistic set-up).

    .venv/bin/python -m bench.sync_screen [entries] [--json]
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from pathlib import Path

from tests.services.redis import RedisServer

from warroom.model.policy import load_policy
from warroom.room import Room
from warroom.store.log import LocalLog
from warroom.sync.engine import SyncEngine
from warroom.ui import make_app
from warroom.ui.widgets.timeline import SUMMARY, TimelineView

from .common import arguments, pct, Report


def raw_floor(server: RedisServer, n: int) -> list[float]:
    writer, reader = server.client(), server.client(socket_timeout=5)
    writer.xadd("floor", {"x": "0"})
    last = reader.xrevrange("floor", count=1)[0][0]
    out = []
    for _ in range(n):
        woke = threading.Event()

        def follow():
            nonlocal last
            entries = reader.xread({"floor": last}, block=2000)
            last = entries[0][1][-1][0]
            woke.set()
        t = threading.Thread(target=follow)
        t.start()
        time.sleep(0.002)
        start = time.perf_counter()
        writer.xadd("floor", {"x": "1"})
        woke.wait()
        out.append((time.perf_counter() - start) * 1000)
        t.join()
    return out


async def to_screen(tmp: Path, url: str, n: int) -> list[float]:
    policy = load_policy("cygni")
    a = Room(LocalLog(tmp / "a.db"), "scribe", policy)
    b = Room(LocalLog(tmp / "b.db"), "ic", policy)
    a_sync, b_sync = SyncEngine(a, url), SyncEngine(b, url)
    a_sync.start()
    incident = a.declare("Checkout 5xx", "SEV2").id
    app = make_app(b, sync=b_sync, keymap={})
    out: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        while app.incident_id != incident:
            await asyncio.sleep(0.01)
        timeline = app.query_one(TimelineView)
        for i in range(n):
            marker = f"entry {i} from the scribe"
            shown = asyncio.Event()
            original = app._apply

            def apply(events, marker=marker, shown=shown, original=original):
                original(events)
                if timeline.row(timeline.visible_count - 1)[SUMMARY] == marker:
                    app.call_after_refresh(shown.set)
            app._apply = apply
            start = time.perf_counter()
            a.note(incident, marker)
            await asyncio.wait_for(shown.wait(), 5)
            out.append((time.perf_counter() - start) * 1000)
            app._apply = original
            await pilot.pause(0.01)
    a_sync.stop()
    return out


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("entries", nargs="?", type=int, default=200)
    args = parser.parse_args()
    n = args.entries
    report = Report("sync_screen", args.json, entries=n)
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp) / "redis", appendonly=False).start()
        try:
            floor = raw_floor(server, n)
            screen = asyncio.run(to_screen(Path(tmp), server.url, n))
        finally:
            server.stop()
    report.figure("floor: raw XADD → XREAD wake", floor)
    report.figure("A commit → on B's console screen", screen)
    report.target("A commit → on B's screen, p99 ms", pct(screen, 99), 100)
    report.ratio("to screen / floor, p50", pct(screen, 50) / pct(floor, 50),
                 f"p99 {pct(screen, 99):.1f} ms (target ≤ 100 ms); "
                 f"ratio to floor p50 ×{pct(screen, 50) / pct(floor, 50):.1f}")
    report.done()


if __name__ == "__main__":
    main()
