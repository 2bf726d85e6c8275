"""Runbooks in the console: opening one opens its panes and tells no one; commands wait for y."""

from __future__ import annotations

from warroom.diagnostics.runbooks import load_runbooks
from warroom.followup.drills import start_drill
from warroom.ui.widgets.diag_pane import ConfirmScreen, DiagPane
from warroom.ui.widgets.runbook_panel import open_runbook, RunbookPanel

from ..services.kube_api import KubeApiServer
from ..waiting import until
from .test_pods import CLUSTER
from .ui_helpers import PaneApp


def book(name):
    return {b.id: b for b in load_runbooks()[0]}[name]


async def test_command_runs_only_after_yes_and_is_recorded(room, tmp_path):
    incident = room.declare("Errors", "SEV2").id
    ran = []

    def runner(command):
        ran.append(command)
        return 0, "3 runs listed\x1b[31m"

    panel = RunbookPanel(book("high-error-rate"), room, incident, runner=runner)
    async with PaneApp(panel).run_test() as pilot:
        panel.query_one("OptionList").focus()
        await pilot.press("down", "down")  # past the "record started" line to step 2: gh run list
        await pilot.press("exclamation_mark")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause(0.1)
        assert ran == []
        await pilot.press("exclamation_mark")
        await pilot.press("y")
        assert await until(lambda: panel.last_output, pilot=pilot)
        assert ran == ["gh run list --workflow=deploy.yml --limit=5"]
        assert "\x1b" not in panel.last_output
        actions = [e.payload for e in room.log.events(incident) if e.kind == "diag_action"]
        assert actions == [{"diagnostic": "runbook:high-error-rate", "action": "run",
                            "target": "gh run list --workflow=deploy.yml --limit=5", "result": "exit 0"}]
        await pilot.press("space")
        assert panel.done == {1}
        notes = [e.payload["text"] for e in room.log.events(incident) if e.kind == "entry"]
        assert notes == ["runbook high-error-rate: checked step 2: Check recent deploys"]


async def test_real_shell_command_output(room):
    incident = room.declare("Errors", "SEV2").id
    from warroom.diagnostics.runbooks import Runbook, Step

    rb = Runbook("echo", "Echo", "f10", "x.toml", steps=(Step("say", "printf 'hello\\n'; exit 3"),))
    panel = RunbookPanel(rb, room, incident)
    async with PaneApp(panel).run_test() as pilot:
        panel.query_one("OptionList").focus()
        await pilot.press("down", "exclamation_mark", "y")
        assert await until(lambda: panel.last_output, pilot=pilot)
        assert panel.last_output.strip() == "hello"
        assert [e.payload["result"] for e in room.log.events(incident) if e.kind == "diag_action"] == ["exit 3"]


async def test_read_only_never_runs(room):
    panel = RunbookPanel(book("high-error-rate"), room, None, read_only=True, runner=lambda c: 1 / 0)
    async with PaneApp(panel).run_test() as pilot:
        panel.query_one("OptionList").focus()
        await pilot.press("exclamation_mark")
        assert not isinstance(pilot.app.screen, ConfirmScreen)


async def test_opening_a_runbook_in_a_drill_fills_every_pane_and_records_only_when_asked(room, clock):
    drill = start_drill(room, "oom-cascade")
    clock.advance(minutes=10)
    widgets = open_runbook(room, drill.incident_id, book("service-unreachable"), drill=drill)
    assert isinstance(widgets[0], RunbookPanel) and [w.diagnostic.name for w in widgets[1:]] == ["pods", "http"]
    assert not [e for e in room.log.events(drill.incident_id) if e.kind == "runbook"], "opening tells no one"
    open_runbook(room, drill.incident_id, book("service-unreachable"), drill=drill, record=True)
    started = [e.payload for e in room.log.events(drill.incident_id) if e.kind == "runbook"]
    assert started == [{"runbook": "service-unreachable", "title": "Service unreachable", "panes": "pods, http"}]
    async with PaneApp(*widgets).run_test(size=(120, 60)) as pilot:
        pods = widgets[1]
        assert await until(lambda: pods.snapshot is not None and widgets[2].snapshot is not None, pilot=pilot)
        assert pods.snapshot.extra["by_status"] == {"CrashLoopBackOff": 6}
        assert pods.source == "drill"
        pods.table.focus()
        await pilot.press("e", "enter")
        evidence = [e.payload for e in room.log.events(drill.incident_id) if e.kind == "evidence"]
        assert evidence[0]["source"] == "drill" and "OOMKilled" in evidence[0]["text"]


async def test_pods_pane_selected_pod_shows_events_and_log(room, tmp_path, monkeypatch):
    server = KubeApiServer().start()
    try:
        for p in CLUSTER:
            server.state.put(p)
        server.state.events["shop/api-oom"] = [{"type": "Warning", "reason": "OOMKilling", "count": 3,
                                                "message": "Memory cgroup out of memory",
                                                "lastTimestamp": "2026-11-22T13:58:00Z"}]
        server.state.logs["shop/api-oom"] = "boot\nallocating [red]cache[/]\n"
        monkeypatch.setenv("KUBECONFIG", server.kubeconfig(tmp_path / "kc"))
        incident = room.declare("Down", "SEV1").id
        widgets = open_runbook(room, incident, book("service-unreachable"), record=False)
        pane: DiagPane = widgets[1]
        pane.diagnostic.context, pane.diagnostic.namespace, pane.diagnostic.selector = "test", "shop", "app=api"
        async with PaneApp(pane).run_test(size=(140, 50)) as pilot:
            assert await until(lambda: pane.table.row_count == 6, pilot=pilot)
            keys = list(pane._row_keys())
            assert keys[-1] == "shop/api-ok", "healthy rows sort last"
            pane.table.move_cursor(row=keys.index("shop/api-oom"))
            await pilot.press("enter")
            detail = pane.query_one(".diag-detail")
            assert await until(lambda: "OOMKilling" in str(detail.render()), pilot=pilot)
            assert "allocating [red]cache[/]" in str(detail.render()), "log text is not markup"
            server.state.put(CLUSTER[0] | {"metadata": CLUSTER[0]["metadata"] | {"name": "api-new"}})
            assert await until(lambda: pane.table.row_count == 7, pilot=pilot), "the watch feeds the pane"
    finally:
        server.stop()
