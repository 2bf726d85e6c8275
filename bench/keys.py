"""Key-to-screen for a timeline entry, measured as bytes out of a real pty.

A person's view: the entry is typed, Enter is pressed, and we time until the entry's text
comes back from the terminal as part of the timeline. The floor is a bare Textual app with
an Input that writes the submitted text to a Static — the least any Textual console can do.
Each console is measured at 100 and at 100,000 events (the timeline must not care); the three
run side by side and take turns, one entry each per round. The two not taking their turn are
stopped (SIGSTOP), so that one console's timers never land in another's measurement: each is
timed as it runs for a person, alone on the machine.

    .venv/bin/python -m bench.keys [entries] [--json]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.services.terminal import Terminal

from .common import arguments, console_env, make_incident_db, pct, Report

ALT_SCREEN = b"\x1b[?1049h"
BARE = """
from textual.app import App
from textual.widgets import Input, Static
class Bare(App):
    def compose(self):
        yield Static("", id="out")
        yield Input(id="in")
    def on_input_submitted(self, event):
        self.query_one("#out", Static).update(event.value)
        event.input.value = ""
Bare().run()
"""


class Console:
    """One console on a pty, ready for entries (``prefix`` focuses its entry line)."""

    def __init__(self, argv: list[str], env: dict, prefix: bytes) -> None:
        self.term = Terminal(argv=argv, env=env)
        # Textual switches to the alternate screen just before it takes the keys raw: a key
        # typed before then is lost to the terminal's line editing
        self.term.read_until(ALT_SCREEN, timeout=30)
        self.term.drain(0.2, limit=3.0)
        self.term.type(prefix)
        self.term.drain()
        self.term.pause()

    def entry(self, i: int) -> float:
        """Wake the console, type an entry, press Enter, and return ms until its text is back
        on screen; then stop the console again."""
        term = self.term
        term.resume()
        marker = f"zq{i:05d}x".encode()
        term.type(marker)
        # the echo in the input may be painted in pieces, and a timer that fell due while the
        # console was stopped runs now: both are over before Enter
        term.drain(0.1)
        start = time.perf_counter()
        term.type(b"\r")
        taken = (term.read_until(marker, timeout=10) - start) * 1000
        term.drain(0.03)
        term.pause()
        return taken

    def close(self) -> None:
        self.term.resume()
        self.term.type(b"\x11")  # ctrl+q quits any Textual app
        self.term.drain(0.2, limit=2.0)
        self.term.stop()


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("entries", nargs="?", type=int, default=300, help="per console (p99 wants a few hundred)")
    args = parser.parse_args()
    entries = args.entries
    report = Report("keys", args.json, entries=entries)
    python = sys.executable
    env = console_env()
    floor_name = "bare textual input → static"
    with tempfile.TemporaryDirectory() as tmp:
        argvs = {floor_name: ([python, "-c", BARE], b"")}
        for n in (100, 100_000):
            path = Path(tmp) / f"{n}.db"
            make_incident_db(path, n)
            argvs[f"warroom entry at {n:,} events"] = ([python, "-m", "warroom", "--db", str(path)], b"i")
        consoles = {name: Console(argv, env, prefix) for name, (argv, prefix) in argvs.items()}
        results: dict[str, list[float]] = {name: [] for name in consoles}
        try:
            # Round-robin: every round times each console back to back, so a noisy spell on
            # the shared machine falls on the floor and on warroom alike.
            for i in range(entries):
                for name, console in consoles.items():
                    results[name].append(console.entry(i))
        finally:
            for console in consoles.values():
                console.close()
    for name, values in results.items():
        report.figure(name, values)
    floor = results[floor_name]
    for name, values in results.items():
        if name != floor_name:
            median, p99 = statistics.median(values) / statistics.median(floor), pct(values, 99) / pct(floor, 99)
            report.ratio(f"{name} / bare, median", median)
            report.ratio(f"{name} / bare, p99", p99,
                         f"ratio {name} / bare: median {median:.2f}x   p99 {p99:.2f}x")
    report.done()


if __name__ == "__main__":
    main()
