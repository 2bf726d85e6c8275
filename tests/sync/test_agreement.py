"""Concurrent writers, skewed clocks, hostile entries: every terminal computes the same state."""

from __future__ import annotations

import json
import threading

from warroom.model.events import MAX_EVENT_BYTES
from warroom.model.state import fold
from warroom.model.times import now_ms

from ..waiting import wait_until
from .conftest import converged


def test_two_writers_200_severity_changes_and_200_notes_each(terminal, redis_server):
    (a, _), (b, _) = terminal("alice", clock_=now_ms), terminal("bob", clock_=now_ms)
    incident = a.declare("Two hands on the wheel", "SEV3")
    wait_until(lambda: b.incidents())
    sevs = ["SEV1", "SEV2", "SEV3", "SEV4"]

    def write(room, offset):
        for i in range(200):
            room.set_severity(incident.id, sevs[(i + offset) % 4])
            room.note(incident.id, f"{room.user} note {i}")

    threads = [threading.Thread(target=write, args=(r, n)) for n, r in enumerate((a, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_until(lambda: converged([a, b], incident.id, events=801), timeout=20)
    states = [a.state(incident.id), b.state(incident.id)]
    assert [s.entry_count for s in states] == [400, 400]
    assert states[0].severity == states[1].severity
    assert states[0].fields["severity"].event_id == states[1].fields["severity"].event_id

    (fresh, _) = terminal("carol", clock_=now_ms)
    wait_until(lambda: converged([a, b, fresh], incident.id, events=801), timeout=20)
    assert fresh.state(incident.id).severity == states[0].severity
    flagged = [sorted((c.field, c.kept, c.lost, c.event_id)
                      for c in fold(incident.id, r.log.events(incident.id)).conflicts)
               for r in (a, b, fresh)]
    assert flagged[0] == flagged[1] == flagged[2]
    assert len(redis_server.client().xrange(f"warroom:inc:{incident.id}")) == 801


def test_clocks_five_minutes_apart_agree_and_warn(terminal):
    ahead = lambda: now_ms() + 300_000  # noqa: E731
    behind = lambda: now_ms() - 300_000  # noqa: E731
    (a, a_sync), (b, b_sync) = terminal("ahead", clock_=ahead), terminal("behind", clock_=behind)
    # A clock ahead of the store stamps in the store's time once it has measured how far:
    # peers refuse (hold) events dated beyond the store's clock plus a minute.
    wait_until(lambda: a.ahead_ms > 295_000, what="the fast clock measured")
    incident = a.declare("Skewed", "SEV3")
    wait_until(lambda: b.incidents())
    b.set_severity(incident.id, "SEV1")   # b saw a's event: its HLC orders after it
    a.set_status(incident.id, "Identified")
    b.note(incident.id, "from the past")
    wait_until(lambda: converged([a, b], incident.id, events=4))
    assert a.state(incident.id).severity == b.state(incident.id).severity == "SEV1"
    assert b.hlc.now() > a.log.events(incident.id)[0].hlc
    wait_until(lambda: a_sync.status.skew_ms is not None and b_sync.status.skew_ms is not None)
    assert 295_000 < a_sync.status.skew_ms < 305_000
    assert -305_000 < b_sync.status.skew_ms < -295_000
    assert "ahead" in a_sync.status.skew_warning and "behind" in b_sync.status.skew_warning


HOSTILE = {
    "not JSON": b"{this is not json",
    "missing fields": json.dumps({"event_id": "x"}).encode(),
    "10 MB": b"x" * (10 * 1024 * 1024),
    "bad UTF-8": b'{"event_id": "\xff\xfe"}',
}


def test_hostile_entries_are_quarantined_and_the_cursor_moves_on(terminal, redis_server):
    (a, _), (b, b_sync) = terminal("a", start=False), terminal("b")
    incident = a.declare("Hostile", "SEV3")
    note = a.note(incident.id, "genuine")
    store = redis_server.client()
    key = f"warroom:inc:{incident.id}"
    for event in a.log.events(incident.id):
        store.xadd(key, {"e": event.to_json()})
    store.xadd("warroom:index", {"i": incident.id})

    wire = note.to_wire()
    bad = dict(HOSTILE)  # plus two built from a genuine event
    bad["unknown kind"] = json.dumps({**wire, "event_id": "u1", "kind": "self_destruct"}).encode()
    bad["reused id"] = json.dumps({**wire, "payload": {"kind": "note", "text": "rewritten"}}).encode()
    for raw in bad.values():
        store.xadd(key, {"e": raw})
    store.xadd(key, {"other": "no e field"})
    store.xadd("warroom:index", {"i": "../../etc\x1b[2J"})
    nasty = {**wire, "event_id": "n1", "payload": {"kind": "note",
                                                  "text": "\x1b]0;X\x07[@click=app.quit] [/] done"}}
    store.xadd(key, {"e": json.dumps(nasty)})
    after = {**wire, "event_id": "after-1", "payload": {"kind": "note", "text": "after the junk"}}
    store.xadd(key, {"e": json.dumps(after)})

    wait_until(lambda: b.log.get("after-1") is not None, what="the entry after the junk")
    reasons = [reason for _, reason, _ in b.log.quarantined()]
    assert len(reasons) == 8, reasons
    for words in ("not JSON", "missing field", "byte cap", "not UTF-8", "unknown kind",
                  "reused with a different payload", "no event field", "valid incident id"):
        assert any(words in r for r in reasons), (words, reasons)
    assert all(len(raw) <= MAX_EVENT_BYTES for *_, raw in b.log.quarantined())
    assert b.log.get(note.event_id).payload["text"] == "genuine"
    assert b.log.get("n1").payload["text"] == "]0;X[@click=app.quit] [/] done"

    b_sync.stop()   # the cursor was saved past the junk: a restart does not quarantine again
    (b2, _) = terminal("b", db="b.db")
    wait_until(lambda: b2.log.cursors() == b.log.cursors())
    assert len(b2.log.quarantined()) == 8



def test_a_store_listing_too_many_incidents_is_capped(terminal, redis_server, monkeypatch):
    import warroom.sync.engine

    monkeypatch.setattr(warroom.sync.engine, "MAX_INCIDENTS", 3)
    store = redis_server.client()
    for i in range(6):
        store.xadd("warroom:index", {"i": f"flood-{i}"})
    (b, b_sync) = terminal("b")
    wait_until(lambda: len(b.log.quarantined()) == 3, what="the incidents over the cap quarantined")
    followed = [k for k in b_sync._streams if k.startswith("warroom:inc:")]
    assert followed == [f"warroom:inc:flood-{i}" for i in range(3)]
    assert all("more than 3 incidents in the store" in reason for _, reason, _ in b.log.quarantined())
