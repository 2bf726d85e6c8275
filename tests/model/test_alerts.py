"""Which clock rings now, once: the alert watch at frozen times, no console."""

from __future__ import annotations

import pytest

from warroom.model.alerts import ALERT_WINDOW_MS, AlertWatch, Notice, notices
from warroom.model.events import Event
from warroom.model.ids import format_hlc, uuid7
from warroom.model.policy import load_policy
from warroom.model.state import fold
from warroom.model.times import hhmm

MIN = 60_000
T0 = 1_795_000_000_000  # a weekday afternoon, UTC


@pytest.fixture(scope="module")
def policy():
    return load_policy("cygni")  # SEV1: updates every 15 min; engage the EM at 5, the VP at 15


def event(incident: str, kind: str, payload: dict, at: int) -> Event:
    return Event(uuid7(at), incident, kind, payload, "bob", "IC", at, at, format_hlc(at, 0), "elsewhere")


def declared(incident: str, severity: str = "SEV1", at: int = T0, title: str | None = None) -> list[Event]:
    return [event(incident, "declared", {"title": title or f"{incident} down", "severity": severity,
                                         "status": "Investigating", "policy": "cygni",
                                         "slug": f"incident-{incident}"}, at)]


class Room:
    """The incidents the watch looks up: open ones only, as the console's room answers."""

    def __init__(self, policy) -> None:
        self.policy, self.events = policy, {}

    def add(self, events: list[Event]) -> None:
        for e in events:
            self.events.setdefault(e.incident_id, []).append(e)

    def lookup(self, incident_id: str):
        state = fold(incident_id, self.events[incident_id])
        return None if self.policy.status(state.status).resolved else (state, self.policy)


def ring(watch: AlertWatch, room: Room, now: int) -> list[tuple[str, str]]:
    return [(a.kind, a.message) for a in watch.due(now, room.lookup)]


def test_an_overdue_update_rings_once_and_again_only_for_the_next_due(policy):
    room, watch = Room(policy), AlertWatch()
    room.add(declared("a", "SEV3"))  # updates every 60 min (its EM step, also at 60, aside)

    def updates(now: int) -> list[str]:
        return [message for kind, message in ring(watch, room, now) if kind == "update"]
    watch.watch("a", T0)
    assert updates(T0) == []
    assert updates(T0 + 60 * MIN) == []  # due at 60 min: not overdue yet
    assert updates(T0 + 60 * MIN + 1) == [ring_message("SEV3 a down", T0 + 60 * MIN)]
    for later in (2, 30, 59):
        assert updates(T0 + (60 + later) * MIN) == []
    # an update goes out: the next one falls due an hour after it, and rings once then
    posted = T0 + 70 * MIN
    room.add([event("a", "update_posted", {"text": "", "channel": ""}, posted)])
    watch.watch("a", posted)
    assert updates(posted) == []
    assert updates(posted + 60 * MIN + 1) == [ring_message("SEV3 a down", posted + 60 * MIN)]
    assert updates(posted + 61 * MIN) == []


def ring_message(title: str, due: int) -> str:
    from warroom.model.times import hhmm

    return f"{title}: status update overdue since {hhmm(due)} UTC — m to draft it, u once it is out"


def test_an_escalation_step_rings_once_when_it_arrives(policy):
    room, watch = Room(policy), AlertWatch()
    room.add(declared("b", "SEV1"))
    watch.watch("b", T0)
    assert ring(watch, room, T0) == []  # the first step (after 0) is the page that started it
    assert ring(watch, room, T0 + 5 * MIN - 1) == []
    assert ring(watch, room, T0 + 5 * MIN) == [("escalation", "b down: engage + Engineering Manager now "
                                                              "(Escalation matrix)")]
    # (a second later the response deadline of the same minute rings: a deadline's own alert)
    assert [r for r in ring(watch, room, T0 + 5 * MIN + 1000) if r[0] == "escalation"] == []
    assert ring(watch, room, T0 + 10 * MIN) == []
    # a change asks for a look of its own: nothing rung twice for it
    watch.watch("b", T0 + 11 * MIN)
    assert ring(watch, room, T0 + 11 * MIN) == []


def test_a_step_long_past_is_not_rung_when_the_watch_starts_late(policy):
    room, watch = Room(policy), AlertWatch()
    room.add(declared("c", "SEV1"))
    start = T0 + 5 * MIN + ALERT_WINDOW_MS + 1  # the EM step is past the window
    watch.watch("c", start)
    assert [r for r in ring(watch, room, start) if r[0] == "escalation"] == []


def test_a_resolved_incident_rings_no_more(policy):
    room, watch = Room(policy), AlertWatch()
    room.add(declared("d", "SEV1"))
    watch.watch("d", T0)
    assert ring(watch, room, T0) == []
    room.add([event("d", "status", {"status": "Resolved"}, T0 + MIN)])
    watch.watch("d", T0 + MIN)
    assert ring(watch, room, T0 + 60 * MIN) == []


def test_only_incidents_whose_moment_came_are_looked_at(policy):
    room, watch = Room(policy), AlertWatch()
    looked: list[str] = []

    def lookup(incident_id):
        looked.append(incident_id)
        return room.lookup(incident_id)
    for i in range(100):
        room.add(declared(f"i{i}", "SEV1", at=T0 + i * 1000))
        watch.watch(f"i{i}", T0 + i * 1000)
    watch.due(T0 + 100_000, lookup)
    assert len(looked) == 100
    looked.clear()
    for s in range(1, 60):
        watch.due(T0 + 100_000 + s * 1000, lookup)  # nothing due in the next minute
    assert looked == []
    watch.due(T0 + 5 * MIN, lookup)  # the first incident's EM step, and no other
    assert looked == ["i0"]


def test_a_few_alerts_are_told_one_by_one_each_with_its_bell():
    watch, room = AlertWatch(), Room(load_policy("cygni"))
    for name in ("x", "y"):
        room.add(declared(name, "SEV1"))
        watch.watch(name, T0)
    told = notices(watch.due(T0 + 5 * MIN, room.lookup), [])
    assert [(n.title, n.severity, n.bell) for n in told] == [("Escalate", "warning", True)] * 2


def test_many_alerts_at_once_are_summed_up_in_one_notice_with_one_bell(policy):
    room, watch = Room(policy), AlertWatch()
    for i in range(12):  # SEV1 and SEV2 by turns, all declared 20 minutes before
        room.add(declared(f"m{i:02d}", ("SEV1", "SEV2")[i % 2], at=T0 - 20 * MIN, title=f"service {i}"))
        watch.watch(f"m{i:02d}", T0)
    alerts = watch.due(T0, room.lookup)
    assert sorted(a.kind for a in alerts) == ["update"] * 6  # the SEV1s' updates (15 min); no step in the window
    [told] = notices(alerts, [])
    assert told.bell and told.title == "6 alerts" and told.severity == "error"
    assert told.message == ("status updates overdue: 6 (service 0, service 2, service 4 and 3 more)\n"
                            "x to switch")
    assert watch.due(T0 + 1000, room.lookup) == []  # rung once, summed up or not


def test_incidents_declared_elsewhere_are_told_by_name_or_summed_up():
    few = [declared(f"n{i}", "SEV2", title=f"remote {i}")[0] for i in range(3)]
    assert notices([], few) == [Notice("New incident", f"SEV2 remote {i} declared by bob — x to switch")
                                for i in range(3)]
    many = few + [declared("n9", "SEV3", title="remote 9")[0]]
    assert notices([], many) == [Notice("New incidents", "4 incidents declared elsewhere "
                                                         "(remote 0, remote 1, remote 2 and 1 more) — x to switch")]
    assert notices([], []) == []


def test_an_upgrade_rings_every_step_it_made_due_at_once_in_one_alert(policy):
    room, watch = Room(policy), AlertWatch()
    room.add(declared("u", "SEV2"))  # SEV2: On-call at 0, the EM at 15, a senior engineer at 30
    room.add([event("u", "severity", {"severity": "SEV1"}, T0 + 20 * MIN)])  # SEV1: the VP at 15
    watch.watch("u", T0 + 20 * MIN)
    rung = [a for a in ring(watch, room, T0 + 20 * MIN) if a[0] == "escalation"]
    assert rung == [("escalation", "u down now SEV1: engage now + VP Engineering "
                                   "(Escalation matrix, due " + hhmm(T0 + 15 * MIN) + ")")]
    assert ring(watch, room, T0 + 20 * MIN + 1000) == []  # once
    assert [m for kind, m in ring(watch, room, T0 + 30 * MIN) if kind == "escalation"] == [
        "u down: engage + CTO now (Escalation matrix)"]


def emails(watch: AlertWatch, room: Room, now: int) -> list[str]:
    return [message for kind, message in ring(watch, room, now) if kind == "customer-email"]


EMAIL_DUE = "the customer email is due and none was sent — m, template customer-email, to draft it"


def test_the_customer_email_rings_once_when_it_falls_due_unsent(policy):
    room, watch = Room(policy), AlertWatch()
    room.add(declared("e", "SEV2"))  # playbook 001: SEV1/SEV2 after 30 min
    watch.watch("e", T0)
    assert emails(watch, room, T0) == []
    assert emails(watch, room, T0 + 30 * MIN) == []  # due, not overdue
    room.add([event("e", "update_posted", {"text": "", "channel": "slack"}, T0 + 29 * MIN),
              event("e", "update_posted", {"text": "", "channel": "dry-run:email", "dry_run": True}, T0 + 29 * MIN)])
    assert emails(watch, room, T0 + 30 * MIN + 1) == [f"SEV2 e down: {EMAIL_DUE}"]  # neither was one
    assert emails(watch, room, T0 + 31 * MIN) == []
    watch.watch("e", T0 + 40 * MIN)  # a change asks for a look: rung once all the same
    assert emails(watch, room, T0 + 40 * MIN) == []


def test_a_customer_email_sent_in_time_rings_nothing(policy):
    room, watch = Room(policy), AlertWatch()
    room.add(declared("f", "SEV1"))
    watch.watch("f", T0)
    assert emails(watch, room, T0) == []
    room.add([event("f", "update_posted", {"text": "", "channel": "email:customers"}, T0 + 20 * MIN)])
    watch.watch("f", T0 + 20 * MIN)
    assert emails(watch, room, T0 + 20 * MIN) == []
    assert emails(watch, room, T0 + 31 * MIN) == []


@pytest.mark.parametrize("name, severity", [("cygni", "SEV3"), ("sre-team", "SEV1")])
def test_no_customer_email_rings_for_sev3_or_under_playbook_000(name, severity):
    room, watch = Room(load_policy(name)), AlertWatch()
    room.add(declared("g", severity))
    watch.watch("g", T0)
    for minutes in (0, 30, 31, 61, 120):
        assert emails(watch, room, T0 + minutes * MIN) == []


def test_a_watch_started_after_the_email_fell_due_does_not_ring_it_but_one_that_saw_it_coming_does(policy):
    room = Room(policy)
    room.add(declared("h", "SEV1"))
    late = AlertWatch()
    start = T0 + 30 * MIN + ALERT_WINDOW_MS + 1
    late.watch("h", start)
    assert emails(late, room, start) == []
    asleep = AlertWatch()  # looked at it before it was due, then was not ticked for an hour
    asleep.watch("h", T0)
    assert emails(asleep, room, T0) == []
    assert emails(asleep, room, T0 + 90 * MIN) == [f"SEV1 h down: {EMAIL_DUE}"]


def test_a_severity_raised_an_hour_in_makes_the_customer_email_ring_at_once(policy):
    room, watch = Room(policy), AlertWatch()
    room.add(declared("k", "SEV3"))
    watch.watch("k", T0)
    assert emails(watch, room, T0 + 60 * MIN) == []
    room.add([event("k", "severity", {"severity": "SEV1"}, T0 + 60 * MIN)])
    watch.watch("k", T0 + 60 * MIN)
    assert emails(watch, room, T0 + 60 * MIN) == [f"SEV1 k down: {EMAIL_DUE}"]
    assert emails(watch, room, T0 + 61 * MIN) == []


def test_customer_emails_due_at_once_are_summed_up_with_the_rest(policy):
    room, watch = Room(policy), AlertWatch()
    for i in range(4):  # SEV2s: the email, the update and the senior engineer all fall due at 30 min
        room.add(declared(f"p{i}", "SEV2", title=f"service {i}"))
        watch.watch(f"p{i}", T0)
    assert watch.due(T0, room.lookup) == []
    alerts = watch.due(T0 + 30 * MIN + 1, room.lookup)
    assert sorted(a.kind for a in alerts) == ["customer-email"] * 4 + ["escalation"] * 4 + ["update"] * 4
    [told] = notices(alerts, [])
    assert told.bell and told.severity == "error"
    assert "customer emails due: 4 (service 0, service 1, service 2 and 1 more)" in told.message.splitlines()
