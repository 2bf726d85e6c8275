"""One owner per connection: the console and the CLI read on ``room.log``, which no other
thread writes on; every commit (write-behind, sync pusher and follower) goes through the
room's one writer connection. On a shared connection a read waits behind another thread's
statement and can see its uncommitted rows."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from warroom.sync.engine import SyncEngine

HOLD_S = 3.0  # how long a held commit would last if nobody let it go
QUICK_S = 0.5  # a read that does not wait for it returns well within this


class HeldCommit:
    """Holds open, inside its transaction, a commit on ``conn`` that inserts an event whose
    summary is ``summary``: a temp trigger calls a slow Python function (as a slow disk or
    a large ingest would hold it)."""

    def __init__(self, conn: sqlite3.Connection, summary: str) -> None:
        self.inside, self._release = threading.Event(), threading.Event()
        conn.create_function("hold_commit", 0, self._hold)
        conn.execute("CREATE TEMP TRIGGER hold_commit AFTER INSERT ON events WHEN NEW.summary = "
                     f"'{summary}' BEGIN SELECT hold_commit(); END")

    def _hold(self) -> int:
        self.inside.set()
        self._release.wait(HOLD_S)
        return 0

    def release(self) -> None:
        self._release.set()


def timed_read(read):
    """Run ``read`` on another thread (the UI's read must not stall this test if it waits):
    (result or None, seconds taken, up to QUICK_S)."""
    out, started = [], time.monotonic()
    thread = threading.Thread(target=lambda: out.append(read()), daemon=True)
    thread.start()
    thread.join(QUICK_S)
    return (out[0] if out else None), time.monotonic() - started


def refuse_writes(conn: sqlite3.Connection) -> None:
    """Make any write through ``conn`` fail: temp triggers see only this connection's statements."""
    for table in ("events", "outbox", "cursors", "quarantine", "held", "meta"):
        for op in ("INSERT", "UPDATE", "DELETE"):
            conn.execute(f"CREATE TEMP TRIGGER reader_{table}_{op} BEFORE {op} ON {table} "
                         "BEGIN SELECT RAISE(ABORT, 'a write on the reader connection'); END")


def summaries(room, incident_id: str) -> list[str]:
    return [row[7] for row in room.log.timeline(incident_id)]


def test_a_held_follower_commit_neither_stalls_the_readers_connection_nor_shows_before_commit(make_room):
    alice, bob = make_room("alice"), make_room("bob")
    incident = alice.declare("API 5xx", "SEV2")
    bob.ingest(alice.log.events(incident.id))
    note = alice.note(incident.id, "pool exhausted")
    held = HeldCommit(bob.writer_log().conn, "pool exhausted")
    follower = threading.Thread(target=bob.ingest, args=([note],), kwargs={"cursor": ("s", "1-0")})
    follower.start()
    try:
        assert held.inside.wait(5)
        rows, took = timed_read(lambda: summaries(bob, incident.id))
        assert took < QUICK_S, f"the reader waited {took:.2f}s (or more) behind the follower's commit"
        assert rows is not None and len(rows) == 1 and "pool exhausted" not in rows  # not committed yet
        count, took = timed_read(lambda: bob.log.timeline_count(incident.id))
        assert took < QUICK_S and count == 1
    finally:
        held.release()
        follower.join(5)
    assert summaries(bob, incident.id)[-1] == "pool exhausted"
    assert bob.log.cursors() == {"s": "1-0"} and bob.state(incident.id).entry_count == 1


def test_the_sync_follower_commits_on_the_writer_while_the_console_reads(terminal_pair):
    (alice, _), (bob, _) = terminal_pair
    incident = alice.declare("Checkout slow", "SEV2")
    wait(lambda: bob.log.incident_ids() == [incident.id])
    held = HeldCommit(bob.writer_log().conn, "queue backed up")
    try:
        alice.note(incident.id, "queue backed up")
        assert held.inside.wait(5), "the follower never committed the note"
        rows, took = timed_read(lambda: summaries(bob, incident.id))
        assert took < QUICK_S, f"the console's read waited {took:.2f}s (or more) behind the follower"
        assert rows is not None and len(rows) == 1 and "queue backed up" not in rows
        pending, took = timed_read(bob.outbox_size)
        assert took < QUICK_S and pending == 0
    finally:
        held.release()
    wait(lambda: summaries(bob, incident.id)[-1:] == ["queue backed up"])


def test_nothing_but_the_constructor_writes_on_the_readers_connection(terminal_pair, redis_server):
    (alice, _), (bob, _) = terminal_pair
    refuse_writes(bob.log.conn)
    incident = alice.declare("Search down", "SEV1")
    wait(lambda: bob.log.incident_ids() == [incident.id])
    bob.set_severity(incident.id, "SEV2")  # a command's commit, from this thread
    done = threading.Event()
    bob.write_behind(bob.draft_note(incident.id, "typed in the console"), lambda *_: done.set())
    bob.flush()
    assert not done.is_set()
    store = redis_server.client()  # the follower's quarantine and cursor writes
    store.xadd(f"warroom:inc:{incident.id}", {"e": b"not json"})
    alice.note(incident.id, "after the junk")
    wait(lambda: "after the junk" in summaries(bob, incident.id), what="the entry after the junk")
    wait(lambda: "typed in the console" in summaries(alice, incident.id)
         and alice.state(incident.id).severity == "SEV2", what="bob's writes published")
    wait(lambda: bob.outbox_size() == 0, what="bob's outbox cleared")
    assert len(bob.quarantined()) == 1
    assert set(bob.log.cursors()) >= {"warroom:index", f"warroom:inc:{incident.id}"}


def wait(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(0.005)


@pytest.fixture
def terminal_pair(make_room, redis_server):
    pair = []
    for user in ("alice", "bob"):
        room = make_room(user)
        engine = SyncEngine(room, redis_server.url, heartbeat_s=0.2)
        engine.start()
        pair.append((room, engine))
    yield pair
    for _, engine in pair:
        engine.stop()
