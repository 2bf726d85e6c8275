"""Resolution checklist, recovery monitoring, recurrence, deadlines, action items, metrics."""

from __future__ import annotations

import json

import pytest

from warroom.cli import main
from warroom.followup import actions, metrics, resolution, rollback
from warroom.model import clocks
from warroom.room import RoomError

from .scenario import run_incident

MIN = 60_000


def test_resolve_with_open_criteria_needs_override(room, clock):
    state = room.declare("API down", "SEV1")
    resolution.tick(room, state.id, "1")
    resolution.tick(room, state.id, "error rates")
    with pytest.raises(resolution.NeedsOverride) as err:
        resolution.resolve(room, state.id)
    assert err.value.open_items == ["Response times acceptable", "All health checks passing",
                                    "No customer complaints"]
    assert room.state(state.id).status == "Investigating"
    resolution.resolve(room, state.id, override_reason="IC call: customers confirm recovery")
    kinds = [e.kind for e in room.log.events(state.id)]
    assert kinds[-2:] == ["override", "status"]
    override = room.log.events(state.id)[-2].payload
    assert override["reason"] == "IC call: customers confirm recovery"
    assert "No customer complaints" in override["what"]
    assert room.state(state.id).status == "Resolved"


def test_criteria_are_last_writer_wins(make_room, clock):
    alice, bob = make_room("alice"), make_room("bob")
    state = alice.declare("API down", "SEV1")
    first = resolution.tick(alice, state.id, "2", True)
    bob.ingest(alice.log.events(state.id))
    clock.advance(seconds=1)
    second = resolution.tick(bob, state.id, "2", False)
    alice.ingest([second])
    bob.ingest([first])
    for room in (alice, bob):
        items = resolution.criteria(room.log.events(state.id), room.policy)
        assert [c.met for c in items] == [False] * 5
    with pytest.raises(RoomError, match="no single criterion"):
        resolution.tick(alice, state.id, "nothing like it")


def test_recovery_countdown_and_recurrence(room, clock):
    state = room.declare("API down", "SEV2")
    clock.advance(minutes=20)
    resolution.resolve(room, state.id, override_reason="drill")
    state = room.state(state.id)
    rec = resolution.recovery(state, room.policy)
    assert rec.ends_ms == clock() + 30 * MIN and rec.remaining(clock() + 10 * MIN) == 20 * MIN
    clock.advance(minutes=12)
    assert rec.active(clock())
    resolution.reopen(room, state.id, "5xx back on checkout")
    state = room.state(state.id)
    assert state.status == "Investigating" and resolution.recovery(state, room.policy) is None
    assert clocks.next_update(state, room.policy) is not None
    assert any(e.kind == "entry" and "Recurrence" in e.payload["text"] for e in room.log.events(state.id))
    clock.advance(minutes=5)
    resolution.resolve(room, state.id, override_reason="again")
    assert resolution.recovery(room.state(state.id), room.policy).started_ms == clock()


def test_sre_team_has_no_recovery_but_postmortem_and_review(make_room, clock):
    room = make_room("alice", policy="sre-team")
    state = room.declare("API down", "SEV1")
    assert resolution.deadlines(state, room.policy, []) == []
    resolution.resolve(room, state.id, override_reason="x")
    state = room.state(state.id)
    assert resolution.recovery(state, room.policy) is None
    pm, review = resolution.deadlines(state, room.policy, room.log.events(state.id))
    assert (pm.name, pm.deadline.due_ms) == ("postmortem", clock() + 24 * 60 * MIN)
    assert (review.name, review.deadline.due_ms) == ("review", clock() + 7 * 24 * 60 * MIN)
    assert pm.deadline.overdue(clock() + 25 * 60 * MIN)
    resolution.mark(room, state.id, "postmortem")
    pm, _ = resolution.deadlines(room.state(state.id), room.policy, room.log.events(state.id))
    assert pm.deadline.met_ms == clock() and not pm.deadline.overdue(clock() + 25 * 60 * MIN)
    sev3 = room.declare("Typo", "SEV3")
    resolution.resolve(room, sev3.id, override_reason="x")
    # playbook 000 asks for a postmortem (and its review) for SEV1/SEV2 only
    assert resolution.deadlines(room.state(sev3.id), room.policy, []) == []
    assert resolution.clock_lines(room.state(sev3.id), room.policy, [], clock()) == []


def test_follow_up_clocks_only_for_the_severities_that_require_them(make_room, clock):
    room = make_room("alice", policy="sre-team")
    sev2, sev3 = room.declare("Core feature broken", "SEV2"), room.declare("Isolated issue", "SEV3")
    clock.advance(minutes=30)
    for incident in (sev2, sev3):
        resolution.resolve(room, incident.id, override_reason="x")
    clock.advance(minutes=24 * 60)  # the postmortem's deadline, to the millisecond
    [(line, level), _review] = resolution.clock_lines(room.state(sev2.id), room.policy, [], clock())
    assert line.startswith("postmortem due 2026-11-23 14:30") and level == "ok"
    clock.advance(seconds=1)
    assert resolution.clock_lines(room.state(sev2.id), room.policy, [], clock())[0] == \
        ("postmortem OVERDUE by 00:01", "alert")
    assert resolution.clock_lines(room.state(sev3.id), room.policy, [], clock()) == []


def test_milestones_out_of_order_are_refused_and_nothing_is_written(make_room, clock, tmp_path, capsys):
    room = make_room("alice", db="o.db")
    state = room.declare("API down", "SEV1")  # 14:00
    resolution.mark(room, state.id, "detected", at=clock() - 10 * MIN)  # 13:50
    before = len(room.log.events(state.id))
    with pytest.raises(RoomError, match="acknowledged at .* 13:49 UTC cannot precede detected at .* 13:50"):
        resolution.mark(room, state.id, "acknowledged", at=clock() - 11 * MIN)
    resolution.mark(room, state.id, "acknowledged", at=clock() - 10 * MIN)  # the boundary: same minute is fine
    with pytest.raises(RoomError, match="cannot precede"):
        resolution.mark(room, state.id, "detected", at=clock() - 9 * MIN)  # after the acknowledgement
    assert len(room.log.events(state.id)) == before + 1
    code = main(["--db", str(tmp_path / "o.db"), "milestone", "mitigated", "--at", "13:40"], clock=clock)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "mitigated" in err[0] and "cannot precede detected" in err[0]
    assert len(room.log.events(state.id)) == before + 1


def test_report_has_no_negative_durations(make_room, clock):
    room = make_room("alice")
    state = room.declare("API down", "SEV1")  # detection derived from the declaration, 14:00
    resolution.mark(room, state.id, "acknowledged", at=clock() - 5 * MIN)  # typed in afterwards
    m = metrics.metrics(room.state(state.id), room.policy, room.log.events(state.id))
    assert m.values["acknowledge"] is None
    assert all(v is None or v >= 0 for v in m.values.values())


def test_action_items_fold_per_field(make_room, clock):
    alice, bob = make_room("alice"), make_room("bob")
    state = alice.declare("API down", "SEV1")
    item = actions.save_action(alice, state.id, description="Add canary", owner="carol",
                                due="2026-11-23", priority="p0").payload["item_id"]
    bob.ingest(alice.log.events(state.id))
    a = actions.save_action(alice, state.id, item, owner="dave")
    b = actions.save_action(bob, state.id, item, status="done")
    alice.ingest([b])
    bob.ingest([a])
    for room in (alice, bob):
        [got] = actions.action_items(room.log.events(state.id))
        assert (got.owner, got.status, got.priority, got.due) == ("dave", "done", "P0", "2026-11-23")
    [got] = actions.action_items(alice.log.events(state.id))
    assert not got.overdue(clock() + 5 * 24 * 60 * MIN)  # done items are never overdue
    actions.save_action(alice, state.id, item, status="open")
    [got] = actions.action_items(alice.log.events(state.id))
    assert not got.overdue(clock()) and got.overdue(clock() + 2 * 24 * 60 * MIN)
    with pytest.raises(RoomError, match="unknown priority"):
        actions.save_action(alice, state.id, item, priority="P9")
    with pytest.raises(RoomError, match="no action item"):
        actions.save_action(alice, state.id, "Azzzz", status="done")


def test_metrics_from_markers_and_report_excludes_drills(make_room, clock, tmp_path, capsys):
    room = make_room("alice", db="m.db")
    state = run_incident(room, clock, "cygni")
    m = metrics.metrics(state, room.policy, room.log.events(state.id))
    assert m.values == {"detect": 5 * MIN, "acknowledge": 5 * MIN, "mitigate": 30 * MIN, "resolve": 65 * MIN}
    assert m.derived == ("resolved",)
    drill = room.declare("Drill: DB failover", "SEV1", drill=True, scenario="db")
    resolution.mark(room, drill.id, "acknowledged", at=clock() + 1)
    assert main(["--db", str(tmp_path / "m.db"), "report", "--json"], clock=clock) == 0
    report = json.loads(capsys.readouterr().out)
    assert [i["id"] for i in report["incidents"]] == [state.id]
    assert report["summary"]["resolve"] == {"count": 1, "median_ms": 65 * MIN, "mean_ms": 65 * MIN,
                                            "max_ms": 65 * MIN}
    assert main(["--db", str(tmp_path / "m.db"), "report", "--drills", "--json"], clock=clock) == 0
    assert [i["id"] for i in json.loads(capsys.readouterr().out)["incidents"]] == [drill.id]


def test_rollback_tree_paths():
    assert rollback.step([]).id == "deploy"
    assert rollback.step([True, True]).id == "ROLLBACK"
    assert rollback.step([True, False]).id == "config"
    assert rollback.step([False, True]).id == "revert_worked"
    assert rollback.step([False, True, True]).id == "REVERT"
    assert rollback.step([False, True, False]).id == "INVESTIGATE"
    assert rollback.step([False, False]).id == "INVESTIGATE"
    assert rollback.describe([True, False, True, True]) == (
        "recent deploy: yes; errors after deploy: no; config change: yes; revert worked: yes")
    with pytest.raises(ValueError):
        rollback.step([True, True, True])


def test_cli_followup_flow(make_room, clock, tmp_path, capsys):
    db = str(tmp_path / "c.db")
    run = lambda *a: main(["--db", db, "--as", "alice", *a], clock=clock)  # noqa: E731
    assert run("declare", "API down", "--severity", "SEV2") == 0
    assert run("set", "root_cause", "bad config") == 0
    assert run("set", "severity", "SEV4") == 2
    assert run("milestone", "detected", "--at", "-5m") == 0
    assert run("rollback", "n", "y") == 0
    assert run("rollback", "n", "y", "y") == 0
    assert run("criteria", "--met", "1") == 0
    assert run("resolve") == 2
    assert "4 resolution criteria still open" in capsys.readouterr().err
    assert run("resolve", "--force", "customers confirm") == 0
    assert run("action", "add", "Fix config linting", "--owner", "bob", "--due", "2026-11-21",
               "--priority", "P1") == 0
    out = capsys.readouterr().out
    item = out.strip().splitlines()[-1]
    assert run("action", "list") == 0
    listed = capsys.readouterr().out
    assert f"{item}  P1  open" in listed and listed.rstrip().endswith("OVERDUE")
    assert run("action", "update", item, "--status", "done") == 0
    assert run("followup") == 0
    out = capsys.readouterr().out
    assert "recovery monitoring until 2026-11-22 14:30:00 UTC (30:00 left)" in out
    assert "postmortem due 2026-11-24 14:00:00 UTC" in out and item not in out
    assert run("reopen", "--reason", "again") == 0
    room = make_room("alice", db="c.db")
    kinds = [e.kind for e in room.log.events(room.incidents()[0].id)]
    assert kinds.count("decision_tree") == 1 and kinds.count("override") == 1
    assert room.incidents()[0].status == "Investigating"
