"""Two consoles on one store, driven with Pilot: what one types the other shows, and a
stalled store never stalls the keys."""

from __future__ import annotations

import time

from textual.widgets import Input

from warroom.ui import make_app
from warroom.ui.widgets.panels import StatusBar
from warroom.ui.widgets.timeline import SUMMARY, TimelineView

from ..waiting import until

SIZE = (160, 48)


def summaries(app) -> list[str]:
    return [row[SUMMARY] for row in app.query_one(TimelineView).visible_rows()]


async def test_two_consoles_share_one_store_and_see_each_others_notes(terminal):
    (ic, ic_sync), (scribe, scribe_sync) = terminal("ic", start=False), terminal("scribe", start=False)
    incident = ic.declare("Checkout 5xx", "SEV2")
    ic_app = make_app(ic, sync=ic_sync, keymap={})
    scribe_app = make_app(scribe, sync=scribe_sync, keymap={})
    async with ic_app.run_test(size=SIZE), scribe_app.run_test(size=SIZE) as scribe_pilot:
        await until(lambda: scribe_app.incident_id == incident.id, what="incident shown on the scribe's console")
        await scribe_pilot.press("i")
        scribe_app.query_one("#entry", Input).value = "o: [bold]alert[/] fired \x1b]0;pwned\x07"
        await scribe_pilot.press("enter")
        await until(lambda: "[bold]alert[/] fired ]0;pwned" in summaries(ic_app), what="note on the IC's console")
        ic.set_severity(incident.id, "SEV1")
        await until(lambda: scribe.state(incident.id).severity == "SEV1", what="severity on the scribe's side")
        await until(lambda: "live" in str(ic_app.query_one(StatusBar).render())
                    and "scribe" in str(ic_app.query_one(StatusBar).render()), what="live with presence")
        assert ic_app.is_running and scribe_app.is_running


async def test_a_paused_store_does_not_stall_the_console(terminal, redis_server):
    room, engine = terminal("ic", start=False)
    incident = room.declare("API", "SEV2")
    app = make_app(room, sync=engine, keymap={})
    admin = redis_server.client()
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: engine.status.state == "live", what="live")
        admin.execute_command("CLIENT", "PAUSE", "3000", "ALL")
        try:
            await pilot.press("i")
            entry = app.query_one("#entry", Input)
            started = time.monotonic()
            for i in range(5):
                entry.value = f"typed while the store is paused {i}"
                await pilot.press("enter")
            elapsed = time.monotonic() - started
            assert summaries(app)[-1] == "typed while the store is paused 4"
            # Pilot's own floor is ~0.1 s a key; a stalled UI thread would take the 3 s pause
            assert elapsed < 2.0, elapsed
        finally:
            admin.execute_command("CLIENT", "UNPAUSE")
        await until(lambda: engine.status.pending == 0, timeout=15, what="outbox drained after the pause")
    assert room.log.conn.execute("select count(*) from events where incident_id=?", (incident.id,)).fetchone()[0] == 6
