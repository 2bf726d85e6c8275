"""What the console looks like: SVG snapshots of the main screen and of every dialog.

A snapshot holds every cell, so nothing in it may change from run to run: the clock is
frozen (the header's UTC time and every countdown come from it), incident and event ids come
from counters instead of random bits, the log's path is relative, config.toml is an empty
folder's, and no cursor blinks. Regenerate after a change that is meant to show with
``pytest tests/ui_snapshots --snapshot-update`` and look at the SVGs before committing them.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from warroom.followup.actions import save_action
from warroom.model import ids
from warroom.model.policy import load_policy
from warroom.room import Room
from warroom.store.log import LocalLog

from ..conftest import console_app, SIZE
from ..waiting import until


@pytest.fixture
def fixed_ids(monkeypatch):
    """Ids from counters, in every module that took its own reference to the makers."""
    tokens, events = itertools.count(1), itertools.count(1)
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"  # the ids' own base32

    def short_token(length: int = 6) -> str:
        n, out = next(tokens), ""
        for _ in range(length):
            n, digit = divmod(n, 32)
            out = alphabet[digit] + out
        return out

    def uuid7(ms: int) -> str:
        h = f"{(ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | 0b10 << 62 | next(events):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    fakes = {ids.short_token: short_token, ids.uuid7: uuid7}
    for module in [m for name, m in sys.modules.items() if name.startswith("warroom")]:
        for name in ("short_token", "uuid7"):
            real = getattr(module, name, None)
            if real in fakes:
                monkeypatch.setattr(module, name, fakes[real])


@pytest.fixture
def war_room(tmp_path, monkeypatch, fixed_ids, clock):
    """Two incidents, the one shown a SEV1 four minutes old: roles, entries of each kind, a
    status, acknowledged, two action items, and no clock due (an alert would ring at the
    first tick)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    room = Room(LocalLog(Path("warroom.db")), "alice", load_policy("cygni"), clock=clock)
    older = room.declare("Search latency above SLO", "SEV3", service="search", impact="slow results")
    clock.advance(minutes=20)
    room.set_status(older.id, "Resolved")
    clock.advance(minutes=5)
    incident = room.declare("Checkout returning 5xx", "SEV1", service="checkout", impact="EU card payments")
    room.assign(incident.id, "IC", "alice", "you have the room")
    clock.advance(seconds=30)
    room.assign(incident.id, "Scribe", "bob")
    room.note(incident.id, "5xx rate at 12% on checkout-api since 14:23")
    clock.advance(minutes=1)
    room.note(incident.id, "the 14:20 deploy of payments-gateway is the likely cause", kind="hypothesis")
    room.acknowledge(incident.id)
    clock.advance(minutes=1)
    room.note(incident.id, "roll back payments-gateway to v41", kind="decision")
    room.set_status(incident.id, "Identified")
    clock.advance(minutes=1)
    room.note(incident.id, "error rate falling since the rollback", kind="observation")
    save_action(room, incident.id, description="add a canary stage to payments-gateway deploys", owner="bob",
                due="2026-11-29")
    save_action(room, incident.id, description="alert on the 5xx rate per payment provider", owner="alice")
    clock.advance(seconds=30)
    yield room
    room.close()


def steady(app) -> None:
    """No cursor blinks: a blink half-way through would differ from run to run."""
    for screen in app.screen_stack:
        for widget in screen.query("*"):
            if isinstance(widget, (Input, TextArea)):
                widget.cursor_blink = False


def after(*keys: str):
    """run_before for snap_compare: the runbooks bound (after the first frame), the keys pressed,
    every worker done, no cursor blinking."""

    async def run(pilot) -> None:
        app = pilot.app
        await until(lambda: app.runbooks, pilot=pilot, what="the runbooks bound")
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        steady(app)
        await pilot.pause()

    return run


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40), SIZE, (200, 60)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_screen(snap_compare, war_room, clock, size):
    assert snap_compare(console_app(war_room, clock=clock), terminal_size=size, run_before=after())


DIALOGS = {
    "declare": ("D",),
    "severity": ("s",),
    "status": ("t",),
    "assign": ("a",),
    "checklist": ("c",),  # alice holds IC: its checklist opens at once
    "help": ("question_mark",),
    "switcher": ("x",),
    "comms": ("m",),
    "actions": ("A",),
    "resolution": ("R",),
    "postmortem": ("P",),
    "rollback": ("b",),
}


@pytest.mark.parametrize("dialog", DIALOGS)
def test_dialog(snap_compare, war_room, clock, dialog):
    assert snap_compare(console_app(war_room, clock=clock), terminal_size=SIZE, run_before=after(*DIALOGS[dialog]))
