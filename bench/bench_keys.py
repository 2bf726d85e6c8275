"""Key-to-screen for a timeline entry, measured as bytes out of a real pty.

A person's view: the entry is typed, Enter is pressed, and we time until the entry's text
comes back from the terminal as part of the timeline. The floor is a bare Textual app with
an Input that writes the submitted text to a Static — the least any Textual console can do.
Each console is measured at 100 and at 100,000 events (the timeline must not care).

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


def measure(argv: list[str], env: dict, entries: int, prefix: bytes) -> list[float]:
    pid, fd = spawn(argv, env)
    try:
        time.sleep(0.3)
        drain(fd, 0.2, limit=3.0)
        os.write(fd, prefix)
        drain(fd)
        samples = []
        for i in range(entries):
            marker = f"zq{i:05d}x".encode()
            os.write(fd, marker)
            drain(fd, 0.1)  # the echo in the input may be painted in pieces
            start = time.perf_counter()
            os.write(fd, b"\r")
            samples.append((read_until(fd, marker) - start) * 1000)
            drain(fd, 0.03)
        return samples
    finally:
        os.write(fd, b"\x11")  # ctrl+q quits any Textual app
        drain(fd, 0.2, limit=2.0)
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ChildProcessError, ProcessLookupError):
            pass
        os.close(fd)


def main() -> None:
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    python = sys.executable
    env = {**os.environ, "TERM": "xterm-256color", "WARROOM_USER": "bench", "WARROOM_CONFIG_DIR": "/nonexistent"}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        dbs = {n: Path(tmp) / f"{n}.db" for n in (100, 100_000)}
        for n, path in dbs.items():
            make_incident_db(path, n)
        results["bare textual input → static"] = measure([python, "-c", BARE], env, entries, b"")
        for n, path in dbs.items():
            argv = [python, "-m", "warroom.cli", "--db", str(path)]
            results[f"warroom entry at {n:,} events"] = measure(argv, env, entries, b"i")
    for name, values in results.items():
        print(describe(name, values))
    floor = results["bare textual input → static"]
    for name, values in results.items():
        if name.startswith("warroom"):
            print(f"ratio {name} / bare: median {statistics.median(values) / statistics.median(floor):.2f}x"
                  f"   p99 {pct(values, 99) / pct(floor, 99):.2f}x")


if __name__ == "__main__":
    main()
