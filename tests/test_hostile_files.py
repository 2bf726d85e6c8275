"""Hostile local files: deep nesting, out-of-range values, a log where none should be.

Every one is refused at load with one ``FILE: FIELD: reason`` line (exit 2 in the CLI),
never a traceback, and a refused command leaves no log file behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from warroom.cli import main
from warroom.comms.settings import ConfigError, load_settings
from warroom.diagnostics.runbooks import load_runbooks
from warroom.followup.drills import load_scenarios
from warroom.model.policy import load_policy, PolicyError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "runbooks" / "policies" / "cygni.toml"
SRE = ROOT / "runbooks" / "policies" / "sre-team.toml"

DEEP = {
    "arrays": "a = " + "[" * 5000 + "]" * 5000 + "\n",
    "inline tables": "x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
    "dotted keys": "x" + ".a" * 5000 + " = 1\n",  # parses: only too deep to use
}


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A private config directory and log path, for in-process and subprocess runs."""
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(config))
    monkeypatch.setenv("WARROOM_DB", str(tmp_path / "default.db"))
    monkeypatch.setenv("WARROOM_USER", "alice")
    for name in ("WARROOM_POLICY", "WARROOM_STORE") + tuple(v for v in os.environ if v.startswith("WARROOM_HTTP")):
        monkeypatch.delenv(name, raising=False)
    return config


@pytest.fixture
def cli(env, clock, capsys):
    def run(*argv):
        code = main(list(argv), clock=clock)
        out, err = capsys.readouterr()
        return code, out, err
    return run


def run_warroom(*argv, env_extra=None, prefix=()):
    """The real program in a fresh interpreter: (exit code, stdout, stderr)."""
    env = {**os.environ, **(env_extra or {})}
    proc = subprocess.run([*prefix, sys.executable, "-m", "warroom", *argv], capture_output=True,
                          text=True, env=env, timeout=60, cwd=ROOT)
    return proc.returncode, proc.stdout, proc.stderr


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    return err.strip()


def no_log(path: Path) -> bool:
    return not any(Path(f"{path}{suffix}").exists() for suffix in ("", "-wal", "-shm", "-journal"))


# -- item 11: nesting ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", DEEP)
def test_deep_policy_file_given_by_path_is_one_line(cli, tmp_path, kind):
    bad = tmp_path / "deep.toml"
    bad.write_text(SHIPPED.read_text() + DEEP[kind])
    code, out, err = cli("--policy", str(bad), "list")
    assert code == 2 and out == ""
    assert one_line(err).startswith(f"warroom: {bad}: not valid TOML: nested more than")


def test_deep_policy_in_the_user_directory_subprocess(env, tmp_path):
    (env / "policies").mkdir()
    bad = env / "policies" / "ours.toml"
    bad.write_text(DEEP["arrays"])
    code, out, err = run_warroom("--policy", "ours", "list")
    assert code == 2 and out == ""
    assert one_line(err).startswith(f"warroom: {bad}: not valid TOML: nested")
    code, out, err = run_warroom("policies")
    assert code == 2 and one_line(err).startswith(f"warroom: {bad}: not valid TOML")


def test_huge_numbers_are_refused_not_crashed_on(tmp_path):
    bad = tmp_path / "big.toml"
    bad.write_text(SHIPPED.read_text().replace("response = 5\n", "response = " + "9" * 5000 + "\n", 1))
    with pytest.raises(PolicyError, match=f"^{bad}: not valid TOML: "):
        load_policy(str(bad))
    bad.write_text(SHIPPED.read_text().replace("response = 5\n", "response = 0x" + "f" * 5000 + "\n", 1))
    with pytest.raises(PolicyError) as err:
        load_policy(str(bad))
    assert str(err.value).startswith(f"{bad}: severities[0].response: expected ") and len(str(err.value)) < 300


@pytest.mark.parametrize("kind", DEEP)
def test_deep_runbook_is_reported_and_the_others_load(env, kind):
    folder = env / "runbooks"
    folder.mkdir()
    (folder / "deep.toml").write_text(DEEP[kind])
    books, errors = load_runbooks()
    assert [str(e) for e in errors] == ["deep.toml: not valid TOML: nested more than 64 levels deep"]
    assert {"high-error-rate", "health-check", "service-unreachable"} <= {b.id for b in books}


def test_warroom_runbooks_reports_the_deep_file_subprocess(env):
    (env / "runbooks").mkdir()
    (env / "runbooks" / "deep.toml").write_text(DEEP["inline tables"])
    code, out, err = run_warroom("runbooks")
    assert code == 2 and err == ""
    assert "error: deep.toml: not valid TOML: nested" in out and "high-error-rate" in out


def test_deep_drill_scenario_is_reported_and_the_others_load(env):
    folder = env / "runbooks" / "drills"
    folder.mkdir(parents=True)
    (folder / "deep.toml").write_text('title = "x"\nseverity = "SEV2"\n' + DEEP["arrays"])
    found, errors = load_scenarios()
    assert [str(e) for e in errors] == ["deep.toml: not valid TOML: nested more than 64 levels deep"]
    assert {"cache-collapse", "oom-cascade"} <= set(found)
    code, out, err = run_warroom("drill")
    assert code == 0 and "cache-collapse" in out
    assert one_line(err) == "warroom: deep.toml: not valid TOML: nested more than 64 levels deep"


@pytest.mark.parametrize("kind", DEEP)
def test_deep_config_toml_fails_posting_with_one_line(env, cli, kind):
    config = env / "config.toml"
    config.write_text('[slack]\nwebhook_url = "http://127.0.0.1:9/hook"\n' + DEEP[kind])
    with pytest.raises(ConfigError, match=f"^{config}: not valid TOML: nested"):
        load_settings({}, config)
    cli("declare", "A", "--severity", "SEV2")
    code, out, err = cli("post", "slack", "--text", "hello")
    assert code == 2 and out == ""
    assert one_line(err).startswith(f"warroom: {config}: not valid TOML: nested")


def test_deep_config_toml_post_subprocess(env, tmp_path):
    (env / "config.toml").write_text(DEEP["arrays"])
    db = tmp_path / "p.db"
    assert run_warroom("--db", str(db), "declare", "A", "--severity", "SEV2")[0] == 0
    code, out, err = run_warroom("--db", str(db), "post", "slack", "--text", "x")
    assert code == 2 and one_line(err).startswith(f"warroom: {env / 'config.toml'}: not valid TOML: nested")


def test_deep_config_toml_leaves_the_console_keys_at_their_defaults_with_a_warning(env):
    from warroom.ui.app import load_keymap

    config = env / "config.toml"
    config.write_text("[keys]\nquit = \"ctrl+q\"\n" + DEEP["arrays"])
    told = []
    assert load_keymap(told.append) == {}
    assert told == [f"{config}: not valid TOML: nested more than 64 levels deep; "
                    "[keys] ignored, the default keys apply"]
    config.write_text("[keys]\nquit = \"ctrl+q\"\n")
    told.clear()
    assert load_keymap(told.append) == {"quit": "ctrl+q"} and told == []


# -- item 12: policy values ----------------------------------------------------------------

@pytest.mark.parametrize("old,new,message", [
    ('business_day_start = "09:00"', 'business_day_start = "nine"',
     "business_day_start: expected a time of day HH:MM (00:00 to 23:59), got 'nine'"),
    ('business_day_start = "09:00"', 'business_day_start = "24:30"', "business_day_start: expected a time of day"),
    ('business_day_start = "09:00"', 'business_day_start = 9', "business_day_start: expected a string, got 9"),
    ("response = 5\n", "response = 9000000000000\n",
     'severities[0].response: expected a whole number of minutes from 1 to 43200 (30 days) '
     'or "next business day", got 9000000000000'),
    ("update_every = 15\n", "update_every = 99999999999999999999\n",
     'severities[0].update_every: expected a whole number of minutes from 1 to 43200 (30 days) '
     'or "as needed", got 99999999999999999999'),
    ("update_every = 15\n", "update_every = 0\n",
     'severities[0].update_every: expected a whole number of minutes from 1 to 43200 (30 days) '
     'or "as needed", got 0'),
    ("update_every = 15\n", "update_every = 43201\n", "severities[0].update_every: expected a whole number"),
    ("response = 5\n", "response = true\n", "severities[0].response: expected a whole number of minutes"),
    ("response = 5\n", "response = 5.5\n", "severities[0].response: expected a whole number of minutes"),
    ('{ after = 0, notify = "On-call", page = "cygni-primary-oncall" }', '{ after = -100000000, notify = "On-call" }',
     "escalation[0].steps[0].after: expected a whole number of minutes from 0 to 43200 (30 days), "
     "got -100000000"),
    ('{ after = 0, notify = "On-call", page = "cygni-primary-oncall" }', '{ after = true, notify = "On-call" }',
     "escalation[0].steps[0].after: expected a whole number of minutes"),
    ("monitor = 30\n", "monitor = 0\n", "resolution.monitor: expected a whole number of minutes from 1 to 43200"),
    ("monitor = 30\n", "monitor = -5\n", "resolution.monitor: expected a whole number of minutes"),
    ("postmortem_hours = 48\n", "postmortem_hours = 0\n",
     "follow_up.postmortem_hours: expected a whole number of hours from 1 to 720 (30 days), got 0"),
    ("postmortem_hours = 48\n", "postmortem_hours = true\n", "follow_up.postmortem_hours: expected a whole number"),
    ("postmortem_hours = 48\n", "postmortem_hours = 48\nreview_days = 100000\n",
     "follow_up.review_days: expected a whole number of days from 1 to 365, got 100000"),
    ("postmortem_hours = 48\n", "postmortem_hours = 48\nreview_days = -1\n", "follow_up.review_days: expected"),
    ('business_day_start = "09:00"', 'business_day_start = "09:00"\nacknowledge_within = 0',
     'acknowledge_within: expected a whole number of minutes from 1 to 43200 (30 days) or "none", got 0'),
    ('business_day_start = "09:00"', 'business_day_start = "09:00"\nacknowledge_within = 99999999',
     "acknowledge_within: expected a whole number of minutes"),
])
def test_policy_values_out_of_range_are_refused_at_load(tmp_path, old, new, message):
    bad = tmp_path / "mine.toml"
    text = SHIPPED.read_text()
    assert old in text
    bad.write_text(text.replace(old, new, 1))
    with pytest.raises(PolicyError) as err:
        load_policy(str(bad))
    assert str(err.value).startswith(f"{bad}: ") and message in str(err.value), str(err.value)
    assert "\n" not in str(err.value)


def test_shipped_policies_still_load():
    for path in (SHIPPED, SRE):
        policy = load_policy(str(path))
        assert policy.severities and policy.escalation
    assert load_policy(str(SRE)).acknowledge_minutes == 5 and load_policy(str(SHIPPED)).recovery_monitor_minutes == 30


def test_bad_policy_value_is_one_line_and_leaves_no_log_subprocess(env, tmp_path):
    bad = tmp_path / "mine.toml"
    bad.write_text(SHIPPED.read_text().replace('business_day_start = "09:00"', 'business_day_start = "nine"'))
    db = tmp_path / "new.db"
    code, out, err = run_warroom("--policy", str(bad), "--db", str(db), "declare", "A", "--severity", "SEV4")
    assert code == 2 and out == ""
    assert one_line(err) == (f"warroom: {bad}: business_day_start: expected a time of day HH:MM "
                             "(00:00 to 23:59), got 'nine'")
    assert no_log(db)


# -- item 12: [http] settings --------------------------------------------------------------

@pytest.mark.parametrize("line,message", [
    ('timeout = "nan"', "http.timeout: expected a number of seconds above 0 and at most 300, got 'nan'"),
    ("timeout = nan", "http.timeout: expected a number of seconds above 0 and at most 300, got nan"),
    ("timeout = inf", "http.timeout: expected a number of seconds"),
    ("timeout = -1", "http.timeout: expected a number of seconds"),
    ("timeout = 0", "http.timeout: expected a number of seconds"),
    ("timeout = true", "http.timeout: expected a number of seconds"),
    ("timeout = 1e300", "http.timeout: expected a number of seconds"),
    ("max_retry_wait = inf", "http.max_retry_wait: expected a number of seconds above 0 and at most 600"),
    ("retries = -1", "http.retries: expected a whole number from 0 to 10, got -1"),
    ("retries = 1000000000", "http.retries: expected a whole number from 0 to 10"),
    ("retries = 2.5", "http.retries: expected a whole number from 0 to 10"),
    ("retries = true", "http.retries: expected a whole number from 0 to 10"),
])
def test_http_settings_are_finite_positive_and_bounded(tmp_path, line, message):
    path = tmp_path / "config.toml"
    path.write_text(f"[http]\n{line}\n")
    with pytest.raises(ConfigError) as err:
        load_settings({}, path)
    assert str(err.value) == f"{path}: {message}" or str(err.value).startswith(f"{path}: {message}"), str(err.value)


@pytest.mark.parametrize("var,value", [("WARROOM_HTTP_TIMEOUT", "nan"), ("WARROOM_HTTP_TIMEOUT", "inf"),
                                       ("WARROOM_HTTP_TIMEOUT", "-3"), ("WARROOM_HTTP_MAX_RETRY_WAIT", "NaN"),
                                       ("WARROOM_HTTP_RETRIES", "99")])
def test_http_environment_variables_are_checked_the_same_way(tmp_path, var, value):
    with pytest.raises(ConfigError, match=f"^{var}: expected a "):
        load_settings({var: value}, tmp_path / "none.toml")


def test_good_http_settings_still_load(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[http]\ntimeout = 2.5\nretries = 0\nmax_retry_wait = 600\n")
    s = load_settings({"WARROOM_HTTP_RETRIES": "10"}, path)
    assert (s.timeout, s.retries, s.max_wait) == (2.5, 10, 600.0)


def test_post_with_nan_timeout_is_one_line_subprocess(env, tmp_path):
    db = tmp_path / "p.db"
    assert run_warroom("--db", str(db), "declare", "A", "--severity", "SEV2")[0] == 0
    code, out, err = run_warroom("--db", str(db), "post", "slack", "--text", "x",
                                 env_extra={"WARROOM_HTTP_TIMEOUT": "nan",
                                            "WARROOM_SLACK_WEBHOOK_URL": "http://127.0.0.1:9/hook"})
    assert code == 2 and out == ""
    assert one_line(err) == ("warroom: WARROOM_HTTP_TIMEOUT: expected a number of seconds above 0 "
                             "and at most 300, got 'nan'")


# -- item 13: the log file -----------------------------------------------------------------

@pytest.mark.parametrize("argv,message", [
    (("declare", "A", "--severity", "SEV9"), "unknown severity 'SEV9'"),
    (("declare", "A", "--severity", "SEV2", "--at", "yesterday-ish"), "cannot read time"),
    (("note", "x"), "no open incident"),
    (("note", "x", "--incident", "nope"), "no such incident: 'nope'"),
    (("assign", "IC", "bob"), "no open incident"),
    (("severity", "SEV1"), "no open incident"),
])
def test_a_refused_command_leaves_no_log_file(cli, tmp_path, argv, message):
    db = tmp_path / "new.db"
    code, out, err = cli("--db", str(db), *argv)
    assert code == 2 and out == ""
    assert message in one_line(err)
    assert no_log(db)


@pytest.mark.parametrize("argv", [("list",), ("show",), ("timeline",), ("postmortem",), ("report",),
                                  ("template", "update"), ("followup",), ("templates",)])
def test_a_read_only_command_on_a_missing_log_says_so(cli, tmp_path, argv):
    db = tmp_path / "typo.db"
    code, out, err = cli(*argv, "--db", str(db))
    assert code == 2 and out == ""
    assert one_line(err) == (f"warroom: {db}: no local log there (check --db; "
                             "a command that records something creates it)")
    assert no_log(db)


def test_the_default_log_is_not_created_by_reading_it(cli, tmp_path):
    default = tmp_path / "default.db"
    assert cli("list") == (0, "no incidents\n", "")
    assert no_log(default)
    code, _, err = cli("show")
    assert code == 2 and "no open incident" in one_line(err) and no_log(default)


def test_writing_commands_create_the_log(cli, tmp_path):
    db = tmp_path / "sub" / "new.db"
    code, out, _ = cli("--db", str(db), "declare", "A", "--severity", "SEV2")
    assert code == 0 and db.exists()
    assert cli("--db", str(db), "note", "hello")[0] == 0
    assert cli("--db", str(db), "list")[1].count("SEV2") == 1
    # a refusal on a log that exists keeps it
    assert cli("--db", str(db), "severity", "SEV9")[0] == 2 and db.exists()


def test_missing_log_subprocess(env, tmp_path):
    db = tmp_path / "typo.db"
    code, out, err = run_warroom("--db", str(db), "show")
    assert code == 2 and out == ""
    assert one_line(err) == (f"warroom: {db}: no local log there (check --db; "
                             "a command that records something creates it)")
    code, out, err = run_warroom("--db", str(db), "note", "x")
    assert code == 2 and "no open incident" in one_line(err)
    assert no_log(db)


def _can_mount() -> bool:
    if not shutil.which("unshare") or os.geteuid() != 0:
        return False
    return subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o ro tmpfs /mnt"],
                          capture_output=True).returncode == 0


needs_mount = pytest.mark.skipif(not _can_mount(), reason="needs root and mount namespaces")


def in_namespace(script: str, *argv: str, env_extra=None):
    """Run warroom after ``script`` sets up mounts in a private mount namespace."""
    return run_warroom(*argv, env_extra=env_extra, prefix=("unshare", "-m", "sh", "-c", f'{script} && exec "$@"', "sh"))


@needs_mount
def test_read_only_file_system_says_read_only(env, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    db = ro / "new.db"
    code, out, err = in_namespace(f"mount -t tmpfs -o ro tmpfs {ro}", "--db", str(db), "declare", "A",
                                  "--severity", "SEV2")
    assert code == 2 and out == ""
    assert one_line(err) == f"warroom: {db}: cannot write the local log: read-only file system"


@needs_mount
def test_existing_log_on_a_read_only_mount(env, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    db = data / "log.db"
    assert run_warroom("--db", str(db), "declare", "Checkout", "--severity", "SEV2")[0] == 0
    ro = tmp_path / "ro"
    ro.mkdir()
    mount = f"mount --bind {data} {ro} && mount -o remount,ro,bind {ro}"
    code, out, err = in_namespace(mount, "--db", str(ro / "log.db"), "note", "x")
    assert code == 2 and out == ""
    assert one_line(err) == f"warroom: {ro / 'log.db'}: cannot write the local log: read-only file system"
    code, out, err = in_namespace(mount, "--db", str(ro / "log.db"), "list")
    assert code == 0 and "Checkout" in out and err == ""


def _without_dac_override() -> None:
    """In the child: drop root's right to ignore file permissions (kept by every exec after)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl")


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="needs root on Linux")
def test_permission_denied_says_so(env, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o755)
    os.chown(locked, 65534, 65534)  # someone else's: root without DAC override may not write here
    db = locked / "new.db"
    proc = subprocess.run([sys.executable, "-m", "warroom", "--db", str(db), "declare", "A", "--severity", "SEV2"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, preexec_fn=_without_dac_override)
    assert proc.returncode == 2 and proc.stdout == ""
    assert one_line(proc.stderr) == f"warroom: {db}: cannot write the local log: permission denied"
    assert no_log(db)


async def test_the_console_starts_with_a_broken_config_toml_and_says_why(env, room, clock):
    from warroom.ui import make_app

    config = env / "config.toml"
    config.write_text("[keys]\nquit = \"ctrl+q\"\n" + DEEP["inline tables"])
    app = make_app(room, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        told = [n for n in app._notifications if n.title == "config.toml"]
        assert [n.message for n in told] == [f"{config}: not valid TOML: nested more than 64 levels deep; "
                                              "[keys] ignored, the default keys apply"]
        assert told[0].severity == "warning" and app.keymap == {}
