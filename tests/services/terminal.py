"""A program on a real pseudo-terminal, driven as a person would: keys in, painted bytes out.

The pty tests and the benches (``bench.keys``, ``bench.startup``, ``bench.many_incidents``)
share it, so what the tests check and what the benches time is read the same way.

Output is kept whole in ``seen``. ``read_until`` looks at what came after the last ``drain``:
a test that never drains looks at everything, a bench drains before each keystroke it times
so that only the answer to that keystroke counts.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

SIZE = (160, 48)  # columns, rows


class Terminal:
    """``warroom ARGS`` (as ``python -m warroom``), or any ``argv``, on a pty of ``size``."""

    def __init__(self, *args: str, env: dict[str, str], argv: list[str] | None = None,
                 size: tuple[int, int] = SIZE) -> None:
        argv = argv or [sys.executable, "-m", "warroom", *args]
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: never return into the caller's code
            try:
                # sized before the program starts, so its first frame is already the right size
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        os.set_blocking(self.fd, False)
        self._out = bytearray()
        self._mark = 0  # where read_until starts looking: the end of the last drain
        self.exited = False  # the pty is closed: the program is gone or going
        self.returncode: int | None = None

    @property
    def seen(self) -> bytes:
        """Everything the program has written so far."""
        return bytes(self._out)

    def _read(self, wait: float) -> bool:
        """Take what the program wrote within ``wait`` s; False once it has closed the pty."""
        if self.exited:
            return False
        if select.select([self.fd], [], [], wait)[0]:
            try:
                self._out += os.read(self.fd, 65536)
            except BlockingIOError:
                pass
            except OSError:  # EIO: the program exited and the pty is closed
                self.exited = True
                return False
        return True

    def _find(self, needles: tuple[bytes, ...]) -> bool:
        at = self._mark
        for needle in needles:
            found = self._out.find(needle, at)
            if found < 0:
                return False
            at = found + len(needle)
        return True

    def read_until(self, *needles: bytes, timeout: float = 15.0) -> float:
        """Read until each of ``needles`` has come out, in order; return when the last did
        (``time.perf_counter()``)."""
        deadline = time.perf_counter() + timeout
        while not self._find(needles):
            left = deadline - time.perf_counter()
            if left <= 0 or not self._read(min(left, 0.05)):
                why = "exited before" if self.exited else "not on the terminal:"
                raise TimeoutError(f"{why} {needles!r}; last bytes: {self.seen[-400:]!r}")
        return time.perf_counter()

    def drain(self, quiet: float = 0.15, limit: float = 1.0) -> None:
        """Read until the program has been quiet for ``quiet`` s (a blinking cursor never is:
        stop after ``limit`` s); read_until then looks only at what comes next."""
        end = time.perf_counter() + limit
        while time.perf_counter() < end:
            before = len(self._out)
            if not self._read(quiet) or len(self._out) == before:
                break
        self._mark = len(self._out)

    def type(self, text: str | bytes) -> None:
        os.write(self.fd, text.encode() if isinstance(text, str) else text)

    def pause(self) -> None:
        """SIGSTOP: none of its timers run until :meth:`resume`."""
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def exit_status(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._read(0.1):
                time.sleep(0.01)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
                return self.returncode
        os.kill(self.pid, signal.SIGKILL)
        raise TimeoutError("the program did not exit")

    def stop(self) -> None:
        """Kill the program (if it still runs) and close the pty."""
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ChildProcessError, ProcessLookupError):
                pass
        os.close(self.fd)
