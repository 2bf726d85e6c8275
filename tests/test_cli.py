"""The CLI over the same core: scriptable, and bad input writes nothing."""

import json
import sqlite3
import subprocess
import sys

import pytest

from warroom.cli import main
from warroom.cli.base import console_args


@pytest.fixture
def cli(tmp_path, monkeypatch, clock, capsys):
    db = tmp_path / "cli.db"
    monkeypatch.setenv("WARROOM_DB", str(db))
    monkeypatch.setenv("WARROOM_USER", "alice")

    def run(*argv):
        code = main(list(argv), clock=clock)
        out, err = capsys.readouterr()
        return code, out, err

    run.db = db
    return run


def count(db):
    with sqlite3.connect(db) as conn:
        return conn.execute("select count(*) from events").fetchone()[0]


def test_declare_note_assign_show(cli, clock):
    code, out, _ = cli("declare", "Checkout 5xx", "--severity", "SEV1", "--service", "api", "--impact", "EU users")
    assert code == 0
    incident = out.strip()
    clock.advance(minutes=3)
    assert cli("note", "alert fired", "--kind", "observation", "--at", "-5m")[0] == 0
    assert cli("assign", "IC", "alice")[0] == 0
    assert cli("assign", "ic", "bob", "--briefing", "db suspected")[0] == 0
    assert cli("status", "identified")[0] == 0
    code, out, _ = cli("show", "--json")
    data = json.loads(out)
    assert data["id"] == incident and data["slug"] == "incident-20261122-checkout-5xx"
    assert (data["severity"], data["status"], data["roles"]) == ("SEV1", "Identified", {"IC": "bob"})
    assert data["next_update_due"] == "2026-11-22T14:15:00Z" and data["update_overdue"] is False
    assert data["next_escalation"] == {"at": "2026-11-22T14:05:00Z", "notify": "+ Engineering Manager",
                                       "track": "Escalation matrix"}
    assert data["events"] == 5
    code, out, _ = cli("timeline")
    lines = out.splitlines()
    assert lines[0].startswith("2026-11-22 13:58:00Z  observation") and "alice" in lines[0]
    assert "IC handed over alice → bob — briefing: db suspected" in out


def test_show_as_of_a_time_and_update_posted(cli, clock):
    cli("declare", "API", "--severity", "SEV2")
    clock.advance(minutes=40)
    code, out, _ = cli("show", "--json")
    assert json.loads(out)["update_overdue"] is True
    cli("update-posted", "--text", "still investigating")
    data = json.loads(cli("show", "--json")[1])
    assert data["update_overdue"] is False and data["next_update_due"] == "2026-11-22T15:10:00Z"
    past = json.loads(cli("show", "--json", "--at", "14:20")[1])
    assert past["events"] == 1 and past["update_overdue"] is False


def test_global_options_before_or_after_the_command(cli, tmp_path):
    other = tmp_path / "other.db"
    assert cli("--db", str(other), "--as", "zed", "declare", "A", "--severity", "SEV3")[0] == 0
    assert cli("list", "--db", str(other), "--json")[1].count('"declared_by": "zed"') == 1
    assert cli("list")[1].strip() == "no incidents"


def test_the_console_takes_its_options_without_the_command_parsers(cli, capsys):
    args = console_args(["--db", "x.db", "--as", "zed", "--policy", "sre-team", "--store-insecure"])
    assert (args.command, args.db, args.user, args.policy, args.store, args.store_insecure) == \
        (None, "x.db", "zed", "sre-team", None, True)
    # a command, help or a malformed option is the full parser's to handle and report
    for argv in (["list"], ["--db", "x.db", "list"], ["--help"], ["--bogus"], ["--db"]):
        assert console_args(argv) is None, argv
    with pytest.raises(SystemExit) as exc:
        cli("--db")
    assert exc.value.code == 2 and "--db: expected one argument" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli("--help")
    assert "declare" in capsys.readouterr().out


def test_the_console_path_imports_no_command_module(tmp_path):
    """``warroom`` alone parses its few options and starts: no command module is imported, no
    parser built (here it stops at the terminal check, the last step before the screen)."""
    code = ("import sys; from warroom.cli import main; code = main(['--db', sys.argv[1]]); "
            "import json; print(code, json.dumps(sorted(m for m in sys.modules if m.startswith('warroom.cli'))))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "c.db")], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    code, modules = done.stdout.split(" ", 1)
    assert code == "2" and "the console needs a terminal" in done.stderr
    assert not {"warroom.cli.incident", "warroom.cli.followup", "warroom.cli.comms",
                "warroom.cli.diag"} & set(json.loads(modules))


def test_help_lists_the_commands_by_group_in_a_stable_order(cli, capsys):
    with pytest.raises(SystemExit):
        cli("--help")
    out = capsys.readouterr().out
    names = ["declare", "list", "show", "note", "assign", "severity", "status", "update-posted", "ack",
             "timeline", "policies", "sync", "diag", "drill", "runbooks", "template", "templates", "post",
             "audiences", "page", "oncall", "pages", "postmortem", "set", "milestone", "criteria", "resolve",
             "reopen", "followup", "action", "report", "rollback"]
    listed = [line.split()[0] for line in out.splitlines() if line.startswith("    ") and not line.startswith("     ")]
    assert listed == names


@pytest.mark.parametrize("argv,message", [
    (("severity", "SEV9"), "unknown severity 'SEV9'"),
    (("status", "Done"), "unknown status 'Done'"),
    (("assign", "Janitor", "x"), "unknown role 'Janitor'"),
    (("note", "x", "--at", "yesterday-ish"), "cannot read time 'yesterday-ish'"),
    (("note", "x", "--incident", "nope"), "no such incident: 'nope'"),
    (("note", "x", "--at", "+2h"), "cannot read time"),
])
def test_bad_input_exits_non_zero_with_one_line_and_writes_nothing(cli, argv, message):
    cli("declare", "A", "--severity", "SEV2")
    before = count(cli.db)
    code, out, err = cli(*argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
    assert count(cli.db) == before


def test_ambiguous_incident_needs_a_name(cli):
    cli("declare", "A", "--severity", "SEV2")
    cli("declare", "B", "--severity", "SEV2")
    code, _, err = cli("note", "x")
    assert code == 2 and "2 open incidents" in err


def test_corrupt_log_file_gets_a_clear_message(cli):
    cli.db.write_bytes(b"this is not sqlite" * 100)
    code, _, err = cli("list")
    assert code == 2 and "not a readable warroom log" in err and str(cli.db) in err


def test_damage_past_the_header_gets_the_same_clear_message(cli):
    """A log that opens but whose pages are damaged: one line, for commands and the console."""
    assert cli("declare", "Checkout 5xx", "--severity", "SEV1")[0] == 0
    for i in range(300):
        cli("note", f"note {i} " + "x" * 200)
    with sqlite3.connect(cli.db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(cli.db.read_bytes())
    page = 4096
    data[4 * page:len(data) - page] = b"\xff" * (len(data) - 5 * page)  # keep the header page
    cli.db.write_bytes(bytes(data))
    for argv in (("list",), ()):
        code, _, err = cli(*argv)
        assert code == 2, argv
        assert err.startswith(f"warroom: {cli.db}: not a readable warroom log") and err.count("\n") == 1, err


def test_malformed_policy_file_is_one_line(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 3\n")
    code, _, err = cli("--policy", str(bad), "list")
    assert code == 2 and err == f"warroom: {bad}: severities: expected an array of tables, it is missing\n"
