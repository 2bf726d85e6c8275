"""The clocks, exactly, against both shipped policies, with a frozen clock."""

import pytest

from warroom.model import clocks
from warroom.model.times import iso, parse_time

MIN = 60_000


def _clocks(room, state_id):
    state = room.state(state_id)
    return state, room.policy_for(state)


def test_cygni_sev1_update_every_15_min_from_the_last_update(room, clock):
    state = room.declare("API down", "SEV1")
    s, p = _clocks(room, state.id)
    assert clocks.next_update(s, p).due_ms == clock() + 15 * MIN
    clock.advance(minutes=16)
    assert clocks.next_update(s, p).overdue(clock())
    room.update_posted(state.id, "we are on it")
    s, p = _clocks(room, state.id)
    assert clocks.next_update(s, p).due_ms == clock() + 15 * MIN
    assert not clocks.next_update(s, p).overdue(clock())


def test_cygni_sev1_escalation_matrix(room, clock):
    t0 = clock()
    state = room.declare("API down", "SEV1")
    s, p = _clocks(room, state.id)
    nxt = clocks.next_escalation(s, p, t0)
    assert (nxt.at_ms, nxt.notify) == (t0 + 5 * MIN, "+ Engineering Manager")
    nxt = clocks.next_escalation(s, p, t0 + 5 * MIN)
    assert (nxt.at_ms, nxt.notify) == (t0 + 15 * MIN, "+ VP Engineering")
    assert [e.notify for e in clocks.engaged(s, p, t0 + 31 * MIN)] == [
        "On-call", "+ Engineering Manager", "+ VP Engineering", "+ CTO"]
    assert clocks.next_escalation(s, p, t0 + 61 * MIN) is None


@pytest.mark.parametrize("sev,cadence", [("SEV2", 30), ("SEV3", 60), ("SEV4", None)])
def test_cygni_cadence_by_severity(room, sev, cadence):
    state = room.declare("x", sev)
    s, p = _clocks(room, state.id)
    update = clocks.next_update(s, p)
    assert (update.cadence_minutes if update else None) == cadence


@pytest.mark.parametrize("sev,cadence", [("SEV1", 30), ("SEV2", 30), ("SEV3", None)])
def test_sre_team_updates_every_30_min_for_sev1_and_sev2(make_room, sev, cadence):
    room = make_room(policy="sre-team")
    state = room.declare("x", sev)
    s, p = _clocks(room, state.id)
    update = clocks.next_update(s, p)
    assert (update.due_ms - s.declared_ms if update else None) == (cadence * MIN if cadence else None)


def test_sre_team_ladder_counts_from_the_last_progress(make_room, clock):
    room = make_room(policy="sre-team")
    t0 = clock()
    state = room.declare("x", "SEV2")
    s, p = _clocks(room, state.id)
    nxt = clocks.next_escalation(s, p, t0)
    assert (nxt.at_ms, nxt.notify) == (t0 + 15 * MIN, "Level 2: Team lead / Senior engineer")
    clock.advance(minutes=20)
    room.set_status(state.id, "Identified")  # progress: the clock starts again, from the level reached
    s, p = _clocks(room, state.id)
    nxt = clocks.next_escalation(s, p, clock())
    assert (nxt.at_ms, nxt.notify) == (clock() + 30 * MIN, "Level 3: Engineering manager")


def test_sre_team_sev1_business_escalation_runs_beside_the_ladder(make_room, clock):
    room = make_room(policy="sre-team")
    t0 = clock()
    state = room.declare("x", "SEV1")
    s, p = _clocks(room, state.id)
    steps = [(e.at_ms - t0, e.track) for e in clocks.escalation_steps(s, p)]
    assert (60 * MIN, "Business escalation") in steps and (60 * MIN, "Technical escalation") in steps


def test_response_deadline_and_acknowledgement(room, clock, make_room):
    state = room.declare("x", "SEV2")
    s, p = _clocks(room, state.id)
    deadline = clocks.response_deadline(s, p)
    assert deadline.due_ms == s.declared_ms + 15 * MIN
    clock.advance(minutes=16)
    assert deadline.overdue(clock())
    room.acknowledge(state.id)
    s, p = _clocks(room, state.id)
    assert not clocks.response_deadline(s, p).overdue(clock())
    # sre-team: acknowledge the page within 5 min, a clock of its own beside the severity's response time.
    other = make_room("bob", policy="sre-team")
    st = other.declare("y", "SEV3")
    s, p = _clocks(other, st.id)
    assert clocks.response_deadline(s, p).due_ms == s.declared_ms + 120 * MIN
    assert clocks.ack_deadline(s, p).due_ms == s.declared_ms + 5 * MIN


def test_sev4_response_is_the_next_business_day(room, clock):
    clock.ms = parse_time("2026-11-20T16:00:00Z", 0)  # a Friday
    state = room.declare("typo", "SEV4")
    s, p = _clocks(room, state.id)
    assert iso(clocks.response_deadline(s, p).due_ms) == "2026-11-23T09:00:00Z"


def test_resolved_stops_the_clocks_and_phase_follows_status(room, clock):
    state = room.declare("x", "SEV1")
    s, p = _clocks(room, state.id)
    assert clocks.phase(s, p) == "Detection & alert"
    room.acknowledge(state.id)
    assert clocks.phase(*_clocks(room, state.id)) == "Investigation & mitigation"
    room.set_status(state.id, "Monitoring")
    assert clocks.phase(*_clocks(room, state.id)) == "Resolution & recovery"
    room.set_status(state.id, "Resolved")
    s, p = _clocks(room, state.id)
    assert clocks.next_update(s, p) is None and clocks.next_escalation(s, p, clock()) is None
    assert clocks.phase(s, p) == "Post-incident"
