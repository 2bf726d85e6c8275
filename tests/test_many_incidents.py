"""The console at the sync follower's cap: 5,000 incidents, a few of them open.

What a tick or a key costs must not grow with the incidents the console follows: these tests
count the folds and clock computations instead of timing them, so they are exact.
"""

from __future__ import annotations

from collections import Counter

import pytest
from textual.widgets import Input, OptionList, Static

from warroom import room as room_module
from warroom.model import clocks
from warroom.model.events import Event
from warroom.model.ids import format_hlc, uuid7
from warroom.ui import make_app
from warroom.ui.widgets.panels import IncidentHeader
from warroom.ui.widgets.timeline import SUMMARY, TimelineView

SIZE = (160, 48)
N, OPEN = 5_000, 20
MIN = 60_000


def fill(room, clock, n: int = N, open_: int = OPEN, open_age_ms: int = 30_000) -> list[str]:
    """``n`` incidents declared a second apart, ingested in one go as from the store; all but the
    newest ``open_`` are resolved, and the open
    ones were declared ``open_age_ms`` ago and after. Returns the open ids, oldest first."""
    events, opened = [], []
    now = clock()
    for i in range(n):
        is_open = i >= n - open_
        at = now - open_age_ms + (i - (n - open_)) * 1000 if is_open else now - open_age_ms - (n - i) * 1000
        incident = f"many-{i:05d}"
        declared = uuid7(at)
        events.append(Event(declared, incident, "declared", {
            "title": f"service {i} degraded", "severity": ("SEV1", "SEV2")[i % 2], "status": "Investigating",
            "policy": "cygni", "slug": f"incident-many-{i:05d}"}, "bob", "IC", at, at, format_hlc(at, 0), "elsewhere"))
        if is_open:
            opened.append(incident)
        else:
            events.append(Event(uuid7(at + 1), incident, "status", {"status": "Resolved", "supersedes": declared},
                                "bob", "IC", at + 1, at + 1, format_hlc(at + 1, 0), "elsewhere"))
    room.ingest(events)
    return opened


@pytest.fixture
def folds(monkeypatch) -> Counter:
    """How many times each incident was folded from the log."""
    counts: Counter = Counter()
    real = room_module.fold

    def counting(incident_id, events):
        counts[incident_id] += 1
        return real(incident_id, events)
    monkeypatch.setattr(room_module, "fold", counting)
    return counts


@pytest.fixture
def clock_calls(monkeypatch) -> Counter:
    """Calls of the clock functions an alert check makes, per function."""
    counts: Counter = Counter()
    for name in ("is_resolved", "next_update", "escalation_steps"):
        real = getattr(clocks, name)

        def counting(*args, _real=real, _name=name):
            counts[_name] += 1
            return _real(*args)
        monkeypatch.setattr(clocks, name, counting)
    return counts


def app_for(room, clock):
    app = make_app(room, clock=clock, keymap={})
    app.prose_gap_s = 0.0  # Pilot presses keys milliseconds apart (tests/conftest.py console_app)
    app.bells = []
    app.bell = lambda: app.bells.append(clock())
    return app


async def type_text(pilot, text):
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


def test_the_open_set_is_read_without_folding_every_incident_and_follows_commits(room, make_room, clock, folds):
    opened = fill(room, clock)
    assert room.open_ids() == opened
    assert not folds  # the latest status of each incident came from one query
    fresh = room.declare("Checkout 5xx", "SEV1")
    assert room.open_ids() == [*opened, fresh.id]
    room.set_status(opened[0], "Resolved")
    room.set_status("many-00007", "Investigating")  # re-opened
    assert room.open_ids() == ["many-00007", *opened[1:], fresh.id]
    # another process on the same log (the CLI) resolves one: seen at the next poll
    cli = make_room("carol", db="alice.db")
    cli.set_status(fresh.id, "Resolved")
    room.poll_log()
    assert room.open_ids() == ["many-00007", *opened[1:]]
    assert set(folds) <= {opened[0], "many-00007", fresh.id}  # only what the commits touched


def test_the_open_set_agrees_with_the_fold_whatever_order_statuses_come_in(room, make_room, clock):
    assert room.open_ids() == []  # from here on kept by the commits
    early = room.declare("Backdated resolution", "SEV2")
    room.set_status(early.id, "Resolved", at=early.declared_ms - MIN)  # before the declaration: loses
    late = room.declare("Resolved, then a stale Investigating", "SEV3")
    clock.advance(minutes=1)
    room.set_status(late.id, "Resolved")
    room.set_status(late.id, "Monitoring", at=clock() - 30_000)  # committed last, happened first
    assert room.open_ids() == [early.id]
    fresh = make_room("carol", db="alice.db")  # reads the set from the log, not from commits
    assert fresh.open_ids() == [s.id for s in fresh.incidents() if fresh.is_open(s)] == [early.id]


async def test_the_console_starts_on_the_newest_open_incident_and_takes_keys(room, clock, folds):
    opened = fill(room, clock)
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        assert app.incident_id == opened[-1]
        assert f"service {N - 1} degraded" in str(app.query_one(IncidentHeader).render())
        await pilot.press("i")
        await type_text(pilot, "rolled back api")
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one(TimelineView).visible_rows()[-1][SUMMARY] == "rolled back api"
        app.tick()
        await pilot.pause()
        # the open incidents are folded (their clocks run), no resolved one is
        assert set(folds) <= set(opened) and max(folds.values()) == 1


async def test_an_idle_tick_computes_no_clock_for_incidents_with_nothing_due(room, clock, clock_calls):
    opened = fill(room, clock)
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        clock.advance(seconds=1)
        app.tick()  # the first check after start visits each open incident once
        await pilot.pause()
        assert clock_calls["next_update"] <= OPEN + 2
        for _ in range(3):
            clock_calls.clear()
            clock.advance(seconds=1)
            app.tick()
            # the shown incident's panels only (a dozen calls, at 5,000 incidents as at one):
            # nothing can ring in any other incident yet
            assert sum(clock_calls.values()) <= 12, clock_calls
        # SEV1 (the even ones) engage the EM 5 min after their declaration: each one's check
        # comes when its own step does, and rings once
        first_step = room.state(opened[0]).declared_ms + 5 * MIN
        clock.ms = first_step
        clock_calls.clear()
        app.bells.clear()
        app.tick()
        assert app.bells == [clock()]
        assert clock_calls["next_update"] <= 2
        await pilot.pause()
        assert any(n.message.startswith(f"service {N - OPEN} degraded: engage") for n in app._notifications)
        clock.advance(seconds=1)
        app.tick()
        # the step rang once; its incident's response deadline (5 min too) rings as it passes
        assert app.bells == [clock() - 1000, clock()]


async def test_a_tick_with_many_alerts_rings_once_and_sums_them_up(room, clock):
    fill(room, clock, open_age_ms=20 * MIN)  # every SEV1 update is overdue at start
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        app.tick()
        await pilot.pause()
        notes = list(app._notifications)
        assert len(notes) <= 4 and len(app.bells) == 1
        summary = notes[-1]
        assert "x to switch" in summary.message and "status updates overdue" in summary.message
        app.tick()
        assert len(app.bells) == 1  # each alert rings once, summed up or not


async def test_new_incidents_from_elsewhere_are_told_in_one_notification(room, make_room, clock):
    room.declare("Shown", "SEV2")
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        other = make_room("carol", db="carol.db")
        for i in range(50):
            room.ingest([next(e for e in other.log.events(other.declare(f"remote {i}", "SEV3").id))])
        app.tick()
        await pilot.pause()
        told = [n for n in app._notifications if "declared" in n.message]
        assert len(told) == 1 and "50 incidents declared elsewhere" in told[0].message


async def test_the_switcher_lists_open_incidents_first_lazily_and_filters(room, clock, folds):
    opened = fill(room, clock)
    app = app_for(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids[:OPEN] == opened[::-1]  # open first, newest first
        assert ids[OPEN] == f"many-{N - OPEN - 1:05d}"  # then the resolved ones, newest first
        assert options.option_count < 500  # a page, not 5,000 lines
        assert len(folds) <= options.option_count
        hint = app.screen.query_one("#pick-hint", Static)
        assert "5,000 incidents" in str(hint.render())
        loaded = options.option_count
        await pilot.press(*["pagedown"] * 5)  # towards the last line loaded: the next page comes in
        await pilot.pause()
        assert loaded < options.option_count < 500
        await type_text(pilot, "many-0004")
        await pilot.pause()
        assert app.screen.query_one(Input).value == "many-0004"
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == [f"many-{i:05d}" for i in range(49, 39, -1)]
        assert "10 of 5,000" in str(hint.render())
        await type_text(pilot, "2")
        await pilot.pause()
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == ["many-00042"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.incident_id == "many-00042"
        assert "service 42 degraded" in str(app.query_one(IncidentHeader).render())
        await pilot.press("escape", "x")  # back in the entry line after the dialog: Esc leaves it
        await pilot.pause()
        await type_text(pilot, "zz")
        await pilot.pause()
        assert app.screen.query_one(OptionList).option_count == 0
        assert "no incident matches" in str(app.screen.query_one("#pick-hint", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.incident_id == "many-00042"
