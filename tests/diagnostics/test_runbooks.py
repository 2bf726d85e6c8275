"""Runbook files: the shipped ones load; a bad one is named with file, field and reason."""

from __future__ import annotations

from pathlib import Path

from warroom.diagnostics.runbooks import load_runbooks, PaneSpec, start

SHIPPED = {"high-error-rate", "performance-degradation", "service-unreachable", "health-check", "data-collection"}
DIAGS = {"pods", "postgres", "redis", "http"}

GOOD = '''
title = "Queue backlog"
key = "f10"
[[panes]]
diagnostic = "redis"
target = "${QUEUE_REDIS:-redis://127.0.0.1:6379/1}"
[[steps]]
text = "Check the queue"
pane = "redis"
'''


def test_shipped_runbooks_load_with_the_playbook_content():
    books, errors = load_runbooks()
    assert errors == []
    by_id = {b.id: b for b in books}
    assert set(by_id) == SHIPPED
    assert len({b.key for b in books}) == 5
    high = by_id["high-error-rate"]
    assert [p.diagnostic for p in high.panes] == ["pods", "postgres", "http"]
    assert high.steps[2].command.startswith("psql -c")
    assert [r.when for r in high.resolutions] == ["Recent deploy", "Database", "Dependency"]
    assert [r.then for r in by_id["service-unreachable"].resolutions][1] == "Increase memory limits"
    assert any("pg_stat_statements" in s.command for s in by_id["performance-degradation"].steps)
    assert by_id["data-collection"].steps[0].command == "kubectl get pods -A -o wide > pods-state.txt"


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text)


def test_bad_files_are_reported_and_the_rest_load(tmp_path):
    _write(tmp_path, "good.toml", GOOD)
    _write(tmp_path, "syntax.toml", 'title = "x"\nkey = \n')
    _write(tmp_path, "nokey.toml", 'title = "x"\n')
    _write(tmp_path, "baddiag.toml", 'title = "x"\nkey = "f11"\n[[panes]]\ndiagnostic = "mysql"\n')
    _write(tmp_path, "badinterval.toml", 'title = "x"\nkey = "f12"\n[[panes]]\ndiagnostic = "http"\ninterval = -1\n')
    _write(tmp_path, "badstep.toml", 'title = "x"\nkey = "ctrl+r"\n[[steps]]\ncommand = "ls"\n')
    _write(tmp_path, "zdup.toml", 'title = "x"\nkey = "F10"\n')
    _write(tmp_path, "typo.toml", 'title = "x"\nkey = "f2"\npanel = []\n')
    (tmp_path / "policies").mkdir()
    _write(tmp_path / "policies", "p.toml", "anything = 1\n")
    books, errors = load_runbooks([tmp_path], DIAGS)
    assert [b.id for b in books] == ["good"]
    messages = sorted(str(e) for e in errors)
    assert messages == sorted([
        "baddiag.toml: panes[0].diagnostic: unknown diagnostic 'mysql' (installed: http, pods, postgres, redis)",
        "badinterval.toml: panes[0].interval: should be a positive number of seconds",
        "badstep.toml: steps[0].text: required, missing",
        "zdup.toml: key: 'f10' is already bound to good",
        "nokey.toml: key: required, missing",
        next(m for m in messages if m.startswith("syntax.toml: not valid TOML:") and "line 2" in m),
        "typo.toml: panel: unknown field "
        "(expected one of: id, key, panes, playbook, resolutions, steps, symptoms, title)",
    ])


def test_user_runbook_overrides_shipped_one(tmp_path, monkeypatch):
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path))
    (tmp_path / "runbooks").mkdir()
    _write(tmp_path / "runbooks", "health-check.toml", 'title = "Our health check"\nkey = "f8"\n')
    books, errors = load_runbooks()
    assert errors == [] and {b.id: b for b in books}["health-check"].title == "Our health check"


def test_targets_expand_environment_with_defaults():
    spec = PaneSpec("postgres", "${DATABASE_URL}")
    assert spec.resolved_target({"DATABASE_URL": "postgresql://a@h/db"}) == "postgresql://a@h/db"
    assert PaneSpec("redis", "${R:-redis://x:1/0}").resolved_target({}) == "redis://x:1/0"


def test_starting_a_runbook_is_recorded(room):
    incident = room.declare("Errors", "SEV2").id
    books, _ = load_runbooks()
    book = {b.id: b for b in books}["high-error-rate"]
    start(room, incident, book)
    event = [e for e in room.log.events(incident) if e.kind == "runbook"][0]
    assert event.payload == {"runbook": "high-error-rate", "title": "High error rate", "panes": "pods, postgres, http"}
