"""Small terminals: every part the room needs is on screen at once, and the timeline shows text.

At 80×24 the screen used to scroll as a whole with the key bar, header and entry line never all
visible, and at 100×30 the key bar and sync status were below the fold; the timeline's text
column was the first to go."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time

import pytest

from warroom.room import Room
from warroom.store.log import LocalLog
from warroom.ui.widgets.panels import ClocksPanel
from warroom.ui.widgets.timeline import TimelineView

from ..waiting import until

PARTS = ("#header", "#clocks", "#timeline", "#entry", "#status", "#keys")


def line_text(widget, y: int) -> str:
    return "".join(segment.text for segment in widget.render_line(y))


@pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_part_is_on_screen_and_the_timeline_shows_text(console, room, clock, size):
    incident = room.declare("Checkout returning 5xx", "SEV1")
    room.assign(incident.id, "Scribe", "bartholomew-the-scribe")
    clock.advance(seconds=7)
    room.note(incident.id, "upstream ok after the rollback", kind="observation")
    async with console(size=size) as pilot:
        app = pilot.app
        await pilot.pause()
        screen = app.screen
        assert screen.max_scroll_y == 0, "the screen scrolls as a whole"
        for selector in PARTS:
            region = app.query_one(selector).region
            assert region.height > 0 and region.width > 0, f"{selector} not shown"
            assert screen.region.contains_region(region), f"{selector} at {region} off {screen.region}"
        timeline = app.query_one(TimelineView)
        rows = [line_text(timeline, y) for y in range(timeline.scrollable_content_region.height)]
        last = next(row for row in reversed(rows) if row.strip())
        assert "upstream ok after the rollback" in last
        assert "14:00:07" in last and "2026-11-22" not in last  # the date is in the border
        assert "2026-11-22" in str(timeline.border_title)
        clocks = app.query_one(ClocksPanel)
        shown = " ".join(line_text(clocks, y) for y in range(clocks.content_size.height))
        assert "UPDATE" in shown and "ESC" in shown
        assert clocks.content_size.height <= 3  # the compact form, not the big digits


async def test_text_keeps_its_column_beside_a_long_author(console, room, make_room):
    incident = room.declare("Checkout returning 5xx", "SEV1")
    room.note(incident.id, "decided to roll back", kind="decision")
    other = make_room("a-very-long-author-name-from-the-far-side-of-the-org", db="alice.db")
    other.note(incident.id, "the text comes first")
    async with console(size=(80, 24)) as pilot:
        app = pilot.app
        await pilot.pause()
        timeline = app.query_one(TimelineView)
        rows = [line_text(timeline, y) for y in range(timeline.scrollable_content_region.height)]
        assert any("DECIS" in row and "decided to roll back" in row for row in rows)
        long = next(row for row in rows if "the text comes first" in row)
        assert "a-very-long-author-name-from-the-far-side" not in long


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_with_diagnostic_panes_open_the_timeline_keeps_its_text(console, room, clock, size):
    from warroom.followup.drills import start_drill
    from warroom.ui.widgets.diag_pane import DiagPane

    drill = start_drill(room, "oom-cascade")
    room.note(drill.incident_id, "pods restarting in a loop on checkout", kind="observation")
    clock.advance(minutes=6)
    async with console(size=size) as pilot:
        app = pilot.app
        app.start_drill(drill)
        panes = app.query_one("#panes")
        await until(lambda: panes.has_class("-open") and app.query(DiagPane), 5, "the drill's panes open",
                    pilot=pilot, every=0.05)
        await pilot.pause()
        screen = app.screen
        assert screen.max_scroll_y == 0
        for selector in (*PARTS, "#panes"):
            region = app.query_one(selector).region
            assert region.height > 0 and screen.region.contains_region(region), f"{selector} at {region}"
        timeline = app.query_one(TimelineView)
        rows = [line_text(timeline, y) for y in range(timeline.scrollable_content_region.height)]
        assert any("OBS" in row and "pods restarting in a loop" in row for row in rows), rows


def tmux(socket: str, *args: str) -> str:
    return subprocess.run(["tmux", "-L", socket, *args], check=True, capture_output=True, text=True).stdout


def screen_until(socket: str, *texts: str, timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        lines = tmux(socket, "capture-pane", "-p", "-t", "console").splitlines()
        if all(any(text in line for line in lines) for text in texts):
            return lines
        if time.monotonic() > deadline:
            raise AssertionError(f"never on screen: {texts}\n" + "\n".join(lines))
        time.sleep(0.1)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_at_80x24_on_a_real_terminal_a_person_sees_everything_and_what_they_type(tmp_path):
    db = tmp_path / "room.db"
    room = Room(LocalLog(db), "tomas")
    incident = room.declare("Checkout returning 5xx", "SEV1")
    room.note(incident.id, "upstream ok after the rollback")
    room.close()
    socket = f"warroom-sizes-{os.getpid()}"
    env = {"TERM": "xterm-256color", "WARROOM_USER": "tomas", "WARROOM_CONFIG_DIR": str(tmp_path / "config"),
           "WARROOM_STORE": ""}
    command = " ".join([*(f"{k}={shlex.quote(v)}" for k, v in env.items()),
                        shlex.quote(sys.executable), "-m", "warroom", "--db", shlex.quote(str(db))])
    tmux(socket, "new-session", "-d", "-s", "console", "-x", "80", "-y", "24", command)
    try:
        lines = screen_until(socket, "upstream ok after the rollback", "i Write")
        assert len(lines) == 24
        assert "SEV1" in lines[0] and "Checkout returning 5xx" in lines[0] and "Investigating" in lines[1]
        assert any(" UPDATE " in line for line in lines) and any(" ESC " in line for line in lines)
        assert any("NOTE" in line for line in lines[-6:])  # the entry line's border
        assert "tomas" in lines[-2] and "entries" in lines[-2]  # the status line
        tmux(socket, "send-keys", "-t", "console", "i")
        time.sleep(0.3)
        tmux(socket, "send-keys", "-t", "console", "-l", "error rate back under 1%")
        tmux(socket, "send-keys", "-t", "console", "Enter")
        lines = screen_until(socket, "NOTE  tomas", "error rate back under 1%")
        row = next(line for line in lines if "error rate back under 1%" in line)
        assert row.startswith("│") and ":" in row[1:9]  # time of day, then kind, author, text
    finally:
        tmux(socket, "kill-server")
