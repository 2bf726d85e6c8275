"""The console on a real pseudo-terminal, driven by keystrokes as a person would."""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from warroom.room import Room
from warroom.store.log import LocalLog

from .services.terminal import Terminal


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
