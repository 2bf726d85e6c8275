"""The console on a real pseudo-terminal, driven by keystrokes as a person would."""

from __future__ import annotations

import os
import pty
import select
import sqlite3
import struct
import sys
import threading
import time

from warroom.store.log import LocalLog
from warroom.room import Room


class Terminal:
    """``warroom`` running on a pty of 160×48: type into it, read what it paints."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvpe(sys.executable, [sys.executable, "-m", "warroom", *args], env)
        import fcntl
        import termios
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 48, 160, 0, 0))
        self.seen = b""

    def read_until(self, needle: bytes, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{needle!r} not on the terminal; last bytes: {self.seen[-400:]!r}")
            if select.select([self.fd], [], [], min(left, 0.1))[0]:
                try:
                    self.seen += os.read(self.fd, 65536)
                except OSError:  # the program exited
                    if needle not in self.seen:
                        raise TimeoutError(f"exited before {needle!r}; last bytes: {self.seen[-400:]!r}")

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def exit_status(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if select.select([self.fd], [], [], 0.1)[0]:
                try:
                    self.seen += os.read(self.fd, 65536)
                except OSError:
                    pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, 9)
        raise TimeoutError("warroom did not exit")


def test_an_entry_the_disk_refuses_as_the_console_quits_is_printed_not_lost(tmp_path):
    db = tmp_path / "room.db"
    room = Room(LocalLog(db), "tomas")
    room.declare("Checkout 5xx", "SEV1")
    room.log.conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.summary = 'last words' "
                          "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
    room.close()
    env = {**os.environ, "TERM": "xterm-256color", "WARROOM_USER": "tomas",
           "WARROOM_CONFIG_DIR": str(tmp_path / "config"), "WARROOM_STORE": ""}
    term = Terminal("--db", str(db), env=env)
    term.read_until(b"Checkout 5xx")
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # the disk is busy: the commit waits behind this
    term.type("i")
    time.sleep(0.5)  # a person takes longer than this to start typing after i
    term.type("last words")
    term.read_until(b"last words")
    term.type("\r")
    term.read_until("…".encode())  # on screen, marked as not yet on disk
    term.type("\x11")  # ctrl+q: quitting waits for the commit, which the disk then refuses
    threading.Timer(0.5, lambda: (other.execute("COMMIT"), other.close())).start()
    assert term.exit_status() == 2
    term.read_until(b"warroom: entry not saved: last words")
