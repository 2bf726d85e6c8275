"""A hostile or failing store: no poison entry, lost Redis second or stray date breaks the room.

Every test runs against a real redis-server; hostile entries are written into it directly,
as anyone with access to the store could.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from warroom.model.events import MAX_EVENT_BYTES
from warroom.model.times import iso, now_ms
from warroom.room import Room, RoomError
from warroom.store.log import LocalLog
from warroom.sync.engine import SyncEngine

from ..services.redis import RedisServer
from ..waiting import wait_until
from .conftest import converged

ROOT = Path(__file__).resolve().parents[2]


def wire(room, incident_id: str, event_id: str, **changes) -> dict:
    """A genuine note of ``room``'s, as JSON on the wire, with ``changes`` applied."""
    note = room.draft_note(incident_id, "genuine text")
    return {**note.to_wire(), "event_id": event_id, **changes}


def publish(redis_server, room, incident_id: str) -> None:
    """Put ``room``'s events in the store by hand, as its pusher would."""
    store = redis_server.client()
    for event in room.log.events(incident_id):
        store.xadd(f"warroom:inc:{incident_id}", {"e": event.to_json()})
        store.hset(f"warroom:ids:{incident_id}", event.event_id, "0-1")
    store.xadd("warroom:index", {"i": incident_id})


def run_cli(tmp_path, *args, env_extra=None):
    import os

    env = {**os.environ, "WARROOM_CONFIG_DIR": str(tmp_path / "cfg"), **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "warroom", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=60)


# -- 1. the store loses its tail --------------------------------------------------------

@pytest.fixture
def rdb_server(tmp_path):
    """A redis-server that persists only when told (SAVE), so a kill -9 loses its tail."""
    server = RedisServer(tmp_path / "redis-rdb", appendonly=False).start()
    yield server
    server.stop()


def test_a_store_that_lost_its_tail_gets_it_back_even_when_new_pushes_hide_the_gap(terminal, rdb_server):
    (a, a_sync), (b, b_sync) = (terminal("a", url=rdb_server.url, audit_s=0.3),
                           terminal("b", url=rdb_server.url, audit_s=0.3))
    incident = a.declare("Lost second", "SEV2")
    for i in range(5):
        a.note(incident.id, f"saved {i}")
    wait_until(lambda: converged([a, b], incident.id, events=6))
    rdb_server.client().save()  # what the store will come back with
    for i in range(60):
        a.note(incident.id, f"lost {i}")
    wait_until(lambda: converged([a, b], incident.id, events=66) and a.log.outbox_size() == 0,
               what="the 60 pushed and their outbox rows cleared")

    a_sync.stop(), b_sync.stop()
    rdb_server.restart()  # kill -9, back on the older snapshot: same epoch, 60 events short
    assert rdb_server.client().xlen(f"warroom:inc:{incident.id}") == 6
    (d, d_sync) = terminal("d", url=rdb_server.url, start=False)
    d_sync.sync_once()
    d.note(incident.id, "a new push after the loss")  # the stream's end passes every cursor again
    d_sync.push_once()
    engines = [SyncEngine(room, rdb_server.url, audit_s=0.3) for room in (a, b)]
    try:
        for engine in engines:
            engine.start()
        wait_until(lambda: rdb_server.client().xlen(f"warroom:inc:{incident.id}") == 67, timeout=15,
                   what="the lost events re-published")
        assert sum(e.republished for e in engines) >= 60  # both hold them: either may repair
    finally:
        for engine in engines:
            engine.stop()
    (c, _) = terminal("c", url=rdb_server.url)
    d_sync.sync_once()
    wait_until(lambda: converged([a, b, c, d], incident.id, events=67), timeout=15)
    ids = [json.loads(f[b"e"])["event_id"] for _, f in rdb_server.client().xrange(f"warroom:inc:{incident.id}")]
    assert len(ids) == len(set(ids)) == 67


def test_sync_audits_every_incident_and_says_what_it_re_published(terminal, rdb_server, tmp_path):
    (a, a_sync), (b, b_sync) = (terminal("a", url=rdb_server.url, start=False),
                                terminal("b", url=rdb_server.url, start=False))
    first, second = a.declare("One", "SEV3"), a.declare("Two", "SEV3")
    assert a_sync.sync_once() == (2, 0) and b_sync.sync_once() == (0, 2)
    rdb_server.client().save()
    for i in range(7):
        a.note(second.id, f"lost {i}")
    assert a_sync.sync_once() == (7, 0)
    rdb_server.restart()
    b.note(second.id, "pushed after the loss")  # the stream's end passes a's cursor again
    assert b_sync.sync_once() == (1, 0)
    assert a_sync.sync_once() == (0, 1)
    assert a_sync.republished == 7
    store = rdb_server.client()
    assert store.xlen(f"warroom:inc:{second.id}") == 9 and store.xlen(f"warroom:inc:{first.id}") == 1
    assert a_sync.sync_once() == (0, 0) and a_sync.republished == 7  # nothing lost: nothing sent
    assert b_sync.sync_once() == (0, 7)

    rdb_server.client().save()
    a.note(first.id, "lost again")
    assert a_sync.sync_once() == (1, 0)
    rdb_server.restart()
    b.note(first.id, "after the second loss")
    b_sync.sync_once()
    done = run_cli(tmp_path, "--db", str(tmp_path / "a.db"), "sync", env_extra={"WARROOM_STORE": rdb_server.url})
    assert done.returncode == 0, done.stderr
    assert "pulled 1, re-published 1 the store had lost" in done.stdout


def test_the_audit_costs_one_round_trip_when_nothing_is_lost(terminal, redis_server):
    (a, a_sync) = terminal("a", start=False)
    incidents = [a.declare(f"Incident {i}", "SEV3") for i in range(20)]
    for state in incidents:
        for i in range(10):
            a.note(state.id, f"note {i}")
    a_sync.sync_once()
    client = redis_server.client()
    before = client.info("stats")["total_commands_processed"]
    assert a_sync._audit(client) == 0
    # one pipelined HLEN per incident, and no HMGET of any id
    assert client.info("stats")["total_commands_processed"] - before == 20 + 1  # + this INFO


# -- 2. one size limit, where an entry is written -----------------------------------------

def test_an_entry_over_the_event_cap_is_refused_where_it_is_typed(room, tmp_path):
    incident = room.declare("Big paste", "SEV3")
    with pytest.raises(RoomError, match="over the 65,536-byte limit"):
        room.note(incident.id, "x" * (MAX_EVENT_BYTES + 10))
    assert room.state(incident.id).entry_count == 0
    room.note(incident.id, "y" * (MAX_EVENT_BYTES - 2000))  # under the cap: fine, and on the wire too

    db = tmp_path / "cli.db"
    assert run_cli(tmp_path, "--db", str(db), "declare", "Paste", "--severity", "SEV3").returncode == 0
    done = run_cli(tmp_path, "--db", str(db), "note", "z" * (MAX_EVENT_BYTES + 1))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "limit" in done.stderr
    assert LocalLog(db).entry_count(LocalLog(db).incident_ids()[0]) == 0


# -- 4. poison JSON ------------------------------------------------------------------

POISON = {
    "5000-deep nesting": b'{"a":' * 5000 + b"1" + b"}" * 5000,
    "5000-deep list": b"[" * 5000 + b"]" * 5000,
    "5000-digit integer": b'{"event_id": ' + b"9" * 5000 + b"}",
    "NaN": b'{"event_id": NaN}',
}


def test_poison_json_is_quarantined_and_the_follower_moves_on(terminal, redis_server, tmp_path):
    (a, _), (b, b_sync) = terminal("a", start=False), terminal("b")
    incident = a.declare("Poison", "SEV3")
    publish(redis_server, a, incident.id)
    store = redis_server.client()
    key = f"warroom:inc:{incident.id}"
    for raw in POISON.values():
        store.xadd(key, {"e": raw})
    store.xadd(key, {"e": json.dumps(wire(a, incident.id, "after-poison"))})
    wait_until(lambda: b.log.get("after-poison") is not None, what="the entry after the poison")
    reasons = [reason for _, reason, _ in b.log.quarantined()]
    assert len(reasons) == len(POISON), reasons
    assert b_sync.status.state == "live"

    # `warroom sync` too: no traceback, exit 0, the quarantine counted
    db = tmp_path / "c.db"
    done = run_cli(tmp_path, "--db", str(db), "sync", env_extra={"WARROOM_STORE": redis_server.url})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and f"{len(POISON)} entries in quarantine" in done.stdout
    assert LocalLog(db).get("after-poison") is not None


# -- 5, 9. clock stamps and times without bounds --------------------------------------------

def test_a_stamp_beyond_any_clock_is_quarantined_and_local_writes_go_on(terminal, redis_server):
    (a, _), (b, _) = terminal("a", start=False), terminal("b")
    incident = a.declare("Stamps", "SEV3")
    publish(redis_server, a, incident.id)
    key = f"warroom:inc:{incident.id}"
    store = redis_server.client()
    store.xadd(key, {"e": json.dumps(wire(a, incident.id, "huge-hlc", hlc="99999999999999999999999.0"))})
    year_9999 = "253370764800000.000000"
    store.xadd(key, {"e": json.dumps(wire(a, incident.id, "hlc-9999", hlc=year_9999))})
    store.xadd(key, {"e": json.dumps(wire(a, incident.id, "fine"))})
    wait_until(lambda: b.log.get("fine") is not None)
    (_, huge, _), (_, late, _) = b.log.quarantined()
    assert "out-of-range" in huge and "hlc" in huge
    assert late.startswith("dated 9999-") and "after the store's clock" in late
    mine = b.note(incident.id, "written after the poison")
    assert mine.occurred_ms == b.clock() and mine.hlc < year_9999
    assert b.log.get(mine.event_id) is not None


def test_a_log_already_holding_a_far_future_stamp_does_not_date_new_events(tmp_path, clock):
    from warroom.model.events import Event
    from warroom.model.policy import load_policy

    log = LocalLog(tmp_path / "old.db")
    room = Room(log, "alice", load_policy("cygni"), clock=clock)
    incident = room.declare("Poisoned before the fix", "SEV3")
    draft = room.draft_note(incident.id, "from 9999")
    log.append([Event(*{**draft._asdict(), "event_id": "e9999", "hlc": "253370764800000.000000",
                        "occurred_ms": 253370764800000}.values())])
    room.close()
    again = Room(LocalLog(tmp_path / "old.db"), "alice", load_policy("cygni"), clock=clock)
    note = again.note(incident.id, "today")
    assert note.occurred_ms == clock() and note.hlc.startswith(f"{clock():015d}")
    again.close()


def test_a_remote_severity_dated_9999_does_not_win_for_ever(terminal, redis_server):
    (a, _), (b, _) = terminal("a", start=False), terminal("b")
    incident = a.declare("Severity forgery", "SEV2")
    publish(redis_server, a, incident.id)
    sev = a._draft(incident.id, "severity", {"severity": "SEV4"}, None)
    forged = {**sev.to_wire(), "event_id": "forged-sev", "occurred_at": "9999-01-01T00:00:00Z"}
    redis_server.client().xadd(f"warroom:inc:{incident.id}", {"e": json.dumps(forged)})
    wait_until(lambda: b.log.quarantined(), what="the forged severity quarantined")
    b.set_severity(incident.id, "SEV1")
    assert b.state(incident.id).severity == "SEV1"
    assert b.log.get("forged-sev") is None
    assert "after the store's clock" in b.log.quarantined()[0][1]


def test_an_entry_a_little_early_is_held_and_applied_when_its_time_comes(terminal, redis_server, monkeypatch):
    import warroom.sync.engine

    monkeypatch.setattr(warroom.sync.engine, "FUTURE_SLACK_MS", 500)
    (a, _), (b, _) = terminal("a", start=False), terminal("b", heartbeat_s=0.1, clock_=now_ms)
    incident = a.declare("Early", "SEV3")
    publish(redis_server, a, incident.id)
    soon = now_ms() + 2500
    redis_server.client().xadd(f"warroom:inc:{incident.id}", {"e": json.dumps(
        wire(a, incident.id, "early-1", occurred_at=iso(soon)))})
    wait_until(lambda: b.log.held(), what="the early entry held")
    assert b.log.get("early-1") is None and b.log.quarantined() == []
    wait_until(lambda: b.log.get("early-1") is not None, timeout=10, what="the held entry applied")
    assert b.log.held() == [] and now_ms() >= soon - 500


def test_a_terminal_whose_clock_runs_ahead_stamps_in_the_stores_time(terminal):
    ahead = lambda: now_ms() + 300_000  # noqa: E731
    (a, a_sync), (b, _) = terminal("ahead", clock_=ahead), terminal("b", clock_=now_ms)
    wait_until(lambda: a.ahead_ms > 0, what="the skew measured")
    incident = a.declare("Fast laptop", "SEV3")
    wait_until(lambda: b.incidents(), what="b applies a's declaration at once")
    assert abs(a.log.events(incident.id)[0].occurred_ms - now_ms()) < 5_000
    assert "ahead" in a_sync.status.skew_warning


# -- 6. times out of range after UTC conversion --------------------------------------------

@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_times_out_of_range_are_quarantined_at_ingest(terminal, redis_server, tmp_path, moment):
    (a, _), (b, _) = terminal("a", start=False), terminal("b", db="b.db")
    incident = a.declare("Calendar edge", "SEV3")
    publish(redis_server, a, incident.id)
    key = f"warroom:inc:{incident.id}"
    redis_server.client().xadd(key, {"e": json.dumps(wire(a, incident.id, "edge", occurred_at=moment))})
    redis_server.client().xadd(key, {"e": json.dumps(wire(a, incident.id, "next"))})
    wait_until(lambda: b.log.get("next") is not None)
    assert b.log.get("edge") is None and len(b.log.quarantined()) == 1
    db = str(tmp_path / "b.db")
    for command in (["timeline"], ["postmortem"], ["show"]):
        done = run_cli(tmp_path, "--db", db, *command, incident.id)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (command, done.stderr)
    typed = run_cli(tmp_path, "--db", db, "note", "edge", "--incident", incident.id, "--at", moment)
    assert typed.returncode == 2 and "out of range" in typed.stderr and typed.stderr.count("\n") == 1


# -- 7. a policy named by an event is a name ---------------------------------------------

def test_a_remote_declaration_naming_a_file_as_its_policy_is_quarantined(terminal, redis_server):
    (a, _), (b, _) = terminal("a", start=False), terminal("b")
    incident = a.declare("Policy path", "SEV3")
    declared = a.log.events(incident.id)[0].to_wire()
    store = redis_server.client()
    for n, path in enumerate(["/dev/zero", "../../etc/passwd", "x.toml"]):
        forged = {**declared, "event_id": f"forged-{n}", "incident_id": f"evil-{n}",
                  "payload": {**declared["payload"], "policy": path}}
        store.xadd(f"warroom:inc:evil-{n}", {"e": json.dumps(forged)})
        store.xadd("warroom:index", {"i": f"evil-{n}"})
    publish(redis_server, a, incident.id)
    wait_until(lambda: b.incidents(), what="the genuine incident")
    wait_until(lambda: len(b.log.quarantined()) == 3)
    assert [s.id for s in b.incidents()] == [incident.id]
    assert all("policy" in reason for _, reason, _ in b.log.quarantined())


def test_a_policy_path_already_in_the_log_is_never_opened(room):
    from warroom.model.state import IncidentState

    state = IncidentState(id="x", declared=True, policy="/dev/zero")
    started = time.perf_counter()
    assert room.policy_for(state) is room.policy
    assert time.perf_counter() - started < 0.5


# -- 8. presence is validated like events ---------------------------------------------------

@pytest.mark.parametrize("seen", ["Infinity", "-Infinity", "NaN", "1e400", "true", "1.5",
                                  "99999999999999999999999", '"soon"'])
def test_a_hostile_presence_key_changes_nobodys_status(terminal, redis_server, seen):
    store = redis_server.client()
    store.set("warroom:presence:evil", '{"user": "mallory", "role": "IC", "origin": "evil", '
                                       f'"seen_ms": {seen}}}')
    store.set("warroom:presence:good", json.dumps({"user": "bob\n\u202eevil", "role": "IC", "origin": "good",
                                                   "seen_ms": now_ms()}))
    (a, a_sync) = terminal("a", heartbeat_s=0.1)
    wait_until(lambda: a_sync.status.state == "live" and a_sync.status.peers, what="live with one peer")
    time.sleep(0.3)  # a few heartbeats: still live
    assert a_sync.status.state == "live" and a_sync.status.last_error == ""
    assert [p.origin for p in a_sync.status.peers] == ["good"]
    assert a_sync.status.peers[0].user == "bob evil"


def test_the_quarantine_keeps_a_masked_copy(terminal, redis_server):
    (a, _), (b, _) = terminal("a", start=False), terminal("b")
    incident = a.declare("Leaky junk", "SEV3")
    publish(redis_server, a, incident.id)
    key = f"warroom:inc:{incident.id}"
    redis_server.client().xadd(key, {"e": b'{not json, but postgresql://app:hunter2@db/x'})
    redis_server.client().xadd(key, {"e": json.dumps(wire(a, incident.id, "after-leak"))})
    wait_until(lambda: b.log.get("after-leak") is not None)
    (_, _, raw), = b.log.quarantined()
    assert b"hunter2" not in raw and b"postgresql://app:" in raw


def test_the_engine_keeps_its_clock_reading_for_the_sync_command(make_room, redis_server):
    room = make_room("solo")
    engine = SyncEngine(room, redis_server.url)
    engine.sync_once()
    assert abs(engine._store_now() - now_ms()) < 5_000


async def test_an_entry_over_the_cap_stays_in_the_console_entry_line(room, clock):
    from warroom.ui import make_app
    from warroom.ui.widgets.entry_line import QuickEntry

    incident = room.declare("Big paste in the console", "SEV3")
    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        entry = app.query_one(QuickEntry)
        entry.focus()
        entry.value = "o: " + "x" * (MAX_EVENT_BYTES + 100)
        await pilot.press("enter")
        await pilot.pause()
        assert entry.value.startswith("o: xxx") and len(entry.value) == MAX_EVENT_BYTES + 103
        room.flush()
        assert room.state(incident.id).entry_count == 0
