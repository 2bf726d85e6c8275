"""`warroom template` / `post` end to end against a loopback server."""

from __future__ import annotations

from warroom.cli import main
from warroom.followup import actions, resolution

HOOK = "/services/T9/B9/cliSecretPath99"



def test_template_and_post_from_the_cli(stub, tmp_path, clock, capsys, monkeypatch, make_room):
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("WARROOM_SLACK_WEBHOOK_URL", stub.url + HOOK)
    monkeypatch.setenv("WARROOM_HTTP_RETRIES", "0")
    db = str(tmp_path / "p.db")
    run = lambda *a: main(["--db", db, "--as", "alice", *a], clock=clock)  # noqa: E731
    assert run("declare", "Search down", "--severity", "SEV2", "--impact", "no search results") == 0
    capsys.readouterr()
    assert run("template", "update") == 0
    preview = capsys.readouterr().out
    assert preview.startswith("UPDATE 14:00 UTC\nSeverity: SEV2\n") and "Next Update: 14:30 UTC" in preview
    assert run("template", "nope") == 2
    assert "no template 'nope'" in capsys.readouterr().err
    clock.advance(minutes=10)
    assert run("post", "slack") == 0
    assert capsys.readouterr().out == "slack: posted\n"
    sent = stub.seen[-1].json()["text"]
    assert sent.startswith("UPDATE 14:10 UTC\n") and sent.endswith("Next Update: 14:40 UTC\n")
    stub.script = [(502, {}, b"bad gateway")]
    assert run("post", "slack", "--text", "second") == 1
    err = capsys.readouterr().err
    # the service failed: the post waits out the outage (tests/comms/test_outbox.py), recorded once it goes
    assert "HTTP 502" in err and "warroom post --retry" in err and "cliSecretPath99" not in err
    room = make_room("alice", db="p.db")
    [incident] = room.incidents()
    posted = [e.payload for e in room.log.events(incident.id) if e.kind == "update_posted"]
    assert len(posted) == 1 and posted[0]["channel"] == "slack"
    assert "cliSecretPath99" not in "".join(e.to_json() for e in room.log.events(incident.id))


def test_clock_lines_after_resolution(room, clock):
    state = room.declare("API down", "SEV1")
    actions.save_action(room, state.id, description="x", due="2026-11-22T14:30Z")
    resolution.resolve(room, state.id, override_reason="test")
    clock.advance(minutes=40)
    lines = resolution.clock_lines(room.state(state.id), room.policy, room.log.events(state.id), clock())
    assert lines == [("recovery monitoring done", "ok"),
                     ("postmortem due 2026-11-24 14:00:00 UTC (in 47:20:00)", "ok"),
                     ("1 action item overdue", "alert")]
