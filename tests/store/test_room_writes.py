"""The Room's write surface: ``record`` for one event, ``record_all`` for events that belong
together, committed in one transaction — all of them, or none when one fails."""

from __future__ import annotations

import pytest

from warroom.followup import resolution
from warroom.room import RoomError
from warroom.store.log import LogError


def refuse(room, kind: str) -> None:
    """Make the log refuse every event of ``kind``, as a full disk would refuse a page."""
    room.log.conn.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.kind = '{kind}' "
                          "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")


def kinds(room, incident_id: str) -> list[str]:
    return [e.kind for e in room.events(incident_id)]


def test_record_checks_stamps_and_commits_one_event(room, clock):
    incident = room.declare("API down", "SEV2")
    clock.advance(minutes=5)
    event = room.record(incident.id, "milestone", {"name": "detected"}, at=clock() - 60_000)
    assert room.get_event(event.event_id) == event and event.occurred_ms == clock() - 60_000
    assert event.author == "alice" and room.outbox_size() == 2
    with pytest.raises(RoomError):
        room.record(incident.id, "no_such_kind", {})
    with pytest.raises(RoomError, match="no such incident"):
        room.record("20261122-none", "milestone", {"name": "detected"})
    assert kinds(room, incident.id) == ["declared", "milestone"]


def test_record_all_commits_together_and_tells_listeners_once(room):
    incident = room.declare("API down", "SEV2")
    heard = []
    room.subscribe(heard.append)
    events = room.record_all([room.note_item(incident.id, "pool exhausted", "observation"),
                              room.status_item(incident.id, "Identified")])
    assert heard == [events] and kinds(room, incident.id) == ["declared", "entry", "status"]
    assert room.state(incident.id).status == "Identified"


def test_record_all_writes_nothing_when_one_item_is_refused_or_fails(room):
    incident = room.declare("API down", "SEV2")
    with pytest.raises(RoomError):  # checked before anything is written
        room.record_all([room.note_item(incident.id, "first"), (incident.id, "milestone", {"name": 7}, None)])
    refuse(room, "status")
    with pytest.raises(LogError, match="disk I/O error"):
        room.record_all([room.note_item(incident.id, "first"), room.status_item(incident.id, "Identified")])
    assert kinds(room, incident.id) == ["declared"] and room.outbox_size() == 1
    assert room.state(incident.id).entry_count == 0


def test_an_override_and_the_resolution_it_allows_land_together_or_not_at_all(room):
    incident = room.declare("API down", "SEV1")
    refuse(room, "status")
    with pytest.raises(LogError):
        resolution.resolve(room, incident.id, override_reason="IC call")
    assert kinds(room, incident.id) == ["declared"]  # no override left without its resolution
    assert room.state(incident.id).status == "Investigating"
    room.log.conn.execute("DROP TRIGGER refuse")
    resolved = resolution.resolve(room, incident.id, override_reason="IC call")
    assert kinds(room, incident.id) == ["declared", "override", "status"]
    assert resolved == room.events(incident.id)[-1] and room.state(incident.id).status == "Resolved"


def test_a_reopen_and_its_note_land_together_or_not_at_all(room):
    incident = room.declare("API down", "SEV2")
    resolution.resolve(room, incident.id, override_reason="drill")
    refuse(room, "status")
    with pytest.raises(LogError):
        resolution.reopen(room, incident.id, "5xx back on checkout")
    assert kinds(room, incident.id) == ["declared", "override", "status"]  # no note of a reopen that failed
    assert room.state(incident.id).entry_count == 0
    room.log.conn.execute("DROP TRIGGER refuse")
    resolution.reopen(room, incident.id, "5xx back on checkout")
    note, status = room.events(incident.id)[-2:]
    assert note.payload == {"kind": "observation", "text": "Recurrence: incident re-opened: 5xx back on checkout"}
    assert status.payload["status"] == "Investigating" and room.state(incident.id).status == "Investigating"
