"""``warroom report`` shows each incident's SLA breaches and, across real incidents (drills
left out), the share acknowledged in time, the share of updates on time and the escalation
levels reached; ``--json`` carries the same. Boundaries: an acknowledgement at the due second
is in time, one second later is a breach of 1 s."""

from __future__ import annotations

import json

from warroom.cli import main

MIN = 60_000


def incidents(make_room, clock):
    """Playbook 000 (ack in 5 min, SEV2 updates every 30 min), from 14:00: A acknowledged at the
    due second with an update at its due second, B one second late; a drill never acknowledged."""
    room = make_room("alice", policy="sre-team", db="r.db")
    a = room.declare("Checkout API 5xx", "SEV2")
    b = room.declare("Search slow", "SEV2")
    drill = room.declare("Drill: DB failover", "SEV1", drill=True, scenario="db")
    clock.advance(minutes=5)
    room.acknowledge(a.id)
    clock.advance(seconds=1)
    room.acknowledge(b.id)
    clock.advance(minutes=25, seconds=-1)  # 14:30
    room.update_posted(a.id, "update", "slack")
    clock.advance(seconds=1)
    room.update_posted(b.id, "update", "slack")
    clock.advance(minutes=10)  # 14:40
    return a.id, b.id, drill.id


def test_report_json_breaches_and_compliance(make_room, clock, tmp_path, capsys):
    a, b, drill = incidents(make_room, clock)
    assert main(["--db", str(tmp_path / "r.db"), "report", "--json"], clock=clock) == 0
    report = json.loads(capsys.readouterr().out)
    rows = {row["id"]: row for row in report["incidents"]}
    assert set(rows) == {a, b}
    assert rows[a]["breaches"] == []
    assert rows[b]["breaches"] == [
        {"clock": "ack", "due": "2026-11-22T14:05:00Z", "met_at": "2026-11-22T14:05:01Z", "late_by_s": 1},
        {"clock": "update", "due": "2026-11-22T14:30:00Z", "met_at": "2026-11-22T14:30:01Z", "late_by_s": 1}]
    assert rows[b]["acknowledged_in_time"] is False and rows[a]["acknowledged_in_time"] is True
    c = report["compliance"]
    assert c["incidents"] == 2
    assert c["acknowledged_in_time"] == {"count": 1, "of": 2, "percent": 50.0}
    assert c["updates_on_time"] == {"count": 1, "of": 2, "percent": 50.0}
    assert c["breaches"] == {"ack": 1, "update": 1}
    # 40 min with no progress: Level 3 (30 min) is the highest engaged on both
    assert c["escalation"] == {"Technical escalation": [
        {"level": 3, "notify": "Level 3: Engineering manager", "incidents": 2}]}


def test_report_text_lists_breaches_and_compliance(make_room, clock, tmp_path, capsys):
    incidents(make_room, clock)
    assert main(["--db", str(tmp_path / "r.db"), "report"], clock=clock) == 0
    out = capsys.readouterr().out.splitlines()
    assert "  SLA breach: ack due 14:05 UTC, met 14:05 UTC — 1s late" in out
    assert "  SLA breach: update due 14:30 UTC, met 14:30 UTC — 1s late" in out
    assert "acknowledged within the deadline: 1 of 2 (50.0%)" in out
    assert "status updates on time: 1 of 2 (50.0%)" in out
    assert "highest escalation, Technical escalation: Level 3: Engineering manager ×2" in out
