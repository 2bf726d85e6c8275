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
        "acknowledge by 14:05 UTC — acknowledged 14:07, 2m late", "respond by 14:30 UTC — acknowledged 14:07 ✓"]
    assert not face.response_overdue


def test_cygni_has_no_acknowledgement_clock_of_its_own(make_room, clock):
    room = make_room("ic", policy="cygni")  # SEV1: respond within 5 min
    state = room.declare("Checkout down", "SEV1")
    face = clock_face(room.state(state.id), room.policy_for(state), clock())
    assert face.response_detail == "respond by 14:05 UTC — in 05:00 (K to ack)"
