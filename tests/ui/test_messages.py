"""Threads reach the console by message: the dialogs open over it show what another terminal
or the sync follower commits, and the latest sync status is the one shown."""

from __future__ import annotations

import asyncio
import gc
import threading

from textual.widgets import DataTable, SelectionList

from warroom.followup import actions, resolution
from warroom.ui import make_app
from warroom.ui.messages import SyncStatusChanged
from warroom.ui.screens.actions import ActionsScreen
from warroom.ui.screens.resolution import ResolutionScreen
from warroom.ui.widgets.panels import StatusBar

from ..waiting import until

SIZE = (160, 48)


def in_a_thread(fn) -> None:
    """Run ``fn`` on a thread of its own, as the sync follower commits."""
    thread = threading.Thread(target=fn)
    thread.start()
    thread.join()


def cells(table: DataTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_the_action_items_dialog_shows_an_item_added_in_another_terminal(room, make_room, clock):
    state = room.declare("Checkout 5xx", "SEV1")
    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, ActionsScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 0
        other = make_room("bob", db="alice.db")  # the CLI or a second console on the same log
        actions.save_action(other, state.id, None, description="add a circuit breaker", owner="bob")
        app.tick()  # the console's second: it polls the log
        await pilot.pause()
        assert [row[-1] for row in cells(table)] == ["add a circuit breaker"]
        # and one changed there shows changed here, the dialog still open
        [item] = actions.action_items(room.events(state.id))
        actions.save_action(other, state.id, item.item_id, status="done")
        app.tick()
        await pilot.pause()
        assert cells(table)[0][2] == "done" and isinstance(app.screen, ActionsScreen)


async def test_the_resolution_checklist_shows_ticks_the_sync_follower_brings(room, make_room, clock):
    state = room.declare("Checkout 5xx", "SEV1")
    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ResolutionScreen)
        listed = app.screen.query_one("#criteria", SelectionList)
        assert listed.selected == []
        # another terminal ticks two criteria; its events come in from the store, on a thread
        remote = make_room("carol", db="carol.db")
        remote.ingest(room.events(state.id))
        ticks = [resolution.tick(remote, state.id, "Primary issue resolved"),
                 resolution.tick(remote, state.id, "Error rates normal")]
        in_a_thread(lambda: room.ingest(ticks))
        await until(lambda: len(listed.selected) == 2, what="the ticks on the open checklist", pilot=pilot)
        assert listed.selected == ["Primary issue resolved", "Error rates normal"]
        untick = resolution.tick(remote, state.id, "Error rates normal", met=False)
        in_a_thread(lambda: room.ingest([untick]))
        await until(lambda: listed.selected == ["Primary issue resolved"], what="the untick", pilot=pilot)
        # shown, not recorded again: the only criterion events are the remote terminal's
        assert [e.author for e in room.events(state.id) if e.kind == "criterion"] == ["carol"] * 3


async def test_a_burst_of_sync_statuses_from_a_thread_shows_the_latest_only(room, clock):
    from warroom.sync.status import SyncStatus

    room.declare("Checkout 5xx", "SEV1")
    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        shown: list[int] = []
        refresh = app.refresh_panels
        app.refresh_panels = lambda: (shown.append(1), refresh())
        in_a_thread(lambda: [app.post_message(SyncStatusChanged(SyncStatus(state="offline", pending=n)))
                             for n in range(1, 201)])
        await until(lambda: "200 events waiting" in str(app.query_one(StatusBar).render()),
                    what="the last status", pilot=pilot)
        assert len(shown) < 200  # the ones still queued gave way to the newer


async def test_events_from_a_thread_are_handled_inside_the_app_not_beside_it(room, make_room, clock):
    """A callback run on the loop beside the app has no app around it: Textual's timers and
    notifications raise ``LookupError: active_app`` there. A message is handled by the app."""
    errors: list[dict] = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: errors.append(context))
    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        remote = make_room("carol", db="carol.db")
        for n in range(3):
            state = remote.declare(f"From the store {n}", "SEV1")
            in_a_thread(lambda: room.ingest(remote.events(state.id)))
            await until(lambda: state.id in room.incident_ids(), what="the incident ingested", pilot=pilot)
        await until(lambda: app.incident_id is not None, what="an incident shown", pilot=pilot)
        for n in range(80):  # more than a page: the timeline turns it on a timer
            note = remote.note(app.incident_id, f"note {n}")
            in_a_thread(lambda: room.ingest([note]))
            await pilot.pause()
        app.tick()
        await pilot.pause(0.5)
    gc.collect()  # a task that failed unseen is reported when it is collected
    await asyncio.sleep(0)
    assert errors == []
