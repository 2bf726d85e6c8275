"""Key-to-screen for a timeline entry, measured as bytes out of a real pty.

A person's view: the entry is typed, Enter is pressed, and we time until the entry's text
comes back from the terminal as part of the timeline. The floor is a bare Textual app with
an Input that writes the submitted text to a Static — the least any Textual console can do.
Each console is measured at 100 and at 100,000 events (the timeline must not care); the three
run side by side and take turns, one entry each per round. The two not taking their turn are
stopped (SIGSTOP), so that one console's timers never land in another's measurement: each is
timed as it runs for a person, alone on the machine.

    .venv/bin/python bench/bench_keys.py [entries]
"""

from __future__ import annotations

import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import console_env, describe, drain, make_incident_db, pct, read_until, spawn, stop

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
        self.pid, self.fd = spawn(argv, env)
        time.sleep(0.3)
        drain(self.fd, 0.2, limit=3.0)
        os.write(self.fd, prefix)
        drain(self.fd)
        os.kill(self.pid, signal.SIGSTOP)

    def entry(self, i: int) -> float:
        """Wake the console, type an entry, press Enter, and return ms until its text is back
        on screen; then stop the console again."""
        os.kill(self.pid, signal.SIGCONT)
        marker = f"zq{i:05d}x".encode()
        os.write(self.fd, marker)
        # the echo in the input may be painted in pieces, and a timer that fell due while the
        # console was stopped runs now: both are over before Enter
        drain(self.fd, 0.1)
        start = time.perf_counter()
        os.write(self.fd, b"\r")
        taken = (read_until(self.fd, marker) - start) * 1000
        drain(self.fd, 0.03)
        os.kill(self.pid, signal.SIGSTOP)
        return taken

    def close(self) -> None:
        os.kill(self.pid, signal.SIGCONT)
        os.write(self.fd, b"\x11")  # ctrl+q quits any Textual app
        drain(self.fd, 0.2, limit=2.0)
        stop(self.pid, self.fd)


def main() -> None:
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 300  # p99 wants a few hundred
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
        print(describe(name, values))
    floor = results[floor_name]
    for name, values in results.items():
        if name != floor_name:
            print(f"ratio {name} / bare: median {statistics.median(values) / statistics.median(floor):.2f}x"
                  f"   p99 {pct(values, 99) / pct(floor, 99):.2f}x")


if __name__ == "__main__":
    main()
