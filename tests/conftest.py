from __future__ import annotations

import pytest

from warroom.store.log import LocalLog
from warroom.model.policy import load_policy
from warroom.room import Room
from warroom.model.times import parse_time

from .services import RedisServer

T0 = parse_time("2026-11-22T14:00:00Z", 0)


class FrozenClock:
    """A clock tests move by hand: ``clock()`` is now in ms."""

    def __init__(self, start: int = T0) -> None:
        self.ms = start

    def __call__(self) -> int:
        return self.ms

    def advance(self, minutes: float = 0, seconds: float = 0) -> None:
        self.ms += int(minutes * 60_000 + seconds * 1000)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def make_room(tmp_path, clock):
    """Rooms over their own log files: ``make_room("alice", policy="sre-team")``."""
    made = []

    def make(user: str = "alice", policy: str = "cygni", db: str | None = None, clock_=None) -> Room:
        log = LocalLog(tmp_path / (db or f"{user}.db"))
        room = Room(log, user, load_policy(policy), clock=clock_ or clock)
        made.append(room)
        return room

    yield make
    for room in made:
        room.close()


@pytest.fixture
def room(make_room) -> Room:
    return make_room()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()
