"""What a drill's panes look like on an 80×24 terminal: they cover the timeline but for its last
lines, the pane in use drawn whole (its title line, then its rows), the others one-line tabs.

The drill's sources are simulated on the frozen clock, so every cell is the same from run to
run (see test_snapshots.py for the rest of what keeps a snapshot still).
"""

from __future__ import annotations

from pathlib import Path

from warroom.followup.drills import start_drill
from warroom.model.policy import load_policy
from warroom.room import Room
from warroom.store.log import LocalLog
from warroom.ui.widgets.diag_pane import DiagPane

from ..conftest import console_app
from ..waiting import until
from .test_snapshots import fixed_ids, steady  # noqa: F401  (fixed_ids is a fixture)


def test_drill_panes_at_80x24(snap_compare, tmp_path, monkeypatch, fixed_ids, clock):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    room = Room(LocalLog(Path("warroom.db")), "alice", load_policy("cygni"), clock=clock)
    drill = start_drill(room, "oom-cascade")
    room.note(drill.incident_id, "pods restarting in a loop on checkout", kind="observation")
    clock.advance(minutes=6)
    app = console_app(room, clock=clock)
    app.start_drill(drill)

    async def run_before(pilot) -> None:
        await until(lambda: app.query(DiagPane) and all(p.snapshot is not None for p in app.query(DiagPane)),
                    5, "the drill's panes filled", pilot=pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        steady(app)
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    finally:
        room.close()
