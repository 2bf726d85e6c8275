"""The pane with Pilot: pause, refresh rate, never two refreshes at once, evidence, hangs, actions."""

from __future__ import annotations

import time

from warroom.diagnostics.base import RefreshSchedule, Snapshot
from warroom.diagnostics.http_health import HttpDiagnostic
from warroom.diagnostics.postgres import PostgresDiagnostic
from warroom.diagnostics.redis_stats import RedisDiagnostic
from warroom.ui.widgets.diag_pane import ConfirmScreen, DiagPane

from ..services.http import HealthServers
from ..waiting import until
from .ui_helpers import CountingDiagnostic, PaneApp


def test_schedule_rules():
    s = RefreshSchedule(2, floor=0.5, hang_after=3)
    assert [s.faster(), s.faster(), s.faster(), s.faster()] == [1, 0.5, 0.5, 0.5]
    assert [s.slower(), s.slower()] == [1, 2]
    assert s.begin(0.0) and not s.begin(0.1), "never two at once"
    assert s.hanging(2.0) == 0 and s.hanging(3.5) == 3.5
    s.end(Snapshot("x", "t", 1000))
    assert s.last_good_ms == 1000 and not s.in_flight
    s.toggle_pause()
    assert not s.begin(5.0) and s.begin(5.0, force=True)
    s.end(Snapshot("x", "t", 2000, error="refused: nope"))
    assert s.last_good_ms == 1000 and s.last_error == "refused: nope"
    assert RefreshSchedule(0.1, floor=0.5).interval == 0.5


async def test_pause_shows_banner_and_stops_refreshing():
    diag = CountingDiagnostic()
    pane = DiagPane(diag, interval=0.2)
    async with PaneApp(pane).run_test() as pilot:
        assert await until(lambda: diag.fetches >= 2, pilot=pilot)
        banner = pane.query_one(".diag-paused")
        assert not banner.display
        await pilot.press("space")
        assert pane.has_class("-paused") and banner.display
        assert await until(lambda: not pane.schedule.in_flight, pilot=pilot)
        count = diag.fetches
        await pilot.pause(0.6)
        assert diag.fetches == count, "no refresh while paused"
        await pilot.press("space")
        assert not banner.display
        assert await until(lambda: diag.fetches > count, pilot=pilot)


async def test_plus_minus_change_the_interval_with_a_floor():
    diag = CountingDiagnostic()
    pane = DiagPane(diag, interval=1)
    async with PaneApp(pane).run_test() as pilot:
        await pilot.press("minus")
        assert pane.schedule.interval == 2
        for _ in range(5):
            await pilot.press("plus")
        assert pane.schedule.interval == diag.floor == 0.2
        header = str(pane.query_one(".diag-header").render())
        assert f"every {pane.schedule.interval:g}s" in header


async def test_never_two_refreshes_at_once():
    diag = CountingDiagnostic(delay=0.15)
    pane = DiagPane(diag, interval=0.2)
    async with PaneApp(pane).run_test() as pilot:
        for _ in range(8):
            await pilot.press("r")
            await pilot.pause(0.03)
        assert await until(lambda: diag.fetches >= 4, pilot=pilot)
        assert diag.max_running == 1


async def test_unhealthy_rows_sorted_first_and_toggle():
    diag = CountingDiagnostic()
    pane = DiagPane(diag, interval=5)
    async with PaneApp(pane).run_test() as pilot:
        assert await until(lambda: pane.table.row_count == 2, pilot=pilot)
        assert list(pane._row_keys()) == ["b", "a"]
        await pilot.press("S")
        assert list(pane._row_keys()) == ["a", "b"]


async def test_evidence_snapshot_goes_to_the_timeline_redacted(room, redis_server):
    incident = room.declare("Cache slow", "SEV2").id
    url = redis_server.url.replace("127.0.0.1", "default:pw-should-vanish@127.0.0.1", 1)
    diag = RedisDiagnostic(redis_server.url, clock=room.clock)
    diag.target = url  # what the user typed, with a password in it
    pane = DiagPane(diag, room=room, incident=incident, interval=5)
    async with PaneApp(pane).run_test() as pilot:
        assert await until(lambda: pane.snapshot is not None, pilot=pilot)
        await pilot.press("e")
        assert not [e for e in room.log.events(incident) if e.kind == "evidence"], "not before its Enter"
        await pilot.press("enter")
        events = [e for e in room.log.events(incident) if e.kind == "evidence"]
        assert len(events) == 1
        p = events[0].payload
        assert p["pane"] == "redis" and "pw-should-vanish" not in p["target"] and "***" in p["target"]
        assert "pw-should-vanish" not in p["text"] and "hit rate" in p["text"]
        assert p["source"] == "live"
        assert "2026-11-22T14:00:00" in p["text"], "the snapshot's time, from the room's clock"


async def test_hanging_target_does_not_freeze_keys(room):
    web = HealthServers().start()
    try:
        diag = HttpDiagnostic(web.never, timeout=8)
        pane = DiagPane(diag, interval=1, hang_after=0.3)
        async with PaneApp(pane).run_test() as pilot:
            assert await until(lambda: "hanging" in str(pane.query_one(".diag-error").render()), pilot=pilot)
            assert pane.has_class("-error")
            start = time.monotonic()
            await pilot.press("space")
            await pilot.press("minus")
            assert pane.has_class("-paused") and pane.schedule.interval == 2
            assert time.monotonic() - start < 1.0, "keys answered while the fetch hangs"
            diag.close()
    finally:
        web.stop()


async def test_error_keeps_last_rows_and_shows_last_good_time(room, redis_server):
    diag = RedisDiagnostic(redis_server.url, clock=room.clock, timeout=0.5)
    pane = DiagPane(diag, interval=0.5)
    async with PaneApp(pane).run_test() as pilot:
        assert await until(lambda: pane.snapshot is not None, pilot=pilot)
        assert "last good 14:00:00Z" in str(pane.query_one(".diag-header").render())
        redis_server.kill()
        assert await until(lambda: pane.schedule.last_error.startswith(("refused", "error")), pilot=pilot)
        assert pane.has_class("-error") and pane.table.row_count == 7


async def test_postgres_pane_shows_blocker_and_cancel_needs_yes(room, postgres_server, lock_wait):
    holder, waiter = lock_wait
    incident = room.declare("Checkout errors", "SEV2").id
    pane = DiagPane(PostgresDiagnostic(postgres_server.dsn, clock=room.clock), room=room, incident=incident,
                    interval=5)
    async with PaneApp(pane).run_test() as pilot:
        assert await until(lambda: pane.table.row_count >= 2, pilot=pilot)
        keys = list(pane._row_keys())
        assert str(waiter) in keys and str(holder) in keys
        assert pane.table.row(str(waiter)).cells[6] == str(holder)
        pane.table.move_cursor(row=keys.index(str(waiter)))
        await pilot.press("C")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("n")
        assert not isinstance(pilot.app.screen, ConfirmScreen)
        assert not [e for e in room.log.events(incident) if e.kind == "diag_action"]
        await pilot.press("C")
        await pilot.press("y")
        assert await until(lambda: [e for e in room.log.events(incident) if e.kind == "diag_action"], pilot=pilot)
        action = [e for e in room.log.events(incident) if e.kind == "diag_action"][0].payload
        assert action["action"] == "cancel" and action["result"] == f"cancel pid {waiter}: sent"
        assert str(waiter) in action["target"]


async def test_actions_absent_in_read_only_mode(postgres_server, clock):
    pane = DiagPane(PostgresDiagnostic(postgres_server.dsn, clock=clock), read_only=True, interval=5)
    async with PaneApp(pane).run_test() as pilot:
        assert await until(lambda: pane.snapshot is not None, pilot=pilot)
        await pilot.press("C")
        assert not isinstance(pilot.app.screen, ConfirmScreen)
