"""``warroom page``, ``warroom oncall`` and ``warroom pages`` against the loopback providers, and the
contacts file as data: every problem in it is one line naming the file and the field, exit 2."""

from __future__ import annotations

import pytest

from warroom.cli import main
from warroom.paging.contacts import ContactsError, load_contacts

from .conftest import ONCALL_TOKEN, PD_TOKEN


@pytest.fixture
def cli(tmp_path, monkeypatch, clock, capsys):
    monkeypatch.setenv("WARROOM_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("WARROOM_USER", "alice")

    def run(*argv):
        code = main(list(argv), clock=clock)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_page_prints_the_phone_first_then_pages(cli, paging):
    pd_api, _ = paging
    cli("declare", "Checkout 5xx", "--severity", "SEV1")
    code, out, err = cli("page", "dana", "--reason", "checkout down")
    assert code == 0, err
    first, second = out.splitlines()
    assert first == "dana: +46 70 123 45 67, @dana"
    assert second == "paged dana via pagerduty (PINC001)"
    assert len(pd_api.requests("POST", "/incidents")) == 1
    assert PD_TOKEN not in out + err and ONCALL_TOKEN not in out + err
    code, out, _ = cli("timeline")
    assert "paged dana via pagerduty PINC001: checkout down" in out


def test_provider_down_the_room_still_gets_the_phone_and_the_page_goes_later(cli, paging, clock):
    pd_api, _ = paging
    cli("declare", "Checkout 5xx", "--severity", "SEV1")
    pd_api.stop()
    code, out, err = cli("page", "cygni-primary-oncall", "--reason", "checkout down")
    assert code == 1
    assert out.splitlines()[0] == "cygni-primary-oncall: +1 555 0100, #incidents"
    assert "waits in the outbox" in out and "call +1 555 0100, #incidents" in out
    code, out, _ = cli("pages")
    assert "cygni-primary-oncall" in out and "pagerduty  waiting (POST /incidents: cannot reach" in out
    pd_api.start()
    clock.advance(seconds=10)
    code, out, _ = cli("pages")
    assert "page to cygni-primary-oncall: sent" in out and "paged, not acknowledged" in out
    pd_api.acknowledge("PINC001", "PUSER02", "2026-11-22T14:00:09Z")
    code, out, _ = cli("pages")
    assert "acknowledged by Sam Berg at 14:00" in out
    assert len(pd_api.requests("POST", "/incidents")) == 1


def test_a_drill_pages_nobody_and_records_a_dry_run(cli, paging, tmp_path, clock):
    pd_api, oncall_api = paging
    from warroom.model.policy import load_policy
    from warroom.room import Room
    from warroom.store.log import LocalLog

    room = Room(LocalLog(tmp_path / "cli.db"), "alice", load_policy("cygni"), clock=clock)
    incident = room.declare("Cache collapse (drill)", "SEV2", drill=True, scenario="cache-collapse")
    room.close()
    code, out, err = cli("page", "dana", "--reason", "drill: cache collapse")
    assert code == 0, err
    assert "DRILL: dana not paged (dry run recorded)" in out
    code, out, _ = cli("pages", "--escalate")  # the SEV2 matrix's first step pages the primary on-call
    assert "cygni-primary-oncall" in out and out.count("DRILL dry run") == 2
    assert pd_api.seen == [] and oncall_api.seen == []
    code, out, _ = cli("timeline", incident.id)
    assert "DRILL dry run, nobody paged: dana via pagerduty: drill: cache collapse" in out


def test_oncall_offline_shows_the_cache_with_its_age(cli, paging, clock):
    pd_api, oncall_api = paging
    oncall_api.schedules["SDBONCALL01"] = {"name": "DB", "on_call_now": [], "shifts": []}
    pd_api.oncalls = [{"schedule": "PSCHED1", "user": "PUSER01", "start": "2026-11-22T08:00:00Z",
                       "end": "2026-11-22T20:00:00Z"}]
    code, out, _ = cli("oncall")  # on a fresh install: the log it makes keeps the cache
    assert code == 0 and out.splitlines()[0] == "on call now"
    assert "cygni-primary-oncall" in out and "Dana Lund" in out and "until 20:00" in out and "+46 70 123 45 67" in out
    pd_api.stop()
    clock.advance(minutes=20)
    code, out, err = cli("oncall")
    assert code == 0 and "cannot reach" in err
    assert out.splitlines()[0] == "on call as of 14:00 UTC (cached: providers unreachable)"
    assert "Dana Lund" in out


@pytest.mark.parametrize("text, where", [
    ('[[people]]\nname = "dana"\nphone = "call me"\n', "people[0].phone: expected a phone number"),
    ('[[people]]\nname = "dana"\nphnoe = "+46 70"\n', "people[0].phnoe: unknown field"),
    ('[[people]]\nname = "dana"\n[[schedules]]\nname = "DANA"\n', "schedules[0].name: expected a name used once"),
    ('[[teams]]\nname = "db"\npagerduty_escalation_policy = 7\n',
     "teams[0].pagerduty_escalation_policy: expected a string"),
    ('[[people]]\nphone = "+46 70 123"\n', "people[0].name: expected a name, it is missing"),
    ('[[people]]\nname = "dana"\nprovider = "oncall"\npagerduty_user = "P1"\n',
     "people[0].provider: expected a provider it has ids for"),
    ('[[people]]\nname = "dana"\nchat = "@dana\\u001b]52;c;x\\u0007"\n', "people[0].chat: expected a chat handle"),
    ('[people]\nname = "dana"\n', "people: expected an array of tables"),
    ('[[pople]]\nname = "x"\n', "pople: unknown table"),
    ('[[people]\nname = ', "not valid TOML"),
])
def test_a_malformed_contacts_file_names_the_file_and_field_and_exits_2(cli, config_dir, text, where):
    path = config_dir / "contacts.toml"
    path.write_text(text)
    with pytest.raises(ContactsError) as err:
        load_contacts()
    assert str(err.value).startswith(str(path)) and where in str(err.value)
    cli("declare", "Checkout 5xx", "--severity", "SEV1")
    code, out, err = cli("page", "dana", "--reason", "x")
    assert code == 2 and out == ""
    assert err.startswith(f"warroom: {path}") and where in err and "Traceback" not in err and err.count("\n") == 1


def test_unknown_target_and_no_contacts_file(cli, config_dir):
    cli("declare", "Checkout 5xx", "--severity", "SEV1")
    code, _, err = cli("page", "bob", "--reason", "x")
    assert code == 2 and "no one named 'bob'" in err and "known: dana, erik" in err
    (config_dir / "contacts.toml").unlink()
    code, _, err = cli("page", "bob", "--reason", "x")
    assert code == 2 and "no contacts file there" in err and "contacts.example.toml" in err


def test_no_provider_set_up_is_one_line_and_exit_2(cli, config_dir):
    cli("declare", "Checkout 5xx", "--severity", "SEV1")
    code, out, err = cli("page", "dana", "--reason", "x")
    assert code == 2 and out == "dana: +46 70 123 45 67, @dana\n"
    assert err == ("warroom: PagerDuty is not set up: WARROOM_PAGERDUTY_API_TOKEN and WARROOM_PAGERDUTY_FROM "
                   "(or [paging] pagerduty_api_token and pagerduty_from in config.toml)\n")


def test_the_shipped_example_is_valid_and_has_the_issue_shape():
    from warroom import config

    example = load_contacts(config.data_dir("runbooks") / "contacts" / "contacts.example.toml")
    dana = example.get("dana")
    assert (dana.kind, dana.phone, dana.chat, dana.pagerduty_user) == ("person", "+46 70 123 45 67", "@dana", "PUSER01")
    primary = example.get("cygni-primary-oncall")
    assert (primary.pagerduty_schedule, primary.pagerduty_escalation_policy) == ("PSCHED1", "PESCAL1")
    for policy in ("cygni", "sre-team"):  # every page a shipped policy names is in the example
        from warroom.model.policy import load_policy

        for track in load_policy(policy).escalation:
            for step in track.steps + track.ack_steps:
                assert not step.page or example.find(step.page), (policy, step)
