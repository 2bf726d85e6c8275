"""Assigning the person who already holds a role records nothing, and says so: in the core,
and on the command line (exit 0, one line)."""

from __future__ import annotations

import pytest

from warroom.cli import main
from warroom.room import Unchanged


def role_events(room, incident_id):
    return [e for e in room.events(incident_id, with_entries=False) if e.kind == "role"]


def test_the_holder_again_records_nothing(room):
    state = room.declare("Checkout down", "SEV2")
    first = room.assign(state.id, "IC", "dana")
    assert first.kind == "role"
    again = room.assign(state.id, "ic", " dana ", briefing="still me")  # the role by any name, the name cleaned
    assert again == Unchanged("dana already holds IC: nothing recorded")
    assert str(again) == "dana already holds IC: nothing recorded"
    assert role_events(room, state.id) == [first]
    # someone else is a hand-over, and the first holder taking it back is one too
    assert room.assign(state.id, "IC", "bob").payload["previous"] == "dana"
    assert room.assign(state.id, "IC", "dana").payload["previous"] == "bob"
    assert len(role_events(room, state.id)) == 3


@pytest.fixture
def cli(tmp_path, monkeypatch, clock, capsys):
    monkeypatch.setenv("WARROOM_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("WARROOM_USER", "alice")
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "config"))

    def run(*argv):
        code = main(list(argv), clock=clock)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_the_cli_says_nothing_was_recorded_and_exits_0(cli):
    cli("declare", "Checkout down", "--severity", "SEV2")
    assert cli("assign", "IC", "dana") == (0, "", "")
    assert cli("assign", "IC", "dana") == (0, "dana already holds IC: nothing recorded\n", "")
    code, out, _ = cli("timeline")
    assert code == 0 and out.count("IC") == 1
