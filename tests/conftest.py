"""Fixtures every test folder shares: frozen clocks, rooms over their own log files, a real
redis-server, and the console as the tests start it."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest

from warroom.model.policy import load_policy
from warroom.model.times import parse_time
from warroom.room import Room
from warroom.store.log import LocalLog

from .services.redis import RedisServer

T0 = parse_time("2026-11-22T14:00:00Z", 0)
SIZE = (160, 48)  # columns, rows: the console's reference terminal


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


def console_app(room: Room, clock=None, sync=None, keymap: dict[str, str] | None = None,
                prose_gap_s: float = 0.0):
    """The console for ``room`` as every test builds it: on the room's (frozen) clock and the
    default keys, whatever config.toml the machine has. Pilot presses keys milliseconds
    apart, as no person does after a dialog opens, so the rule that such keys were prose is
    off unless a test asks for it (tests/ui/test_deliberate.py gives its keys exact times)."""
    from warroom.ui import make_app

    app = make_app(room, sync=sync, clock=clock, keymap={} if keymap is None else keymap)
    app.prose_gap_s = prose_gap_s
    return app


@pytest.fixture
def console(room, clock):
    """A running console: ``async with console() as pilot:`` (``pilot.app`` is the app), over
    ``room`` at 160×48 on the frozen ``clock`` unless told otherwise."""

    @asynccontextmanager
    async def run(room_: Room | None = None, *, size: tuple[int, int] = SIZE, **kw):
        app = console_app(room_ or room, clock=kw.pop("clock", clock), **kw)
        async with app.run_test(size=size) as pilot:
            yield pilot

    return run
