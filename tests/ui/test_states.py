"""States read from across the room: an overdue clock is red (its big digits and the word
OVERDUE, not only the frame) and rings once; a resolved incident's elapsed time stands still,
and recovery monitoring counts down in big digits, rings when it ends and prompts the
all-clear. Checked on the painted strips at a frozen clock, in the wide and the compact form."""

from __future__ import annotations

import pytest
from rich.segment import Segment
from textual.geometry import Region

from warroom.followup import resolution
from warroom.model.alerts import ALERT_WINDOW_MS, AlertWatch
from warroom.ui.widgets.panels import ClocksPanel, IncidentHeader

from ..conftest import console_app

MIN = 60_000
SIZES = [(160, 48), (100, 30)]  # the big digits, and the compact form of a narrow terminal
FORMS = ["wide", "compact"]


def app_with_bells(room, clock):
    app = console_app(room, clock=clock)
    app.bells = []
    app.bell = lambda: app.bells.append(clock())  # headless, Textual writes no BEL
    return app


def rows(panel: ClocksPanel) -> list[list[Segment]]:
    """The panel's lines as they reach the screen, border and padding left off."""
    width = panel.outer_size.width
    left, right = panel.styles.gutter.left, panel.styles.gutter.right
    return [list(strip.crop(left, width - right)) for strip in panel.render_lines(Region(0, 0, *panel.outer_size))]


def text(row: list[Segment]) -> str:
    return "".join(s.text for s in row)


def error_colour(app) -> str:
    return app.get_css_variables()["error"].lower()


def is_red(app, segment: Segment) -> bool:
    colour = segment.style.color if segment.style else None
    return colour is not None and colour.triplet is not None and colour.triplet.hex == error_colour(app)


def inked(row: list[Segment]) -> list[Segment]:
    return [s for s in row if s.text.strip()]


def title_row(panel: ClocksPanel, title: str) -> int:
    return next(i for i, row in enumerate(rows(panel)) if text(row).strip() == title)


def big_clock(panel: ClocksPanel, title: str) -> tuple[list[Segment], list[Segment]]:
    """Wide form: (the segments of the big digits under ``title``, those of the line below)."""
    lines, y = rows(panel), title_row(panel, title)
    return [s for row in lines[y + 1:y + 4] for s in inked(row)], inked(lines[y + 4])


def big_digits(value: str) -> list[str]:
    """``value`` as the panel draws it in big digits (unstyled)."""
    from rich.style import Style
    from textual.renderables.digits import Digits

    return "".join(seg.text for seg in Digits(value).render(Style())).splitlines()


def compact_part(panel: ClocksPanel, label: str, value: str) -> tuple[Segment, list[Segment]]:
    """Compact form: (the segment of the clock's digits after ``label``, those after it)."""
    for row in rows(panel):
        segs = inked(row)
        for i, seg in enumerate(segs):
            if seg.text.strip() == label and i + 1 < len(segs) and segs[i + 1].text == value:
                return segs[i + 1], segs[i + 2:i + 3]
    raise AssertionError(f"no {label} {value} in {[text(r) for r in rows(panel)]}")


def update_shown(panel: ClocksPanel, form: str) -> tuple[list[Segment], list[Segment]]:
    """The update clock's digit segments and the segments of its detail."""
    if form == "wide":
        return big_clock(panel, panel.face.update_title[0])
    digits, rest = compact_part(panel, panel.face.update_title[1], panel.face.update)
    return [digits], rest


def escalation_shown(panel: ClocksPanel, form: str) -> tuple[list[Segment], list[Segment]]:
    if form == "wide":
        title = panel.face.escalation_title[0]
        digits, _ = big_clock(panel, title)
        below = [inked(row) for row in rows(panel)[title_row(panel, title) + 4:]]
        return digits, [s for row in below for s in row if s.text.startswith(("OVERDUE", "DUE NOW"))]
    digits, rest = compact_part(panel, panel.face.escalation_title[1], panel.face.escalation)
    return [digits], rest


@pytest.mark.parametrize("size", SIZES, ids=FORMS)
async def test_an_overdue_update_has_red_digits_and_a_red_overdue_and_rings_once(room, clock, size):
    form = FORMS[SIZES.index(size)]
    state = room.declare("API down", "SEV1")  # cygni: an update every 15 min
    room.acknowledge(state.id)  # the escalation clock has nothing overdue
    app = app_with_bells(room, clock)
    async with app.run_test(size=size) as pilot:
        panel = app.query_one(ClocksPanel)
        clock.advance(minutes=3)
        room.update_posted(state.id, "investigating", "slack")  # the next one due at 14:18
        clock.advance(minutes=14, seconds=59)  # 14:17:59 (the VP step at 14:15 is past its window)
        app.tick()
        await pilot.pause()
        digits, detail = update_shown(panel, form)
        assert panel.face.update == "00:01" and not any(is_red(app, s) for s in digits + detail)
        assert app.bells == []

        clock.advance(seconds=2)  # 14:18:01
        app.tick()
        await pilot.pause()
        assert panel.face.update == "+00:01"
        digits, detail = update_shown(panel, form)
        assert digits and all(is_red(app, s) for s in digits), digits
        overdue = [s for s in detail if "OVERDUE" in s.text]
        assert overdue and all(is_red(app, s) for s in overdue), detail
        esc_digits, _ = escalation_shown(panel, form)
        assert not any(is_red(app, s) for s in esc_digits)  # the other clock is not late
        assert app.bells == [clock()]

        for _ in range(3):  # not every second
            clock.advance(seconds=1)
            app.tick()
        assert len(app.bells) == 1

        # an update goes out: the clock is calm again, and rings again for the next one only
        room.update_posted(state.id, "mitigating", "slack")
        app.tick()
        await pilot.pause()
        digits, _ = update_shown(panel, form)
        assert not any(is_red(app, s) for s in digits)
        clock.advance(minutes=15, seconds=1)
        app.tick()
        await pilot.pause()
        assert len(app.bells) == 2 and app.bells[-1] == clock()
        assert all(is_red(app, s) for s in update_shown(panel, form)[0])


@pytest.mark.parametrize("size", SIZES, ids=FORMS)
async def test_a_step_due_and_a_response_deadline_passed_turn_the_escalation_clock_red(room, clock, size):
    form = FORMS[SIZES.index(size)]
    state = room.declare("API down", "SEV1")  # cygni: respond within 5 min; the EM at 5 min
    app = app_with_bells(room, clock)
    async with app.run_test(size=size) as pilot:
        panel = app.query_one(ClocksPanel)
        clock.advance(minutes=4, seconds=59)
        app.tick()
        await pilot.pause()
        digits, why = escalation_shown(panel, form)
        assert not any(is_red(app, s) for s in digits) and not panel.face.escalation_alert
        assert app.bells == []

        clock.advance(seconds=1)  # 14:05:00: the EM step is due
        app.tick()
        await pilot.pause()
        assert panel.face.escalation_alert == "DUE NOW: engage + Engineering Manager"
        digits, why = escalation_shown(panel, form)
        assert all(is_red(app, s) for s in digits) and why and all(is_red(app, s) for s in why)
        assert app.bells == [clock()]

        clock.advance(seconds=1)  # 14:05:01: nobody acknowledged within the response time
        app.tick()
        await pilot.pause()
        assert panel.face.escalation_alert.split("\n") == ["OVERDUE: respond by 14:05 UTC (K)",
                                                            "DUE NOW: engage + Engineering Manager"]
        digits, why = escalation_shown(panel, form)
        assert all(is_red(app, s) for s in digits)
        assert any(s.text.strip().startswith("OVERDUE: respond by 14:05 UTC") and is_red(app, s) for s in why)
        assert app.bells == [clock() - 1000, clock()]  # a new deadline passed: one more bell

        clock.advance(seconds=ALERT_WINDOW_MS // 1000)  # the step's moment is over; the deadline is not
        app.tick()
        await pilot.pause()
        assert panel.face.escalation_alert == "OVERDUE: respond by 14:05 UTC (K)"
        assert all(is_red(app, s) for s in escalation_shown(panel, form)[0])
        assert len(app.bells) == 2

        room.acknowledge(state.id)
        app.tick()
        await pilot.pause()
        assert not panel.face.escalation_alert
        assert not any(is_red(app, s) for s in escalation_shown(panel, form)[0])
        assert len(app.bells) == 2


def test_a_step_that_fell_due_at_an_upgrade_is_overdue_since_its_own_time(make_room, clock):
    from warroom.ui.widgets.panels import clock_face

    room = make_room("ic", policy="cygni")
    state = room.declare("API", "SEV2")
    room.acknowledge(state.id)
    clock.advance(minutes=20)
    room.set_severity(state.id, "SEV1")  # SEV1's VP step, at 15 min, fell due at 14:20
    policy = room.policy_for(state)
    assert clock_face(room.state(state.id), policy, clock()).escalation_alert == \
        "OVERDUE since 14:15 UTC: engage + VP Engineering"
    clock.advance(seconds=ALERT_WINDOW_MS // 1000 + 1)
    assert clock_face(room.state(state.id), policy, clock()).escalation_alert == ""


def test_a_deadline_passed_unacknowledged_rings_once_and_again_after_a_reopen(make_room, clock):
    room = make_room("ic", policy="sre-team")  # acknowledge within 5 min, respond (SEV2) within 30
    state = room.declare("Checkout 5xx", "SEV2")
    watch = AlertWatch()

    def rung() -> list[str]:
        def lookup(incident_id):
            found = room.state(incident_id)
            return (found, room.policy_for(found)) if room.is_open_id(incident_id) else None
        return [a.message for a in watch.due(clock(), lookup) if a.kind == "deadline"]

    watch.watch(state.id, clock())
    clock.advance(minutes=5)
    assert rung() == []  # due at 14:05:00, not yet passed
    clock.advance(seconds=1)
    assert rung() == ["SEV2 Checkout 5xx: acknowledgement deadline 14:05 UTC passed, not acknowledged"
                      " — K to acknowledge"]
    clock.advance(seconds=1)
    assert rung() == []
    clock.advance(minutes=1)
    room.acknowledge(state.id)
    watch.watch(state.id, clock())
    clock.advance(minutes=30)
    assert rung() == []  # met, the response deadline too
    room.set_status(state.id, "Resolved")
    clock.advance(minutes=2)
    resolution.reopen(room, state.id, "errors are back")  # 14:38: its clocks start again
    watch.watch(state.id, clock())
    clock.advance(minutes=5, seconds=1)
    assert rung() == ["SEV2 Checkout 5xx: acknowledgement deadline 14:43 UTC passed, not acknowledged"
                      " — K to acknowledge"]


def test_a_deadline_long_past_does_not_ring_when_the_console_starts(make_room, clock):
    room = make_room("ic", policy="sre-team")
    state = room.declare("Checkout 5xx", "SEV2")
    clock.advance(minutes=20)  # the console starts 15 min after the acknowledgement was due
    watch = AlertWatch()
    watch.watch(state.id, clock())
    found = room.state(state.id)
    assert [a for a in watch.due(clock(), lambda _: (found, room.policy_for(found))) if a.kind == "deadline"] == []


@pytest.mark.parametrize("size", SIZES, ids=FORMS)
async def test_resolved_the_elapsed_time_stops_and_recovery_counts_down_to_the_all_clear(room, clock, size):
    form = FORMS[SIZES.index(size)]
    state = room.declare("Checkout down", "SEV1")  # cygni: recovery monitoring for 30 min
    room.acknowledge(state.id)
    clock.advance(minutes=12)
    room.set_status(state.id, "Resolved")  # 14:12
    app = app_with_bells(room, clock)
    async with app.run_test(size=size) as pilot:
        panel, header = app.query_one(ClocksPanel), app.query_one(IncidentHeader)
        recorded = len(room.events(state.id))
        clock.advance(minutes=10)  # 14:22
        app.tick()
        await pilot.pause()
        assert "elapsed 12:00" in str(header.render())  # stopped at the resolution
        assert panel.face.update_title[0] == "RECOVERY MONITORING" and panel.face.update == "20:00"
        assert panel.face.escalation_title[0] == "RESOLVED" and panel.face.escalation == "12:00"
        digits, detail = update_shown(panel, form)
        assert digits and not any(is_red(app, s) for s in digits)
        assert "until 14:42 UTC" in text(detail)
        if form == "wide":  # the countdown in big digits, where the update clock was
            y = title_row(panel, "RECOVERY MONITORING")
            assert [text(row).rstrip() for row in rows(panel)[y + 1:y + 4]] == big_digits("20:00")

        clock.advance(minutes=19, seconds=59)  # 14:41:59
        app.tick()
        await pilot.pause()
        assert panel.face.update == "00:01" and app.bells == []
        assert "elapsed 12:00" in str(header.render())

        clock.advance(seconds=1)  # 14:42:00: the window is over
        app.tick()
        await pilot.pause()
        assert app.bells == [clock()]
        [told] = [n for n in app._notifications if n.title == "Recovery monitoring ended"]
        assert told.message.endswith("post the all-clear (m)")
        _, detail = update_shown(panel, form)
        assert "post the all-clear (m)" in text(detail) and not any(is_red(app, s) for s in detail)
        for _ in range(3):
            clock.advance(seconds=1)
            app.tick()
        assert len(app.bells) == 1  # once
        assert len(room.events(state.id)) == recorded  # a prompt: nothing recorded

        clock.advance(minutes=1)
        room.update_posted(state.id, "All clear: checkout is healthy", "slack")
        app.tick()
        await pilot.pause()
        assert "ended 14:42 UTC · all-clear sent 14:43" in text(update_shown(panel, form)[1])
        assert "elapsed 12:00" in str(header.render())


def test_the_end_of_recovery_rings_only_near_its_moment(make_room, clock):
    room = make_room("ic", policy="cygni")
    state = room.declare("Checkout down", "SEV1")
    room.set_status(state.id, "Resolved")  # 14:00: watched until 14:30
    policy = room.policy_for(state)
    end = clock() + 30 * MIN
    watch = AlertWatch()
    clock.ms = end - 1
    assert watch.recovery(room.state(state.id), policy, clock()) == []
    clock.ms = end
    [alert] = watch.recovery(room.state(state.id), policy, clock())
    assert (alert.kind, alert.title) == ("recovery", "Recovery monitoring ended")
    assert alert.message == ("SEV1 Checkout down: no recurrence in the 30 min since the resolution at 14:00 UTC"
                             " — post the all-clear (m)")
    assert watch.recovery(room.state(state.id), policy, clock()) == []  # once
    late = AlertWatch()  # a console started well after the end stays quiet
    clock.ms = end + ALERT_WINDOW_MS + 1
    assert late.recovery(room.state(state.id), policy, clock()) == []
