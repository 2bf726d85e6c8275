"""Named audiences from config.toml (a Slack webhook, the status page, PagerDuty or e-mail), the
playbooks' defaults per policy, e-mail by SMTP with STARTTLS to a real aiosmtpd on loopback, and
the Statuspage components and subscriber notification chosen per post (CLI and comms pane)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from textual.widgets import Checkbox, Select, SelectionList

from warroom.cli import main
from warroom.comms import post
from warroom.comms.post import Poster
from warroom.comms.settings import ConfigError, load_settings, Settings
from warroom.model.state import is_customer_email
from warroom.store.log import LocalLog
from warroom.ui.screens.comms import CommsPane

from ..services.http import statuspage_routes, Stub
from ..services.smtp import PASSWORD, SmtpServer
from ..waiting import until
from .host import Host

INCIDENTS, ROOM, ENG = "/services/T1/B1/incidentsHook111", "/services/T2/B2/roomHook2222", "/services/T3/B3/engHook33"
AUDIENCES = '''
[[audiences]]
name = "#incidents"
slack_webhook_env = "HOOK_INCIDENTS"
[[audiences]]
name = "#{slug}"
slack_webhook_env = "HOOK_ROOM"
channel = "#{slug}"
[[audiences]]
name = "customers"
email = ["ann@example.com", "bob@example.org"]
[[audiences]]
name = "status page"
statuspage = true
'''


@pytest.fixture
def slack():
    stub = Stub(routes={("POST", path): lambda req: (200, {}, b"ok") for path in (INCIDENTS, ROOM, ENG)}).start()
    yield stub
    stub.stop()


@pytest.fixture
def config(tmp_path, monkeypatch, slack):
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "config.toml").write_text(AUDIENCES)
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(cfg))
    monkeypatch.setenv("HOOK_INCIDENTS", slack.url + INCIDENTS)
    monkeypatch.setenv("HOOK_ROOM", slack.url + ROOM)
    monkeypatch.setenv("WARROOM_HTTP_RETRIES", "0")
    return cfg / "config.toml"


def cli(tmp_path, clock, policy="cygni"):
    db = str(tmp_path / "a.db")
    return db, lambda *a: main(["--db", db, "--as", "alice", "--policy", policy, *a], clock=clock)


def test_audiences_load_with_their_secrets_hidden_and_the_policy_defaults_first(config, slack):
    settings = load_settings(path=config)
    assert [(a.name, a.kind) for a in settings.audiences] == [
        ("#incidents", "slack"), ("#{slug}", "slack"), ("customers", "email"), ("status page", "statuspage")]
    assert "incidentsHook111" not in repr(settings) and "roomHook2222" not in repr(settings)
    assert "incidentsHook111" in settings.secrets()  # scrubbed from every message posting makes
    assert settings.audience_names("cygni") == ["#incidents", "#{slug}", "#engineering", "#customer-success",
                                                "customers", "status page", "slack", "pagerduty"]
    assert settings.audience_names("sre-team")[:3] == ["#incidents", "status page", "customers"]
    assert settings.audience("#incident-20261122-api-down", "incident-20261122-api-down").name == "#{slug}"
    assert settings.audience("Status-Page").kind == "statuspage" and settings.audience("#engineering") is None


@pytest.mark.parametrize("entry, field", [
    ('[[audiences]]\nname = "x"\nemail = ["not-an-address"]\n', "audiences[0].email[0]: expected an e-mail address"),
    ('[[audiences]]\nname = "x"\nemails = ["a@b.io"]\n', "audiences[0].emails: unknown field"),
    ('[[audiences]]\nname = "x"\nstatuspage = "yes"\n', "audiences[0].statuspage: expected true or false"),
    ('[[audiences]]\nname = "x"\n', "audiences[0]: expected one of slack_webhook_env"),
    ('[[audiences]]\nname = "x"\nstatuspage = true\nemail = ["a@b.io"]\n', "got statuspage and email"),
    ('[[audiences]]\nname = "a"\nstatuspage = true\n[[audiences]]\nname = "A"\npagerduty = true\n',
     "audiences[1].name: 'A' is already an audience"),
    ('[[audiences]]\nname = "\\u001b[31mred"\nstatuspage = true\n', "audiences[0].name: expected a name"),
    ('[[audiences]]\nname = "x"\nslack_webhook_env = "NOT A VAR"\n', "audiences[0].slack_webhook_env"),
    ('[[audiences]]\nname = "x"\nslack_webhook = "ftp://hooks/secretPart"\n', "audiences[0].slack_webhook"),
    ('audiences = "all"\n', "audiences: expected [[audiences]] tables"),
    ('[audience_defaults]\ncygni = "#incidents"\n', "audience_defaults.cygni: expected a list"),
    ('[drill]\nslack = "x"\n', "drill.slack: unknown field"),
    ('[drill]\nemail = ["drill"]\n', "drill.email[0]: expected an e-mail address"),
    ('[smtp]\nport = 0\n', "smtp.port: expected a port number"),
])
def test_a_malformed_audience_is_refused_with_file_and_field(tmp_path, clock, capsys, monkeypatch, entry, field):
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "config.toml").write_text(entry)
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(cfg))
    with pytest.raises(ConfigError, match=field.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        load_settings(path=cfg / "config.toml")
    db, run = cli(tmp_path, clock)
    assert run("declare", "API down", "--severity", "SEV2") == 0
    capsys.readouterr()
    assert run("post", "slack", "--text", "x") == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(f"warroom: {cfg / 'config.toml'}: ")
    assert field in err and "secretPart" not in err
    assert [e for e in LocalLog(db).events(LocalLog(db).incident_ids()[0]) if e.kind == "update_posted"] == []


def test_a_malformed_audience_in_a_subprocess_is_one_line_and_no_traceback(tmp_path):
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "config.toml").write_text('[[audiences]]\nname = "x"\nemail = "nobody"\n')
    env = {"WARROOM_CONFIG_DIR": str(cfg), "WARROOM_USER": "alice", "WARROOM_STORE": "", "PATH": "/usr/bin:/bin"}
    run = lambda *a: subprocess.run([sys.executable, "-m", "warroom", "--db", str(tmp_path / "s.db"), *a],  # noqa: E731
                                    capture_output=True, text=True, env=env, timeout=60)
    assert run("declare", "API down", "--severity", "SEV2").returncode == 0
    done = run("audiences")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == f"warroom: {cfg / 'config.toml'}: audiences[0].email[0]: expected an e-mail address, " \
                          "got 'nobody'\n"


def test_slack_audiences_and_the_policy_defaults_from_the_cli(config, slack, tmp_path, clock, capsys):
    db, run = cli(tmp_path, clock)
    assert run("declare", "API down", "--severity", "SEV1") == 0
    incident = capsys.readouterr().out.split()[0]
    slug = LocalLog(db).events(incident)[0].payload["slug"]
    assert run("post", "#incidents", "--text", "to the incidents channel") == 0
    assert capsys.readouterr().out == "#incidents: posted\n"
    assert [(s.path, s.json()["text"]) for s in slack.seen] == [(INCIDENTS, "to the incidents channel")]
    assert run("post", "defaults", "--text", "everyone") == 0  # cygni: #incidents, #<slug>, #engineering, …
    out, err = capsys.readouterr()
    assert out == f"#incidents: posted\n#{slug}: posted\n"
    assert err == ("warroom: #engineering: not set up ([[audiences]] in config.toml): skipped\n"
                   "warroom: #customer-success: not set up ([[audiences]] in config.toml): skipped\n")
    room_post = slack.seen[-1]
    assert room_post.path == ROOM and room_post.json()["channel"] == f"#{slug}"
    assert run("post", "#engineering", "--text", "x") == 2  # named, not set up: refused, nothing sent
    assert "#engineering: no such audience or target" in capsys.readouterr().err
    assert run("post", "#incidents", "#nope", "--text", "x") == 2  # every target checked before any goes
    assert len(slack.seen) == 3
    log = LocalLog(db)
    assert [e.payload["channel"] for e in log.events(incident) if e.kind == "update_posted"] == [
        "#incidents", "#incidents", f"#{slug}"]
    blob = "".join(e.to_json() for e in log.events(incident))
    assert "incidentsHook111" not in blob and "roomHook2222" not in blob
    assert run("audiences") == 0
    listing = capsys.readouterr().out
    assert "#incidents               default  Slack webhook from $HOOK_INCIDENTS" in listing
    assert "#engineering             default  not set up" in listing
    assert "customers                         e-mail to ann@example.com, bob@example.org" in listing
    assert listing.endswith("drills post to: nowhere (every drill post is a dry run)\n")


def test_the_customer_email_goes_by_smtp_with_starttls_to_the_audience(config, tmp_path, clock, capsys,
                                                                        monkeypatch):
    smtp = SmtpServer(tmp_path).start()
    for key, value in smtp.env.items():
        monkeypatch.setenv(key, value)
    try:
        db, run = cli(tmp_path, clock)
        assert run("declare", "Checkout down", "--severity", "SEV1", "--service", "checkout") == 0
        incident = capsys.readouterr().out.split()[0]
        assert run("post", "customers") == 0
        assert capsys.readouterr().out == "customers: sent to 2 addresses\n"
    finally:
        smtp.stop()
    [mail] = smtp.received
    assert mail.tls and mail.login == "warroom-mailer"  # STARTTLS first, then the login from the environment
    assert mail.mail_from == "incidents@example.com" and mail.rcpt_tos == ["ann@example.com", "bob@example.org"]
    msg = mail.message
    assert msg["From"] == "incidents@example.com" and msg["To"] == "undisclosed-recipients:;"
    assert msg["Subject"] == "[SEV1] Cygni Service Disruption - checkout"
    assert msg["Message-ID"].startswith("<warroom-") and msg["Date"]
    assert mail.body.startswith("Dear Customer,") and "Subject:" not in mail.body
    log = LocalLog(db)
    [recorded] = [e.payload for e in log.events(incident) if e.kind == "update_posted"]
    assert recorded["channel"] == "email:customers" and recorded["text"].startswith("Subject: [SEV1] Cygni")
    assert is_customer_email(recorded)  # the customer-email clock stops for it
    assert PASSWORD not in "".join(e.to_json() for e in log.events(incident))


def test_smtp_without_starttls_or_with_an_unknown_certificate_sends_nothing(room, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[[audiences]]\nname = "customers"\nemail = ["ann@example.com"]\n')
    state = room.declare("Checkout down", "SEV1")
    (tmp_path / "plain").mkdir()
    plain = SmtpServer(tmp_path / "plain", starttls=False).start()
    try:
        done = post.post(room, state.id, "customers", "Subject: S\n\nB", Poster(load_settings(plain.env, config)))
        assert done.state == "failed" and "offers no STARTTLS: refusing to send in clear" in done.detail
        assert plain.data_commands == 0
        untrusted = {**plain.env, "WARROOM_SMTP_CA_FILE": ""}
    finally:
        plain.stop()
    tls = SmtpServer(tmp_path).start()
    try:
        done = post.post(room, state.id, "customers", "Subject: S\n\nB",
                         Poster(load_settings({**untrusted, "WARROOM_SMTP_PORT": str(tls.port)}, config)))
        assert done.state == "failed" and "certificate not trusted" in done.detail and tls.data_commands == 0
    finally:
        tls.stop()
    assert [e for e in room.events(state.id) if e.kind == "update_posted"] == []


@pytest.fixture
def statuspage():
    routes, incidents = statuspage_routes("pg1")
    stub = Stub(routes=routes).start()
    stub.incidents = incidents
    yield stub
    stub.stop()


def sp_settings(stub, **over) -> Settings:
    return Settings(statuspage_key="sp-key-aud-01", statuspage_page="pg1", statuspage_url=stub.url + "/v1",
                    statuspage_components=("cmp1", "cmp2"), statuspage_names=(("cmp1", "API"), ("cmp2", "Checkout")),
                    retries=0, **over)


def test_statuspage_components_and_notification_chosen_per_post(statuspage, tmp_path, clock, capsys, monkeypatch):
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "cfg"))
    for key, value in {"WARROOM_STATUSPAGE_API_KEY": "sp-key-aud-01", "WARROOM_STATUSPAGE_PAGE_ID": "pg1",
                       "WARROOM_STATUSPAGE_URL": statuspage.url + "/v1", "WARROOM_STATUSPAGE_COMPONENTS": "cmp1,cmp2",
                       "WARROOM_HTTP_RETRIES": "0"}.items():
        monkeypatch.setenv(key, value)
    db, run = cli(tmp_path, clock)
    assert run("declare", "Checkout down", "--severity", "SEV2") == 0
    capsys.readouterr()
    assert run("post", "statuspage", "--component", "cmp2", "--no-notify") == 0
    created = statuspage.seen[-1].json()["incident"]
    assert created["component_ids"] == ["cmp2"] and created["components"] == {"cmp2": "partial_outage"}
    assert created["deliver_notifications"] is False
    assert run("post", "statuspage", "--text", "Still on it.") == 0  # the defaults: every component, notified
    update = statuspage.seen[-1]
    assert update.method == "PATCH" and update.json()["incident"]["deliver_notifications"] is True
    assert update.json()["incident"]["components"] == {"cmp1": "partial_outage", "cmp2": "partial_outage"}




async def test_the_comms_pane_chooses_components_and_notification_in_the_preview(statuspage, room, clock,
                                                                                  tmp_path):
    state = room.declare("Checkout down", "SEV1", service="checkout")
    pane = CommsPane(room, state.id, template="status-page", poster=Poster(sp_settings(statuspage)),
                     out_dir=tmp_path)
    app = Host(pane)
    async with app.run_test(size=(120, 40)) as pilot:
        assert pane.target == "statuspage"
        box = app.query_one("#comms-statuspage")
        assert box.has_class("shown")  # shown for a status page post only
        comps = app.query_one("#comms-components", SelectionList)
        assert [str(comps.get_option_at_index(i).prompt) for i in range(2)] == ["API (cmp1)", "Checkout (cmp2)"]
        comps.deselect("cmp1")
        app.query_one("#comms-notify", Checkbox).value = False
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")  # public text with the playbook's sentences: it asks first
        await until(lambda: statuspage.incidents, pilot=pilot, what="the status page incident")
        await app.workers.wait_for_complete()
        await pilot.pause()
        inc = statuspage.seen[-1].json()["incident"]
        assert inc["component_ids"] == ["cmp2"] and inc["components"] == {"cmp2": "major_outage"}
        assert inc["deliver_notifications"] is False
        app.query_one("#comms-target", Select).value = "slack"
        await pilot.pause()
        assert not box.has_class("shown")
