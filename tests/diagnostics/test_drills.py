"""Drills: a marked incident, and panes fed by a scenario that plays out as the clock moves."""

from __future__ import annotations

import pytest

from warroom.diagnostics.runbooks import RunbookError
from warroom.diagnostics.simulated import SimulatedDiagnostic, value_at
from warroom.followup.drills import load_scenario, load_scenarios, resume_drill, start_drill


def test_interpolation():
    frames = [{"minute": 0, "x": 0}, {"minute": 10, "x": 100}, {"minute": 20, "y": 1}]
    assert [value_at(frames, "x", m) for m in (-1, 0, 2.5, 10, 30)] == [0, 0, 25, 100, 100]
    assert value_at(frames, "z", 5, default=7) == 7


def test_shipped_scenarios_load():
    found, errors = load_scenarios()
    assert errors == [] and set(found) == {"oom-cascade", "db-connection-pileup", "cache-collapse"}
    assert found["oom-cascade"].runbook == "service-unreachable"


def test_drill_is_declared_as_such_and_resumable(room, clock):
    drill = start_drill(room, "oom-cascade")
    state = room.state(drill.incident_id)
    assert state.drill and state.scenario == "oom-cascade" and state.title.startswith("DRILL: ")
    again = resume_drill(room, drill.incident_id)
    assert again.scenario.id == "oom-cascade" and again.started_ms == clock()
    real = room.declare("Real one", "SEV3").id
    assert resume_drill(room, real) is None


def test_scenario_plays_out_over_time(room, clock):
    drill = start_drill(room, "oom-cascade")
    pods = drill.diagnostic("pods", "prod/ignored?app=x")
    assert pods.fetch().extra["unhealthy"] == 0
    clock.advance(minutes=6)
    snap = pods.fetch()
    assert snap.extra["by_status"] == {"CrashLoopBackOff": 4, "Pending": 1, "Running": 1}
    assert snap.rows[0].cells[5] == "OOMKilled (exit 137)"
    http = drill.diagnostic("http")
    clock.advance(minutes=3)
    assert http.fetch().summary[0] == "0/2 passing"


def test_connections_pile_up_and_hit_rate_collapses(room, clock):
    pg = start_drill(room, "db-connection-pileup").diagnostic("postgres")
    calm = pg.fetch()
    clock.advance(minutes=8)
    busy = pg.fetch()
    assert busy.extra["connections"] > calm.extra["connections"] * 3
    assert busy.extra["blocked"] == 60 and busy.extra["blockers"] == ["4100"]
    redis = start_drill(room, "cache-collapse").diagnostic("redis")
    redis.fetch()
    clock.advance(seconds=20)
    before = redis.fetch().extra["hit_rate"]
    clock.advance(minutes=3)
    after = redis.fetch().extra["hit_rate"]
    assert before > 0.9 and after < 0.4 and len(redis.tracker.history) == 2


def test_bad_scenario_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path))
    (tmp_path / "runbooks" / "drills").mkdir(parents=True)
    (tmp_path / "runbooks" / "drills" / "broken.toml").write_text(
        'title = "x"\nseverity = "SEV2"\n[pods]\n[[pods.at]]\nminute = 0\noomkilled = "many"\n')
    found, errors = load_scenarios()
    assert "broken" not in found and str(errors[0]) == "broken.toml: pods.at[0].oomkilled: should be a number"
    with pytest.raises(RunbookError):
        load_scenario("broken")
    with pytest.raises(ValueError):
        SimulatedDiagnostic(kind="mysql")
