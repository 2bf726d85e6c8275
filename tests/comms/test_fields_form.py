"""The comms lead's fields form (F, and the palette): each change a ``field`` event with its
author and time, shown as "last updated by … at …", saved only after a statement of what
changes for everyone; milestones marked, backdated, from the same form."""

from __future__ import annotations

from textual.widgets import Input, Select, Static

from warroom.cli import main
from warroom.comms import templates
from warroom.followup import resolution
from warroom.ui.screens.dialogs import RecordScreen
from warroom.ui.screens.fields import FieldsScreen
from warroom.ui.widgets.timeline import TimelineView

from ..waiting import until


def fields_events(room, incident_id):
    return [e for e in room.events(incident_id, with_entries=False) if e.kind == "field"]


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def open_form(pilot):
    app = pilot.app
    await until(lambda: app.incident_id is not None, pilot=pilot, what="the incident shown")
    app.query_one(TimelineView).focus()  # away from the entry line, where F would be text
    await pilot.press("F")
    await form_shown(pilot)
    return app.screen


async def form_shown(pilot):
    app = pilot.app
    await until(lambda: isinstance(app.screen, FieldsScreen) and app.screen.query("#milestones")
                and text_of(app.screen, "#milestones"), pilot=pilot, what="the fields form, filled")


async def test_a_change_is_recorded_after_the_confirm_with_who_and_when(make_room, console, clock):
    room = make_room("alice")
    bob = make_room("bob", db="alice.db")
    state = room.declare("Checkout 5xx", "SEV1", service="checkout")
    bob.set_field(state.id, "impact", "EU card payments failing")
    room.poll_log()  # as the console's tick does
    clock.advance(minutes=5)  # 14:05
    async with console(room) as pilot:
        form = await open_form(pilot)
        app = pilot.app
        assert form.query_one("#field-impact", Input).value == "EU card payments failing"
        assert text_of(form, "#by-impact") == "last updated by bob at 14:00"
        assert text_of(form, "#by-customer_impact") == "not set"
        box = form.query_one("#field-customer_impact", Input)
        box.focus()
        await pilot.press(*"Payments fail")
        current = form.query_one("#field-current_actions", Input)
        current.value = "rolling back 4711; paging payments"
        await pilot.pause()
        box.focus()
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, RecordScreen), pilot=pilot, what="the confirm step")
        statement = text_of(app.screen, "#statement")
        assert f"Record for everyone in {state.id}: 2 fields, as alice" in statement
        assert "Customer impact: Payments fail" in statement
        assert "Current actions: rolling back 4711; paging payments" in statement
        assert fields_events(room, state.id)[-1].author == "bob"  # nothing yet
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, FieldsScreen), pilot=pilot, what="back to the form")
        new = fields_events(room, state.id)[1:]
        assert sorted((e.payload["name"], e.payload["value"], e.author, e.occurred_ms) for e in new) == [
            ("current_actions", "rolling back 4711\npaging payments", "alice", clock()),
            ("customer_impact", "Payments fail", "alice", clock())]
        assert text_of(form, "#by-customer_impact") == "last updated by alice at 14:05"
        assert form.query_one("#field-current_actions", Input).value == "rolling back 4711; paging payments"
        # the templates say what the form set: the list as a list, the customer field in public
        update = templates.render_for(room, state.id, "update")
        assert "Current Actions:\n- rolling back 4711\n- paging payments\n" in update
        page = templates.draft_for(room, state.id, "status-page")
        assert "Impact: Payments fail\n" in page.text
        assert not any(line.startswith("customer impact") for line in page.unfilled)

        await pilot.press("enter")  # nothing changed since: nothing to confirm
        await pilot.pause()
        assert isinstance(app.screen, FieldsScreen) and text_of(form, "#fields-error") == "Nothing changed."


async def test_esc_at_the_confirm_records_nothing_and_keeps_the_edit(room, console):
    state = room.declare("Checkout 5xx", "SEV2")
    async with console() as pilot:
        form = await open_form(pilot)
        app = pilot.app
        eta = form.query_one("#field-eta", Input)
        eta.focus()
        await pilot.press(*"15:30 UTC", "enter")
        await until(lambda: isinstance(app.screen, RecordScreen), pilot=pilot, what="the confirm step")
        await pilot.press("escape")
        await until(lambda: isinstance(app.screen, FieldsScreen), pilot=pilot, what="back to the form")
        assert fields_events(room, state.id) == [] and eta.value == "15:30 UTC"
        assert form.changed() == {"eta": "15:30 UTC"}


async def test_a_field_set_elsewhere_shows_in_the_open_form_unless_edited_here(make_room, console, clock):
    room = make_room("alice")
    other = make_room("carol", db="alice.db")  # another process on the same log file
    state = room.declare("Checkout 5xx", "SEV2")
    async with console(room) as pilot:
        form = await open_form(pilot)
        form.query_one("#field-eta", Input).value = "mine, typing"
        clock.advance(minutes=2)
        other.set_field(state.id, "workaround", "retry the payment")
        other.set_field(state.id, "eta", "theirs")
        await until(lambda: text_of(form, "#by-workaround") == "last updated by carol at 14:02", pilot=pilot,
                    what="the other terminal's field in the form")
        assert form.query_one("#field-workaround", Input).value == "retry the payment"
        assert form.query_one("#field-eta", Input).value == "mine, typing"  # not overwritten
        assert text_of(form, "#by-eta") == "last updated by carol at 14:02"


async def test_a_milestone_is_marked_backdated_after_the_confirm(room, console, clock):
    state = room.declare("Checkout 5xx", "SEV2")
    clock.advance(minutes=30)  # 14:30
    async with console() as pilot:
        form = await open_form(pilot)
        app = pilot.app
        form.query_one("#milestone-name", Select).value = "mitigated"
        when = form.query_one("#milestone-at", Input)
        when.focus()
        await pilot.press(*"-5m", "enter")
        await until(lambda: isinstance(app.screen, RecordScreen), pilot=pilot, what="the confirm step")
        assert (f"Record for everyone in {state.id}: milestone mitigated at 2026-11-22 14:25 UTC (backdated)"
                in text_of(app.screen, "#statement"))
        assert resolution.milestones(room.events(state.id)) == {}
        await pilot.press("enter")
        await until(lambda: "mitigated 14:25" in text_of(form, "#milestones"), pilot=pilot, what="the mark shown")
        marks = [e for e in room.events(state.id) if e.kind == "milestone"]
        assert [(e.payload["name"], e.occurred_ms, e.author) for e in marks] == [
            ("mitigated", clock() - 5 * 60_000, "alice")]
        when.value = "soon"
        when.focus()
        await pilot.press("enter")  # unreadable: said, nothing asked, nothing recorded
        await pilot.pause()
        assert isinstance(app.screen, FieldsScreen) and "cannot read time 'soon'" in text_of(form, "#fields-error")


async def test_the_palette_opens_the_form(room, console):
    from warroom.ui.palette import WarroomCommands

    room.declare("Checkout 5xx", "SEV2")
    async with console() as pilot:
        app = pilot.app
        await until(lambda: app.incident_id is not None, pilot=pilot, what="the incident shown")
        hits = [hit async for hit in WarroomCommands(app.screen).search("fields form")]
        assert hits and str(hits[0].text).startswith("comms: Fields form")
        await hits[0].command()  # what the palette runs when the entry is chosen
        await form_shown(pilot)


def test_warroom_set_takes_the_customer_fields(tmp_path, clock, capsys, monkeypatch, make_room):
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "cfg"))
    db = str(tmp_path / "c.db")
    run = lambda *a: main(["--db", db, "--as", "alice", *a], clock=clock)  # noqa: E731
    assert run("declare", "Checkout 5xx", "--severity", "SEV1", "--service", "checkout") == 0
    for name in ("customer-message", "customer_impact", "customer_root_cause", "customer_workaround", "needs"):
        assert run("set", name, f"value of {name}") == 0
    assert run("set", "customer_secret_plan", "x") == 2
    assert "unknown field 'customer_secret_plan'" in capsys.readouterr().err
    capsys.readouterr()
    assert run("template", "status-page") == 0
    page = capsys.readouterr().out
    assert "value of customer-message\n" in page and "Impact: value of customer_impact\n" in page
    assert "Workaround: value of customer_workaround\n" in page
    room = make_room("alice", db="c.db")
    [incident] = room.incidents()
    info = room.field_info(incident.id, "customer_message")
    assert (info.value, info.author, info.at_ms) == ("value of customer-message", "alice", clock())
