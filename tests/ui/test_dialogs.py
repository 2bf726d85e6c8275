"""Dialogs that match how an IC works: the severity is chosen, never defaulted; the assign
dialog opens on the role nobody holds and picks roles by letter; ``c`` opens your own role's
checklist; keys sent fast land in the field they were typed in."""

from __future__ import annotations

import os
import time

import pytest
from rich.text import Text
from textual import events
from textual.widgets import Input, OptionList, SelectionList, Static

from warroom.model.policy import load_policy
from warroom.room import Room
from warroom.store.log import LocalLog
from warroom.ui.screens import dialogs
from warroom.ui.screens.dialogs import AssignScreen, ChecklistScreen, DeclareScreen, PickScreen
from warroom.ui.widgets.entry_line import QuickEntry

from ..services.terminal import Terminal
from ..waiting import until

READ_S = 0.5  # a person reading a dialog before typing into it: longer than the console's prose gap


def shown(widget: Static) -> str:
    content = widget.render()
    return content.plain if isinstance(content, Text) else str(content)


def hint(app) -> str:
    return shown(app.screen.query_one("#hint", Static))


def focused_id(app) -> str | None:
    return app.focused.id if app.focused is not None else None


async def type_text(pilot, text):
    await pilot.press(*[ch if ch != " " else "space" for ch in text])


async def declare_dialog(pilot):
    """D, and the dialog up with the cursor in its title, as a person sees it before typing."""
    await pilot.press("D")
    await until(lambda: isinstance(pilot.app.screen, DeclareScreen) and focused_id(pilot.app) == "title",
                pilot=pilot, what="the declare dialog, on its title")
    return pilot.app.screen


async def assign_dialog(pilot, incident_id):
    app = pilot.app
    await until(lambda: app.incident_id == incident_id, pilot=pilot, what="the incident shown")
    if isinstance(app.focused, QuickEntry):
        await pilot.press("escape")  # out of the entry line, to the commands
    await pilot.press("a")
    await until(lambda: isinstance(app.screen, AssignScreen) and isinstance(app.focused, OptionList),
                pilot=pilot, what="the assign dialog, on its roles")
    return app.screen


async def roles_after_declaring(pilot):
    """Declaring goes on to the roles: the assign dialog, on IC's person."""
    app = pilot.app
    await until(lambda: isinstance(app.screen, AssignScreen) and focused_id(app) == "person",
                pilot=pilot, what="the assign dialog after the declaration, on the person")
    assert app.screen.chosen == "IC"
    return app.screen


def room_wide(room, incident_id):
    return [e.kind for e in room.events(incident_id, with_entries=False)]


def fast(*keys: str) -> list[events.Key]:
    """Key events as the terminal's parser makes them, for keys (or characters) all sent at once."""
    named = {"tab": "\t", "enter": "\r", "space": " ", "shift+tab": None}
    out = []
    for key in keys:
        for ch in ([key] if key in named else key):
            name = "space" if ch == " " else ch
            out.append(events.Key(name, named.get(name, ch)))
    return out


# -- declare -----------------------------------------------------------------------------------
async def test_title_and_enter_without_a_severity_declare_nothing_and_go_to_the_list(room, console):
    async with console() as pilot:
        app = pilot.app
        screen = await declare_dialog(pilot)
        assert shown(screen.query_one("#severity-info", Static)) == "no severity chosen yet"
        assert hint(app) == "Tab: the severity list (1–4 there) · a title is needed · Esc cancels"
        await type_text(pilot, "Checkout 5xx")
        assert hint(app) == "Tab: the severity list (1–4 there) · Enter: choose a severity · Esc cancels"
        await pilot.press("enter")
        assert room.incidents() == [] and app.screen is screen
        assert shown(screen.query_one("#error", Static)) == "Choose a severity: 1–4"
        assert focused_id(app) == "severity"
        assert hint(app) == "1–4 or ↑↓ choose a severity first · Esc cancels"
        await pilot.press("1")
        info = shown(screen.query_one("#severity-info", Static))
        assert info.split("\n") == dialogs.severity_lines(room.policy, "SEV1")
        assert hint(app) == "1–4 or ↑↓ severity · Enter declares SEV1 for everyone · Esc cancels"
        await pilot.press("down")  # the arrows choose too
        assert hint(app) == "1–4 or ↑↓ severity · Enter declares SEV2 for everyone · Esc cancels"
        await pilot.press("tab")
        assert focused_id(app) == "service"
        assert hint(app) == "1–4 in the severity list · Enter declares SEV2 for everyone · Esc cancels"
        await pilot.press("enter")
        await until(lambda: room.incidents(), pilot=pilot, what="the declaration")
        [state] = room.incidents()
        assert (state.title, state.severity) == ("Checkout 5xx", "SEV2")


async def test_digits_typed_in_the_title_are_its_text(room, console):
    async with console() as pilot:
        screen = await declare_dialog(pilot)
        await type_text(pilot, "5xx on 3 of 4 pods")
        assert screen.query_one("#title", Input).value == "5xx on 3 of 4 pods"
        assert screen.severity is None and focused_id(pilot.app) == "title"


async def test_tab_from_the_title_goes_to_the_severity_list_where_digits_pick(room, console):
    async with console() as pilot:
        screen = await declare_dialog(pilot)
        await pilot.press("tab")
        assert focused_id(pilot.app) == "severity"
        for key, severity in (("3", "SEV3"), ("4", "SEV4"), ("1", "SEV1")):
            await pilot.press(key)
            assert screen.severity == severity
        await pilot.press("9")  # no SEV9: nothing changes
        assert screen.severity == "SEV1"


@pytest.mark.parametrize("field,keys", [("title", ("shift+tab",)), ("severity", ()), ("service", ("tab",)),
                                        ("impact", ("tab", "tab"))])
async def test_enter_declares_from_any_field_once_title_and_severity_are_set(room, console, field, keys):
    async with console() as pilot:
        await declare_dialog(pilot)
        await type_text(pilot, "db down")
        await pilot.press("tab", "3", *keys)
        assert focused_id(pilot.app) == field
        assert "Enter declares SEV3 for everyone" in hint(pilot.app)
        await pilot.press("enter")
        await until(lambda: room.incidents(), pilot=pilot, what="the declaration")
        assert [(s.title, s.severity) for s in room.incidents()] == [("db down", "SEV3")]


async def test_enter_on_the_list_without_a_title_asks_for_it(room, console):
    async with console() as pilot:
        screen = await declare_dialog(pilot)
        await pilot.press("tab", "2")
        assert hint(pilot.app) == "1–4 or ↑↓ severity · a title is needed · Esc cancels"
        await pilot.press("enter")
        assert room.incidents() == [] and focused_id(pilot.app) == "title"
        assert shown(screen.query_one("#error", Static)) == "An incident needs a title."


def test_severity_keys_are_the_digit_of_sevn_or_the_position():
    policy = load_policy("cygni")
    assert dialogs.severity_keys(policy) == {"SEV1": "1", "SEV2": "2", "SEV3": "3", "SEV4": "4"}
    zero = policy._replace(severities=tuple(s._replace(id=f"SEV{n}") for n, s in enumerate(policy.severities)))
    assert dialogs.severity_keys(zero) == {"SEV0": "0", "SEV1": "1", "SEV2": "2", "SEV3": "3"}
    named = policy._replace(severities=tuple(s._replace(id=name) for name, s in
                                             zip(("critical", "major", "minor", "low"), policy.severities)))
    assert dialogs.severity_keys(named) == {"critical": "1", "major": "2", "minor": "3", "low": "4"}
    assert dialogs.key_span(["1", "2", "3", "4"]) == "1–4" and dialogs.key_span(["0", "1", "2", "3"]) == "0–3"
    assert dialogs.key_span(["1", "2"]) == "1/2"


# -- assign ------------------------------------------------------------------------------------
def test_role_letters_come_from_the_policy_roles():
    assert dialogs.role_letters(load_policy("sre-team")) == {"IC": "i", "TL": "t", "Comms": "c", "Scribe": "s"}
    assert dialogs.role_letters(load_policy("cygni")) == {"IC": "i", "TL": "t", "CL": "c", "Scribe": "s"}
    policy = load_policy("sre-team")
    clash = policy._replace(roles=tuple(r._replace(id=name) for name, r in
                                        zip(("Comms", "CL", "Scribe", "Support"), policy.roles)))
    assert dialogs.role_letters(clash) == {"Comms": "c", "CL": "l", "Scribe": "s", "Support": "u"}


async def test_assign_opens_on_the_first_role_nobody_holds_and_says_letters_pick(room, console):
    state = room.declare("Checkout down", "SEV2")
    room.assign(state.id, "IC", "alice")
    room.assign(state.id, "TL", "bob")
    async with console() as pilot:
        screen = await assign_dialog(pilot, state.id)
        roles = screen.query_one("#role", OptionList)
        assert roles.highlighted_option.id == "CL"
        assert [str(roles.get_option_at_index(i).prompt) for i in range(roles.option_count)] == [
            "i  IC — Incident Commander (alice)", "t  TL — Technical Lead (bob)",
            "c  CL — Communications Lead (unassigned)", "s  Scribe — Scribe (unassigned)"]
        assert hint(pilot.app) == ("type a role's letter to pick it (i=IC t=TL c=CL s=Scribe)"
                                   " · Tab or Enter: the person · Esc cancels")


async def test_assign_opens_on_the_first_role_when_every_role_is_held(room, console):
    state = room.declare("Checkout down", "SEV2")
    for role, person in (("IC", "alice"), ("TL", "bob"), ("CL", "carol"), ("Scribe", "dana")):
        room.assign(state.id, role, person)
    async with console() as pilot:
        screen = await assign_dialog(pilot, state.id)
        assert screen.query_one("#role", OptionList).highlighted_option.id == "IC"


async def test_a_letter_picks_the_role_and_enter_in_the_person_records(room, console):
    state = room.declare("Checkout down", "SEV2")
    async with console() as pilot:
        app = pilot.app
        screen = await assign_dialog(pilot, state.id)
        await pilot.press("s")
        assert screen.chosen == "Scribe" and isinstance(app.focused, OptionList)  # picked, not yet on
        await pilot.press("enter")
        assert focused_id(app) == "person"
        assert hint(app) == "the person who takes Scribe · Esc cancels"
        await type_text(pilot, "dana")
        assert hint(app) == f"Enter records dana as Scribe for everyone in {state.id} · Esc cancels"
        await pilot.press("enter")
        await until(lambda: room.state(state.id).roles == {"Scribe": "dana"}, pilot=pilot, what="the assignment")


async def test_after_a_role_nobody_held_the_dialog_goes_on_to_the_next_one_on_its_person(room, console):
    state = room.declare("Checkout down", "SEV2")
    roles = [r.id for r in room.policy_for(state).roles]
    async with console() as pilot:
        app = pilot.app
        await assign_dialog(pilot, state.id)
        await pilot.press("enter")  # the first role nobody holds: on to its person
        for n, person in enumerate(("dana", "erik", "fay", "gus")[:len(roles)]):
            await until(lambda: isinstance(app.screen, AssignScreen) and focused_id(app) == "person",
                        pilot=pilot, what=f"the person of {roles[n]}")
            assert app.screen.chosen == roles[n]
            if n:
                assert hint(app).endswith("Esc when done")
            await type_text(pilot, person)
            await pilot.press("enter")
        await until(lambda: not isinstance(app.screen, AssignScreen), pilot=pilot, what="the dialog closed")
        assert room.state(state.id).roles == dict(zip(roles, ("dana", "erik", "fay", "gus")))


async def test_esc_ends_the_going_on_with_the_rest_unassigned(room, console):
    state = room.declare("Checkout down", "SEV2")
    async with console() as pilot:
        app = pilot.app
        await assign_dialog(pilot, state.id)
        await pilot.press("enter")
        await type_text(pilot, "dana")
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, AssignScreen) and focused_id(app) == "person",
                    pilot=pilot, what="the next role")
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, AssignScreen), pilot=pilot, what="the dialog closed")
        assert room.state(state.id).roles == {"IC": "dana"}


async def test_assigning_the_holder_again_records_nothing_and_says_so(room, console):
    state = room.declare("Checkout down", "SEV2")
    room.assign(state.id, "IC", "dana")
    before = room_wide(room, state.id)
    async with console() as pilot:
        app = pilot.app
        await assign_dialog(pilot, state.id)
        await pilot.press("i", "tab")
        await type_text(pilot, "dana")
        assert hint(app) == "dana already holds IC: Enter records nothing · Esc cancels"
        await pilot.press("enter")
        await until(lambda: not isinstance(app.screen, AssignScreen), pilot=pilot, what="the dialog closed")
        await until(lambda: any(n.message == "dana already holds IC: nothing recorded" for n in app._notifications),
                    pilot=pilot, what="the notice")
        assert room_wide(room, state.id) == before


async def test_a_hand_over_asks_for_the_briefing(room, console):
    state = room.declare("Checkout down", "SEV2")
    room.assign(state.id, "IC", "alice")
    async with console() as pilot:
        app = pilot.app
        screen = await assign_dialog(pilot, state.id)
        await pilot.press("i", "enter")
        assert screen.query_one("#briefing", Input).display
        await type_text(pilot, "bob")
        assert hint(app) == f"Enter: the briefing for bob, who takes IC over from alice for everyone in {state.id}" \
                            " · Esc cancels"
        await pilot.press("enter")
        assert focused_id(app) == "briefing" and room.state(state.id).roles == {"IC": "alice"}
        assert hint(app) == f"Enter hands IC over from alice to bob for everyone in {state.id} · Esc cancels"
        await type_text(pilot, "db is the suspect")
        await pilot.press("enter")
        await until(lambda: room.state(state.id).roles == {"IC": "bob"}, pilot=pilot, what="the hand-over")
        last = room.events(state.id, with_entries=False)[-1]
        assert (last.payload["previous"], last.payload["briefing"]) == ("alice", "db is the suspect")


# -- checklist ---------------------------------------------------------------------------------
async def checklist(pilot, incident_id):
    app = pilot.app
    await until(lambda: app.incident_id == incident_id, pilot=pilot, what="the incident shown")
    await pilot.press("c")
    await until(lambda: isinstance(app.screen, (ChecklistScreen, PickScreen)), pilot=pilot, what="a checklist")
    return app.screen


async def test_c_opens_the_checklist_of_the_one_role_you_hold(room, console):
    state = room.declare("Checkout down", "SEV2")
    room.assign(state.id, "TL", room.user)
    async with console() as pilot:
        screen = await checklist(pilot, state.id)
        assert isinstance(screen, ChecklistScreen) and screen.role_title == "Technical Lead"
        await pilot.press("space")
        await until(lambda: room.state(state.id).done_tasks("TL") == {"Technical investigation"}, pilot=pilot,
                    what="the tick")


async def test_c_picks_among_the_roles_you_hold(room, console):
    state = room.declare("Checkout down", "SEV2")
    room.assign(state.id, "IC", room.user)
    room.assign(state.id, "TL", "bob")
    room.assign(state.id, "Scribe", room.user)
    async with console() as pilot:
        screen = await checklist(pilot, state.id)
        assert isinstance(screen, PickScreen) and screen.title_text == f"Your roles in {state.id}: checklist of which?"
        assert [value for value, _ in screen.options] == ["IC", "Scribe"]
        await pilot.press("down", "enter")
        await until(lambda: isinstance(pilot.app.screen, ChecklistScreen), pilot=pilot, what="the checklist")
        assert pilot.app.screen.role_title == "Scribe"
        assert pilot.app.screen.query_one(SelectionList).has_focus


async def test_c_without_a_role_picks_among_every_role_with_tasks(room, console):
    state = room.declare("Checkout down", "SEV2")
    room.assign(state.id, "IC", "bob")
    async with console() as pilot:
        screen = await checklist(pilot, state.id)
        assert isinstance(screen, PickScreen)
        assert screen.title_text == f"You hold no role in {state.id}: checklist of which role?"
        assert [value for value, _ in screen.options] == [r.id for r in room.policy.roles if r.tasks]


# -- keys sent fast ----------------------------------------------------------------------------
async def test_keys_pressed_fast_land_in_the_field_they_were_typed_in(room, console):
    async with console() as pilot:
        await declare_dialog(pilot)
        await pilot.press(*"db", "space", *"down", "tab", "1", "tab", *"api", "enter")
        await until(lambda: room.incidents(), pilot=pilot, what="the declaration")
        [state] = room.incidents()
        assert (state.title, state.severity, state.service, state.impact) == ("db down", "SEV1", "api", "")


async def test_keys_queued_at_once_land_in_the_field_they_were_typed_in(room, console):
    """Every key in the app's queue before the first is handled: faster than 5 ms apart."""
    async with console() as pilot:
        app = pilot.app
        await declare_dialog(pilot)
        for key in fast("db down", "tab", "1", "tab", "api", "tab", "EU checkout 5xx", "enter"):
            app.post_message(key)
        await until(lambda: room.incidents(), pilot=pilot, what="the declaration")
        [state] = room.incidents()
        assert (state.title, state.severity, state.service, state.impact) == ("db down", "SEV1", "api",
                                                                              "EU checkout 5xx")
        await roles_after_declaring(pilot)
        for key in fast("shift+tab", "s", "tab", "dana", "enter"):
            app.post_message(key)
        await until(lambda: room.state(state.id).roles == {"Scribe": "dana"}, pilot=pilot, what="the assignment")


def test_keys_typed_5ms_apart_on_a_terminal_land_in_their_fields(tmp_path):
    """The same on a real pty: each key written to the terminal 5 ms after the last, once the
    dialog is on the screen and read (a person reads it longer than the prose gap)."""
    db = tmp_path / "room.db"
    Room(LocalLog(db), "tomas").close()
    env = {**os.environ, "TERM": "xterm-256color", "WARROOM_USER": "tomas",
           "WARROOM_CONFIG_DIR": str(tmp_path / "config"), "WARROOM_STORE": ""}
    term = Terminal("--db", str(db), env=env)

    def send(*keys: str) -> None:
        for key in keys:
            for ch in key if len(key) > 1 and not key.startswith("\x1b") else [key]:
                term.type(ch)
                time.sleep(0.005)

    try:
        term.read_until(b"Declare")
        term.drain()
        send("D")
        term.read_until(b"Declare an incident")
        time.sleep(READ_S)
        send("db down", "\t", "1", "\t", "api", "\r")
        term.read_until(b"Assign or hand over a role")  # declared: on to the roles
        time.sleep(READ_S)
        send("\x1b[Z", "s", "\t", "dana", "\r")  # shift+tab back to the roles, s picks Scribe
        term.read_until(b"dana")
        term.drain()
        send("\x11")  # ctrl+q
        assert term.exit_status() == 0
    finally:
        term.stop()
    room = Room(LocalLog(db), "tomas")
    try:
        [state] = room.incidents()
        assert (state.title, state.severity, state.service, state.roles) == ("db down", "SEV1", "api",
                                                                             {"Scribe": "dana"})
    finally:
        room.close()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_hint_is_in_sight_in_every_field(room, console, size):
    def in_sight(app) -> bool:
        widget = app.screen.query_one("#hint", Static)
        region = widget.region
        return region.height > 0 and app.screen.get_widget_at(region.x, region.y)[0] is widget

    async with console(size=size) as pilot:
        app = pilot.app
        await declare_dialog(pilot)
        await type_text(pilot, "db down")
        for key in ("tab", "2", "tab", "tab"):  # the severity list, a choice, service, impact
            assert in_sight(app), focused_id(app)
            await pilot.press(key)
        assert in_sight(app) and focused_id(app) == "impact"
        await pilot.press("enter")
        await until(lambda: room.incidents(), pilot=pilot, what="the declaration")
        await roles_after_declaring(pilot)
        for key in ("shift+tab", "t", "tab"):
            assert in_sight(app), focused_id(app)
            await pilot.press(key)
        assert in_sight(app) and focused_id(app) == "person"
