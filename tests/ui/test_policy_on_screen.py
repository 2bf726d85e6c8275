"""Policy data the console shows: severity examples and notification lists in the declare and
severity dialogs, each role's "who" in the assign dialog and the "no progress" ladder's last
reset in the clocks panel."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList, Static

from warroom.ui.screens.dialogs import AssignScreen, DeclareScreen, PickScreen
from warroom.ui.widgets.panels import clock_face

from ..waiting import until

MIN = 60_000


def _shown(widget: Static) -> str:
    content = widget.render()
    return content.plain if isinstance(content, Text) else str(content)


def test_the_ladder_shows_when_its_clock_last_reset_and_why(make_room, clock):
    room = make_room("ic", policy="sre-team")
    state = room.declare("Checkout 5xx", "SEV2")  # 14:00
    policy = room.policy_for(state)

    def detail() -> list[str]:
        return clock_face(room.state(state.id), policy, clock()).escalation_detail.split("\n")

    assert "no-progress clock since 14:00 UTC (declared)" in detail()
    clock.advance(minutes=10)
    room.note(state.id, "error rate 31%", kind="observation")  # not progress in playbook 000
    assert "no-progress clock since 14:00 UTC (declared)" in detail()
    clock.advance(minutes=4, seconds=59)
    room.note(state.id, "roll back deploy 4711", kind="action")  # 14:14:59, a second before L2
    assert "no-progress clock since 14:14 UTC (action)" in detail()
    clock.advance(minutes=2)
    room.set_status(state.id, "Identified")
    assert "no-progress clock since 14:16 UTC (status)" in detail()
    room.set_status(state.id, "Resolved")
    assert not any("no-progress" in line for line in detail())


async def test_declare_dialog_shows_examples_and_who_is_notified(room, console):
    async with console() as pilot:
        await pilot.press("D")
        await until(lambda: isinstance(pilot.app.screen, DeclareScreen), pilot=pilot, what="the declare dialog")
        info = pilot.app.screen.query_one("#severity-info", Static)
        assert _shown(info) == "no severity chosen yet"
        await pilot.press("tab", "2")
        assert _shown(info).split("\n") == [
            "e.g. High error rates (>5%), slow response times, auth failures",
            "response < 15 min · updates every 30 min",
            "notify (SEV2): on-call, engineering manager",
            "matrix: On-call, Engineering Manager, Senior Engineer, VP Engineering — the clock follows the matrix"]
        await pilot.press("4")
        assert _shown(info).split("\n") == ["e.g. Typos, minor UI issues, non-blocking bugs",
                                            "response next business day · updates as needed",
                                            "notify (SEV4): ticket system"]


async def test_severity_picker_lists_examples_and_notification(room, console):
    state = room.declare("Checkout down", "SEV2")
    async with console() as pilot:
        await until(lambda: pilot.app.incident_id == state.id, pilot=pilot, what="the incident shown")
        await pilot.press("s")
        await until(lambda: isinstance(pilot.app.screen, PickScreen), pilot=pilot, what="the severity picker")
        pick = pilot.app.screen.query_one(OptionList)
        first = str(pick.get_option_at_index(0).prompt).split("\n")
        assert first == ["SEV1 Critical — response < 5 min, updates every 15 min",
                         "  e.g. API down, database unreachable, payment processing failed",
                         "  notify (SEV1): on-call, engineering manager, VP, customers",
                         "  the clock follows the escalation matrix"]
        last = str(pick.get_option_at_index(3).prompt).split("\n")
        assert last == ["SEV4 Low — response next business day, updates as needed",
                        "  e.g. Typos, minor UI issues, non-blocking bugs", "  notify (SEV4): ticket system"]


async def test_assign_dialog_says_who_should_hold_the_role(room, console):
    state = room.declare("Checkout down", "SEV2")
    async with console() as pilot:
        await until(lambda: pilot.app.incident_id == state.id, pilot=pilot, what="the incident shown")
        await pilot.press("a")
        await until(lambda: isinstance(pilot.app.screen, AssignScreen), pilot=pilot, what="the assign dialog")
        info = pilot.app.screen.query_one("#role-info", Static)
        assert _shown(info).split("\n") == ["who: On-call engineer or EM",
                                            "Overall incident coordination; decision making authority"]
        await pilot.press("t")
        assert _shown(info).split("\n")[0] == "who: Senior engineer familiar with system"
