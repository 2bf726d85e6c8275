"""Key-to-screen for a timeline entry, measured as bytes out of a real pty.

A person's view: the entry is typed, Enter is pressed, and we time until the entry's text
comes back from the terminal as part of the timeline. The floor is a bare Textual app with
an Input that writes the submitted text to a Static — the least any Textual console can do.
Each console is measured at 100 and at 100,000 events (the timeline must not care); the three
run side by side and take turns, one entry each per round.

    .venv/bin/python bench/bench_keys.py [entries]
"""

from __future__ import annotations

import os
import pty
import select
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import describe, make_incident_db, pct

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


def spawn(argv: list[str], env: dict) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env)
    os.set_blocking(fd, False)
    import fcntl
    import struct
    import termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 48, 160, 0, 0))
    return pid, fd


def read_until(fd: int, needle: bytes, timeout: float = 10.0) -> float:
    """Read the pty until ``needle`` shows up; return when it did (perf_counter)."""
    deadline = time.perf_counter() + timeout
    buffer = b""
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            buffer = (buffer + chunk)[-8192:]
            if needle in buffer:
                return time.perf_counter()
    raise TimeoutError(f"{needle!r} never appeared")


def drain(fd: int, quiet: float = 0.15, limit: float = 1.0) -> None:
    """Read until the terminal has been quiet for ``quiet`` s (a blinking cursor never is: stop
    after ``limit`` s)."""
    end = time.perf_counter() + limit
    while time.perf_counter() < end and select.select([fd], [], [], quiet)[0]:
        try:
            os.read(fd, 65536)
        except OSError:
            return


class Console:
    """One console on a pty, ready for entries (``prefix`` focuses its entry line)."""

    def __init__(self, argv: list[str], env: dict, prefix: bytes) -> None:
        self.pid, self.fd = spawn(argv, env)
        time.sleep(0.3)
        drain(self.fd, 0.2, limit=3.0)
        os.write(self.fd, prefix)
        drain(self.fd)

    def entry(self, i: int) -> float:
        """Type an entry, press Enter, and return ms until its text is back on screen."""
        marker = f"zq{i:05d}x".encode()
        os.write(self.fd, marker)
        drain(self.fd, 0.1)  # the echo in the input may be painted in pieces
        start = time.perf_counter()
        os.write(self.fd, b"\r")
        taken = (read_until(self.fd, marker) - start) * 1000
        drain(self.fd, 0.03)
        return taken

    def close(self) -> None:
        os.write(self.fd, b"\x11")  # ctrl+q quits any Textual app
        drain(self.fd, 0.2, limit=2.0)
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ChildProcessError, ProcessLookupError):
            pass
        os.close(self.fd)


def main() -> None:
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 300  # p99 wants a few hundred
    python = sys.executable
    env = {**os.environ, "TERM": "xterm-256color", "WARROOM_USER": "bench", "WARROOM_CONFIG_DIR": "/nonexistent"}
    floor_name = "bare textual input → static"
    with tempfile.TemporaryDirectory() as tmp:
        argvs = {floor_name: ([python, "-c", BARE], b"")}
        for n in (100, 100_000):
            path = Path(tmp) / f"{n}.db"
            make_incident_db(path, n)
            argvs[f"warroom entry at {n:,} events"] = ([python, "-m", "warroom.cli", "--db", str(path)], b"i")
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
