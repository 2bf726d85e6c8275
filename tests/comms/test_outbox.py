"""Posts wait out an outage: queued in the local log when Slack, Statuspage, PagerDuty or the
SMTP relay is unreachable, retried with backoff, sent and recorded exactly once when the
service comes back; a Slack post whose reply was lost asks before it is sent again. Against
real servers on loopback (HTTP stubs, aiosmtpd), counting what they received."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import Static

from warroom.cli import main
from warroom.comms import outbox, post
from warroom.comms.post import Poster
from warroom.comms.settings import load_settings, Settings
from warroom.store.log import LocalLog
from warroom.ui import make_app
from warroom.ui.widgets.panels import StatusBar

from ..conftest import SIZE
from ..services import free_port
from ..services.http import statuspage_routes, Stub
from ..services.smtp import SmtpServer
from ..waiting import until

HOOK = "/services/T5/B5/outboxHookSecret5"
PD_KEY = "pd-routing-outbox-0123"


def posted(room, incident_id):
    return [e.payload for e in room.events(incident_id) if e.kind == "update_posted"]


def slack_poster(url: str) -> Poster:
    return Poster(Settings(slack_webhook=url + HOOK, timeout=2.0, retries=0), sleep=lambda s: None)


def senders(poster):
    return {post.CHANNEL: post.sender(poster)}


@pytest.fixture
def down_port():
    """A loopback port nothing listens on (yet)."""
    return free_port()


def slack_stub(port: int) -> Stub:
    stub = Stub(port=port)
    stub.routes[("POST", HOOK)] = lambda req: (200, {}, b"ok")
    return stub.start()


def test_backoff_doubles_from_5_seconds_to_5_minutes():
    assert [outbox.backoff_ms(n) // 1000 for n in range(1, 10)] == [5, 10, 20, 40, 80, 160, 300, 300, 300]


def test_a_slack_post_made_while_slack_is_down_goes_out_once_when_it_comes_back(room, clock, down_port):
    state = room.declare("API down", "SEV1")
    poster = slack_poster(f"http://127.0.0.1:{down_port}")
    done = post.post(room, state.id, "slack", "UPDATE 14:00", poster)
    assert done.state == "waiting" and "cannot connect" in done.detail
    assert posted(room, state.id) == []
    [waiting] = outbox.pending(room, state.id)
    assert (waiting.state, waiting.attempts, waiting.next_try_ms) == ("waiting", 1, clock() + 5_000)
    assert waiting.request["text"] == "UPDATE 14:00" and HOOK not in str(waiting.request)

    clock.advance(seconds=4)
    assert outbox.run_due(room, senders(poster)) == []  # not due yet: backoff
    clock.advance(seconds=1)
    [again] = outbox.run_due(room, senders(poster))  # due, still down: the wait doubles
    assert again.state == "waiting"
    [waiting] = outbox.pending(room, state.id)
    assert (waiting.attempts, waiting.next_try_ms) == (2, clock() + 10_000)

    stub = slack_stub(down_port)  # Slack is back, on the same address
    try:
        clock.advance(seconds=9)
        assert outbox.run_due(room, senders(poster)) == [] and stub.seen == []
        clock.advance(seconds=1)
        [sent] = outbox.run_due(room, senders(poster))
        assert sent.state == "sent"
        clock.advance(minutes=10)
        assert outbox.run_due(room, senders(poster), everything=True) == []
        assert len(stub.seen) == 1 and stub.seen[0].json()["text"] == "UPDATE 14:00"
    finally:
        stub.stop()
    assert posted(room, state.id) == [{"text": "UPDATE 14:00", "channel": "slack"}]
    assert outbox.pending(room, state.id) == []
    # recorded when it went: the update clock counts from then, not from when it was written
    assert room.state(state.id).last_update_ms == clock() - 10 * 60_000


def test_statuspage_and_pagerduty_answering_503_are_sent_once_when_they_recover(room, clock):
    routes, incidents = statuspage_routes("pg1")
    accepted = []

    def enqueue(req):
        accepted.append(req.json())
        return 202, {}, {"status": "success"}

    routes[("POST", "/v2/enqueue")] = enqueue
    down = [True]
    stub = Stub(routes={key: (lambda h: lambda req: (503, {}, b"down") if down[0] else h(req))(handler)
                        for key, handler in routes.items()}).start()
    try:
        poster = Poster(Settings(statuspage_key="sp-key-outbox", statuspage_page="pg1",
                                 statuspage_url=stub.url + "/v1", pagerduty_key=PD_KEY, pagerduty_url=stub.url,
                                 retries=0), sleep=lambda s: None)
        state = room.declare("Checkout down", "SEV1", service="checkout")
        sp = post.post(room, state.id, "statuspage", "Title: Major Service Disruption\n\nLooking into it.", poster)
        pd = post.post(room, state.id, "pagerduty", "ignored", poster)
        assert (sp.state, pd.state) == ("waiting", "waiting") and "HTTP 503" in sp.detail
        asked = len(stub.seen)
        down[0] = False
        clock.advance(seconds=5)
        outcomes = outbox.run_due(room, senders(poster))
        assert sorted(o.state for o in outcomes) == ["sent", "sent"]
        clock.advance(minutes=30)
        assert outbox.run_due(room, senders(poster), everything=True) == []
    finally:
        stub.stop()
    assert len(incidents) == 1 and len(accepted) == 1
    assert sorted((s.method, s.path) for s in stub.seen[asked:] if s.method != "GET") == [
        ("POST", "/v1/pages/pg1/incidents"), ("POST", "/v2/enqueue")]
    assert [p["channel"] for p in posted(room, state.id)] == ["statuspage"]
    notes = [e.payload["text"] for e in room.events(state.id) if e.kind == "entry"]
    assert notes == [f"PagerDuty trigger sent (dedup key warroom-{state.id})"]
    assert room.state(state.id).get("statuspage_incident") == "sp1"


def test_the_cli_queues_a_post_and_post_retry_sends_it_once(tmp_path, clock, capsys, monkeypatch, down_port):
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("WARROOM_SLACK_WEBHOOK_URL", f"http://127.0.0.1:{down_port}{HOOK}")
    monkeypatch.setenv("WARROOM_HTTP_RETRIES", "0")
    db = str(tmp_path / "o.db")
    run = lambda *a: main(["--db", db, "--as", "alice", *a], clock=clock)  # noqa: E731
    assert run("declare", "Search down", "--severity", "SEV2") == 0
    incident = capsys.readouterr().out.split()[0]
    assert run("post", "slack", "--text", "first update") == 1
    err = capsys.readouterr().err
    assert "not sent yet" in err and "cannot connect" in err and "warroom post --retry" in err
    assert "outboxHookSecret5" not in err
    assert run("post", "--waiting") == 0
    listed = capsys.readouterr().out
    assert "slack  waiting  attempt 1" in listed and incident in listed
    assert run("post", "--retry") == 1  # still down
    assert "not sent yet" in capsys.readouterr().err
    stub = slack_stub(down_port)
    try:
        assert run("post", "--retry") == 0
        assert capsys.readouterr().out == "slack: posted\n"
        assert run("post", "--retry") == 0
        assert capsys.readouterr().out == "no posts waiting to be retried\n"
    finally:
        stub.stop()
    assert [r.json()["text"] for r in stub.seen] == ["first update"]
    log = LocalLog(db)
    assert [e.payload for e in log.events(incident) if e.kind == "update_posted"] == [
        {"text": "first update", "channel": "slack"}]
    assert "outboxHookSecret5" not in "".join(e.to_json() for e in log.events(incident))
    assert "outboxHookSecret5" not in str(log.deliveries())


def test_a_lost_slack_reply_asks_and_is_never_replayed_by_itself(room, clock, stub):
    stub.routes[("POST", HOOK)] = lambda req: (200, {}, b"ok")
    stub.script = ["drop-after"]
    poster = slack_poster(stub.url)
    state = room.declare("API down", "SEV1")
    done = post.post(room, state.id, "slack", "update one", poster)
    assert done.state == "ask" and "may have been posted" in done.detail
    clock.advance(minutes=30)
    assert outbox.run_due(room, senders(poster), everything=True) == []
    assert len(stub.seen) == 1 and posted(room, state.id) == []
    [asking] = outbox.pending(room, state.id)
    assert asking.state == "ask"
    again = outbox.send_again(room, asking.id, senders(poster))  # someone asked for it
    assert again.state == "sent" and len(stub.seen) == 2
    assert posted(room, state.id) == [{"text": "update one", "channel": "slack"}]
    # a second one that did go (someone checked the channel): marked, not sent
    stub.script = ["drop-after"]
    second = post.post(room, state.id, "slack", "update two", poster)
    assert outbox.mark_sent(room, second.delivery, senders(poster)).state == "sent"
    assert len(stub.seen) == 3 and [p["text"] for p in posted(room, state.id)] == ["update one", "update two"]
    assert outbox.mark_sent(room, second.delivery).state == "taken"  # once only
    assert len(posted(room, state.id)) == 2


def test_two_processes_retrying_at_once_send_a_post_once(make_room, clock, down_port):
    alice = make_room("alice", db="shared.db")
    state = alice.declare("API down", "SEV1")
    poster = slack_poster(f"http://127.0.0.1:{down_port}")
    post.post(alice, state.id, "slack", "only once", poster)
    other = make_room("alice", db="shared.db")  # a second process on the same log (the console, the CLI)
    stub = slack_stub(down_port)
    try:
        clock.advance(seconds=5)
        start = threading.Barrier(2)
        results = []

        def retry(room):
            start.wait()
            results.append(outbox.run_due(room, senders(slack_poster(stub.url))))

        threads = [threading.Thread(target=retry, args=(r,)) for r in (alice, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    finally:
        stub.stop()
    assert len(stub.seen) == 1 and sorted(len(r) for r in results) == [0, 1]
    assert len(posted(other, state.id)) == 1


def test_a_send_cut_off_by_a_stopped_process_asks_for_slack_and_resends_pagerduty(room, clock, stub):
    stub.routes[("POST", "/v2/enqueue")] = lambda req: (202, {}, {"status": "success"})
    state = room.declare("DB down", "SEV1")
    poster = Poster(Settings(slack_webhook=stub.url + HOOK, pagerduty_key=PD_KEY, pagerduty_url=stub.url,
                             retries=0), sleep=lambda s: None)
    for target in ("slack", "pagerduty"):  # taken by a process that then stopped before any reply
        where, req = post.request_for(room, state.id, target, "text", poster.settings)
        outbox.queue(room, state.id, post.CHANNEL, where.name, req, senders=senders(poster))
    clock.advance(seconds=10)
    assert outbox.run_due(room, senders(poster)) == []  # still within its lease: maybe still sending
    clock.advance(minutes=10)
    outcomes = {o.delivery.target: o.state for o in outbox.run_due(room, senders(poster))}
    assert outcomes == {"slack": "ask", "pagerduty": "sent"}
    assert [s.path for s in stub.seen] == ["/v2/enqueue"]  # PagerDuty de-duplicates a replay; Slack cannot


def test_an_email_waits_out_the_relay_and_goes_once(room, clock, tmp_path):
    smtp = SmtpServer(tmp_path)  # not started: the relay is down
    config = tmp_path / "config.toml"
    config.write_text('[[audiences]]\nname = "customers"\nemail = ["ops@example.com", "cto@example.com"]\n')
    settings = load_settings({**smtp.env, "WARROOM_HTTP_RETRIES": "0"}, config)
    poster = Poster(settings, sleep=lambda s: None)
    state = room.declare("Checkout down", "SEV1")
    done = post.post(room, state.id, "customers", "Subject: Checkout disruption\n\nWe are on it.\n", poster)
    assert done.state == "waiting" and "cannot connect" in done.detail
    smtp.start()
    try:
        clock.advance(seconds=5)
        [sent] = outbox.run_due(room, senders(poster))
        assert sent.state == "sent" and sent.sent.detail == "sent to 2 addresses"
        clock.advance(minutes=10)
        assert outbox.run_due(room, senders(poster), everything=True) == []
    finally:
        smtp.stop()
    [mail] = smtp.received
    assert mail.rcpt_tos == ["ops@example.com", "cto@example.com"] and mail.message["Subject"] == "Checkout disruption"
    assert posted(room, state.id) == [{"text": "Subject: Checkout disruption\n\nWe are on it.\n",
                                       "channel": "email:customers"}]


def test_a_lost_smtp_reply_asks_first(room, clock, tmp_path):
    smtp = SmtpServer(tmp_path).start()
    try:
        smtp.script = ["drop"]
        config = tmp_path / "config.toml"
        config.write_text('[[audiences]]\nname = "customers"\nemail = ["ops@example.com"]\n')
        poster = Poster(load_settings(smtp.env, config), sleep=lambda s: None)
        state = room.declare("Checkout down", "SEV1")
        done = post.post(room, state.id, "customers", "Subject: S\n\nBody", poster)
        assert done.state == "ask" and "may have been sent" in done.detail
        clock.advance(minutes=20)
        assert outbox.run_due(room, senders(poster), everything=True) == []
        assert smtp.data_commands == 1 and posted(room, state.id) == []
    finally:
        smtp.stop()


# -- the console ------------------------------------------------------------------------------

@pytest.fixture
def console_env(tmp_path, monkeypatch, down_port):
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("WARROOM_SLACK_WEBHOOK_URL", f"http://127.0.0.1:{down_port}{HOOK}")
    monkeypatch.setenv("WARROOM_HTTP_RETRIES", "0")
    return down_port


def status_line(app) -> str:
    return str(app.screen_stack[0].query_one(StatusBar).render())


async def test_the_console_shows_a_waiting_post_and_its_tick_sends_it_once(console_env, room, clock):
    state = room.declare("API down", "SEV1")
    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        await pilot.pause()
        said = app.screen.query_one("#comms-status", Static)
        await pilot.press("ctrl+s")
        await until(lambda: "retried by itself" in str(said.render()), pilot=pilot, what="the post queued")
        assert "cannot connect" in str(said.render())
        assert str(app.screen.query_one("#comms-waiting", Static).render()).startswith(
            "⧗ slack: waiting, attempt 1, next try 14:00:05 UTC — cannot connect")
        assert "1 waiting to send" in status_line(app)
        await pilot.press("escape")
        stub = slack_stub(console_env)
        try:
            clock.advance(seconds=5)
            await until(lambda: app.delivery_runner is not None, pilot=pilot, what="the first tick")
            app.delivery_runner.tick(force=True)  # the tick's look, without five seconds of waiting
            await until(lambda: stub.seen and not outbox.pending(room), pilot=pilot, what="the post sent")
            await until(lambda: "waiting" not in status_line(app), pilot=pilot, what="the count cleared")
            clock.advance(minutes=5)
            app.delivery_runner.tick(force=True)
            await app.workers.wait_for_complete()
        finally:
            stub.stop()
    assert len(stub.seen) == 1
    [recorded] = posted(room, state.id)
    assert recorded["channel"] == "slack" and recorded["text"].startswith("UPDATE")


async def test_quitting_with_a_post_waiting_says_so_and_the_next_start_sends_it(console_env, room, clock, capsys):
    state = room.declare("API down", "SEV1")
    assert post.post(room, state.id, "slack", "kept for later").state == "waiting"
    async with make_app(room, clock=clock, keymap={}).run_test(size=SIZE) as pilot:
        await until(lambda: "1 waiting to send" in status_line(pilot.app), pilot=pilot, what="the count shown")
        await pilot.press("q")
        await until(lambda: pilot.app.return_code is not None, pilot=pilot, what="the quit")
    err = " ".join(capsys.readouterr().err.split())  # printed to the terminal's width
    assert ("warroom: 1 post or page waiting to send; kept in the local log, the next start"
            " (or `warroom post --retry`) resumes") in err
    stub = slack_stub(console_env)
    try:
        clock.advance(seconds=5)
        async with make_app(room, clock=clock, keymap={}).run_test(size=SIZE) as pilot:
            await until(lambda: stub.seen and not outbox.pending(room), pilot=pilot, what="resumed at start")
            await pilot.press("q")
            await until(lambda: pilot.app.return_code is not None, pilot=pilot, what="the quit")
    finally:
        stub.stop()
    assert [r.json()["text"] for r in stub.seen] == ["kept for later"] and len(posted(room, state.id)) == 1
    assert "waiting" not in capsys.readouterr().err


async def test_the_comms_pane_asks_before_sending_a_post_whose_reply_was_lost(room, clock, stub, tmp_path):
    from warroom.ui.screens.comms import CommsPane
    from warroom.ui.screens.dialogs import PickScreen

    from .host import Host

    stub.routes[("POST", HOOK)] = lambda req: (200, {}, b"ok")
    stub.script = ["drop-after"]
    state = room.declare("API down", "SEV1")
    pane = CommsPane(room, state.id, poster=slack_poster(stub.url), out_dir=tmp_path)
    app = Host(pane)
    async with app.run_test(size=(120, 40)) as pilot:
        said = app.query_one("#comms-status", Static)
        await pilot.press("ctrl+s")
        await until(lambda: "may have gone out" in str(said.render()), pilot=pilot, what="the lost reply")
        assert "ctrl+r to decide" in str(said.render())
        assert "may have gone (no reply)" in str(app.query_one("#comms-waiting", Static).render())
        clock.advance(minutes=30)
        assert outbox.run_due(room, senders(slack_poster(stub.url)), everything=True) == []  # never by itself
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, PickScreen) and app.screen.title_text == "Send again?"
        await pilot.press("escape")  # decided later: nothing happens
        await pilot.pause()
        assert len(stub.seen) == 1 and posted(room, state.id) == []
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press("up", "enter")  # "Send it again"
        await until(lambda: "✓ slack: posted" in str(said.render()), pilot=pilot, what="sent again")
        await app.workers.wait_for_complete()
    assert len(stub.seen) == 2 and len(posted(room, state.id)) == 1 and outbox.pending(room) == []
