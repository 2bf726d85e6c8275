"""Postmortem golden files, one per playbook format, for an incident with backdated entries,
a severity change and a role hand-over."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from warroom.cli import main
from warroom.comms import postmortem

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
