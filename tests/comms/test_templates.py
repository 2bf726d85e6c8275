"""Template loading and filling with both playbooks' policies."""

from __future__ import annotations

import pytest

from warroom.comms import templates
from warroom.comms.templates import fill, parse, TemplateError
from warroom.followup import resolution

from .scenario import run_incident

EXPECTED = {"initial", "update", "resolution", "customer-email", "status-page"}


@pytest.mark.parametrize("policy", ["cygni", "sre-team"])
def test_every_playbook_template_ships_and_fills(make_room, clock, policy):
    room = make_room("alice", policy=policy)
    state = room.declare("API down", "SEV1", service="api", impact="all users")
    assert set(templates.names(policy)) >= EXPECTED
    for name in EXPECTED:
        text = templates.render_for(room, state.id, name)
        assert "{" not in text and text.strip()


def test_sre_team_update_from_live_state(make_room, clock):
    room = make_room("alice", policy="sre-team")
    state = room.declare("Checkout slow", "SEV2", service="checkout")
    room.note(state.id, "p99 latency 4s on /pay", kind="observation")
    clock.advance(minutes=12)
    room.set_status(state.id, "Identified")
    room.note(state.id, "scaling api to 12 pods", kind="action")  # since the status change
    assert templates.render_for(room, state.id, "update") == (
        ":hourglass: UPDATE: checkout incident\n"
        "Status: Identified\n"
        "What we know: p99 latency 4s on /pay\n"
        "Current actions: scaling api to 12 pods\n"
        "ETA: TBD\n"
        "Next update: 14:42 UTC\n")
    room.set_field(state.id, "what_we_know", "connection pool exhausted")
    room.set_field(state.id, "eta", "15:00 UTC")
    text = templates.render_for(room, state.id, "update")
    assert "What we know: connection pool exhausted\n" in text and "ETA: 15:00 UTC\n" in text


def test_cygni_update_cadence_follows_severity(make_room, clock):
    room = make_room("alice", policy="cygni")
    state = room.declare("Auth failures", "SEV3", impact="some logins fail")
    room.assign(state.id, "IC", "alice")
    assert "Next Update: 15:00 UTC" in templates.render_for(room, state.id, "update")
    room.set_severity(state.id, "SEV1")
    text = templates.render_for(room, state.id, "update")
    assert text == ("UPDATE 14:00 UTC\nSeverity: SEV1\nStatus: Investigating\nImpact: some logins fail\n"
                    "Current Actions: Investigating\nNext Update: 14:15 UTC\n")
    assert templates.render_for(room, state.id, "status-page").endswith("Next update in 15 minutes.\n")


@pytest.mark.parametrize("policy", ["cygni", "sre-team"])
def test_resolution_template_after_the_fire(make_room, clock, policy):
    room = make_room("alice", policy=policy)
    state = run_incident(room, clock, policy)
    text = templates.render_for(room, state.id, "resolution")
    assert "Duration: 1 hour 10 minutes" in text
    assert "Root cause: Deploy 4711 changed the payment client's TLS settings." in text
    assert "Resolution: Rolled back deploy 4711." in text
    email = templates.render_for(room, state.id, "customer-email")
    if policy == "sre-team":
        assert "- 2026-11-22 13:55 UTC - Issue began" in email
        assert "- 2026-11-22 15:05 UTC - Service restored" in email
    else:
        assert "Recovery monitoring until: 2026-11-22 15:35 UTC" in text
        assert "Start Time: 2026-11-22 13:55 UTC" in email


def test_filling_never_evaluates(make_room, clock):
    room = make_room("alice")
    state = room.declare("{severity} {{x}} {__class__}", "SEV2", service="{ic.__init__}")
    text = fill("{title}|{service}|{{literal}}|{severity}", templates.context(
        room.state(state.id), room.policy, room.log.events(state.id), clock()))
    assert text == "{severity} {{x}} {__class__}|{ic.__init__}|{literal}|SEV2"


def test_unknown_placeholder_names_file_and_line(tmp_path, monkeypatch):
    with pytest.raises(TemplateError, match=r"x.txt:2: unknown placeholder \{__class__\}"):
        parse("x", "ok {title}\n{__class__}", "x.txt")
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path))
    (tmp_path / "templates" / "cygni").mkdir(parents=True)
    (tmp_path / "templates" / "cygni" / "update.txt").write_text("mine: {status}\n")
    assert templates.load("update", "cygni").text == "mine: {status}\n"
    with pytest.raises(TemplateError, match="no template 'nope'"):
        templates.load("nope", "cygni")


@pytest.mark.parametrize("severity, line", [("SEV2", "Postmortem: coming soon"), ("SEV3", None)])
def test_postmortem_line_only_where_the_policy_requires_one(make_room, clock, severity, line):
    room = make_room("alice", policy="sre-team")  # postmortem_severities = SEV1, SEV2
    state = room.declare("Checkout 5xx", severity)
    clock.advance(minutes=20)
    resolution.resolve(room, state.id, override_reason="x")
    lines = templates.render_for(room, state.id, "resolution").splitlines()
    assert [x for x in lines if x.startswith("Postmortem")] == ([line] if line else [])
    assert lines[-1].startswith("Resolution:") or lines[-1] == line  # no blank line left behind


def test_lone_empty_placeholder_line_is_left_out_and_others_stay():
    assert fill("a\n{postmortem_line}\nb\n", {"postmortem_line": ""}) == "a\nb\n"
    assert fill("a\n{postmortem_line}\nb\n", {"postmortem_line": "P"}) == "a\nP\nb\n"
    assert fill("a: {eta}\n", {"eta": ""}) == "a: \n"  # only a line that is nothing but the placeholder


def test_resolution_template_time_is_the_resolution_time(make_room, clock):
    room = make_room("alice", policy="cygni")
    state = room.declare("Checkout 5xx", "SEV2")  # 14:00
    clock.advance(minutes=65, seconds=59)  # resolved 15:05:59
    resolution.resolve(room, state.id, override_reason="x")
    clock.advance(minutes=40)  # written at 15:45
    assert templates.render_for(room, state.id, "resolution").splitlines()[0] == "RESOLVED 15:05 UTC"
    assert templates.render_for(room, state.id, "update").splitlines()[0] == "UPDATE 15:45 UTC"
    resolution.reopen(room, state.id, "back")  # open again: the template has no resolution time
    assert templates.render_for(room, state.id, "resolution").splitlines()[0] == "RESOLVED 15:45 UTC"
