"""The public-text checks and the customer-email clock in the console: the comms pane names the
customer fields a public text leaves to the playbook's sentence and asks before sending it, and
playbook 001's customer email (SEV1/SEV2 after 30 min) prompts once and is counted down in the
follow-up panel until one is recorded. Real rooms, a real loopback Statuspage and Slack, Pilot,
the frozen clock."""

from __future__ import annotations

import pytest
from textual.widgets import Select, Static

from warroom.comms.post import Poster
from warroom.comms.settings import Settings
from warroom.ui.screens.comms import CommsPane
from warroom.ui.screens.dialogs import ConfirmScreen
from warroom.ui.widgets.panels import FollowUpPanel

from ..conftest import console_app, SIZE
from ..services.http import statuspage_routes, Stub
from .host import Host

HOOK = "/services/T1/B1/wiringSecretPath9"
MIN = 60_000




@pytest.fixture
def services():
    """A Statuspage (page pg1) and a Slack webhook on one loopback server."""
    routes, incidents = statuspage_routes("pg1")
    stub = Stub(routes={**routes, ("POST", HOOK): lambda req: (200, {}, b"ok")}).start()
    stub.incidents = incidents
    yield stub
    stub.stop()


def poster(stub) -> Poster:
    return Poster(Settings(slack_webhook=stub.url + HOOK, statuspage_key="sp-key-wiring-01", statuspage_page="pg1",
                           statuspage_url=stub.url + "/v1", retries=0))


def sent(stub) -> list[tuple[str, str]]:
    return [(s.method, s.path) for s in stub.seen if s.method != "GET"]


def posted(room, incident_id) -> list[dict]:
    return [e.payload for e in room.log.events(incident_id) if e.kind == "update_posted"]


def shown(app, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def settle(app, pilot):
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_the_preview_lists_the_customer_fields_left_to_the_playbook(services, room, clock, tmp_path):
    state = room.declare("Checkout down", "SEV1", service="checkout", impact="EU card payments")
    room.set_field(state.id, "customer_message", "Some card payments fail; we are on it.")
    pane = CommsPane(room, state.id, template="status-page", poster=poster(services), out_dir=tmp_path)
    app = Host(pane)
    async with app.run_test(size=(120, 40)) as pilot:
        box = app.query_one("#comms-unfilled")
        assert box.has_class("shown")
        lines = shown(app, "#comms-unfilled").splitlines()
        assert lines[1:] == ["⚠ customer impact: playbook sentence (not filled)",
                             "⚠ customer workaround: playbook sentence (not filled)"]
        assert "playbook's sentence" in lines[0]
        assert "EU card payments" not in pane.text  # the internal impact never stands in
        room.set_fields(state.id, {"customer_impact": "Some card payments fail.", "customer_workaround": "Use PayPal."})
        await pilot.press("f5")
        await pilot.pause()
        assert pane.unfilled == () and not box.has_class("shown")
        app.query_one("#comms-template", Select).value = "update"  # internal: nothing to say
        await pilot.pause()
        assert pane.unfilled == () and not box.has_class("shown")
        room.set_status(state.id, "Identified")  # the customer message predates it now
        app.query_one("#comms-template", Select).value = "customer-email"
        await pilot.pause()
        assert box.has_class("shown") and shown(app, "#comms-unfilled").splitlines()[1:] == [
            "⚠ customer message: playbook sentence (written before the status became Identified)"]


async def test_a_public_text_with_unfilled_fields_asks_and_n_sends_nothing(services, room, clock, tmp_path):
    state = room.declare("Checkout down", "SEV1", service="checkout")
    pane = CommsPane(room, state.id, template="status-page", poster=poster(services), out_dir=tmp_path)
    app = Host(pane)
    async with app.run_test(size=(120, 40)) as pilot:
        assert pane.target == "statuspage"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == ("Public text to statuspage. Send with the playbook's sentence for: "
                                       "customer message, customer impact, customer workaround?")
        await pilot.press("n")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert sent(services) == [] and posted(room, state.id) == []
        assert shown(app, "#comms-status").startswith("not sent: nothing sent, nothing recorded")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(app, pilot)
        assert sent(services) == [("POST", "/v1/pages/pg1/incidents")]
        assert [p["channel"] for p in posted(room, state.id)] == ["statuspage"]
        assert len(services.incidents) == 1 and "✓ statuspage" in shown(app, "#comms-status")


async def test_an_internal_text_and_a_filled_public_one_go_without_asking(services, room, clock, tmp_path):
    state = room.declare("Checkout down", "SEV1", service="checkout")
    room.set_fields(state.id, {"customer_message": "Card payments fail for some.", "customer_impact": "Payments fail.",
                               "customer_workaround": "Pay later."})
    pane = CommsPane(room, state.id, template="status-page", poster=poster(services), out_dir=tmp_path)
    app = Host(pane)
    async with app.run_test(size=(120, 40)) as pilot:
        assert pane.unfilled == () and not app.query_one("#comms-unfilled").has_class("shown")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert sent(services) == [("POST", "/v1/pages/pg1/incidents")]
        app.query_one("#comms-template", Select).value = "update"
        await pilot.pause()
        assert pane.target == "slack"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert sent(services)[-1] == ("POST", HOOK)
        assert [p["channel"] for p in posted(room, state.id)] == ["statuspage", "slack"]


def email_line(app) -> str:
    """The follow-up panel's text as one line (its only clock here is the customer email's)."""
    panel = app.query_one(FollowUpPanel)
    lines = [line.strip() for line in str(panel.render()).splitlines()[1:] if line.strip()]
    return " ".join(lines) if panel.visible else ""


def prompts(app) -> list[str]:
    return [n.message for n in app._notifications if n.title == "Customer email due"]


async def run_console(room, clock):
    app = console_app(room, clock=clock)
    app.bells = []
    app.bell = lambda: app.bells.append(clock())
    return app


async def test_the_customer_email_prompts_once_at_30_minutes_and_its_clock_goes_once_sent(make_room, clock):
    room = make_room("alice", policy="cygni")
    state = room.declare("Checkout down", "SEV1", service="checkout")  # 14:00
    app = await run_console(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(FollowUpPanel)
        assert panel.visible and email_line(app) == "customer email due 14:30 UTC (in 30:00)"
        clock.advance(minutes=10)
        app.tick()
        await pilot.pause()
        assert email_line(app) == "customer email due 14:30 UTC (in 20:00)"
        clock.advance(minutes=20)  # 14:30: due, not yet overdue (the CTO step rings now)
        app.tick()
        await pilot.pause()
        assert prompts(app) == []
        app.bells.clear()
        clock.advance(seconds=1)
        app.tick()
        await pilot.pause()
        assert prompts(app) == ["SEV1 Checkout down: the customer email is due and none was sent"
                                " — m, template customer-email, to draft it"]
        assert app.bells == [clock()]
        assert email_line(app).startswith("customer email due since 14:30 UTC, OVERDUE by 00:01 — m, customer-email")
        for _ in range(3):
            clock.advance(minutes=1)
            app.tick()
        await pilot.pause()
        assert len(prompts(app)) == 1 and app.bells == [clock() - 3 * MIN]
        room.update_posted(state.id, "Subject: ...", "dry-run:email")  # a drill's dry run is not one
        room.update_posted(state.id, "UPDATE ...", "slack")
        app.tick()
        await pilot.pause()
        assert "OVERDUE" in email_line(app)
        room.update_posted(state.id, "Subject: [SEV1] Cygni Service Disruption", "email:customers")
        app.tick()
        await pilot.pause()
        assert email_line(app) == ""
        assert len(prompts(app)) == 1


@pytest.mark.parametrize("policy, severity", [("cygni", "SEV3"), ("sre-team", "SEV1")])
async def test_no_customer_email_is_owed_for_sev3_or_under_playbook_000(make_room, clock, policy, severity):
    room = make_room("alice", policy=policy)
    room.declare("Search slow", severity)
    app = await run_console(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        assert email_line(app) == ""
        for _ in range(2):
            clock.advance(minutes=15, seconds=1)
            app.tick()
        clock.advance(seconds=1)  # 30:03
        app.tick()
        await pilot.pause()
        assert prompts(app) == [] and email_line(app) == ""


async def test_a_severity_raised_an_hour_in_prompts_at_once(make_room, clock):
    room = make_room("alice", policy="cygni")
    state = room.declare("Search slow", "SEV3")
    app = await run_console(room, clock)
    async with app.run_test(size=SIZE) as pilot:
        app.tick()
        clock.advance(minutes=60)
        app.tick()
        await pilot.pause()
        assert prompts(app) == []
        room.set_severity(state.id, "SEV1")
        app.tick()
        await pilot.pause()
        assert prompts(app) == ["SEV1 Search slow: the customer email is due and none was sent"
                                " — m, template customer-email, to draft it"]
        assert email_line(app).startswith("customer email due since 14:30 UTC, OVERDUE by 30:00")


async def test_marking_the_customer_email_sent_from_the_pane_stops_its_clock(room, clock, tmp_path):
    state = room.declare("Checkout down", "SEV2", service="checkout")
    clock.advance(minutes=31)
    pane = CommsPane(room, state.id, template="customer-email", poster=Poster(Settings()), out_dir=tmp_path)
    app = Host(pane)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert "the customer email" in shown(app, "#comms-status")
    from warroom.model.public import customer_email_line

    assert [p["channel"] for p in posted(room, state.id)] == ["email:manual"]
    assert customer_email_line(room.state(state.id), room.policy, clock()) is None
