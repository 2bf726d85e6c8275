"""Paging from the console, driven with Pilot against the loopback PagerDuty and OnCall servers:
the page dialog, a page that waits out an outage with the phone on screen at once, an
acknowledgement read back into the roster, who is on call (offline: as of when), a drill that
pages nobody, and an escalation step two consoles reach over one redis-server, paged once.

The paging timer is paused as each console starts; the tests run its passes themselves
(``paging_pass``), on the frozen clock."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from warroom.model.policy import load_policy
from warroom.paging import page as pg
from warroom.ui.screens.page import PageScreen
from warroom.ui.widgets.panels import clock_face, Roster

from ..conftest import console_app, SIZE
from ..waiting import until
from .conftest import PD_TOKEN

DANA_REACH = "+46 70 123 45 67, @dana"
QUIET = "SEV4"  # cygni's SEV4 step (a ticket) pages nobody: only what a test pages is paged


def roster(app) -> str:
    """The roster's text, its lines (wrapped to the panel) joined by spaces."""
    return " ".join(app.query_one(Roster).render().plain.split())


def told(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def shown(widget: Static) -> str:
    content = widget.render()
    return content.plain if isinstance(content, Text) else str(content)


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[ch if ch != " " else "space" for ch in text])


async def quiet(pilot) -> None:
    """The paging timer paused, and a pass it may have started already done."""
    app = pilot.app
    app._paging_timer.pause()
    await until(lambda: app.pager is None or not app.pager.busy, pilot=pilot, what="the timer's paging pass")


async def paging_pass(pilot) -> None:
    """One pass of the paging timer, run to its end and shown."""
    app = pilot.app
    app._paging_tick()
    await until(lambda: not app.pager.busy, pilot=pilot, what="the paging pass")
    await pilot.pause()


async def page_dialog(pilot, target_filter: str, reason: str) -> PageScreen:
    """p, a target narrowed to one, a reason: the dialog as it stands before Enter pages."""
    app = pilot.app
    await pilot.press("p")
    await until(lambda: isinstance(app.screen, PageScreen), pilot=pilot, what="the page dialog")
    await type_text(pilot, target_filter)
    await pilot.press("enter")  # on to the reason
    assert app.focused.id == "page-reason"
    await type_text(pilot, reason)
    return app.screen


async def test_the_dialog_pages_dana_and_pagerduty_gets_one_incident(room, paging, console):
    pd_api, oncall_api = paging
    incident = room.declare("Checkout 5xx", QUIET)
    async with console() as pilot:
        app = pilot.app
        await quiet(pilot)
        dialog = await page_dialog(pilot, "dan", "checkout down, need the DB owner")
        assert [c.name for c in dialog.matches] == ["dana"]
        statement = shown(dialog.query_one("#statement", Static))
        assert f"Page dana via PagerDuty for {incident.id} — everyone sees it" in statement
        assert DANA_REACH in statement
        await pilot.press("enter")
        await until(lambda: room.state(incident.id).page("dana") is not None, pilot=pilot, what="dana paged")
        await until(lambda: "not acked" in roster(app), pilot=pilot, what="the page in the roster")
        assert not isinstance(app.screen, PageScreen)
        shown_now = roster(app)
        assert f"dana paged 14:00 · not acked via pagerduty · {DANA_REACH}" in shown_now
        assert any(DANA_REACH in line for line in told(app))
    (post,) = pd_api.requests("POST", "/incidents")
    assert post.headers["authorization"] == f"Token token={PD_TOKEN}"
    assert post.headers["from"] == "warroom-bot@example.com"
    body = post.json()["incident"]
    assert body["assignments"] == [{"assignee": {"id": "PUSER01", "type": "user_reference"}}]
    assert body["service"] == {"id": "PSERVICE1", "type": "service_reference"}
    assert body["incident_key"] == f"warroom-{incident.id}-dana"
    assert "checkout down, need the DB owner" in body["title"]
    assert oncall_api.requests("POST") == []
    (paged,) = [e for e in room.events(incident.id) if e.kind == "paged"]
    assert paged.payload == {"target": "dana", "provider": "pagerduty", "reason": "checkout down, need the DB owner",
                             "remote_id": "PINC001"}


async def test_a_page_needs_a_reason_and_esc_pages_nobody(room, paging, console):
    pd_api, _ = paging
    incident = room.declare("Checkout 5xx", QUIET)
    async with console() as pilot:
        app = pilot.app
        await quiet(pilot)
        await page_dialog(pilot, "erik", "")
        await pilot.press("enter")
        assert isinstance(app.screen, PageScreen)
        assert shown(app.screen.query_one("#error", Static)) == "A page needs a reason."
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PageScreen)
    assert room.state(incident.id).pages() == [] and pd_api.requests("POST") == []


async def test_provider_down_shows_phone_and_chat_at_once_and_the_page_goes_once_when_it_is_back(
        room, paging, console, clock):
    pd_api, _ = paging
    incident = room.declare("Checkout 5xx", QUIET)
    pd_api.stop()
    async with console() as pilot:
        app = pilot.app
        await quiet(pilot)
        await page_dialog(pilot, "dana", "checkout down")
        await pilot.press("enter")
        await pilot.pause()
        # before the provider has even been asked: who to call, in a notification and the roster
        assert any(line.startswith("Paging dana via PagerDuty: ") and DANA_REACH in line for line in told(app))
        assert f"call {DANA_REACH}" in roster(app)
        await until(lambda: "WAITING" in roster(app), pilot=pilot, what="the page waiting in the roster")
        assert f"dana WAITING via PagerDuty call {DANA_REACH} retried: POST /incidents: cannot reach" in roster(app)
        assert any("waits in the outbox" in line and DANA_REACH in line for line in told(app))
        assert room.state(incident.id).page("dana") is None

        clock.advance(seconds=6)
        await paging_pass(pilot)  # still down: it waits again
        assert "WAITING" in roster(app) and room.state(incident.id).page("dana") is None

        pd_api.start()
        clock.advance(seconds=30)
        await paging_pass(pilot)
        await until(lambda: room.state(incident.id).page("dana") is not None, pilot=pilot, what="the page sent")
        await paging_pass(pilot)
        assert "WAITING" not in roster(app) and "dana paged 14:00 · not acked via pagerduty" in roster(app)
        clock.advance(minutes=5)
        await paging_pass(pilot)
    assert len(pd_api.requests("POST", "/incidents")) == 1 and len(pd_api.incidents) == 1
    assert pg.waiting_pages(room) == []


async def test_a_page_left_waiting_by_the_last_session_goes_at_the_first_pass(room, paging, console):
    pd_api, _ = paging
    incident = room.declare("Checkout 5xx", QUIET)
    pd_api.stop()
    assert pg.page(room, incident.id, "dana", "checkout down").state == "waiting"  # then the console closed
    pd_api.start()
    async with console() as pilot:
        app = pilot.app
        await quiet(pilot)
        await paging_pass(pilot)  # not due by its backoff yet: sent all the same, as the session starts
        await until(lambda: room.state(incident.id).page("dana") is not None, pilot=pilot, what="the page sent")
        assert "Page sent: page to dana sent: it waited in the outbox" in told(app)
    assert len(pd_api.requests("POST", "/incidents")) == 1


async def test_an_ack_on_the_server_shows_in_the_roster_as_acked_by_whom_and_when(room, paging, console, clock):
    pd_api, _ = paging
    incident = room.declare("Checkout 5xx", QUIET)
    assert pg.page(room, incident.id, "dana", "checkout down").state == "sent"
    async with console() as pilot:
        app = pilot.app
        await quiet(pilot)
        await paging_pass(pilot)
        assert "dana paged 14:00 · not acked via pagerduty" in roster(app)
        pd_api.acknowledge("PINC001", "PUSER01", "2026-11-22T14:01:30Z")
        clock.advance(minutes=2)
        await paging_pass(pilot)
        await until(lambda: "acked by Dana Lund 14:01" in roster(app), pilot=pilot, what="the ack in the roster")
        assert "✓ dana paged 14:00 → acked by Dana Lund 14:01" in roster(app)
        acks = [e for e in room.events(incident.id) if e.kind == "page_acked"]
        assert [(e.payload["by"], e.payload["acked_ms"]) for e in acks] == [("Dana Lund", clock.ms - 30_000)]
        asked = len(pd_api.requests("GET", "/incidents/PINC001"))
        clock.advance(minutes=1)
        await paging_pass(pilot)  # answered: not asked about again
    assert len(pd_api.requests("GET", "/incidents/PINC001")) == asked


async def test_who_is_on_call_is_shown_with_phones_and_as_of_when_the_providers_are_down(
        room, paging, console, clock):
    pd_api, oncall_api = paging
    pd_api.oncalls = [{"schedule": "PSCHED1", "user": "PUSER01", "start": "2026-11-22T08:00:00Z",
                       "end": "2026-11-22T18:00:00Z"}]
    oncall_api.schedules["SDBONCALL01"] = {"name": "DB", "on_call_now": ["UERIK0001"], "shifts": [
        {"shift_start": "2026-11-22T12:00:00Z", "shift_end": "2026-11-22T20:00:00Z", "user_pk": "UERIK0001",
         "user_username": "erik", "user_email": "erik@example.com"}]}
    room.declare("Checkout 5xx", QUIET)
    async with console() as pilot:
        app = pilot.app
        await quiet(pilot)
        await paging_pass(pilot)
        shown_now = roster(app)
        assert "ON CALL now" in shown_now
        assert "cygni-primary-oncall Dana Lund until 18:00" in shown_now and DANA_REACH in shown_now
        assert "db-oncall erik until 20:00" in shown_now and "+46 70 765 43 21, @erik" in shown_now
        pd_api.stop()
        clock.advance(minutes=6)
        await paging_pass(pilot)
        shown_now = roster(app)
        assert "ON CALL as of 14:00 UTC (cached: providers unreachable)" in shown_now
        assert "cygni-primary-oncall Dana Lund until 18:00" in shown_now and DANA_REACH in shown_now
        assert sum("cannot reach" in line for line in told(app)) == 1
        for seconds in (5, 20, 360):  # a pass of the steps alone, one that reads acks, one on-call again
            clock.advance(seconds=seconds)
            await paging_pass(pilot)
        assert sum("cannot reach" in line for line in told(app)) == 1  # told once while it lasts
        assert "ON CALL as of 14:00 UTC" in roster(app)


async def test_a_drill_pages_nobody_from_its_steps_or_the_dialog(room, paging, console, clock):
    pd_api, oncall_api = paging
    incident = room.declare("Cache collapse", "SEV2", drill=True, scenario="cache-collapse")
    async with console() as pilot:
        app = pilot.app
        await quiet(pilot)
        clock.advance(seconds=30)  # the SEV2 matrix's +0 step pages cygni-primary-oncall
        await paging_pass(pilot)
        await until(lambda: room.state(incident.id).page("cygni-primary-oncall") is not None, pilot=pilot,
                    what="the step's dry run")
        dialog = await page_dialog(pilot, "dana", "rehearsal")
        statement = shown(dialog.query_one("#statement", Static))
        assert statement.startswith("DRILL: a dry run — dana is not paged")
        await pilot.press("enter")
        await until(lambda: room.state(incident.id).page("dana") is not None, pilot=pilot, what="the dialog's dry run")
        await pilot.pause()
        assert "DRILL dana dry run 14:00, nobody paged" in roster(app)
        assert any("DRILL: dana not paged" in line for line in told(app))
    assert all(p.dry_run for p in room.state(incident.id).pages())
    assert pd_api.requests("POST") == [] and oncall_api.requests("POST") == []


async def test_an_escalation_step_due_in_two_consoles_over_one_store_pages_once(terminal, paging, clock):
    pd_api, _ = paging
    (a, a_sync), (b, b_sync) = terminal("alice", start=False), terminal("bob", start=False)
    incident = a.declare("API down", "SEV2")  # cygni: SEV2 pages cygni-primary-oncall at +0
    app_a, app_b = console_app(a, clock=clock, sync=a_sync), console_app(b, clock=clock, sync=b_sync)
    async with app_a.run_test(size=SIZE) as pilot_a, app_b.run_test(size=SIZE) as pilot_b:
        await quiet(pilot_a)
        await quiet(pilot_b)
        await until(lambda: incident.id in b.incident_ids(), pilot=pilot_b, what="the incident in bob's console")
        clock.advance(seconds=30)
        app_a._paging_tick()
        app_b._paging_tick()
        await until(lambda: not app_a.pager.busy and not app_b.pager.busy, pilot=pilot_b, what="both passes")
        for room, app in ((a, app_a), (b, app_b)):
            await until(lambda: room.state(incident.id).page("cygni-primary-oncall") is not None, pilot=pilot_b,
                        what=f"the page in {room.user}'s log")
            await until(lambda: "cygni-primary-oncall paged 14:00 · not acked via pagerduty" in roster(app),
                        pilot=pilot_b, what=f"the page in {room.user}'s roster")
        assert len(pd_api.requests("POST", "/incidents")) == 1
        clock.advance(seconds=30)
        await paging_pass(pilot_a)
        await paging_pass(pilot_b)
    assert len(pd_api.requests("POST", "/incidents")) == 1
    assert [e.author for e in a.events(incident.id) if e.kind == "paged"] in (["alice"], ["bob"])


async def test_the_contacts_file_missing_or_malformed_is_one_line_naming_it(room, config_dir, console):
    contacts = config_dir / "contacts.toml"
    contacts.write_text('[[people]]\nname = "dana"\nphone = "call me"\n')
    room.declare("Checkout 5xx", QUIET)
    async with console() as pilot:
        app = pilot.app
        await quiet(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert not isinstance(app.screen, PageScreen)
        (line,) = [m for m in told(app) if m.startswith("Cannot page: ")]
        assert line.startswith(f"Cannot page: {contacts}: people[0].phone: expected a phone number")
        await paging_pass(pilot)  # the timer says it too, once, and goes on
        await paging_pass(pilot)
        assert sum(m.startswith(f"Paging: {contacts}: people[0].phone") for m in told(app)) == 1
        contacts.unlink()
        await pilot.press("escape", "p")  # (p after p, with no other key between, would be prose)
        await pilot.pause()
        assert not isinstance(app.screen, PageScreen)
        assert told(app)[-1] == (f"Cannot page: {contacts}: no contacts file there "
                                 "(start from runbooks/contacts/contacts.example.toml)")
        assert app.is_running


async def test_nothing_from_outside_reaches_the_screen_as_markup_or_controls(room, paging, config_dir, console,
                                                                              clock):
    pd_api, _ = paging
    text = (config_dir / "contacts.toml").read_text().replace('chat = "@dana"', 'chat = "[@click=app.quit]dana[/]"')
    (config_dir / "contacts.toml").write_text(text)
    pd_api.users["PUSER01"] = "Dana\x1b]0;pwned\x07 [b]Lund[/b]\u202e"
    incident = room.declare("Checkout 5xx", QUIET)
    async with console() as pilot:
        app = pilot.app
        await quiet(pilot)
        await page_dialog(pilot, "dana", "checkout down")
        assert "[@click=app.quit]dana[/]" in shown(app.screen.query_one("#statement", Static))
        await pilot.press("enter")
        await until(lambda: room.state(incident.id).page("dana") is not None, pilot=pilot, what="dana paged")
        pd_api.acknowledge("PINC001", "PUSER01", "2026-11-22T14:00:30Z")
        clock.advance(minutes=1)
        await paging_pass(pilot)
        await until(lambda: "acked by" in roster(app), pilot=pilot, what="the ack in the roster")
        shown_now = roster(app)
        assert "acked by Dana]0;pwned [b]Lund[/b] 14:00" in shown_now
        assert "+46 70 123 45 67, [@click=app.quit]dana[/]" in shown_now
        assert not any(ch in shown_now for ch in "\x1b\x07\u202e")
        assert app.is_running


async def test_with_nothing_configured_the_paging_timer_starts_no_thread(room, config_dir, console):
    (config_dir / "contacts.toml").unlink()
    room.declare("Checkout 5xx", QUIET)
    async with console() as pilot:
        app = pilot.app
        await quiet(pilot)
        for _ in range(3):
            app._paging_tick()
            assert not app.pager.busy
        assert [w for w in app.workers if w.group in ("paging", "page")] == []
        assert "PAGES" not in roster(app) and "ON CALL" not in roster(app)


def test_the_clocks_panel_says_where_an_ack_aware_step_stands(make_room, paging, clock):
    room = make_room("alice", policy="sre-team")
    incident = room.declare("Checkout 5xx", "SEV1")
    policy = load_policy("sre-team")
    before = clock_face(room.state(incident.id), policy, clock.ms).escalation_detail
    assert "pages secondary-oncall if primary-oncall is not acked in 15 min" in before
    assert pg.page(room, incident.id, "primary-oncall", "checkout down").state == "sent"
    during = clock_face(room.state(incident.id), policy, clock.ms).escalation_detail
    assert "pages secondary-oncall at 14:15 UTC unless primary-oncall acks" in during
