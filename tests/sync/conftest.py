"""Terminals for the sync tests: each a Room over its own SQLite file plus a SyncEngine,
all pointed at the real redis-server the ``redis_server`` fixture started."""

from __future__ import annotations

import pytest

from warroom.model.state import fold
from warroom.sync.engine import SyncEngine


def digest(room, incident_id: str) -> str:
    """The state every terminal must agree on, folded from the whole local log."""
    return fold(incident_id, room.log.events(incident_id)).digest()


def converged(rooms, incident_id: str, events: int | None = None) -> bool:
    digests = {digest(r, incident_id) for r in rooms}
    counts = {len(r.log.events(incident_id)) for r in rooms}
    return len(digests) == 1 and len(counts) == 1 and (events is None or counts == {events})


@pytest.fixture
def terminal(make_room, redis_server):
    """``room, engine = terminal("alice")``: a started engine unless ``start=False``."""
    engines = []

    def make(user: str = "alice", *, clock_=None, url: str | None = None, start: bool = True,
             db: str | None = None, **kw):
        room = make_room(user, db=db, clock_=clock_)
        engine = SyncEngine(room, url or redis_server.url, **kw)
        engines.append(engine)
        if start:
            engine.start()
        return room, engine

    yield make
    for engine in engines:
        engine.stop()
