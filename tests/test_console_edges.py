"""Console edges: entries the disk refuses queue up, a drill never posts, no terminal no console."""

from __future__ import annotations

import os
import pty
import re
import sqlite3
import subprocess
import sys
import time

import pytest
from textual.widgets import Input

from warroom.room import Room
from warroom.store.log import LocalLog
from warroom.ui import make_app
from warroom.ui.widgets.timeline import SUMMARY, TimelineView

from .conftest import T0
from .services.terminal import Terminal

SIZE = (160, 48)
FULL = "database or disk is full"


def refuse_all(conn, like: str) -> None:
    """The log refuses matching entries, as a full disk would."""
    conn.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.summary LIKE '{like}' "
                 f"BEGIN SELECT RAISE(ABORT, '{FULL}'); END")


def entries(room, incident_id):
    return [(e.payload["text"], e.payload["kind"], e.occurred_ms) for e in room.log.events(incident_id)
            if e.kind == "entry"]


def subtitle(app) -> str:
    return str(app.query_one("#entry", Input).border_subtitle or "")



async def type_while_locked(room, clock, pilot, entry, lines, every_s: int) -> None:
    """Type ``lines`` while another process holds the log; their commits wait, then all fail."""
    other = sqlite3.connect(room.log.path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    for line in lines:
        entry.value = line
        await pilot.press("enter")
        await pilot.pause()
        clock.advance(seconds=every_s)
    other.execute("COMMIT")
    other.close()
    room.flush()
    await pilot.pause()

async def test_entries_the_disk_refuses_queue_up_each_with_its_own_text_and_time(room, clock):
    state = room.declare("API", "SEV2")
    refuse_all(room.log.conn, "typed-while-full-%")
    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        entry = app.query_one("#entry", Input)
        await pilot.press("i")
        # the commits wait behind another process until all three are typed, then all fail
        await type_while_locked(room, clock, pilot, entry,
                                ("typed-while-full-1", "-5m d: typed-while-full-2", "typed-while-full-3"), 30)

        # the oldest is back in the line as typed; the others wait, none merged
        assert entry.value == "typed-while-full-1"
        assert app.unsaved == ["-5m d: typed-while-full-2", "typed-while-full-3"]
        assert [u.occurred_ms for u in app.unsaved] == [T0 + 30_000 - 300_000, T0 + 60_000]
        assert FULL in subtitle(app) and "14:00:00" in subtitle(app) and "2 more" in subtitle(app)
        assert [r[SUMMARY] for r in view.visible_rows()][1:] == []  # nothing shown as pending
        assert entries(room, state.id) == []

        # the disk has room again, ten minutes on: each goes in at the time it was typed
        room.log.conn.execute("DROP TRIGGER refuse")
        clock.advance(minutes=10)
        await pilot.press("enter")
        await pilot.pause()
        assert entry.value == "-5m d: typed-while-full-2" and "1 more" in subtitle(app)
        entry.value = "-5m d: typed-while-full-2, edited"
        await pilot.press("enter")
        await pilot.pause()
        assert entry.value == "typed-while-full-3" and "more" not in subtitle(app)
        await pilot.press("enter")
        room.flush()
        await pilot.pause()
        assert entry.value == "" and app.unsaved == [] and subtitle(app) == ""
        assert entries(room, state.id) == [("typed-while-full-2, edited", "decision", T0 + 30_000 - 300_000),
                                           ("typed-while-full-1", "note", T0),
                                           ("typed-while-full-3", "note", T0 + 60_000)]
        # a plain entry typed now still gets now
        entry.value = "back to normal"
        await pilot.press("enter")
        room.flush()
        assert entries(room, state.id)[-1] == ("back to normal", "note", T0 + 90_000 + 600_000)


async def test_an_entry_refused_while_the_next_is_typed_waits_for_the_empty_line(room, clock):
    state = room.declare("API", "SEV2")
    refuse_all(room.log.conn, "first%")
    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        entry = app.query_one("#entry", Input)
        await pilot.press("i")
        other = sqlite3.connect(room.log.path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN EXCLUSIVE")
        entry.value = "first"
        await pilot.press("enter")
        await pilot.pause()
        clock.advance(seconds=5)
        await pilot.press(*"second")  # typing the next one when the first is refused
        other.execute("COMMIT")
        other.close()
        room.flush()
        await pilot.pause()
        assert entry.value == "second" and app.unsaved == ["first"]
        assert "1 not saved" in subtitle(app)
        await pilot.press("enter")
        room.flush()
        await pilot.pause()
        # what follows is not typed onto it: it comes back when asked, Enter on the empty line
        assert entry.value == "" and app.unsaved == ["first"]
        assert entries(room, state.id) == [("second", "note", T0 + 5_000)]
        await pilot.press("enter")
        assert entry.value == "first" and app.unsaved == [] and "Enter tries again, at 14:00:00" in subtitle(app)
        entry.value = ""  # cleared: it steps aside, not away
        await pilot.pause()
        assert app.unsaved == ["first"] and "1 not saved" in subtitle(app)
        await pilot.press("enter")
        assert entry.value == "first"
        room.log.conn.execute("DROP TRIGGER refuse")

        await pilot.press("enter")
        room.flush()
        assert entries(room, state.id) == [("first", "note", T0), ("second", "note", T0 + 5_000)]


async def test_keys_typed_on_as_a_refused_entry_comes_back_start_a_line_of_their_own(room, clock):
    """How three entries became one: each came back as the next was being typed onto it."""
    state = room.declare("API", "SEV2")
    refuse_all(room.log.conn, "full-%")
    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        entry = app.query_one("#entry", Input)
        await pilot.press("i")
        for n in (1, 2, 3):
            await pilot.press(*f"full-{n}")
            await pilot.press("enter")
            room.flush()  # the full disk refuses it at once: it is back before the next key
            await pilot.pause()
            clock.advance(seconds=10)
        assert entry.value == "full-1"
        assert app.unsaved == ["full-2", "full-3"]
        assert [u.occurred_ms for u in app.unsaved] == [T0 + 10_000, T0 + 20_000]
        await pilot.press(*"ok")
        assert entry.value == "ok" and len(app.unsaved) == 3 and "3 not saved" in subtitle(app)
        await pilot.press("enter")
        room.flush()
        assert entries(room, state.id) == [("ok", "note", T0 + 30_000)]


async def test_every_entry_still_unsaved_at_quit_is_kept_in_the_order_typed(room, clock):
    room.declare("API", "SEV2")
    refuse_all(room.log.conn, "w%")
    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        entry = app.query_one("#entry", Input)
        await pilot.press("i")
        await type_while_locked(room, clock, pilot, entry, ("w1", "-1m w2", "w3"), 10)
        assert entry.value == "w1"
        entry.value = "w one"  # edited
    assert app.unsaved == ["w one", "-1m w2", "w3"]
    assert [u.occurred_ms for u in app.unsaved] == [T0, T0 + 10_000 - 60_000, T0 + 20_000]


def test_unsaved_entries_are_printed_at_quit_each_with_its_time(tmp_path):
    db = tmp_path / "room.db"
    room = Room(LocalLog(db), "tomas")
    room.declare("Checkout 5xx", "SEV1")
    refuse_all(room.log.conn, "words %")
    room.close()
    env = {**os.environ, "TERM": "xterm-256color", "WARROOM_USER": "tomas",
           "WARROOM_CONFIG_DIR": str(tmp_path / "config"), "WARROOM_STORE": ""}
    term = Terminal("--db", str(db), env=env)
    term.read_until(b"Checkout 5xx")
    term.type("i")
    time.sleep(0.5)
    term.type("words one\r")
    term.read_until(FULL.encode())
    term.type("\x11")
    assert term.exit_status() == 2
    term.read_until(b"words one (occurred ")
    printed = re.findall(rb"warroom: entry not saved: (.+?) \(occurred (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC\)",
                         term.seen)
    assert [p[0] for p in printed] == [b"words one"]


# (a drill never reaches a real audience: tests/comms/test_drill_posts.py)


# -- no terminal, no console ------------------------------------------------------------------

NO_TTY = "warroom: the console needs a terminal (stdin and stdout); use the CLI commands for scripts\n"


def run_without_tty(tmp_path, *argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE):
    env = {**os.environ, "WARROOM_USER": "tomas", "WARROOM_CONFIG_DIR": str(tmp_path / "config"),
           "WARROOM_STORE": "", "TERM": "xterm-256color"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", "import sys; from warroom.cli import main; sys.exit(main())",
                           "--db", str(tmp_path / "t.db"), *argv],
                          stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=env, timeout=30)
    return done, time.monotonic() - started


@pytest.mark.parametrize("side", ["stdout", "stdin", "both"])
def test_the_console_without_a_terminal_refuses_at_once(tmp_path, side):
    leader, follower = pty.openpty()
    try:
        stdin = follower if side == "stdout" else subprocess.DEVNULL
        stdout = follower if side == "stdin" else subprocess.PIPE
        done, took = run_without_tty(tmp_path, stdin=stdin, stdout=stdout)
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2 and done.stderr.decode() == NO_TTY
    assert (done.stdout or b"") == b"" and took < 10
    assert not (tmp_path / "t.db").exists()  # nothing taken over, not even the log


def test_a_drill_without_a_terminal_refuses_before_declaring(tmp_path):
    done, took = run_without_tty(tmp_path, "drill", "oom-cascade")
    assert done.returncode == 2 and done.stderr.decode() == NO_TTY and done.stdout == b""
    assert took < 10
    assert not (tmp_path / "t.db").exists()  # no drill incident was declared

    declared, _ = run_without_tty(tmp_path, "drill", "oom-cascade", "--no-console")
    assert declared.returncode == 0 and declared.stdout.strip()
