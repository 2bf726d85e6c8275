"""The console, driven with Pilot: every action, frozen clocks, hostile text."""

from __future__ import annotations

from textual.geometry import Region
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, SelectionList, Static

from warroom.ui import make_app
from warroom.ui.screens.dialogs import HelpScreen
from warroom.ui.widgets.panels import ClocksPanel, IncidentHeader, StatusBar
from warroom.ui.widgets.timeline import LABEL, PAGE_TURN_AFTER, SUMMARY, TimelineView

from .conftest import console_app
from .waiting import until

SIZE = (160, 48)


def app_for(room, clock):
    return console_app(room, clock=clock)  # Pilot presses keys milliseconds apart: see there


async def type_text(pilot, text):
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


def timeline(app) -> TimelineView:
    return app.query_one(TimelineView)


def painted(widget) -> str:
    """The widget's lines as they would reach the screen."""
    return "\n".join(line.text for line in widget.render_lines(Region(0, 0, *widget.outer_size)))


def header_text(app) -> str:
    return str(app.query_one(IncidentHeader).render())


async def test_declare_from_the_console(room, clock):
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        assert "no incident" in header_text(app)
        await pilot.press("D")
        await type_text(pilot, "Checkout 5xx")
        await pilot.press("tab", "1")  # the severity is chosen, never defaulted
        app.screen.query_one("#impact", Input).value = "EU customers cannot pay"
        await pilot.press("enter")
        await pilot.pause()
        [state] = room.incidents()
        assert (state.title, state.severity, state.impact) == ("Checkout 5xx", "SEV1", "EU customers cannot pay")
        assert app.incident_id == state.id
        assert "SEV1" in header_text(app) and "incident-20261122-checkout-5xx" in header_text(app)
        assert timeline(app).row_count == 1


async def test_severity_status_ack_and_update_posted(room, clock):
    state = room.declare("API", "SEV2")
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        assert isinstance(app.screen.query_one(OptionList), OptionList)
        await pilot.press("up", "enter")  # SEV2 is highlighted: up is SEV1
        await pilot.pause()
        assert room.state(state.id).severity == "SEV1"
        # after each dialog the keys are the entry line's again: Esc leaves it for the commands
        await pilot.press("escape", "t", "down", "enter")
        await pilot.pause()
        assert room.state(state.id).status == "Identified"
        assert "phase: Investigation & mitigation" in header_text(app)
        await pilot.press("escape", "K")
        await pilot.pause()
        assert room.state(state.id).acknowledged_ms is None  # asked first
        await pilot.press("enter")
        await pilot.pause()
        assert room.state(state.id).acknowledged_ms == clock()
        clock.advance(minutes=20)
        await pilot.press("escape", "u")
        await pilot.pause()
        assert room.state(state.id).last_update_ms != clock()
        await pilot.press("enter")
        await pilot.pause()
        assert room.state(state.id).last_update_ms == clock()
        labels = [row[LABEL] for row in timeline(app).visible_rows()]
        assert labels == ["declared", "severity", "status", "ack", "update_posted"]


async def test_assign_and_hand_over_with_a_briefing(room, clock):
    state = room.declare("API", "SEV2")
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "enter")  # it opens on the first role nobody holds: IC
        await type_text(pilot, "alice")
        await pilot.press("enter")
        await pilot.pause()
        assert room.state(state.id).roles == {"IC": "alice"}
        # the dialog went on to TL, the next role nobody holds: Esc ends it, Esc leaves the
        # entry line, and a opens it again, where i picks IC
        await pilot.press("escape", "escape", "a", "i", "enter")
        assert app.screen.query_one("#briefing", Input).display  # IC has a holder: hand-over
        await type_text(pilot, "bob")
        app.screen.query_one("#briefing", Input).value = "db is the suspect; rollback ready"
        await pilot.press("enter")
        await pilot.pause()
        assert room.state(state.id).roles == {"IC": "bob"}
        last = timeline(app).visible_rows()[-1]
        assert last[SUMMARY] == "IC handed over alice → bob — briefing: db is the suspect; rollback ready"


async def test_role_checklist(room, clock):
    state = room.declare("API", "SEV2")
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c", "enter")  # first role: IC
        await pilot.pause()
        assert app.screen.query_one(SelectionList)
        await pilot.press("space")
        await pilot.pause()
        assert room.state(state.id).done_tasks("IC") == {"Overall incident coordination"}
        await pilot.press("space")
        await pilot.pause()
        assert room.state(state.id).done_tasks("IC") == set()


async def test_quick_entry_kinds_backdating_and_literal_markup(room, clock):
    room.declare("API", "SEV2")
    clock.advance(minutes=10)
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        entry = app.query_one("#entry", Input)
        for line in ["d: roll back [@click=app.quit]api[/]", "14:02 o: alert fired", "plain note",
                     "-1m h: cache cold?"]:
            entry.value = line
            await pilot.press("enter")
        await pilot.press("tab")  # default kind becomes decision
        entry.value = "ship it"
        await pilot.press("enter")
        room.flush()  # the commits run on the writer thread
        await pilot.pause()
        assert app.is_running
        rows = timeline(app).visible_rows()
        got = [(r[LABEL], r[SUMMARY]) for r in rows if r[LABEL] != "declared"]
        assert got == [("observation", "alert fired"), ("hypothesis", "cache cold?"),
                       ("decision", "roll back [@click=app.quit]api[/]"), ("note", "plain note"),
                       ("decision", "ship it")]
        # typed at 14:10, the backdated entry sorts where it happened (after the 14:00
        # declaration, before the 14:09 hypothesis) and is marked as backdated
        assert rows[1][SUMMARY] == "alert fired"
        line = "".join(seg.text for seg in timeline(app).render_line(1))
        assert line.startswith("14:02:00 ↶ OBS   alice")  # the date is in the border
        screen_text = "".join(
            "".join(seg.text for seg in timeline(app).render_line(y)) for y in range(len(rows)))
        assert "[@click=app.quit]api[/]" in screen_text


async def test_bad_time_keeps_the_text(room, clock):
    room.declare("API", "SEV2")
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        entry = app.query_one("#entry", Input)
        entry.value = "25:99 x"
        await pilot.press("enter")
        await pilot.pause()
        assert entry.value == "25:99 x"
        assert timeline(app).row_count == 1


async def test_filter_by_text_and_kind(room, clock):
    state = room.declare("API", "SEV2")
    room.note(state.id, "rollback started", "action")
    room.note(state.id, "errors dropping", "observation")
    room.note(state.id, "rollback done", "note")
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        status = app.query_one(StatusBar)
        line_y = status.region.y
        await pilot.press("slash")
        await type_text(pilot, "rollback")
        await pilot.pause()
        assert [r[SUMMARY] for r in timeline(app).visible_rows()] == ["rollback started", "rollback done"]
        box = app.query_one("#filter", Input)  # the prompt stands where the status line was
        assert not status.display and box.region.y == line_y and box.region.height == 1
        await pilot.press("enter")
        await pilot.pause()
        assert status.display and not box.display and "filter: rollback" in str(status.render())
        await pilot.press("f")  # note only
        await pilot.pause()
        assert [r[SUMMARY] for r in timeline(app).visible_rows()] == ["rollback done"]
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert [r[SUMMARY] for r in timeline(app).visible_rows()] == ["rollback done"]
        for _ in range(5):
            await pilot.press("f")
        assert timeline(app).visible_count == 4


async def test_clocks_count_down_and_turn_overdue_with_a_bell(room, clock):
    room.declare("API down", "SEV1")
    app = app_for(room, clock)
    bells = []
    app.bell = lambda: bells.append(clock())
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(ClocksPanel)
        assert (panel.face.update, panel.face.escalation) == ("15:00", "05:00")
        assert "+ Engineering Manager at 14:05 UTC" in painted(panel)
        assert "╶╮ ╭─╴" in painted(panel)  # "15" drawn in big digits
        clock.advance(minutes=5, seconds=30)
        app.tick()
        assert panel.face.escalation == "09:30"
        assert bells == [clock()]  # EM engaged now, and the response deadline passed: one bell for both
        clock.advance(minutes=10)
        app.tick()
        await pilot.pause()
        assert panel.has_class("-update-overdue")
        assert panel.face.update == "+00:30"
        assert "OVERDUE by 30s" in painted(panel)
        assert len(bells) == 2  # update overdue, VP Eng at +15: one bell
        assert any("status update overdue" in n.message for n in app._notifications)
        app.tick()
        assert len(bells) == 2  # rings once
        await pilot.press("u")
        await pilot.pause()
        assert panel.has_class("-update-overdue")  # nothing recorded before the confirmation
        await pilot.press("enter")
        await pilot.pause()
        assert not panel.has_class("-update-overdue")
        assert panel.face.update == "15:00"


async def test_switch_between_incidents_and_see_other_process_writes(room, make_room, clock):
    first = room.declare("First", "SEV2")
    clock.advance(minutes=1)
    second = room.declare("Second", "SEV3")
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        assert app.incident_id == second.id
        await pilot.press("x")
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert set(ids) == {first.id, second.id}
        options.highlighted = ids.index(first.id)
        await pilot.press("enter")
        await pilot.pause()
        assert app.incident_id == first.id and "First" in header_text(app)
        # another process (the CLI) writes to the same log file
        cli_room = make_room("carol", db="alice.db")
        cli_room.note(first.id, "from the CLI")
        app.tick()
        await pilot.pause()
        assert timeline(app).visible_rows()[-1][SUMMARY] == "from the CLI"


async def test_help_lists_every_binding_and_the_palette_has_them(room, clock):
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-body", Static).render())
        for needle in ("Declare a new incident", "Change the severity", "Filter the timeline by text",
                       "Record that a status update went out", "14:02 o: alert fired"):
            assert needle in text
        await pilot.press("escape")
        from warroom.ui.palette import WarroomCommands
        provider = WarroomCommands(app.screen)
        hits = [hit.text async for hit in provider.discover()]
        assert "incident: Declare a new incident" in hits and len(hits) >= 13


async def test_keys_can_be_remapped(room, clock):
    app = make_app(room, clock=clock, keymap={"declare": "n"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.query_one("#title", Input)


async def test_resolving_from_status_goes_through_the_checklist_and_starts_recovery(room, clock):
    from textual.widgets import Button

    from warroom.ui.screens.resolution import ResolutionScreen
    from warroom.ui.widgets.panels import FollowUpPanel

    state = room.declare("API", "SEV2")
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", "end", "enter")  # pick Resolved
        await pilot.pause()
        assert isinstance(app.screen, ResolutionScreen)
        assert room.state(state.id).status == "Investigating"  # nothing resolved yet
        app.screen.query_one("#resolve", Button).press()
        await pilot.pause()
        assert isinstance(app.screen, ResolutionScreen)  # criteria open: asks for an override
        app.screen.query_one("#reason", Input).value = "customers confirm recovery"
        app.screen.query_one("#override", Button).press()
        await pilot.pause()
        assert room.state(state.id).status == "Resolved"
        labels = [r[LABEL] for r in timeline(app).visible_rows()]
        assert labels[-2:] == ["override", "status"]
        panel = app.query_one(FollowUpPanel)
        assert panel.display and "recovery monitoring: 30:00 left" in str(panel.render())
        clock.advance(minutes=10)
        app.tick()
        assert "recovery monitoring: 20:00 left" in str(panel.render())


async def test_comms_and_follow_up_screens_open_from_their_keys(room, clock):
    from warroom.ui.screens.actions import ActionsScreen
    from warroom.ui.screens.comms import CommsScreen
    from warroom.ui.screens.postmortem import PostmortemScreen
    from warroom.ui.screens.rollback import RollbackDialog

    room.declare("API", "SEV2")
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        for key, screen in (("m", CommsScreen), ("b", RollbackDialog), ("A", ActionsScreen),
                            ("P", PostmortemScreen)):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, screen), key
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, screen), key
            assert app.query_one("#entry").has_focus, key  # back in the entry line
            await pilot.press("escape")  # and out of it, to the commands


async def test_a_drill_opens_its_runbook_panes_and_evidence_lands_in_the_timeline(room, clock):
    from warroom.followup.drills import start_drill
    from warroom.ui.widgets.diag_pane import DiagPane
    from warroom.ui.widgets.runbook_panel import RunbookPanel

    drill = start_drill(room, "oom-cascade")
    clock.advance(minutes=6)
    app = app_for(room, clock)
    app.start_drill(drill)
    async with app.run_test(size=SIZE) as pilot:
        panes = app.query_one("#panes")
        # runbooks load after the first frame, then the panes mount
        await until(lambda: panes.has_class("-open"), 2.5, "the drill's panes open", pilot=pilot, every=0.05)
        await pilot.pause()  # the panes take a column of their own, between timeline and clocks
        assert timeline(app).region.right <= panes.region.x < app.query_one(ClocksPanel).region.x
        assert panes.region.width == timeline(app).region.width
        assert len(app.query(RunbookPanel)) == 1 and len(app.query(DiagPane)) >= 1
        assert "DRILL" in header_text(app)
        labels = [r[LABEL] for r in timeline(app).visible_rows()]
        assert labels == ["declared", "runbook"]
        pane = app.query(DiagPane).first()
        # the first simulated snapshot arrives from a worker
        await until(lambda: pane.snapshot is not None, 2.5, "the first simulated snapshot", pilot=pilot, every=0.05)
        pane.table.focus()
        await pilot.press("e")  # what it records is said first: Enter records it
        await until(lambda: isinstance(app.screen, ModalScreen), pilot=pilot, what="the evidence dialog")
        assert timeline(app).visible_rows()[-1][LABEL] == "runbook"
        await pilot.press("enter")
        await pilot.pause()
        rows = timeline(app).visible_rows()
        assert rows[-1][LABEL] == "evidence"
        # the pane's snapshot, at the (frozen) time it was taken, from the simulated source
        assert rows[-1][SUMMARY].startswith("evidence from pods (drill:pods): pods drill:pods at 2026-11-22T14:06:00Z")
        await pilot.press("escape", "W")  # back from the entry line, where a dialog leaves the keys
        await pilot.pause()
        assert not app.query(DiagPane) and not panes.has_class("-open")
        assert timeline(app).region.right + 1 == app.query_one(ClocksPanel).region.x  # its margin


async def test_runbook_keys_are_bound_and_listed_in_help(room, clock):
    room.declare("API", "SEV2")
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert {b.key for b in app.runbooks.values()} >= {"f5", "f7", "f8", "f9", "f10"}
        await pilot.press("question_mark")
        await pilot.pause()
        text = str(app.screen.query_one("#help-body", Static).render())
        assert "RUNBOOKS" in text and "High error rate" in text


async def test_a_tick_or_event_arriving_during_shutdown_is_harmless(room, clock):
    """Shutdown removes the screens before it stops the timers: a late tick must not crash."""
    state = room.declare("API", "SEV2")
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")  # a modal on top, as when the race was seen
        await pilot.pause()
    app.tick()
    app._apply(room.log.events(state.id))


async def test_the_mouse_wheel_scrolls_back_from_the_latest(room, clock):
    from textual import events

    state = room.declare("API", "SEV2")
    for i in range(200):
        room.note(state.id, f"note {i}")
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        view = timeline(app)
        await pilot.pause()
        assert view.border_subtitle == "latest"
        assert "201 entries" in str(app.query_one("#status").render())
        assert "note 199" in painted(view)
        for _ in range(2):
            view.post_message(events.MouseScrollUp(view, 5, 5, 0, 0, 0, False, False, False))
        await pilot.pause()
        height = view.scrollable_content_region.height
        top = 201 - height - 2 * view.app.scroll_sensitivity_y
        assert view.border_subtitle == f"{top + 1:.0f}–{top + height:.0f} of 201"
        assert "note 199" not in painted(view)


async def test_the_collector_is_off_only_until_the_first_frame(room, clock):
    import gc

    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.runbooks and gc.isenabled()
    assert gc.isenabled()


def line(view, y: int) -> str:
    """Line ``y`` of the timeline as painted, without its border."""
    return painted(view).splitlines()[y + 1][1:-1].rstrip()


def lines_drawn(view) -> list[int]:
    """The timeline lines painted from now on, in order."""
    drawn: list[int] = []
    paint = view.render_line
    view.render_line = lambda y: drawn.append(y) or paint(y)
    return drawn


def with_notes(room, clock, count: int, every_s: int):
    state = room.declare("API", "SEV2")
    for i in range(count):
        clock.advance(seconds=every_s)
        room.note(state.id, f"note {i}")
    return state


async def test_following_the_latest_a_new_entry_paints_only_its_line_and_a_full_pane_turns_a_page(room, clock):
    state = with_notes(room, clock, 9, every_s=60)
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        view = timeline(app)
        await pilot.press("i")
        await pilot.pause()
        height = view.scrollable_content_region.height
        first = line(view, 0)
        drawn = lines_drawn(view)
        clock.advance(minutes=1)
        await type_text(pilot, "typed here")
        drawn.clear()
        await pilot.press("enter")
        room.flush()
        await pilot.pause()
        # the declaration and nine notes above it did not move: only the new line was drawn
        # (twice when its commit landed after the first paint, to drop the pending mark)
        assert set(drawn) == {10}
        assert line(view, 0) == first and line(view, 10).endswith("typed here") and " … " not in line(view, 10)
        assert view.border_subtitle == "latest"

        for i in range(height - 11):  # fill the pane to its last line
            clock.advance(minutes=1)
            room.note(state.id, f"fill {i}")
            assert line(view, 0) == first  # nothing moves while there is room
        last = f"fill {height - 12}"
        await pilot.pause()  # the last line is painted first, where it belongs
        assert line(view, height - 1).endswith(last) and view.scroll_offset.y == 0
        await pilot.pause(PAGE_TURN_AFTER + 0.1)  # a moment later the page turns, for the next entry
        keep = height // 2
        assert line(view, keep - 1).endswith(last) and line(view, keep) == ""
        assert view.scroll_offset.y == height - keep

        drawn.clear()
        clock.advance(minutes=1)
        room.note(state.id, "one more")
        await pilot.pause()
        assert drawn == [keep] and line(view, keep).endswith("one more")
        assert line(view, keep - 1).endswith(last)

        bursts = height - keep  # one more than the free lines: the page turns at once
        clock.advance(minutes=1)
        for i in range(bursts):
            clock.advance(seconds=1)
            room.note(state.id, f"burst {i}")
        assert line(view, keep - 1).endswith(f"burst {bursts - 1}") and line(view, keep) == ""
        await pilot.pause()

        top = view.scroll_offset.y
        room.note(state.id, "backdated", at=clock() - 1500)
        await pilot.pause()  # sorted in above the last row: the rows below it move, the page does not
        assert view.scroll_offset.y == top
        assert line(view, keep - 3).endswith(f"burst {bursts - 3}")
        assert line(view, keep - 2).endswith("backdated")
        assert line(view, keep).endswith(f"burst {bursts - 1}")

        from textual import events

        view.post_message(events.MouseScrollUp(view, 5, 5, 0, 0, 0, False, False, False))
        await pilot.pause()
        top = view.scroll_offset.y
        shown = [line(view, y) for y in range(height)]
        room.note(state.id, "while scrolled back")
        await pilot.pause()  # reading back: nothing moves, the new row fills the free space
        end = shown.index("")
        assert view.scroll_offset.y == top and [line(view, y) for y in range(end)] == shown[:end]
        assert line(view, end).endswith("while scrolled back")
        count = view.visible_count
        assert view.border_subtitle == f"{top + 1}–{count} of {count}"


async def test_the_cached_pages_stay_the_log_through_appends_backdating_and_a_filter(room, clock):
    state = room.declare("API", "SEV2")
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        view = timeline(app)
        for i in range(300):  # across page boundaries (64 rows), with every 7th entry backdated
            clock.advance(seconds=10)
            at = clock() - 95_000 if i % 7 == 3 else None
            room.note(state.id, f"entry {i}", "decision" if i % 3 == 0 else "note", at=at)
            if i % 50 == 49:
                await pilot.pause()
                assert [view.row(k) for k in range(view.visible_count)] == view.visible_rows()
        view.set_filter(frozenset({"decision"}))
        for i in range(300, 400):
            clock.advance(seconds=10)
            room.note(state.id, f"entry {i}", "decision" if i % 3 == 0 else "note",
                      at=clock() - 95_000 if i % 5 == 0 else None)
        await pilot.pause()
        rows = view.visible_rows()
        assert len(rows) == view.visible_count == 134 and {r[LABEL] for r in rows} == {"decision"}
        assert [view.row(k) for k in range(view.visible_count)] == rows


async def test_a_full_pane_turns_its_page_when_the_entry_line_takes_focus(room, clock):
    with_notes(room, clock, 60, every_s=10)
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        view = timeline(app)
        await pilot.pause()
        height = view.scrollable_content_region.height
        assert line(view, height - 1).endswith("note 59")  # the pane opens full, latest at the bottom
        await pilot.press("i")
        await pilot.pause()
        keep = height // 2
        assert line(view, keep - 1).endswith("note 59") and line(view, keep) == ""
        drawn = lines_drawn(view)
        app.query_one("#entry", Input).value = "first words"
        clock.advance(seconds=10)
        await pilot.press("enter")
        room.flush()
        await pilot.pause()
        assert set(drawn) == {keep} and line(view, keep).endswith("first words")


async def test_a_second_repaints_the_header_right_end_and_the_changed_clock_lines_only(room, clock):
    room.declare("API down", "SEV1")
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        header, panel = app.query_one(IncidentHeader), app.query_one(ClocksPanel)
        await pilot.pause()
        width = header.content_size.width
        assert painted(header).splitlines()[1].rstrip().endswith("2026-11-22 14:00:00 UTC")
        dirty: dict[str, list[Region]] = {"header": [], "clocks": []}
        for name, widget in (("header", header), ("clocks", panel)):
            refresh = widget.refresh
            widget.refresh = lambda *regions, _name=name, _refresh=refresh, **kw: (
                dirty[_name].extend(regions or [None]), _refresh(*regions, **kw))[1]
        clock.advance(seconds=1)
        app.tick()
        # elapsed 00:01 and 14:00:01: only the cells from the first changed one on, at the
        # right end of the header, far from the timeline below its left part
        assert dirty["header"] and all(r is not None and r.x >= width - 8 for r in dirty["header"])
        assert {r.y for r in dirty["header"]} == {0, 1}
        # the two countdowns (3 lines of digits each) and the response deadline's line
        assert None not in dirty["clocks"] and len(dirty["clocks"]) == 7
        await pilot.pause()
        assert painted(header).splitlines()[1].rstrip().endswith("2026-11-22 14:00:01 UTC")
        assert panel.face.update == "14:59"
