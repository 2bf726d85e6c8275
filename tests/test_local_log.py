import sqlite3

import pytest

from warroom.model.events import Event
from warroom.store.log import LocalLog, LogError, SCHEMA_VERSION


def test_pragmas_schema_and_outbox_in_the_same_transaction(room):
    conn = room.log.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    state = room.declare("x", "SEV2")
    room.note(state.id, "n")
    events = conn.execute("select event_id from events order by seq").fetchall()
    outbox = conn.execute("select event_id from outbox order by seq").fetchall()
    assert events == outbox and len(events) == 2


def test_ingest_dedupes_and_writes_no_outbox(make_room):
    a, b = make_room("a"), make_room("b")
    state = a.declare("x", "SEV2")
    for _ in range(3):
        b.ingest(a.log.events(state.id), cursor=("incident:x", "1-0"))
    assert b.log.conn.execute("select count(*) from events").fetchone()[0] == 1
    assert b.log.conn.execute("select count(*) from outbox").fetchone()[0] == 0
    assert b.log.conn.execute("select cursor from cursors").fetchone()[0] == "1-0"


def test_locked_file_gets_a_clear_message(tmp_path):
    path = tmp_path / "x.db"
    LocalLog(path).close()
    log = LocalLog(path)
    log.conn.execute("PRAGMA busy_timeout=100")
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(LogError) as err:
            log.append([Event("e", "i", "entry", {"kind": "note", "text": "t"}, "a", "", 1, 1, "1.0", "o")])
        assert "locked by another process" in str(err.value) and str(path) in str(err.value)
    finally:
        holder.rollback()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "x.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(LogError, match="newer warroom"):
        LocalLog(path)


def _steps(conn, fn) -> int:
    """SQLite VM instructions ``fn`` costs: a measure of rows touched, free of timing noise."""
    steps = [0]

    def count():
        steps[0] += 1
        return 0
    conn.set_progress_handler(count, 1)
    try:
        fn()
    finally:
        conn.set_progress_handler(None, 1)
    return steps[0]


def test_reading_the_newest_rows_costs_the_same_at_any_incident_size(room):
    """What the console reads per new entry: the count since its last look and the last page."""
    costs = []
    for size in (50, 5_000):
        state = room.declare(f"incident of {size}", "SEV2")
        room.log.append([Event(f"{state.id}-{i:05d}", state.id, "entry", {"kind": "note", "text": f"n{i}"},
                               "ana", "", state.declared_ms + i, state.declared_ms + i, f"{i:013d}-0000", "o")
                         for i in range(size)])
        seq = room.log.last_seq()
        room.note(state.id, "one more")
        log = room.log
        costs.append((_steps(log.conn, lambda: log.timeline_count(state.id, after_seq=seq, upto_seq=log.last_seq())),
                      _steps(log.conn, lambda: log.timeline(state.id, 0, 40, from_end=True))))
    (count_small, page_small), (count_big, page_big) = costs
    assert count_big <= 2 * count_small + 50, costs
    assert page_big <= 2 * page_small + 50, costs
