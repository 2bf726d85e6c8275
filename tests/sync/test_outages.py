"""The store or a terminal dies mid-incident: nobody is blocked, nothing is lost or doubled."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from ..waiting import wait_until
from .conftest import converged

ROOT = Path(__file__).resolve().parents[2]


def stream_ids(redis_server, incident_id: str) -> list[str]:
    import json

    entries = redis_server.client().xrange(f"warroom:inc:{incident_id}")
    return [json.loads(fields[b"e"])["event_id"] for _, fields in entries]


def test_store_killed_then_restarted_on_its_aof(terminal, redis_server):
    (a, a_sync), (b, _) = terminal("a"), terminal("b")
    incident = a.declare("Cache stampede", "SEV2")
    wait_until(lambda: converged([a, b], incident.id, events=1))

    redis_server.kill()
    started = time.perf_counter()
    for i in range(20):
        a.note(incident.id, f"offline note {i}")
    b.set_status(incident.id, "Identified")
    assert time.perf_counter() - started < 2.0, "local writes blocked on a dead store"
    wait_until(lambda: a_sync.status.state in ("reconnecting", "offline") and a_sync.status.pending == 20)
    assert "20 events waiting" in a_sync.status.text

    redis_server.restart()
    wait_until(lambda: converged([a, b], incident.id, events=22), what="convergence after restart")
    wait_until(lambda: a_sync.status.state == "live" and a_sync.status.pending == 0)
    ids = stream_ids(redis_server, incident.id)
    assert len(ids) == len(set(ids)) == 22


def test_store_restarted_empty_gets_everything_republished(terminal, redis_server):
    (a, _), (b, _) = terminal("a"), terminal("b")
    incident = a.declare("Disk full", "SEV2")
    wait_until(lambda: b.incidents())
    for i in range(4):
        b.note(incident.id, f"before {i}")
    wait_until(lambda: converged([a, b], incident.id, events=5))

    redis_server.restart(empty=True)
    a.note(incident.id, "after the store lost everything")
    wait_until(lambda: len(stream_ids(redis_server, incident.id)) == 6, what="republished stream")
    wait_until(lambda: converged([a, b], incident.id, events=6))
    ids = stream_ids(redis_server, incident.id)
    assert len(ids) == len(set(ids)) == 6

    (c, _) = terminal("c")  # a fresh terminal replays the rebuilt store
    wait_until(lambda: converged([a, b, c], incident.id, events=6))


def test_writer_killed_mid_stream_loses_no_committed_event(tmp_path, terminal, redis_server):
    db = tmp_path / "writer.db"
    proc = subprocess.Popen([sys.executable, "-m", "tests.sync.writer", str(db), redis_server.url, "notes"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    incident_id = proc.stdout.readline().split()[1]
    committed = []
    while len(committed) < 150:
        committed.append(proc.stdout.readline().split()[1])
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rest = proc.stdout.read().split()
    committed += [rest[i + 1] for i in range(0, len(rest) - 1, 2) if rest[i] == "committed"]

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    on_disk = {r[0] for r in conn.execute("SELECT event_id FROM events")}
    conn.close()
    assert set(committed) <= on_disk

    (w, _) = terminal("writer-again", db=str(db))  # the writer comes back
    (b, _) = terminal("b")
    wait_until(lambda: converged([w, b], incident_id, events=len(on_disk)), timeout=15)
    ids = stream_ids(redis_server, incident_id)
    assert len(ids) == len(set(ids)) == len(on_disk)


def test_killed_between_xadd_and_outbox_leaves_exactly_one_copy(tmp_path, terminal, redis_server):
    db = tmp_path / "dier.db"
    out = subprocess.run([sys.executable, "-m", "tests.sync.writer", str(db), redis_server.url,
                          "xadd-then-die", "30"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.returncode == -signal.SIGKILL
    incident_id = out.stdout.split()[1]
    assert len(stream_ids(redis_server, incident_id)) == 31

    (w, w_sync) = terminal("dier-again", db=str(db))
    assert w.log.outbox_size() in (0, 31)
    wait_until(lambda: w_sync.status.pending == 0 and w_sync.status.state == "live")
    (b, _) = terminal("b")
    wait_until(lambda: converged([w, b], incident_id, events=31))
    ids = stream_ids(redis_server, incident_id)
    assert len(ids) == len(set(ids)) == 31


def test_writes_commit_in_milliseconds_while_the_store_is_paused(terminal, redis_server):
    (a, _), (b, _) = terminal("a"), terminal("b")
    incident = a.declare("Paused store", "SEV3")
    wait_until(lambda: converged([a, b], incident.id, events=1))
    redis_server.client().execute_command("CLIENT", "PAUSE", "1500", "ALL")
    paused_until = time.monotonic() + 1.5
    times = []
    for i in range(40):
        t0 = time.perf_counter()
        a.note(incident.id, f"typed while paused {i}")
        times.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.01)
    assert time.monotonic() < paused_until, "the test must write during the pause"
    times.sort()
    # A write that waited on Redis would take the whole 1.5 s pause; fsync jitter on a
    # busy disk can reach tens of ms, so the bound on the slowest sits between the two.
    assert times[len(times) // 2] < 5.0 and times[-1] < 250.0, times
    wait_until(lambda: converged([a, b], incident.id, events=41), timeout=15)


def test_incident_seen_in_the_index_is_remembered_before_its_events_arrive(terminal):
    (a, a_sync), (b, b_sync) = terminal("a", start=False), terminal("b", start=False)
    incident = a.declare("Found in the index", "SEV3")
    a_sync.sync_once()
    client = b_sync._client(2.0)
    b_sync._check_store(client)
    b_sync._apply("warroom:index", client.xrange("warroom:index"))  # then the terminal dies
    client.close()
    assert b.log.cursors()[f"warroom:inc:{incident.id}"] == "0-0"
    assert b.incidents() == []

    (b_again, b_again_sync) = terminal("b", db="b.db", start=False)
    assert b_again_sync.sync_once() == (0, 1)
    assert converged([a, b_again], incident.id, events=1)


def test_stream_shorter_than_our_cursor_is_republished(terminal, redis_server):
    (a, a_sync), (b, b_sync) = terminal("a", start=False), terminal("b", start=False)
    incident = a.declare("Partly lost", "SEV3")
    a.note(incident.id, "one")
    a_sync.sync_once()
    b_sync.sync_once()
    # the store loses one incident's data but keeps its epoch (e.g. an operator's DEL)
    redis_server.client().delete(f"warroom:inc:{incident.id}", f"warroom:ids:{incident.id}")
    assert b_sync.sync_once() == (0, 0)
    assert len(stream_ids(redis_server, incident.id)) == 2
    (c, c_sync) = terminal("c", start=False)
    assert c_sync.sync_once() == (0, 2)
    assert converged([a, b, c], incident.id, events=2)
