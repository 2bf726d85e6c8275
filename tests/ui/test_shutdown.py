"""Nothing that arrives after the console has shut down may raise: quitting while the store
hangs exits at once and prints no traceback."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from warroom.room import Room
from warroom.store.log import LocalLog

from ..services.terminal import Terminal


class HangingStore:
    """A loopback TCP server that accepts every connection and never answers a byte."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)  # held open, read from by nobody

    def close(self) -> None:
        self._stop = True
        self.sock.close()
        for conn in self.conns:
            conn.close()


@pytest.fixture
def hanging_store():
    store = HangingStore()
    yield store
    store.close()


def test_quitting_while_the_store_hangs_exits_promptly_without_a_traceback(tmp_path, hanging_store):
    db = tmp_path / "room.db"
    room = Room(LocalLog(db), "tomas")
    room.declare("Checkout 5xx", "SEV1")
    room.close()
    env = {**os.environ, "TERM": "xterm-256color", "WARROOM_USER": "tomas",
           "WARROOM_CONFIG_DIR": str(tmp_path / "config"), "WARROOM_STORE": ""}
    term = Terminal("--db", str(db), "--store", f"redis://127.0.0.1:{hanging_store.port}/0", env=env)
    try:
        term.read_until(b"Checkout 5xx")
        term.read_until(b"reconnecting")  # both sync threads wait on a store that never answers
        time.sleep(1.0)
        term.type("\x11")  # ctrl+q
        started = time.monotonic()
        code = term.exit_status(timeout=20)
        took = time.monotonic() - started
    finally:
        term.stop()
    after = term.seen.rsplit(b"\x1b[?1049l", 1)[-1]  # what is printed once the screen is given back
    assert b"Traceback" not in term.seen and b"Error" not in after, after[-2000:]
    assert code == 0
    assert took < 4.0, took
