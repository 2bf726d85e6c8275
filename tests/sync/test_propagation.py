"""Terminals over one store: what one types shows up in the others, and everyone agrees."""

from ..waiting import wait_until
from .conftest import converged, digest


def test_entries_changes_and_new_incidents_reach_every_terminal(terminal, redis_server):
    (ic, ic_sync), (scribe, _), (tl, _) = terminal("ic"), terminal("scribe"), terminal("tl")
    incident = ic.declare("Checkout 5xx", "SEV2")
    wait_until(lambda: [s.id for s in scribe.incidents()] == [incident.id], what="incident in scribe")
    wait_until(lambda: [s.id for s in tl.incidents()] == [incident.id], what="incident in TL")

    scribe.note(incident.id, "14:02 alert fired")
    tl.set_severity(incident.id, "SEV1")
    ic.assign(incident.id, "scribe", "scribe")
    wait_until(lambda: converged([ic, scribe, tl], incident.id, events=4), what="convergence")
    for room in (ic, scribe, tl):
        state = room.state(incident.id)
        assert (state.severity, state.roles.get("Scribe"), state.entry_count) == ("SEV1", "scribe", 1)
    wait_until(lambda: ic_sync.status.state == "live" and ic_sync.status.pending == 0)


def test_remote_event_notifies_room_listeners_once(terminal):
    (a, _), (b, _) = terminal("a"), terminal("b")
    seen = []
    b.subscribe(lambda events: seen.extend(e.event_id for e in events))
    incident = a.declare("DB slow", "SEV3")
    note = a.note(incident.id, "pg_stat_activity shows lock waits")
    wait_until(lambda: note.event_id in seen)
    assert sorted(seen) == sorted(e.event_id for e in a.log.events(incident.id))


def test_same_entry_delivered_three_times_is_applied_once(terminal, redis_server):
    (a, _), (b, b_sync) = terminal("a", start=False), terminal("b")
    incident = a.declare("Queue backlog", "SEV3")
    note = a.note(incident.id, "consumers scaled to 8")
    store = redis_server.client()
    for event in a.log.events(incident.id):
        for _ in range(3):
            store.xadd(f"warroom:inc:{incident.id}", {"e": event.to_json()})
    store.xadd("warroom:index", {"i": incident.id})
    wait_until(lambda: b.log.get(note.event_id) is not None)
    wait_until(lambda: b_sync._streams.get(f"warroom:inc:{incident.id}", "").startswith(
        store.xrevrange(f"warroom:inc:{incident.id}", count=1)[0][0].decode()))
    assert len(b.log.events(incident.id)) == 2 and b.state(incident.id).entry_count == 1
    assert b.log.quarantined() == []
    assert digest(a, incident.id) == digest(b, incident.id)


def test_presence_lists_who_is_in_the_room_and_in_which_role(terminal):
    (_, a_sync), (_, b_sync) = terminal("alice", heartbeat_s=0.1), terminal("bob", heartbeat_s=0.1)
    a_sync.set_presence("20261122-abcd", "IC")
    b_sync.set_presence("20261122-abcd", "Scribe")
    wait_until(lambda: [(p.user, p.role) for p in a_sync.status.peers] == [("bob", "Scribe")])
    wait_until(lambda: [(p.user, p.role, p.incident_id) for p in b_sync.status.peers]
               == [("alice", "IC", "20261122-abcd")])
    a_sync.stop()
    wait_until(lambda: b_sync.status.peers == [], what="alice gone from presence")


def test_status_changes_are_reported_from_the_worker(terminal):
    seen = []
    room, engine = terminal("alice", start=False)
    engine.on_status = seen.append
    engine.start()
    wait_until(lambda: seen and seen[-1].state == "live")
    assert all(s.state in ("live", "reconnecting", "catching up") for s in seen)
