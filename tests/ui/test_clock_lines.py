"""The clocks panel's deadline lines: response and acknowledgement are two clocks, a late one says so."""

from __future__ import annotations

from warroom.ui.widgets.panels import clock_face


def test_sre_team_shows_the_acknowledgement_and_the_response_deadlines_apart(make_room, clock):
    room = make_room("ic", policy="sre-team")  # SEV2: respond within 30 min, acknowledge within 5
    state = room.declare("Checkout 5xx", "SEV2")  # 14:00 UTC
    policy = room.policy_for(state)
    face = clock_face(room.state(state.id), policy, clock())
    assert face.response_detail.split("\n") == [
        "acknowledge by 14:05 UTC — in 05:00 (K to ack)", "respond by 14:30 UTC — in 30:00 (K to ack)"]
    clock.advance(minutes=5, seconds=1)
    face = clock_face(room.state(state.id), policy, clock())
    assert face.response_overdue and face.response_detail.startswith("acknowledge by 14:05 UTC — NOT ACKNOWLEDGED")
    clock.advance(minutes=2)
    room.acknowledge(state.id)
    face = clock_face(room.state(state.id), policy, clock())
    assert face.response_detail.split("\n") == [
        "acknowledge by 14:05 UTC — acknowledged 14:07, 2m late", "respond by 14:30 UTC — acknowledged 14:07 ✓",
        "1 SLA breach: ack 2m late"]
    assert not face.response_overdue


def test_breaches_get_one_compact_line_that_stays_after_the_resolution(make_room, clock):
    room = make_room("ic", policy="cygni")  # SEV1: respond within 5 min, an update every 15
    state = room.declare("Checkout down", "SEV1")
    policy = room.policy_for(state)
    clock.advance(minutes=5)  # acknowledged at the due second: no breach
    room.acknowledge(state.id)
    clock.advance(minutes=10)  # 14:15, the update's due second
    assert "SLA breach" not in clock_face(room.state(state.id), policy, clock()).response_detail
    clock.advance(seconds=1)
    assert clock_face(room.state(state.id), policy, clock()).response_detail.endswith(
        "\n1 SLA breach: update 1s late")
    clock.advance(minutes=4, seconds=-1)
    room.set_status(state.id, "Resolved")
    clock.advance(minutes=30)
    assert clock_face(room.state(state.id), policy, clock()).response_detail == "1 SLA breach: update 4m late"


def test_cygni_has_no_acknowledgement_clock_of_its_own(make_room, clock):
    room = make_room("ic", policy="cygni")  # SEV1: respond within 5 min
    state = room.declare("Checkout down", "SEV1")
    face = clock_face(room.state(state.id), room.policy_for(state), clock())
    assert face.response_detail == "respond by 14:05 UTC — in 05:00 (K to ack)"


def test_at_declaration_the_escalation_panel_names_who_the_playbook_says_to_notify(make_room, clock):
    room = make_room("ic", policy="cygni")  # SEV1 notifies on-call, EM, VP and customers; the matrix adds a CTO
    state = room.declare("Checkout down", "SEV1")
    policy = room.policy_for(state)
    detail = clock_face(room.state(state.id), policy, clock()).escalation_detail
    sev = policy.severity("SEV1")
    assert f"notify (SEV1): {', '.join(sev.notify)} · the clock follows the matrix" in detail.split("\n")
    clock.advance(minutes=5)  # the second step engaged: the panel is back to the clock alone
    assert "notify" not in clock_face(room.state(state.id), policy, clock()).escalation_detail
