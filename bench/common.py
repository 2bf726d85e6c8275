"""Shared bits for the benchmarks: fixtures of a given size, a console on a real pty, and
robust statistics.

The machines are shared and noisy: every script measures its floor in the same run and
quotes medians, p99 and ratios, never a single timing.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from warroom.model.events import Event  # noqa: E402
from warroom.model.ids import format_hlc, uuid7  # noqa: E402
from warroom.store.log import LocalLog  # noqa: E402
from warroom.model.policy import load_policy  # noqa: E402
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


def console_env() -> dict:
    """The environment a console under test runs in, the floor's as well as warroom's."""
    env = {k: v for k, v in os.environ.items()
           # any value (even "0") stops bytecode caching; an installed package has its
           # bytecode compiled, so every app here runs from cached bytecode
           if k != "PYTHONDONTWRITEBYTECODE"}
    # TEXTUAL_FPS: the frame rate warroom's console sets for itself, given to the floor too
    return {**env, "TERM": "xterm-256color", "TEXTUAL_FPS": "1000", "WARROOM_USER": "bench",
            "WARROOM_CONFIG_DIR": "/nonexistent"}


def spawn(argv: list[str], env: dict) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env)
    os.set_blocking(fd, False)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 48, 160, 0, 0))
    return pid, fd


def read_until(fd: int, *needles: bytes, timeout: float = 10.0) -> float:
    """Read the pty until each of ``needles`` has shown up, in order; return when the last
    did (perf_counter)."""
    deadline = time.perf_counter() + timeout
    buffer, wanted = b"", list(needles)
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            buffer = (buffer + chunk)[-65536:]
            while wanted and wanted[0] in buffer:
                buffer = buffer[buffer.index(wanted[0]) + len(wanted[0]):]
                wanted.pop(0)
            if not wanted:
                return time.perf_counter()
    raise TimeoutError(f"{wanted[0]!r} never appeared")


def drain(fd: int, quiet: float = 0.15, limit: float = 1.0) -> None:
    """Read until the terminal has been quiet for ``quiet`` s (a blinking cursor never is: stop
    after ``limit`` s)."""
    end = time.perf_counter() + limit
    while time.perf_counter() < end and select.select([fd], [], [], quiet)[0]:
        try:
            os.read(fd, 65536)
        except OSError:
            return


def stop(pid: int, fd: int) -> None:
    """Kill a console started by :func:`spawn` and close its pty."""
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass
    os.close(fd)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def describe(name: str, values: list[float], unit: str = "ms") -> str:
    return (f"{name:<38} n={len(values):<4} median {statistics.median(values):8.2f} {unit}"
            f"   p99 {pct(values, 99):8.2f} {unit}")
