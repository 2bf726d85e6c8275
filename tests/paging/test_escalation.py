"""Escalation steps that page: due at their time, once per target; the ack-aware step of playbook
000 ("Secondary On-Call: no response in 15m"); steps without a page stay reminders; and a step
that pages a name the policy file cannot know is refused at load."""

from __future__ import annotations

import pytest

from warroom.model.policy import load_policy, parse_policy, PolicyError
from warroom.paging import escalation
from warroom.paging.contacts import load_contacts

MIN = 60_000


def test_the_matrix_pages_its_schedules_when_their_steps_come_due(make_room, paging, clock):
    pd_api, _ = paging
    room = make_room("alice", policy="cygni")
    incident = room.declare("API down", "SEV2")
    clock.advance(seconds=1)
    (first,) = escalation.due_pages(room.state(incident.id), room.policy, clock.ms)
    assert (first.target, first.step, first.due_ms) == ("cygni-primary-oncall", "Escalation matrix +0m",
                                                        incident.declared_ms)
    (done,) = escalation.run_due(room)
    assert done[1].state == "sent"
    assert escalation.run_due(room) == []  # paged: the step does not page again
    clock.advance(minutes=15)
    (done,) = escalation.run_due(room)
    assert (done[0].target, done[1].state) == ("cygni-management-escalation", "sent")
    clock.advance(minutes=15)  # 30 min: "+ Senior Engineer" has no page: a reminder only
    assert escalation.run_due(room) == []
    policies = [r.json()["incident"]["escalation_policy"]["id"] for r in pd_api.requests("POST", "/incidents")]
    assert policies == ["PESCAL1", "PESCAL3"]
    steps = [e.payload["step"] for e in room.events(incident.id) if e.kind == "paged"]
    assert steps == ["Escalation matrix +0m", "Escalation matrix +15m"]


def test_an_old_step_is_not_paged_when_a_console_opens_days_later(make_room, paging, clock):
    pd_api, _ = paging
    room = make_room("alice", policy="cygni")
    room.declare("Forgotten", "SEV2")
    clock.advance(minutes=24 * 60)
    assert escalation.run_due(room) == [] and pd_api.seen == []


def test_playbook_000_pages_the_secondary_when_the_primary_does_not_answer_in_15_minutes(make_room, paging, clock):
    pd_api, _ = paging
    room = make_room("alice", policy="sre-team")
    incident = room.declare("Checkout 5xx", "SEV1")
    clock.advance(seconds=1)
    (done,) = escalation.run_due(room)
    assert (done[0].target, done[1].state) == ("primary-oncall", "sent")
    (ack,) = escalation.ack_steps(room.state(incident.id), room.policy)
    assert (ack.state, ack.due_ms, ack.step.page) == ("counting", clock.ms + 15 * MIN, "secondary-oncall")
    clock.advance(minutes=14)
    assert escalation.run_due(room) == []
    clock.advance(minutes=1)
    (done,) = escalation.run_due(room)
    assert (done[0].target, done[0].unacked, done[1].state) == ("secondary-oncall", "primary-oncall", "sent")
    assert "the page to primary-oncall is unacknowledged" in done[0].reason
    assert escalation.ack_steps(room.state(incident.id), room.policy)[0].state == "paged"
    assert [r.json()["incident"]["escalation_policy"]["id"] for r in pd_api.requests("POST", "/incidents")] == [
        "PESCAL1", "PESCAL2"]


def test_an_answer_within_15_minutes_keeps_the_secondary_asleep(make_room, paging, clock):
    from warroom.paging import page as pg

    pd_api, _ = paging
    room = make_room("alice", policy="sre-team")
    incident = room.declare("Checkout 5xx", "SEV2")
    clock.advance(seconds=1)
    escalation.run_due(room)
    clock.advance(minutes=9)
    pd_api.acknowledge("PINC001", "PUSER01", "2026-11-22T14:09:00Z")
    assert len(pg.poll_acks(room)[0]) == 1
    clock.advance(minutes=30)
    assert escalation.run_due(room) == []
    assert escalation.ack_steps(room.state(incident.id), room.policy)[0].state == "answered"
    assert len(pd_api.requests("POST", "/incidents")) == 1


def test_a_step_naming_no_contact_says_so_and_pages_nothing(make_room, config_dir, clock):
    (config_dir / "contacts.toml").write_text('[[people]]\nname = "dana"\nphone = "+46 70 123 45 67"\n')
    room = make_room("alice", policy="cygni")
    room.declare("API down", "SEV2")
    clock.advance(seconds=1)
    (done,) = escalation.run_due(room, contacts=load_contacts())
    assert "no one named 'cygni-primary-oncall'" in done[1]


POLICY = """
name = "p"
[[severities]]
id = "SEV1"
name = "Critical"
response = 5
[[statuses]]
name = "Open"
[[statuses]]
name = "Closed"
resolved = true
[[roles]]
id = "IC"
name = "Incident Commander"
[[escalation]]
name = "Paging"
clock = "declared"
severities = ["SEV1"]
steps = [%s]
"""


@pytest.mark.parametrize("steps, where", [
    ('{ after = 0, notify = "x", page = "../etc" }', "escalation[0].steps[0].page: expected a name"),
    ('{ after = 0, notify = "x" }, { after = 15, notify = "y", page = "b", unacked = "a" }',
     "escalation[0].steps[1].unacked: expected the page of another step of this track (none)"),
])
def test_a_bad_page_step_is_refused_naming_file_and_field(steps, where):
    with pytest.raises(PolicyError) as err:
        parse_policy(POLICY % steps, "p.toml")
    assert str(err.value).startswith("p.toml: ") and where in str(err.value)


def test_ack_aware_steps_stay_out_of_the_clocks():
    policy = load_policy("sre-team")
    technical = policy.escalation[0]
    assert [s.after_minutes for s in technical.steps] == [0, 15, 30, 60]
    assert [(s.page, s.unacked) for s in technical.ack_steps] == [("secondary-oncall", "primary-oncall")]
