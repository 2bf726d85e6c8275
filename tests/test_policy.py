"""Policies are data; a malformed one names the file and the field."""

from pathlib import Path

import pytest

from warroom.model.policy import load_policy, PolicyError

SHIPPED = Path(__file__).resolve().parents[1] / "runbooks" / "policies" / "cygni.toml"


def test_both_playbooks_ship():
    cygni, sre = load_policy("cygni"), load_policy("sre-team")
    assert [s.name for s in cygni.statuses] == ["Investigating", "Identified", "Monitoring", "Resolved"]
    assert [s.name for s in sre.statuses] == ["Investigating", "Identified", "Mitigating", "Resolved"]
    assert [s.response_minutes for s in cygni.severities] == [5, 15, 60, None]
    assert [s.response_minutes for s in sre.severities] == [15, 30, 120, None]
    assert cygni.role("Communications Lead").id == "CL" and sre.role("comms").tasks
    assert load_policy().name == "cygni"


@pytest.mark.parametrize("old,new,message", [
    ('update_every = 15', 'update_every = "often"',
     'severities[0].update_every: expected a whole number of minutes or "as needed", got \'often\''),
    ('id = "SEV2"', 'id = "SEV1"', "severities[1].id: expected a unique value, got 'SEV1' twice"),
    ('clock = "declared"', 'clock = "sometimes"',
     "escalation[0].clock: expected \"declared\" or \"progress\", got 'sometimes'"),
    ('{ after = 5, notify = "+ Engineering Manager", page = "cygni-management-escalation" }',
     '{ after = "5", notify = "x" }',
     "escalation[0].steps[1].after: expected a whole number of minutes, got '5'"),
    ('name = "cygni"', '', "name: expected a string, it is missing"),
    ('resolved = true', 'resolved = false', "statuses: expected one status with resolved = true"),
    ('severities = ["SEV1"]', 'severities = ["SEV9"]', "escalation[0].severities: expected severities from"),
    ('title = "Cygni', 'title = Cygni', "not valid TOML"),
])
def test_malformed_policy_names_file_and_field(tmp_path, old, new, message):
    bad = tmp_path / "mine.toml"
    text = SHIPPED.read_text()
    assert old in text
    bad.write_text(text.replace(old, new, 1))
    with pytest.raises(PolicyError) as err:
        load_policy(str(bad))
    assert str(err.value).startswith(str(bad))
    assert message in str(err.value)


def test_user_policy_by_name_and_unknown_name(tmp_path, monkeypatch):
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path))
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "ours.toml").write_text(SHIPPED.read_text().replace('name = "cygni"', 'name = "ours"'))
    assert load_policy("ours").name == "ours"
    with pytest.raises(PolicyError, match="no policy named 'nope' .*cygni.*ours.*sre-team"):
        load_policy("nope")
