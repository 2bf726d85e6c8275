"""Postmortem golden files, one per playbook format, for an incident with backdated entries,
a severity change and a role hand-over."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from warroom.cli import main
from warroom.comms import postmortem
from warroom.followup import resolution

from .scenario import run_incident

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("policy", ["cygni", "sre-team"])
def test_postmortem_golden(make_room, clock, policy):
    room = make_room("alice", policy=policy)
    state = run_incident(room, clock, policy)
    text = postmortem.render_for(room, state.id)
    path = GOLDEN / f"postmortem-{policy}.md"
    if os.environ.get("WARROOM_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_backdated_entry_sits_in_place(make_room, clock):
    room = make_room("alice")
    state = run_incident(room, clock, "cygni")
    lines = [line for line in postmortem.render_for(room, state.id).splitlines() if line.startswith("- 1")]
    times = [line[2:7] for line in lines]
    assert times == sorted(times)
    deploy = next(line for line in lines if "deploy 4711 went out" in line)
    assert deploy.startswith("- 13:50 - Observation:") and deploy.endswith("_(logged 14:05)_")


def test_cli_writes_file_and_either_format(make_room, clock, tmp_path, capsys):
    room = make_room("alice", db="pm.db")
    run_incident(room, clock, "cygni")
    out = tmp_path / "pm.md"
    base = ["--db", str(tmp_path / "pm.db"), "--as", "alice"]
    assert main(base + ["postmortem", "-o", str(out)], clock=clock) == 0
    assert out.read_text().startswith("# Incident Post-Mortem: Checkout API 5xx")
    assert main(base + ["postmortem", "--format", "sre-team"], clock=clock) == 0
    assert capsys.readouterr().out.startswith(f"{out}\n# Incident Postmortem: Checkout API 5xx")


@pytest.mark.parametrize("policy, line", [
    ("cygni", "- Duration: 13:50 - 15:05 (1 hour 15 minutes)"),
    ("sre-team", "**Duration**: 1 hour 15 minutes"),
])
def test_duration_starts_at_the_earliest_backdated_entry(make_room, clock, policy, line):
    room = make_room("alice", policy=policy)
    state = room.declare("Checkout 5xx", "SEV2")  # 14:00, no started/detected milestone
    room.note(state.id, "first 5xx in the logs", kind="observation", at=clock() - 10 * 60_000)  # 13:50
    clock.advance(minutes=65)
    resolution.resolve(room, state.id, override_reason="x")
    assert line in postmortem.render_for(room, state.id).splitlines()


def test_duration_starts_at_the_first_detection_milestone(make_room, clock):
    room = make_room("alice")
    state = room.declare("Checkout 5xx", "SEV2")  # 14:00
    room.note(state.id, "typed late", kind="observation", at=clock() - 30 * 60_000)  # 13:30: not a marker
    resolution.mark(room, state.id, "detected", at=clock() - 7 * 60_000)  # 13:53
    clock.advance(minutes=10)
    resolution.resolve(room, state.id, override_reason="x")
    assert "- Duration: 13:53 - 14:10 (17 minutes)" in postmortem.render_for(room, state.id).splitlines()


@pytest.mark.parametrize("resolved_after, cygni, sre", [
    # resolved 23:59:59 the same day: no dates
    ((9 * 60 + 59, 59), "- Duration: 14:00 - 23:59 (9 hours 59 minutes)", "**Duration**: 9 hours 59 minutes"),
    # resolved 00:00:00 the next day: both dates
    ((10 * 60, 0), "- Duration: 2026-11-22 14:00 - 2026-11-23 00:00 (10 hours)",
     "**Duration**: 10 hours (2026-11-22 14:00 - 2026-11-23 00:00, UTC)"),
])
def test_duration_shows_dates_across_midnight(make_room, clock, resolved_after, cygni, sre):
    for policy, line in (("cygni", cygni), ("sre-team", sre)):
        room = make_room("alice", policy=policy, db=f"{policy}.db")
        state = room.declare("Checkout 5xx", "SEV2")
        at = clock() + resolved_after[0] * 60_000 + resolved_after[1] * 1000
        clock.ms, start = at, clock.ms
        resolution.resolve(room, state.id, override_reason="x")
        assert line in postmortem.render_for(room, state.id).splitlines()
        clock.ms = start
