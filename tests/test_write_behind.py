"""Entries typed in the console are painted at once and committed beside the paint: marked
until they are on disk, given back when the commit fails, never lost."""

from __future__ import annotations

import sqlite3
import threading
import time

from textual.widgets import Input

from warroom.ui import make_app
from warroom.ui.widgets.panels import StatusBar
from warroom.ui.widgets.timeline import SUMMARY, TimelineView

SIZE = (160, 48)


def drawn(view: TimelineView, index: int) -> str:
    return "".join(seg.text for seg in view.render_line(index - view.scroll_offset.y)).rstrip()


def stored(room, text: str) -> int:
    return room.log.conn.execute("SELECT count(*) FROM events WHERE summary = ?", (text,)).fetchone()[0]


def hold_log(room) -> sqlite3.Connection:
    """Another process's write lock on the log: commits wait (up to the busy timeout)."""
    other = sqlite3.connect(room.log.path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def refuse(room, text: str) -> None:
    """Make the log refuse one entry, as a full disk or a damaged page would."""
    room.log.conn.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.summary = "
        f"'{text}' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")


async def test_an_entry_shows_at_once_marked_until_its_commit_lands(room, clock):
    state = room.declare("API", "SEV2")
    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.press("i")
        other = hold_log(room)
        try:
            app.query_one("#entry", Input).value = "o: db pool exhausted"
            await pilot.press("enter")
            await pilot.pause()
            # on screen, marked as not yet on disk; the entry line is free for the next one
            assert drawn(view, 1).endswith("… OBS   alice             db pool exhausted")
            assert app.query_one("#entry", Input).value == ""
            assert "2 entries" in str(app.query_one(StatusBar).render())
            assert stored(room, "db pool exhausted") == 0
            app.tick()  # the console stays live while the commit waits for the disk
            await pilot.pause()
            # the next entry does not wait for the first one's commit either
            app.query_one("#entry", Input).value = "h: connection leak"
            started = time.monotonic()
            await pilot.press("enter")
            await pilot.pause()
            assert time.monotonic() - started < 1.0  # waiting, it would sit out the 5 s busy timeout
            assert drawn(view, 2).endswith("… HYPO  alice             connection leak")
        finally:
            other.execute("COMMIT")
            other.close()
        room.flush()
        await pilot.pause()
        assert stored(room, "db pool exhausted") == 1 and stored(room, "connection leak") == 1
        assert " … " not in drawn(view, 1) and drawn(view, 1).endswith("db pool exhausted")
        assert view.visible_count == 3
        assert [r[SUMMARY] for r in view.visible_rows()][1:] == ["db pool exhausted", "connection leak"]
        assert room.state(state.id).entry_count == 2


async def test_a_failed_commit_gives_the_text_back(room, clock):
    room.declare("API", "SEV2")
    refuse(room, "rolled back 1.42")
    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TimelineView)
        await pilot.press("i")
        entry = app.query_one("#entry", Input)
        entry.value = "-2m a: rolled back 1.42"
        await pilot.press("enter")
        room.flush()
        await pilot.pause()
        # the refused entry is back in the entry line as typed, time and kind included
        assert entry.value == "-2m a: rolled back 1.42"
        assert stored(room, "rolled back 1.42") == 0 and app.unsaved == []
        [note] = [n for n in app._notifications if n.title == "Entry not saved"]
        assert "disk I/O error" in note.message and "back in the entry line" in note.message

        # the scribe is already typing the next one: that text stays, the refused one is kept
        entry.value = "rolled back 1.42"
        other = hold_log(room)
        await pilot.press("enter")
        await pilot.pause()
        assert [r[SUMMARY] for r in view.visible_rows()][1:] == ["rolled back 1.42"]  # pending
        entry.value = "d: hold the deploy"
        other.execute("COMMIT")
        other.close()
        room.flush()
        await pilot.pause()
        assert entry.value == "d: hold the deploy"
        assert [r[SUMMARY] for r in view.visible_rows()][1:] == [] and view.row_count == 1
        assert app.unsaved == ["rolled back 1.42"]
        note = list(app._notifications)[-1]
        assert "Not saved: 'rolled back 1.42' (printed again when warroom quits)" in note.message
        await pilot.press("enter")
        room.flush()
        await pilot.pause()
        assert [r[SUMMARY] for r in view.visible_rows()][1:] == ["hold the deploy"]


async def test_an_entry_still_waiting_for_the_disk_at_quit_is_kept(room, clock):
    room.declare("API", "SEV2")
    refuse(room, "last words")
    app = make_app(room, clock=clock, keymap={})
    other = hold_log(room)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        app.query_one("#entry", Input).value = "last words"
        await pilot.press("enter")
        await pilot.pause()
        # quitting waits for the commit; the disk frees up, then refuses it
        threading.Timer(0.3, lambda: (other.execute("COMMIT"), other.close())).start()
    assert app.unsaved == ["last words"] and stored(room, "last words") == 0


def test_a_reader_who_saw_an_event_in_the_log_sees_it_folded_in_and_the_screen_need_not_wait(room):
    incident = room.declare("API", "SEV2")
    assert room.state(incident.id).entry_count == 0
    in_log = threading.Event()
    log = room.writer_log()  # every commit goes through it
    append = log.append

    def slow_append(*args, **kwargs):  # a commit that lingers between its append and its fold
        added = append(*args, **kwargs)
        in_log.set()
        time.sleep(0.3)
        return added

    log.append = slow_append
    writer = threading.Thread(target=room.note, args=(incident.id, "on disk"))
    writer.start()
    in_log.wait(5)
    assert stored(room, "on disk") == 1
    assert room.state(incident.id, wait=False).entry_count == 0  # the screen: not held up
    assert room.state(incident.id).entry_count == 1  # anyone else: waits for the fold
    writer.join()
