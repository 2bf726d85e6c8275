"""Typing never changes the incident by accident: prose typed away from the entry line lands in
it, and every change the room sees takes a second, explicit step that says what it records."""

from __future__ import annotations

from textual.screen import ModalScreen
from textual.widgets import Input, OptionList

from warroom.ui.screens.dialogs import PickScreen, RecordScreen
from warroom.ui.widgets.entry_line import QuickEntry
from warroom.ui.widgets.timeline import TimelineView

from ..waiting import until


async def type_text(pilot, text):
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


def room_wide(room, incident_id):
    """The events everyone sees change the incident: all but the timeline's own entries."""
    return [e.kind for e in room.events(incident_id, with_entries=False)]


def entry(app) -> QuickEntry:
    return app.query_one(QuickEntry)


async def shown(pilot, incident_id):
    await until(lambda: pilot.app.incident_id == incident_id, pilot=pilot, what="the incident shown")


async def test_prose_typed_at_the_timeline_changes_nothing_and_lands_in_the_entry_line(room, console):
    state = room.declare("Checkout down", "SEV2")
    before = room_wide(room, state.id)
    async with console() as pilot:
        await shown(pilot, state.id)
        app = pilot.app
        for prose in ("upstream ok", "status is fine", "OK rolled back", "hello there"):
            app.query_one(TimelineView).focus()
            await pilot.pause()
            assert not entry(app).has_focus
            await type_text(pilot, prose)
            await pilot.pause()
            assert not isinstance(app.screen, ModalScreen)  # no dialog left open to swallow keys
            assert entry(app).has_focus and entry(app).value == prose
            entry(app).value = ""
        assert room_wide(room, state.id) == before


async def test_u_asks_for_channel_and_text_prefilled_and_enter_records_them(room, console, clock):
    state = room.declare("Checkout down", "SEV2")
    async with console() as pilot:
        await shown(pilot, state.id)
        app = pilot.app
        await pilot.press("u")
        await until(lambda: isinstance(app.screen, RecordScreen), pilot=pilot, what="the update dialog")
        channel, text = app.screen.query_one("#channel", Input), app.screen.query_one("#text", Input)
        assert channel.value == "slack"
        assert text.value.startswith("UPDATE 14:00 UTC Severity: SEV2")  # the update template, filled
        statement = str(app.screen.query_one("#statement").render())
        assert f"Record for everyone in {state.id}: status update posted to slack" in statement
        assert room_wide(room, state.id) == ["declared"]  # nothing yet
        await pilot.press("tab")
        assert channel.has_focus
        channel.value = "#incidents"
        await pilot.pause()
        assert "posted to #incidents" in str(app.screen.query_one("#statement").render())
        await pilot.press("enter")
        await pilot.pause()
        posted = [e for e in room.events(state.id, with_entries=False) if e.kind == "update_posted"]
        assert [(e.payload["channel"], e.payload["text"]) for e in posted] == [("#incidents", text.value)]
        assert room.state(state.id).last_update_ms == clock()
        await until(lambda: entry(app).has_focus, pilot=pilot, what="focus back in the entry line")


async def test_esc_from_a_record_dialog_records_nothing(room, console):
    state = room.declare("Checkout down", "SEV2")
    async with console() as pilot:
        await shown(pilot, state.id)
        app = pilot.app
        for key in ("u", "K", "O"):
            app.query_one(TimelineView).focus()
            await pilot.press(key)
            await until(lambda: isinstance(app.screen, RecordScreen), pilot=pilot, what=f"the {key} dialog")
            await pilot.press("escape")
            await until(lambda: entry(app).has_focus, pilot=pilot, what="focus back in the entry line")
        assert room_wide(room, state.id) == ["declared"]
        assert entry(app).value == ""


async def test_acknowledge_takes_a_confirmation(room, console, clock):
    state = room.declare("Checkout down", "SEV2")
    async with console() as pilot:
        await shown(pilot, state.id)
        app = pilot.app
        await pilot.press("K")
        await until(lambda: isinstance(app.screen, RecordScreen), pilot=pilot, what="the ack dialog")
        assert (f"Record for everyone in {state.id}: acknowledged by alice"
                in str(app.screen.query_one("#statement").render()))
        assert room.state(state.id).acknowledged_ms is None
        await pilot.press("enter")
        await pilot.pause()
        assert room.state(state.id).acknowledged_ms == clock()
        await until(lambda: entry(app).has_focus, pilot=pilot, what="focus back in the entry line")


async def test_severity_says_what_it_records_and_focus_returns_to_the_entry_line(room, console):
    state = room.declare("Checkout down", "SEV2")
    async with console() as pilot:
        await shown(pilot, state.id)
        app = pilot.app
        await pilot.press("s")
        await until(lambda: isinstance(app.screen, PickScreen), pilot=pilot, what="the severity picker")
        hint = str(app.screen.query_one("#pick-hint").render())
        assert f"Enter records the severity for everyone in {state.id}" in hint
        assert app.screen.query_one(OptionList).has_focus
        await pilot.press("up", "enter")
        await pilot.pause()
        assert room.state(state.id).severity == "SEV1"
        await until(lambda: entry(app).has_focus, pilot=pilot, what="focus back in the entry line")


async def test_the_entry_line_says_whether_keys_land_in_it(room, console):
    state = room.declare("Checkout down", "SEV2")
    async with console() as pilot:
        await shown(pilot, state.id)
        app = pilot.app
        assert entry(app).placeholder.startswith("i to write")  # the timeline has the keys
        await pilot.press("i")
        await pilot.pause()
        assert entry(app).has_focus and "i to write" not in entry(app).placeholder
        await pilot.press("escape")
        await pilot.pause()
        assert not entry(app).has_focus and entry(app).placeholder.startswith("i to write")


async def test_prose_sent_faster_than_a_dialog_opens_still_lands_whole(room, console):
    from textual import events

    state = room.declare("Checkout down", "SEV2")
    async with console() as pilot:
        await shown(pilot, state.id)
        app = pilot.app
        for prose in ("upstream ok", "status is fine", "OK rolled back"):
            app.query_one(TimelineView).focus()
            await pilot.pause()
            for ch in prose:  # all queued at once: no key waits for the one before
                app.post_message(events.Key("space" if ch == " " else ch, ch))
            await pilot.pause()
            await pilot.pause()
            assert not isinstance(app.screen, ModalScreen)
            assert entry(app).value == prose
            entry(app).value = ""
        assert room_wide(room, state.id) == ["declared"]


async def test_a_key_the_dialog_binds_is_its_answer(room, console):
    from warroom.ui.screens.dialogs import ConfirmScreen

    state = room.declare("Checkout down", "SEV2")
    answers = []
    async with console() as pilot:
        await shown(pilot, state.id)
        app = pilot.app
        app.bind("Z", "confirm_it", show=False)
        app.action_confirm_it = lambda: app.push_screen(ConfirmScreen("Terminate?"), answers.append)
        await pilot.press("Z", "y")
        await pilot.pause()
        assert answers == [True]


def key(ch: str, at: float):
    """A key event as the terminal parser makes it, stamped ``at`` (monotonic seconds)."""
    from textual import events

    event = events.Key("space" if ch == " " else ch, ch)
    event.time = at
    return event


async def send(pilot, text: str, start: float, gap: float):
    for i, ch in enumerate(text):
        pilot.app.post_message(key(ch, start + i * gap))
    await pilot.pause()
    await pilot.pause()


async def test_a_sentence_whose_letter_opens_a_text_field_still_lands_in_the_entry_line(room, console):
    """D opens the declare dialog on its title, x the switcher on its filter, a the roles:
    a second key 80 ms after the first is typing, not an answer, whatever the dialog focused."""
    import time

    from warroom.ui.screens.dialogs import AssignScreen, DeclareScreen, FilterPickScreen

    state = room.declare("Checkout down", "SEV2")
    async with console(prose_gap_s=0.3) as pilot:
        await shown(pilot, state.id)
        app = pilot.app
        for prose, screen in (("Database down", DeclareScreen), ("xfer ok", FilterPickScreen),
                              ("as expected", AssignScreen), ("checking logs", None)):
            await pilot.press("escape")  # out of the entry line, as a person leaves it
            assert not entry(app).has_focus
            t0 = time.monotonic()
            await send(pilot, prose[0], t0, 0)
            if screen is not None:  # the dialog is up before the next key arrives
                await until(lambda: isinstance(app.screen, screen), pilot=pilot, what=screen.__name__)
            await send(pilot, prose[1:], t0 + 0.08, 0.08)
            await until(lambda: not isinstance(app.screen, ModalScreen), pilot=pilot, what="the dialog closed")
            assert entry(app).has_focus and entry(app).value == prose
            entry(app).value = ""
        assert room_wide(room, state.id) == ["declared"]


async def test_keys_typed_once_the_dialog_is_read_go_into_it(room, console):
    import time

    from warroom.ui.screens.dialogs import DeclareScreen

    async with console(prose_gap_s=0.3) as pilot:
        app = pilot.app
        await pilot.pause()
        app.query_one(TimelineView).focus()
        t0 = time.monotonic()
        await send(pilot, "D", t0, 0)
        await until(lambda: isinstance(app.screen, DeclareScreen), pilot=pilot, what="the declare dialog")
        await send(pilot, "db down", t0 + 0.6, 0.005)  # read, then typed fast (5 ms apart)
        assert app.screen.query_one("#title", Input).value == "db down"
        assert entry(app).value == ""


async def test_q_quits_unless_a_sentence_goes_on(room, console):
    import time

    async with console(prose_gap_s=0.3) as pilot:
        app = pilot.app
        await pilot.pause()
        app.query_one(TimelineView).focus()
        t0 = time.monotonic()
        await send(pilot, "queue full", t0, 0.06)
        assert app.is_running and entry(app).value == "queue full"
        await pilot.press("escape")
        assert not entry(app).has_focus
        await send(pilot, "q", time.monotonic(), 0)
        await until(lambda: not app.is_running, pilot=pilot, what="the console quit", timeout=3)
