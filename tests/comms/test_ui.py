"""Pilot tests of the comms pane, resolution checklist, rollback dialog, actions and postmortem,
mounted in a small app of their own over a real Room and real loopback HTTP servers."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Markdown, Select, SelectionList, Static, TextArea

from warroom.comms import templates
from warroom.comms.post import Poster
from warroom.comms.settings import Settings
from warroom.followup import actions
from warroom.ui.screens.actions import ActionsScreen, ActionsView
from warroom.ui.screens.comms import CommsPane
from warroom.ui.screens.postmortem import PostmortemScreen
from warroom.ui.screens.resolution import ResolutionScreen
from warroom.ui.screens.rollback import RollbackDialog

from .host import Host

HOOK = "/services/T1/B1/uiSecretPath123"






def poster_for(stub, client, timeout=2.0):
    return Poster(Settings(slack_webhook=stub.url + HOOK, timeout=timeout, retries=0), client)


def status_text(app) -> str:
    return str(app.query_one("#comms-status", Static).render())


def posted(room, incident_id):
    return [e.payload for e in room.log.events(incident_id) if e.kind == "update_posted"]


async def settle(app, pilot):
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_preview_edit_send(stub, client, room, clock, tmp_path):
    state = room.declare("Checkout down", "SEV1", impact="EU card payments")
    pane = CommsPane(room, state.id, poster=poster_for(stub, client), out_dir=tmp_path)
    app = Host(pane)
    async with app.run_test(size=(120, 40)) as pilot:
        assert pane.text == templates.render_for(room, state.id, "update")
        area = app.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press(*"Call 555")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        [req] = stub.seen
        assert req.json()["text"].endswith("Call 555")
        assert posted(room, state.id) == [{"text": pane.text, "channel": "slack"}]
        assert "✓ slack: posted" in status_text(app)


async def test_failure_shows_reason_and_retry_recovers(stub, client, room, clock, tmp_path):
    stub.script = [(500, {}, b"server on fire")]
    state = room.declare("Checkout down", "SEV2")
    app = Host(CommsPane(room, state.id, poster=poster_for(stub, client), out_dir=tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        text = status_text(app)
        assert "HTTP 500" in text and "ctrl+r to retry" in text
        assert app.query_one("#comms-status").has_class("error")
        assert posted(room, state.id) == []
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert len(stub.seen) == 2 and len(posted(room, state.id)) == 1
        assert "✓ slack" in status_text(app)


async def test_hung_service_times_out_while_console_stays_live(stub, client, room, clock, tmp_path):
    stub.script = ["hang"]
    state = room.declare("Checkout down", "SEV2")
    pane = CommsPane(room, state.id, poster=poster_for(stub, client, timeout=0.5), out_dir=tmp_path)
    app = Host(pane)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.press("ctrl+b")  # handled while the post is still waiting
        assert pane.busy and app.clipboard == pane.text
        await settle(app, pilot)
        assert "no reply within 0.5 s" in status_text(app) and not pane.busy
        assert posted(room, state.id) == []


async def test_mark_sent_copy_save_and_switch_template(room, clock, tmp_path):
    state = room.declare("Checkout down", "SEV1", service="checkout")
    clock.advance(minutes=20)
    pane = CommsPane(room, state.id, poster=Poster(Settings()), out_dir=tmp_path)
    app = Host(pane)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one("#comms-template", Select).value = "status-page"
        await pilot.pause()
        assert pane.target == "statuspage" and pane.text.startswith("Title: Major Service Disruption")
        await pilot.press("ctrl+o")  # asks where, offering the incident's own file name
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        saved = tmp_path / f"{room.state(state.id).slug}-status-page.txt"
        assert saved.read_text() == pane.text
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one(Input).value = "elsewhere/page.txt"
        await pilot.press("enter")  # a folder that does not exist: said, not a crash
        await pilot.pause()
        assert "cannot write" in status_text(app) and "elsewhere/page.txt" in status_text(app)
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one(Input).value = str(tmp_path / "page.txt")
        await pilot.press("enter")
        await pilot.pause()
        assert (tmp_path / "page.txt").read_text() == pane.text
        await pilot.press("ctrl+t")
        assert posted(room, state.id) == [{"text": pane.text, "channel": "manual"}]
        assert room.state(state.id).last_update_ms == clock()
        await pilot.press("ctrl+s")  # not configured: a reason, not a crash
        await pilot.pause()
        await pilot.press("y")  # public text with the playbook's sentences: it asks first
        await settle(app, pilot)
        assert "no API key or page id configured" in status_text(app)


async def test_resolution_checklist_with_override(room, clock):
    state = room.declare("API down", "SEV1")
    app = Host(screen=ResolutionScreen(room, state.id))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")  # tick the first criterion
        await pilot.pause()
        ticks = [e.payload for e in room.log.events(state.id) if e.kind == "criterion"]
        assert ticks == [{"criterion": "Primary issue resolved", "met": True}]
        await pilot.click("#resolve")
        await pilot.pause()
        assert app.screen.query_one("#override-box").has_class("shown")
        assert room.state(state.id).status == "Investigating"
        warning = str(app.screen.query_one("#override-warning", Static).render())
        assert "4 criteria still open" in warning
        app.screen.query_one("#reason", Input).focus()
        await pilot.press(*"customers confirm", "enter")
        await pilot.pause()
        assert app.result is True and room.state(state.id).status == "Resolved"
        override = [e.payload for e in room.log.events(state.id) if e.kind == "override"]
        assert override[0]["reason"] == "customers confirm"


async def test_resolution_with_all_criteria_met(make_room, clock):
    room = make_room("alice", policy="sre-team")
    state = room.declare("API down", "SEV2")
    app = Host(screen=ResolutionScreen(room, state.id))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in room.policy.resolution_criteria:
            await pilot.press("space", "down")
        await pilot.pause()
        assert len(app.screen.query_one(SelectionList).selected) == 4
        await pilot.click("#resolve")
        await pilot.pause()
        assert app.result is True and room.state(state.id).status == "Resolved"
        assert not [e for e in room.log.events(state.id) if e.kind == "override"]


async def test_rollback_dialog_records_the_walk(room, clock):
    state = room.declare("API down", "SEV1")
    app = Host(screen=RollbackDialog(room, state.id))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n", "y", "b", "y", "n")
        await pilot.pause()
        assert app.result == "INVESTIGATE"
    [tree] = [e.payload for e in room.log.events(state.id) if e.kind == "decision_tree"]
    assert tree["answers"] == "recent deploy: no; config change: yes; revert worked: no"
    assert tree["outcome"].startswith("INVESTIGATE")


async def test_actions_view_add_overdue_and_done(room, clock):
    state = room.declare("API down", "SEV1")
    view = ActionsView(room, state.id)
    app = Host(view)
    async with app.run_test(size=(120, 40)) as pilot:
        view.query_one(DataTable).focus()
        await pilot.press("a")
        await pilot.pause()
        for field, value in (("description", "Add canary"), ("owner", "bob"), ("due", "2026-11-21"),
                             ("priority", "p0")):
            app.screen.query_one(f"#{field}", Input).value = value
        app.screen.query_one("#priority", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        table = view.query_one(DataTable)
        row = table.get_row_at(0)
        assert [str(c) for c in row[1:]] == ["P0", "open OVERDUE", "2026-11-21", "bob", "Add canary"]
        assert "red" in str(row[2].style)
        await pilot.press("d")
        await pilot.pause()
        assert str(table.get_row_at(0)[2]) == "done"


async def test_postmortem_preview_and_save(room, clock, tmp_path):
    state = room.declare("API down", "SEV1")
    room.set_field(state.id, "root_cause", "a [bold]bad[/] deploy")
    app = Host(screen=PostmortemScreen(room, state.id, out_dir=tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert "a [bold]bad[/] deploy" in screen.markdown
        assert screen.query_one(Markdown).source == screen.markdown
        await pilot.press("ctrl+o")
        assert (tmp_path / f"{room.state(state.id).slug}-postmortem.md").read_text() == screen.markdown


async def test_actions_screen_closes_with_escape(room, clock):
    state = room.declare("API down", "SEV1")
    followup_item = actions.save_action(
        room, state.id, description="Write runbook", priority="P2")
    app = Host(screen=ActionsScreen(room, state.id))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert table.has_focus and str(table.get_row_at(0)[0]) == followup_item.payload["item_id"]
        await pilot.press("p")
        await pilot.pause()
        assert str(table.get_row_at(0)[2]) == "in-progress"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ActionsScreen)
