"""A drill never reaches a real audience: from a DRILL incident every post — the CLI's, the
console's comms pane, any target — is a dry run, shown and recorded as one, unless the drill's
own targets are configured ([drill] in config.toml), and then it goes to those only; every
drill text starts with "[DRILL] ". Loopback Slack, Statuspage, PagerDuty and SMTP servers
count what they receive."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from warroom.cli import main
from warroom.store.log import LocalLog
from warroom.ui import make_app

from ..conftest import SIZE
from ..services.http import statuspage_routes, Stub
from ..services.smtp import SmtpServer
from ..waiting import until

HOOK, DRILL_HOOK = "/services/T1/B1/realHookSecret1", "/services/T2/B2/drillHookSecret2"
SP_KEY, PD_KEY, DRILL_PD_KEY = "sp-real-key-0001", "pd-real-routing-0001", "pd-drill-routing-0002"


class Services:
    """A Slack, a Statuspage, a PagerDuty and an SMTP relay of the real world, and a Slack of
    the drill's own, each a server of its own."""

    def __init__(self, tmp_path):
        self.slack = Stub(routes={("POST", HOOK): lambda req: (200, {}, b"ok")}).start()
        self.drill_slack = Stub(routes={("POST", DRILL_HOOK): lambda req: (200, {}, b"ok")}).start()
        routes, self.incidents = statuspage_routes("realpg")
        drill_routes, self.drill_incidents = statuspage_routes("drillpg")
        self.statuspage = Stub(routes={**routes, **drill_routes}).start()
        self.pagerduty = Stub(routes={("POST", "/v2/enqueue"): lambda req: (202, {}, {"status": "success"})}).start()
        self.smtp = SmtpServer(tmp_path).start()

    def real_requests(self) -> list:
        return self.slack.seen + [s for s in self.statuspage.seen if "/realpg/" in s.path] + [
            s for s in self.pagerduty.seen if s.json().get("routing_key") == PD_KEY]

    def stop(self):
        for server in (self.slack, self.drill_slack, self.statuspage, self.pagerduty, self.smtp):
            server.stop()


@pytest.fixture
def services(tmp_path, monkeypatch):
    found = Services(tmp_path)
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "config.toml").write_text('[[audiences]]\nname = "customers"\nemail = ["customer@example.com"]\n')
    env = {"WARROOM_CONFIG_DIR": str(cfg), "WARROOM_SLACK_WEBHOOK_URL": found.slack.url + HOOK,
           "WARROOM_STATUSPAGE_API_KEY": SP_KEY, "WARROOM_STATUSPAGE_PAGE_ID": "realpg",
           "WARROOM_STATUSPAGE_URL": found.statuspage.url + "/v1", "WARROOM_STATUSPAGE_COMPONENTS": "cmp1",
           "WARROOM_PAGERDUTY_ROUTING_KEY": PD_KEY, "WARROOM_PAGERDUTY_URL": found.pagerduty.url,
           "WARROOM_HTTP_RETRIES": "0", **found.smtp.env}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    found.config = cfg / "config.toml"
    yield found
    found.stop()


def cli(tmp_path, clock):
    db = str(tmp_path / "drill.db")
    return db, lambda *a: main(["--db", db, "--as", "alice", *a], clock=clock)


POSTS = (["slack"], ["statuspage"], ["pagerduty"], ["pagerduty", "--action", "trigger"],
         ["slack", "--text", "hello"], ["customers"])


def test_a_drill_without_drill_targets_posts_nothing_anywhere(services, tmp_path, clock, capsys):
    db, run = cli(tmp_path, clock)
    assert run("drill", "oom-cascade", "--no-console") == 0
    incident = capsys.readouterr().out.strip()
    for argv in POSTS:
        assert run("post", *argv) == 0, argv
        out, err = capsys.readouterr()
        first = out.splitlines()[0]
        assert "dry run: a drill posts nowhere" in first and f"recorded as dry-run:{argv[0]}" in first, out
        assert "\n[DRILL] " in out and err == ""
    assert services.slack.seen == services.drill_slack.seen == services.statuspage.seen == []
    assert services.pagerduty.seen == [] and services.smtp.received == [] and services.smtp.data_commands == 0
    log = LocalLog(db)
    posted = [e.payload for e in log.events(incident) if e.kind == "update_posted"]
    assert [p["channel"] for p in posted] == ["dry-run:slack", "dry-run:statuspage", "dry-run:slack",
                                             "dry-run:customers"]
    assert all(p["text"].startswith("[DRILL] ") for p in posted)
    notes = [e.payload["text"] for e in log.events(incident) if e.kind == "entry"]
    assert len(notes) == 2 and all(n.startswith("[DRILL] PagerDuty trigger not sent: a drill's dry run") for n in notes)
    assert not [e for e in log.events(incident) if e.kind == "field"]  # no status page incident to follow
    assert log.deliveries() == []  # nothing queued to go later either
    # a real incident still posts, to the real targets
    assert run("declare", "Real one", "--severity", "SEV2") == 0
    real = capsys.readouterr().out.split()[0]
    assert run("post", "slack", "--text", "hello", "--incident", real) == 0
    assert [r.json()["text"] for r in services.slack.seen] == ["hello"]


def test_a_drill_with_its_own_targets_posts_to_those_only_marked_drill(services, tmp_path, clock, capsys):
    services.config.write_text(
        '[[audiences]]\nname = "customers"\nemail = ["customer@example.com"]\n'
        f'[drill]\nslack_webhook = "{services.drill_slack.url}{DRILL_HOOK}"\nstatuspage_page_id = "drillpg"\n'
        f'pagerduty_routing_key = "{DRILL_PD_KEY}"\nemail = ["drill-list@example.com"]\n')
    db, run = cli(tmp_path, clock)
    assert run("drill", "oom-cascade", "--no-console") == 0
    incident = capsys.readouterr().out.strip()
    for argv in (["slack"], ["statuspage"], ["pagerduty"], ["customers"]):
        assert run("post", *argv) == 0, argv
    out = capsys.readouterr().out
    assert "dry run" not in out
    assert services.real_requests() == [] and services.incidents == {}
    [slack] = services.drill_slack.seen
    assert slack.json()["text"].startswith("[DRILL] ")
    [created] = services.drill_incidents.values()
    assert created["name"].startswith("[DRILL] ") and created["body"].startswith("[DRILL] ")
    assert all("/drillpg/" in s.path for s in services.statuspage.seen)
    [page] = [s.json() for s in services.pagerduty.seen]
    assert page["routing_key"] == DRILL_PD_KEY and page["payload"]["summary"].startswith("[DRILL] ")
    [mail] = services.smtp.received
    assert mail.rcpt_tos == ["drill-list@example.com"] and mail.message["Subject"].startswith("[DRILL] ")
    assert mail.body.startswith("[DRILL] ")
    log = LocalLog(db)
    posted = [e.payload for e in log.events(incident) if e.kind == "update_posted"]
    assert [p["channel"] for p in posted] == ["drill:slack", "drill:statuspage", "drill:customers"]
    assert all(p["text"].startswith("[DRILL] ") for p in posted)
    blob = "".join(e.to_json() for e in log.events(incident))
    assert "drillHookSecret2" not in blob and DRILL_PD_KEY not in blob


async def test_the_console_comms_pane_of_a_drill_says_so_and_posts_nothing(services, room, clock):
    state = room.declare("DRILL: OOM", "SEV1", drill=True, scenario="oom-cascade")
    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        await pilot.pause()
        status = app.screen.query_one("#comms-status", Static)
        assert str(status.render()).startswith("DRILL: texts go out prefixed [DRILL], nowhere: every post is a dry run")
        await pilot.press("ctrl+s")
        await until(lambda: "dry run" in str(status.render()), pilot=pilot, what="the dry run said")
        assert str(status.render()).startswith("◌ slack: dry run: a drill posts nowhere")
    assert services.slack.seen == [] and services.statuspage.seen == [] and services.pagerduty.seen == []
    [posted] = [e.payload for e in room.events(state.id) if e.kind == "update_posted"]
    assert posted["channel"] == "dry-run:slack" and posted["text"].startswith("[DRILL] UPDATE")
