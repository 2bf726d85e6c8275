"""What the status bar shows, and the rule that no Redis call runs on the caller's thread."""

from __future__ import annotations

import threading

from tests.services.redis import RedisServer

from ..waiting import wait_until
from .conftest import converged


def test_offline_with_events_waiting_then_catching_up_then_live(tmp_path, terminal):
    server = RedisServer(tmp_path / "late")  # not started yet: the store is down from the outset
    seen = []
    room, engine = terminal("alice", url=server.url, start=False, offline_after_s=0.3)
    engine.on_status = lambda status: seen.append((status.state, status.pending))
    engine.start()
    incident = room.declare("Store down from the start", "SEV2")
    room._commit([room._event(incident.id, "entry", {"kind": "note", "text": f"n{i}"}, None)
                  for i in range(1_499)])
    wait_until(lambda: engine.status.state == "offline" and engine.status.pending == 1_500)
    assert engine.status.text == "offline · 1500 events waiting"
    assert engine.status.last_error.startswith(f"store redis://127.0.0.1:{server.port}/0 unreachable")

    server.start()
    try:
        wait_until(lambda: engine.status.state == "live" and engine.status.pending == 0, timeout=15)
        states = [state for state, _ in seen]
        assert "catching up" in states[states.index("offline"):]
        assert server.client().xlen(f"warroom:inc:{incident.id}") == 1_500
    finally:
        engine.stop()
        server.stop()


def test_no_redis_call_runs_on_the_callers_thread(terminal, monkeypatch):
    from redis.connection import AbstractConnection

    callers = []
    original = AbstractConnection.send_packed_command

    def spy(self, *args, **kw):
        callers.append(threading.get_ident())
        return original(self, *args, **kw)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", spy)
    (a, a_sync), (b, b_sync) = terminal("a"), terminal("b")
    incident = a.declare("Watch the threads", "SEV3")
    a_sync.set_presence(incident.id, "IC")
    for i in range(20):
        a.note(incident.id, f"note {i}")
    wait_until(lambda: converged([a, b], incident.id, events=21))
    a_sync.stop()
    b_sync.stop()
    assert callers and threading.get_ident() not in callers


def test_store_password_never_reaches_status_or_events(tmp_path, terminal):
    server = RedisServer(tmp_path / "pw", password="right-pw").start()
    try:
        url = f"redis://:wrong-pw@127.0.0.1:{server.port}/0"
        room, engine = terminal("alice", url=url)
        incident = room.declare("Wrong password", "SEV3")
        wait_until(lambda: engine.status.last_error != "")
        assert "wrong-pw" not in engine.status.last_error and engine.status.state != "live"
        assert all("wrong-pw" not in e.to_json() for e in room.log.events(incident.id))
    finally:
        server.stop()
