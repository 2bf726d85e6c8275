"""Pods: kubectl's STATUS logic on real API JSON, and list + watch against a loopback API server."""

from __future__ import annotations

import pytest

from warroom.diagnostics.base import BAD, WARN
from warroom.diagnostics.pods import parse_target, pod_status, PodsDiagnostic

from ..services.kube_api import KubeApiServer, oom_killed, pod, running, waiting
from ..waiting import wait_until


def crashloop_after_oom():
    return pod("api-oom", containers=[waiting("app", "CrashLoopBackOff", restarts=5, last=oom_killed())])


CLUSTER = [
    pod("api-ok"),
    crashloop_after_oom(),
    pod("api-term", deleting=True),
    pod("api-pending", phase="Pending", containers=[]),
    pod("api-pull", containers=[waiting("app", "ImagePullBackOff")]),
    pod("api-init", phase="Pending", containers=[waiting("app", "PodInitializing")],
        init=[{"name": "migrate", "image": "x"}],
        init_statuses=[{"name": "migrate", "ready": False, "restartCount": 0,
                        "state": {"running": {"startedAt": "2026-11-22T13:59:00Z"}}}]),
    pod("job-done", app="job", phase="Succeeded", containers=[
        {"name": "app", "ready": False, "restartCount": 0,
         "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]),
    pod("web-1", namespace="other", app="web"),
]


@pytest.fixture
def kube(tmp_path):
    server = KubeApiServer().start()
    for p in CLUSTER:
        server.state.put(p)
    server.state.events["shop/api-oom"] = [
        {"type": "Warning", "reason": "BackOff", "count": 12, "message": "Back-off restarting failed container",
         "lastTimestamp": "2026-11-22T13:59:00Z", "involvedObject": {"name": "api-oom"}},
        {"type": "Normal", "reason": "Pulled", "message": "Container image already present",
         "lastTimestamp": "2026-11-22T13:50:00Z", "involvedObject": {"name": "api-oom"}}]
    server.state.logs["shop/api-oom"] = ("\n".join(f"line {i}" for i in range(50))
                                         + "\nfatal: out of memory\x1b]52;c;x\x07")
    server.config = server.kubeconfig(tmp_path / "kubeconfig")
    yield server
    server.stop()


def test_status_column_is_kubectls():
    views = {v.name: v for v in map(pod_status, CLUSTER)}
    assert views["api-ok"].status == "Running" and views["api-ok"].ready == "1/1"
    oom = views["api-oom"]
    assert (oom.status, oom.ready, oom.restarts) == ("CrashLoopBackOff", "0/1", 5)
    assert oom.last_state == "OOMKilled (exit 137)"
    assert views["api-term"].status == "Terminating"
    assert views["api-pending"].status == "Pending" and views["api-pending"].node == "<none>"
    assert views["api-pull"].status == "ImagePullBackOff"
    assert views["api-init"].status == "Init:0/1"
    assert views["job-done"].status == "Completed"


def test_status_edge_cases():
    oom_now = pod("x", containers=[{"name": "app", "ready": False, "restartCount": 1,
                                     "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}])
    assert pod_status(oom_now).status == "OOMKilled"
    signal = pod("x", containers=[{"name": "app", "ready": False, "restartCount": 0,
                                    "state": {"terminated": {"exitCode": 0, "signal": 9}}}])
    assert pod_status(signal).status == "Signal:9"
    init_fail = pod("x", phase="Pending", containers=[], init=[{"name": "i", "image": "x"}],
                    init_statuses=[{"name": "i", "restartCount": 3,
                                    "state": {"waiting": {"reason": "CrashLoopBackOff"}}}])
    assert pod_status(init_fail).status == "Init:CrashLoopBackOff"
    done_phase_deleting = pod("x", phase="Succeeded", deleting=True, containers=[
        {"name": "app", "ready": False, "restartCount": 0,
         "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}])
    assert pod_status(done_phase_deleting).status == "Completed"
    two = pod("x", containers=[running("a"), running("b", ready=False)])
    assert pod_status(two).ready == "1/2" and not pod_status(two).healthy


def test_target_syntax():
    assert parse_target("prod/shop?app=api,tier=web") == ("prod", "shop", "app=api,tier=web")
    assert parse_target("shop") == (None, "shop", "")
    assert parse_target("") == (None, None, "")
    assert parse_target("in-cluster/*") == ("in-cluster", "*", "")


def test_list_shows_unhealthy_first_with_restart_time_and_last_state(kube, clock):
    diag = PodsDiagnostic("test/shop?app=api", clock=clock, kubeconfig=kube.config)
    snap = diag.fetch()
    assert snap.ok, snap.error
    names = [r.cells[1] for r in snap.rows]
    assert set(names) == {"api-ok", "api-oom", "api-term", "api-pending", "api-pull", "api-init"}
    assert names[-1] == "api-ok"
    row = next(r for r in snap.rows if r.cells[1] == "api-oom")
    assert row.cells[3] == "CrashLoopBackOff" and row.level == BAD
    assert row.cells[4] == "5 (2m ago)"
    assert row.cells[5] == "OOMKilled (exit 137)"
    assert row.cells[6] == "2h"
    assert next(r for r in snap.rows if r.cells[1] == "api-term").level == WARN
    assert snap.extra["unhealthy"] == 5


def test_default_namespace_comes_from_the_context(kube, clock):
    snap = PodsDiagnostic("", clock=clock, kubeconfig=kube.config).fetch()
    assert {r.cells[0] for r in snap.rows} == {"shop"}
    every = PodsDiagnostic("*", clock=clock, kubeconfig=kube.config).fetch()
    assert {r.cells[0] for r in every.rows} == {"shop", "other"}


def test_watch_applies_changes_and_relists_on_410(kube, clock):
    diag = PodsDiagnostic("shop?app=api", clock=clock, kubeconfig=kube.config, watch=True)
    try:
        assert len(diag.fetch().rows) == 6
        assert wait_until(lambda: kube.state.watch_requests)
        lists = kube.state.list_requests
        kube.state.put(pod("api-ok", containers=[waiting("app", "CrashLoopBackOff", restarts=1,
                                                        last=oom_killed())]))
        kube.state.delete("shop", "api-pull")
        assert wait_until(lambda: diag.changes >= 2)
        rows = {r.cells[1]: r for r in diag.fetch().rows}
        assert "api-pull" not in rows and rows["api-ok"].cells[3] == "CrashLoopBackOff"
        assert kube.state.list_requests == lists, "changes came through the watch, not a re-list"
        # history compacted while disconnected: the next watch from the old version gets 410
        kube.state.compact()
        kube.state.put(pod("api-new"))
        assert wait_until(lambda: diag.relists >= 1 or "api-new" in {r.cells[1] for r in diag.fetch().rows})
        assert wait_until(lambda: "api-new" in {r.cells[1] for r in diag.fetch().rows})
    finally:
        diag.close()


def test_watch_410_from_stale_version_relists(kube, clock):
    diag = PodsDiagnostic("shop?app=api", clock=clock, kubeconfig=kube.config, watch=True)
    try:
        diag._list()
        kube.state.compact()
        kube.state.put(pod("api-late"))
        diag._thread = __import__("threading").Thread(target=diag._watch_loop, daemon=True)
        diag._thread.start()
        assert wait_until(lambda: diag.relists == 1)
        assert wait_until(lambda: "api-late" in {r.cells[1] for r in diag.fetch().rows})
    finally:
        diag.close()


def test_events_and_log_tail_for_selected_pod(kube, clock):
    diag = PodsDiagnostic("test/shop", clock=clock, kubeconfig=kube.config)
    lines = diag.detail("shop/api-oom")
    text = "\n".join(lines)
    assert "Warning BackOff ×12: Back-off restarting failed container" in text
    assert text.index("Pulled") < text.index("BackOff")
    assert "fatal: out of memory" in text and "line 31" in text and "line 29" not in text
    assert "\x1b" not in text and "\x07" not in text


def test_auth_failure_and_refused_are_errors_not_exceptions(kube, clock, tmp_path):
    bad = kube.kubeconfig(tmp_path / "bad", token="wrong-token-0000")
    snap = PodsDiagnostic("test/shop", clock=clock, kubeconfig=bad).fetch()
    assert snap.error.startswith("auth failed") and "401" in snap.error
    port = kube.port
    kube.stop()
    snap = PodsDiagnostic("test/shop", clock=clock, kubeconfig=kube.kubeconfig(tmp_path / "k2"),
                          timeout=2).fetch()
    assert snap.error.startswith("refused"), snap.error
    assert str(port)
