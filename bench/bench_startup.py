"""Cold start to first frame, as bytes out of a real pty: warroom on a log of 1,000 and of
100,000 events, against a bare Textual app.

Each run launches a fresh interpreter on a pty of 160×48 — warroom as a user does,
``python -m warroom --db LOG`` — and times until its first whole frame has come out of the
terminal: for warroom the incident's title (top row), its newest entry (the timeline's last
row) and the key bar (bottom row); for the floor, a bare app with one line at the top and one
at the bottom, both. Imports, opening the log, folding the incident, layout, painting and the
terminal's own output are all in.
Targets: 1k events ≤ 1.3× the bare app; 100k events first frame within 1 s.

    .venv/bin/python bench/bench_startup.py [runs]
"""

from __future__ import annotations

import compileall
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import console_env, describe, make_incident_db, read_until, spawn, stop

BARE = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("hello")
        bottom = Static("bye")
        bottom.styles.dock = "bottom"
        yield bottom
Bare().run()
"""
BARE_FRAME = (b"hello", b"bye")


def first_frame(argv: list[str], needles: tuple[bytes, ...], env: dict) -> float:
    """ms from launching ``argv`` on a pty to every one of ``needles`` out of it, in order."""
    start = time.perf_counter()
    pid, fd = spawn(argv, env)
    try:
        return (read_until(fd, *needles) - start) * 1000
    finally:
        stop(pid, fd)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    python = sys.executable
    env = console_env()
    with tempfile.TemporaryDirectory() as tmp:
        variants = {"bare textual app": ([python, "-c", BARE], BARE_FRAME)}
        for n, name in ((1_000, "warroom 1k events"), (100_000, "warroom 100k events")):
            path = Path(tmp) / f"{n}.db"
            make_incident_db(path, n)
            newest = f"entry {n - 2}:".encode()  # the declaration is event 0
            variants[name] = ([python, "-m", "warroom", "--db", str(path)],
                              (b"Checkout returning 5xx", newest, b"Quit"))
        compileall.compile_dir(Path(__file__).resolve().parents[1] / "src", quiet=1)
        for argv, needles in variants.values():  # warm the page cache
            first_frame(argv, needles, env)
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(runs):  # interleaved so drift hits every variant alike
            for name, (argv, needles) in variants.items():
                samples[name].append(first_frame(argv, needles, env))
    for name, values in samples.items():
        print(describe(f"{name}: first frame", values))
    bare = statistics.median(samples["bare textual app"])
    for name in ("warroom 1k events", "warroom 100k events"):
        print(f"ratio {name} / bare, first frame (medians): {statistics.median(samples[name]) / bare:.2f}x")


if __name__ == "__main__":
    main()
