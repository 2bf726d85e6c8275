"""Cold start to first frame, as bytes out of a real pty: warroom on a log of 1,000 and of
100,000 events, against a bare Textual app.

Each run launches a fresh interpreter on a pty of 160×48 — warroom as a user does,
``python -m warroom --db LOG`` — and times until its first whole frame has come out of the
terminal: for warroom the incident's title (top row), its newest entry (the timeline's last
row) and the key bar (bottom row); for the floor, a bare app with one line at the top and one
at the bottom, both. Imports, opening the log, folding the incident, layout, painting and the
terminal's own output are all in.
Targets: 1k events ≤ 1.3× the bare app; 100k events first frame within 1 s.

    .venv/bin/python -m bench.startup [runs] [--json]
"""

from __future__ import annotations

import compileall
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.services.terminal import Terminal

from .common import arguments, console_env, make_incident_db, Report, ROOT

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
    term = Terminal(argv=argv, env=env)
    try:
        return (term.read_until(*needles, timeout=10) - start) * 1000
    finally:
        term.stop()


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("runs", nargs="?", type=int, default=15, help="launches of each variant")
    args = parser.parse_args()
    runs = args.runs
    report = Report("startup", args.json, runs=runs)
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
        compileall.compile_dir(ROOT / "src", quiet=1)
        for argv, needles in variants.values():  # warm the page cache
            first_frame(argv, needles, env)
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(runs):  # interleaved so drift hits every variant alike
            for name, (argv, needles) in variants.items():
                samples[name].append(first_frame(argv, needles, env))
    for name, values in samples.items():
        report.figure(f"{name}: first frame", values)
    bare = statistics.median(samples["bare textual app"])
    for name in ("warroom 1k events", "warroom 100k events"):
        ratio = statistics.median(samples[name]) / bare
        report.ratio(f"{name} / bare, first frame (medians)", ratio,
                     f"ratio {name} / bare, first frame (medians): {ratio:.2f}x")
    report.target("1k events first frame / bare (medians)", statistics.median(samples["warroom 1k events"]) / bare,
                  1.3)
    report.target("100k events first frame median, ms", statistics.median(samples["warroom 100k events"]), 1000)
    report.done()


if __name__ == "__main__":
    main()
