"""``warroom diag list|run`` and ``warroom drill`` through the real CLI entry point."""

from __future__ import annotations

import json

from warroom.cli import main

from ..services.kube_api import KubeApiServer
from .test_pods import CLUSTER


def run(capsys, tmp_path, clock, *argv):
    code = main(["--db", str(tmp_path / "cli.db"), "--as", "tl", *argv], clock=clock)
    out, err = capsys.readouterr()
    return code, out, err


def test_diag_list_names_every_builtin(capsys, tmp_path, clock):
    code, out, _ = run(capsys, tmp_path, clock, "diag", "list")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["http", "pods", "postgres", "redis"]


def test_unknown_diagnostic_lists_installed(capsys, tmp_path, clock):
    code, _, err = run(capsys, tmp_path, clock, "diag", "run", "mysql")
    assert code == 2 and "installed: http, pods, postgres, redis" in err


def test_diag_run_postgres_shows_the_blocker(capsys, tmp_path, clock, postgres_server, lock_wait):
    holder, waiter = lock_wait
    code, out, _ = run(capsys, tmp_path, clock, "diag", "run", "postgres", "--target", postgres_server.app_dsn,
                       "--json")
    assert code == 0
    data = json.loads(out)
    waiting = next(r for r in data["rows"] if r["PID"] == str(waiter))
    assert waiting["BLOCKED BY"] == str(holder) and data["extra"]["blockers"] == [str(holder)]
    assert "hunter2" not in out
    code, out, _ = run(capsys, tmp_path, clock, "diag", "run", "postgres", "--target", postgres_server.app_dsn)
    assert f"{holder} blocks {waiter}" in out


def test_diag_run_redis_samples_twice(capsys, tmp_path, clock, redis_server):
    import threading

    c = redis_server.client()
    c.set("k", "v")

    def traffic():
        import time

        time.sleep(0.3)
        c.get("k"), c.get("k"), c.get("k"), c.get("nope")

    t = threading.Thread(target=traffic)
    t.start()
    code, out, _ = run(capsys, tmp_path, clock, "diag", "run", "redis", "--target", redis_server.url, "--json",
                       "--sample", "0.8")
    t.join()
    data = json.loads(out)
    assert code == 0 and data["extra"]["hit_rate"] == 0.75


def test_diag_run_pods_and_detail(capsys, tmp_path, clock):
    server = KubeApiServer().start()
    try:
        for p in CLUSTER:
            server.state.put(p)
        cfg = server.kubeconfig(tmp_path / "kc")
        code, out, _ = run(capsys, tmp_path, clock, "diag", "run", "pods", "--target", "test/shop?app=api",
                           "--kubeconfig", cfg)
        assert code == 0
        lines = out.splitlines()
        assert lines[2].split()[:2] == ["NAMESPACE", "NAME"]
        oom = next(line for line in lines if "api-oom" in line)
        assert "CrashLoopBackOff" in oom and "OOMKilled (exit 137)" in oom and "5 (2m ago)" in oom
    finally:
        server.stop()


def test_diag_run_failure_exits_1_with_the_error(capsys, tmp_path, clock):
    from ..services import free_port

    code, out, _ = run(capsys, tmp_path, clock, "diag", "run", "http", "--target",
                       f"http://127.0.0.1:{free_port()}/health")
    assert code == 1 and "refused" in out


def test_drill_declares_a_marked_incident_and_simulates(capsys, tmp_path, clock):
    code, out, _ = run(capsys, tmp_path, clock, "drill")
    assert code == 0 and "oom-cascade" in out
    code, out, _ = run(capsys, tmp_path, clock, "drill", "oom-cascade", "--no-console")
    assert code == 0
    incident = out.strip()
    code, out, _ = run(capsys, tmp_path, clock, "show", incident, "--json")
    assert json.loads(out)["drill"] is True
    code, out, _ = run(capsys, tmp_path, clock, "diag", "run", "pods", "--drill", "oom-cascade", "--minute", "10",
                       "--json")
    data = json.loads(out)
    assert data["extra"]["by_status"] == {"CrashLoopBackOff": 6}
    assert all(r["LAST STATE"] == "OOMKilled (exit 137)" for r in data["rows"])
    code, _, err = run(capsys, tmp_path, clock, "drill", "no-such")
    assert code == 2 and "available: cache-collapse" in err
