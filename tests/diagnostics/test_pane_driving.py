"""Panes a technical lead can drive (issue 13 §5, §3 narrow panes), against the real sources:
pods from the loopback Kubernetes API, PostgreSQL from a real server, HTTP from loopback servers.

Tab / F6 move between the panes and the entry line in screen order, and the key bar shows the
keys of the pane in use; the columns that matter stay in view at any pane width; cancel names
the backend it cancels; an unset ``${VAR}`` says so in its pane; opening a runbook tells no
one until its first line is confirmed; on a narrow terminal the panes cover the timeline but
for its last lines, and ctrl+t swaps the two.
"""

from __future__ import annotations

import threading

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult

from warroom.diagnostics.base import ColumnLayout
from warroom.diagnostics.http_health import HttpDiagnostic
from warroom.diagnostics.pods import PodsDiagnostic
from warroom.diagnostics.postgres import PostgresDiagnostic
from warroom.diagnostics.runbooks import PaneSpec
from warroom.ui.widgets.diag_pane import ConfirmScreen, DiagPane, MORE_COLUMNS
from warroom.ui.widgets.entry_line import QuickEntry
from warroom.ui.widgets.key_bar import KeyBar
from warroom.ui.widgets.row_table import cut_cell, fit_columns, RowTable
from warroom.ui.widgets.runbook_panel import RunbookPanel
from warroom.ui.widgets.timeline import TimelineView

from ..services.http import HealthServers
from ..services.kube_api import KubeApiServer
from ..waiting import until, wait_until
from .test_pods import CLUSTER

PARTS = ("#header", "#clocks", "#timeline", "#entry", "#status", "#keys")


@pytest.fixture
def kube(tmp_path):
    server = KubeApiServer().start()
    for p in CLUSTER:
        server.state.put(p)
    server.config = server.kubeconfig(tmp_path / "kubeconfig")
    yield server
    server.stop()


@pytest.fixture
def health():
    servers = HealthServers().start()
    yield servers
    servers.stop()


@pytest.fixture
def sources(kube, health, postgres_server, monkeypatch, tmp_path):
    """What the shipped high-error-rate runbook (F5) reads from the environment: pods in the
    loopback cluster, the real PostgreSQL, one healthy and one failing URL."""
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("KUBECONFIG", kube.config)
    monkeypatch.setenv("WARROOM_KUBE_TARGET", "test/shop?app=api")
    monkeypatch.setenv("DATABASE_URL", postgres_server.app_dsn)
    monkeypatch.setenv("WARROOM_DEPENDENCY_URLS", f"{health.url('/ok')} {health.url('/fail')}")


@pytest.fixture
def sleeper(postgres_server):
    """A backend running a slow query, as the pane's own (non-superuser) role, so it may cancel it."""
    import psycopg

    conn = psycopg.connect(postgres_server.app_dsn, autocommit=True)
    pid = conn.info.backend_pid
    failed: list[Exception] = []

    def run() -> None:
        try:
            conn.execute("select pg_sleep(30) /* [red]warroom[/] \x1b]52;c;eA==\x07 */ "
                         + "-- " + "padding " * 40)
        except Exception as exc:
            failed.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    with postgres_server.connect() as probe:
        wait_until(lambda: probe.execute("select state from pg_stat_activity where pid = %s",
                                         (pid,)).fetchone() == ("active",), 5, "the sleep running", every=0.02)
    yield pid, failed, thread
    with postgres_server.connect() as probe:
        probe.execute("select pg_cancel_backend(%s)", (pid,))
    thread.join(5)
    conn.close()


def bar(app) -> str:
    return "".join(segment.text for segment in app.query_one(KeyBar).render_line(0))


def panes(app) -> dict[str, DiagPane]:
    return {p.diagnostic.name: p for p in app.query(DiagPane)}


async def open_f5(pilot) -> None:
    app = pilot.app
    await until(lambda: app.runbooks, pilot=pilot, what="the runbooks bound")
    await pilot.press("f5")
    await until(lambda: len(panes(app)) == 3 and all(p.snapshot is not None for p in panes(app).values()),
                10, "the three panes filled", pilot=pilot)
    await pilot.pause()


# -- focus -----------------------------------------------------------------------------------------
async def test_tab_and_f6_move_between_the_panes_and_the_entry_line_in_screen_order(
        console, room, sources):
    incident = room.declare("Checkout 5xx", "SEV2")
    async with console() as pilot:
        app = pilot.app
        await open_f5(pilot)
        checklist = app.query_one(RunbookPanel).focus_target
        tables = [panes(app)[name].table for name in ("pods", "postgres", "http")]
        entry = app.query_one(QuickEntry)
        ring = [checklist, *tables, entry]
        assert [w.region.y for w in ring[:-1]] == sorted(w.region.y for w in ring[:-1]), "screen order"
        assert app.focused is tables[0], "the first diagnostic has the focus as it opens"

        seen = []
        for _ in range(len(ring)):
            await pilot.press("tab")
            seen.append(app.focused)
        assert seen == [tables[1], tables[2], entry, entry, entry], "Tab stops in the entry line"
        assert entry.kind != "note", "there Tab cycles the kind, as before"
        kind = entry.kind
        await pilot.press("f6")
        assert app.focused is checklist and entry.kind == kind, "F6 leaves the entry line"
        await pilot.press("f6", "f6")
        assert app.focused is tables[1]
        await pilot.press("shift+f6")
        assert app.focused is tables[0]
        await pilot.press("shift+tab", "shift+tab")
        assert app.focused is entry, "backwards round the ring"
        await pilot.press("shift+tab")
        assert app.focused is tables[2]
        await pilot.press("escape")
        assert app.focused is entry, "Esc from a pane goes to the entry line"
        await pilot.press("escape")
        assert app.focused is app.query_one(TimelineView)
        await pilot.press("tab")
        assert app.focused is checklist, "from the timeline, Tab goes to the first pane"
        assert incident.id == app.incident_id


async def test_the_key_bar_shows_the_keys_of_the_pane_in_use(console, room, sources):
    room.declare("Checkout 5xx", "SEV2")
    async with console() as pilot:
        app = pilot.app
        console_keys = bar(app)
        assert "Write" in console_keys and "Refresh" not in console_keys
        await open_f5(pilot)
        pods_keys = bar(app)
        for shown in ("+/- Refresh", "space Pause", "e Evidence", "S Sort", "Scroll", "Tab/f6 Next pane",
                      "esc Entry line"):
            assert shown in pods_keys, (shown, pods_keys)
        assert "Cancel" not in pods_keys and "Terminate" not in pods_keys, "pods cannot cancel anything"
        assert "Write" not in pods_keys
        await pilot.press("tab")
        pg_keys = bar(app)
        assert "C Cancel query" in pg_keys and "T Terminate" in pg_keys
        await pilot.press("space")
        assert panes(app)["postgres"].schedule.paused
        await pilot.press("tab")
        assert "Cancel" not in bar(app)
        await pilot.press("tab")
        assert app.focused is app.query_one(QuickEntry)
        back = bar(app)
        assert "Write" in back and "f6 Next pane" in back and "Refresh" not in back, "the console's keys again"
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "shift+tab")
        assert isinstance(app.focused.parent, RunbookPanel)
        assert "Run command" in bar(app) and "Record started" in bar(app)


async def test_a_runbook_key_never_hides_a_console_key(console, room, sources, tmp_path, monkeypatch):
    """The shipped runbooks keep off the console's keys (F6 moves between panes); a runbook of
    yours on one of them is said, and opens from the palette instead."""
    from warroom.ui.keys import ACTIONS

    own = tmp_path / "config" / "runbooks"
    own.mkdir(parents=True)
    (own / "mine.toml").write_text('title = "Mine"\nkey = "f6"\n[[steps]]\ntext = "look"\n')
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "config"))
    room.declare("Checkout 5xx", "SEV2")
    async with console() as pilot:
        app = pilot.app
        await until(lambda: app.runbooks, pilot=pilot, what="the runbooks bound")
        shipped = {b.key for b in app.runbooks.values() if b.id != "mine"}
        assert not shipped & {a.key for a in ACTIONS}
        assert "mine" in app.runbooks
        said = [n.message for n in app._notifications]
        assert any("mine.toml: key: f6 is the console's key for next_pane" in m for m in said), said
        await pilot.press("f10")
        await until(lambda: app.query(RunbookPanel), 5, "the runbook bound to f10", pilot=pilot)
        assert app.query_one(RunbookPanel).book.id == "performance-degradation"


# -- recording is deliberate -------------------------------------------------------------------------
async def test_opening_a_runbook_by_key_records_nothing_until_its_first_line_is_confirmed(
        console, room, sources):
    incident = room.declare("Checkout 5xx", "SEV2").id

    def started():
        return [e.payload for e in room.events(incident, with_entries=False) if e.kind == "runbook"]

    async with console() as pilot:
        app = pilot.app
        await open_f5(pilot)
        assert started() == [], "one key opened the panes, and told no one"
        panel = app.query_one(RunbookPanel)
        first = str(panel.focus_target.get_option_at_index(0).prompt)
        assert "Enter records 'runbook high-error-rate started' for everyone" in first
        await pilot.press("shift+tab")  # the checklist, its first line highlighted
        assert app.focused is panel.focus_target
        await pilot.press("enter")
        from warroom.ui.screens.dialogs import RecordScreen

        assert isinstance(app.screen, RecordScreen)
        statement = str(app.screen.query_one("#statement").render())
        assert f"Record for everyone in {incident}" in statement and "High error rate" in statement
        await pilot.press("escape")
        assert not isinstance(app.screen, RecordScreen) and started() == []
        assert app.focused is app.query_one(QuickEntry), "after a dialog, the entry line (§1)"
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "shift+tab", "enter")
        assert isinstance(app.screen, RecordScreen)
        await pilot.press("enter")
        assert started() == [{"runbook": "high-error-rate", "title": "High error rate",
                              "panes": "pods, postgres, http"}]
        assert "recorded for everyone" in str(panel.focus_target.get_option_at_index(0).prompt)
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "shift+tab", "home", "enter")
        assert app.focused is panel.focus_target
        assert not isinstance(app.screen, RecordScreen) and len(started()) == 1, "the line is spent"


# -- ${VAR} ---------------------------------------------------------------------------------------------
def test_an_unset_variable_without_default_is_named():
    spec = PaneSpec("postgres", "${DATABASE_URL}")
    assert spec.unset({}) == ["DATABASE_URL"] and spec.unset({"DATABASE_URL": ""}) == ["DATABASE_URL"]
    assert spec.unset({"DATABASE_URL": "postgresql://x@h/db"}) == []
    assert PaneSpec("redis", "${R:-redis://x:1/0}").unset({}) == [], "a default is not a silent fallback"
    assert spec.unset_reason("/opt/share/runbooks/high-error-rate.toml", {}) == \
        "DATABASE_URL is not set: set it or edit runbooks/high-error-rate.toml"
    two = PaneSpec("http", "${A} ${B}")
    assert two.unset_reason("x/runbooks/h.toml", {}) == "A, B are not set: set them or edit runbooks/h.toml"


async def test_an_unset_variable_is_said_in_its_pane_instead_of_connecting(console, room, sources, monkeypatch):
    monkeypatch.delenv("DATABASE_URL")
    room.declare("Checkout 5xx", "SEV2")
    async with console() as pilot:
        app = pilot.app
        await until(lambda: app.runbooks, pilot=pilot, what="the runbooks bound")
        await pilot.press("f5")
        await until(lambda: len(panes(app)) == 3 and panes(app)["postgres"].schedule.refreshes, 5,
                    "the postgres pane's first refresh", pilot=pilot)
        pg = panes(app)["postgres"]
        await until(lambda: pg.has_class("-error"), 5, "the error shown", pilot=pilot)
        error = str(pg.query_one(".diag-error").render())
        assert error == "DATABASE_URL is not set: set it or edit runbooks/high-error-rate.toml"
        assert pg.region.height > 3 and app.screen.region.contains_region(pg.query_one(".diag-error").region)
        assert pg.snapshot is None and pg.table.row_count == 0, "nothing was asked of any server"
        await until(lambda: panes(app)["pods"].snapshot is not None, 5, "the other panes still work", pilot=pilot)


# -- cancel names what it cancels ---------------------------------------------------------------------
class PaneApp(App):
    CSS = "DiagPane { width: 60; height: 1fr; }"

    def __init__(self, pane: DiagPane, width: int = 60) -> None:
        self.CSS = f"DiagPane {{ width: {width}; height: 1fr; }}"
        super().__init__()
        self.pane = pane

    def compose(self) -> ComposeResult:
        yield self.pane

    def on_mount(self) -> None:
        self.pane.table.focus()


async def test_cancel_asks_with_the_backends_pid_duration_start_and_query(room, postgres_server, sleeper):
    pid, failed, thread = sleeper
    incident = room.declare("Checkout errors", "SEV2").id
    pane = DiagPane(PostgresDiagnostic(postgres_server.app_dsn), room=room, incident=incident, interval=5)
    async with PaneApp(pane).run_test(size=(80, 30)) as pilot:
        await until(lambda: str(pid) in pane.table.index, 10, "the sleeping backend listed", pilot=pilot)
        pane.table.move_cursor(pane.table.index[str(pid)])
        cells = dict(zip(pane.table.columns, pane.table.row(str(pid)).cells))
        await pilot.press("C")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        body = pilot.app.screen.body(80)
        text = body.plain
        assert "Cancel the backend's query" in text and "hunter2" not in text
        for label in ("PID", "DURATION", "STARTED", "STATE", "QUERY"):
            assert label in text
        assert str(pid) in text and cells["DURATION"] in text and cells["STARTED"] in text
        assert cells["STARTED"].endswith("Z") and cells["DURATION"].endswith("s")
        assert "select pg_sleep(30) /* [red]warroom[/]" in text, "the query as text, never as markup"
        assert "\x1b" not in text and "\x07" not in text
        lines = text.splitlines()
        assert all(cell_len(line) <= int(80 * 0.9) - 6 for line in lines[1:]), "cut to the dialog's width"
        query = [line for line in lines if "pg_sleep" in line or line.startswith(" " * 10)]
        assert 1 <= len(query) <= 3 and query[-1].endswith("…"), "a long query is cut, and says so"
        await pilot.press("n")
        assert not isinstance(pilot.app.screen, ConfirmScreen)
        assert thread.is_alive() and not [e for e in room.log.events(incident) if e.kind == "diag_action"]
        await pilot.press("C", "y")
        assert await until(lambda: [e for e in room.log.events(incident) if e.kind == "diag_action"], pilot=pilot)
        assert await until(lambda: not thread.is_alive(), 5, "the sleep cancelled", pilot=pilot)
        assert failed and "cancel" in str(failed[0]).lower()


# -- columns that matter -------------------------------------------------------------------------------
def test_cutting_a_cell_says_so_and_keeps_what_tells_rows_apart():
    assert cut_cell("Running", 9) == "Running  "
    assert cut_cell("OOMKilled (exit 137)", 10) == "OOMKilled…"
    assert cut_cell("OOMKilled (exit 137)", 9) == "OOMKilled", "a whole first word needs no ellipsis"
    assert cut_cell("idle in transaction", 9) == "idle in… "
    assert cut_cell("api-7d9f8-00001", 10, middle=True) == "api-7…0001"
    assert cut_cell("https://api.example.com/health", 14, middle=True) == "api.exa…health", "no scheme"
    assert cut_cell("5 (2m ago)", 1) == "5"


def test_kept_columns_are_cut_before_one_gives_way_and_the_others_give_way_first():
    columns = ("A", "ID", "STATE", "WHY", "EXTRA")
    layout = ColumnLayout(keep=("ID", "STATE", "WHY"), cut=(("WHY", 4), ("ID", 4)), rest=("EXTRA",))
    natural = [3, 10, 6, 12, 5]
    wide = fit_columns(columns, natural, layout, 200)
    assert [columns[i] for i in wide.order] == ["ID", "STATE", "WHY", "EXTRA", "A"] and wide.in_view == 5
    assert wide.widths == (10, 6, 12, 5, 3)
    tight = fit_columns(columns, natural, layout, 30)
    assert tight.in_view == 3 and tight.widths[:3] == (10, 6, 10), "WHY is cut first, EXTRA gave way"
    tighter = fit_columns(columns, natural, layout, 18)
    assert tighter.in_view == 3 and tighter.widths[:3] == (4, 6, 4)
    narrow = fit_columns(columns, natural, layout, 12)
    assert narrow.in_view == 2 and narrow.widths[:2] == (4, 6), "WHY waits to the right, whole"
    assert narrow.widths[2] == min(12, 12 - 4 - 2)


def texts(table: RowTable) -> list[str]:
    return table.visible_text()


def row_text(table: RowTable, key_part: str) -> str:
    return next(line for line in texts(table) if key_part in line)


@pytest.mark.parametrize("width", [24, 40, 60])
async def test_pods_keep_status_last_state_and_restarts_in_view(kube, clock, width):
    pane = DiagPane(PodsDiagnostic("test/shop?app=api", clock=clock, kubeconfig=kube.config), interval=30)
    async with PaneApp(pane, width).run_test(size=(100, 20)) as pilot:
        await until(lambda: pane.table.row_count == 6, 10, "the pods listed", pilot=pilot)
        await pilot.pause()
        table = pane.table
        oom = row_text(table, "api-o")
        assert "CrashLoo" in oom, oom
        if width >= 40:
            header = texts(table)[0]
            assert header.startswith("NAME") and "STATUS" in header and "LAST" in header and "RE" in header
            assert "OOMKilled" in oom and " 5" in oom, oom
            assert "CrashLoopBackOff" in oom or width < 60
        else:
            assert "OOMKilled" not in oom and pane.border_subtitle == MORE_COLUMNS
            await pilot.press("right")
            oom = row_text(table, "api-o")
            assert oom.startswith("api-o") and "OOMKilled" in oom, "the name stays, LAST STATE comes in view"
            await pilot.press("right")
            assert " 5" in row_text(table, "api-o"), "then RESTARTS"
            await pilot.press("left", "left")
            assert "CrashLoo" in row_text(table, "api-o")
        assert pane.border_subtitle == (MORE_COLUMNS if table.hidden_columns else None)
        assert "NAMESPACE" in table.hidden_columns or width > 60, "less important columns gave way"


@pytest.mark.parametrize("width", [24, 40, 60])
async def test_postgres_keeps_duration_and_query_start_in_view(postgres_server, sleeper, width):
    pid, _, _ = sleeper
    pane = DiagPane(PostgresDiagnostic(postgres_server.app_dsn), interval=30)
    async with PaneApp(pane, width).run_test(size=(100, 30)) as pilot:
        await until(lambda: str(pid) in pane.table.index, 10, "the sleeping backend listed", pilot=pilot)
        await pilot.pause()
        table = pane.table
        line = row_text(table, str(pid))
        cells = dict(zip(table.columns, table.row(str(pid)).cells))
        assert line.startswith(str(pid)) and cells["DURATION"] in line, line
        if width >= 40:
            assert cells["STARTED"] in line and "active" in line
        else:
            assert cells["STARTED"] not in line and pane.border_subtitle == MORE_COLUMNS
            await pilot.press("right")
            assert cells["STARTED"] in row_text(table, str(pid)), "query start comes in view"
        if width >= 60:
            assert "select pg_sleep" in line
        assert "USER" in table.hidden_columns, "who ran it gives way before how long it runs"


@pytest.mark.parametrize("width", [24, 40, 60])
async def test_http_keeps_result_and_last_failure_in_view(health, clock, width):
    pane = DiagPane(HttpDiagnostic(f"{health.url('/ok')} {health.url('/fail')}", clock=clock), interval=30)
    async with PaneApp(pane, width).run_test(size=(100, 20)) as pilot:
        await until(lambda: pane.table.row_count == 2, 10, "both URLs checked", pilot=pilot)
        await pilot.pause()
        table = pane.table
        failing = row_text(table, "fail")
        assert "HTTP 500" in failing, failing
        if width >= 40:
            assert "14:00:00Z" in failing, "when it last failed"
        else:
            await pilot.press("right")
            assert "14:00:00Z" in row_text(table, "fail")
        assert "STATUS" in table.hidden_columns or width > 60


# -- narrow terminals ------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_narrow_panes_cover_the_timeline_but_its_last_lines_and_ctrl_t_swaps_them(
        console, room, clock, sources, size):
    incident = room.declare("Checkout returning 5xx", "SEV1")
    clock.advance(seconds=7)
    room.note(incident.id, "5xx since the 14:00 deploy", kind="observation")
    async with console(size=size) as pilot:
        app = pilot.app
        await open_f5(pilot)
        screen = app.screen
        assert screen.has_class("-narrow") or screen.has_class("-short")
        timeline, pods = app.query_one(TimelineView), panes(app)["pods"]

        def on_screen(widget) -> bool:
            region = widget.region
            return region.height > 0 and region.width > 0 and screen.region.contains_region(region)

        def timeline_rows() -> list[str]:
            return ["".join(s.text for s in timeline.render_line(y))
                    for y in range(timeline.scrollable_content_region.height)]

        assert screen.max_scroll_y == 0
        for selector in (*PARTS, "#panes"):
            assert on_screen(app.query_one(selector)), selector
        assert any("5xx since the 14:00 deploy" in row for row in timeline_rows()), "the timeline's last lines"
        assert timeline.region.height < pods.region.height, "the panes have most of the area"
        assert timeline.region.width == pods.region.width == screen.region.width, "over it, not a column"
        assert on_screen(pods.table) and pods.table.region.height >= 3
        oom = row_text(pods.table, "api-o")
        assert "CrashLoo" in oom and "OOMKilled" in oom, "values, not only names"
        others = [panes(app)["postgres"], panes(app)["http"], app.query_one(RunbookPanel)]
        assert all(p.region.height == 1 for p in others), "the panes not in use are one-line tabs"
        assert "0/2 passing" not in str(panes(app)["http"].query_one(".pane-tab-text").render()) and \
            "1/2 passing" in str(panes(app)["http"].query_one(".pane-tab-text").render()), "a tab says what it shows"
        assert bar(app).startswith(" ^t Timeline"), "the key to the timeline comes first"
        strip = timeline.region.height

        await pilot.press("ctrl+t")
        assert screen.has_class("-timeline-front") and app.focused is timeline
        assert all(p.region.height == 1 for p in (pods, *others)), "every pane a tab under the timeline"
        assert timeline.region.height >= min(3 * strip, 10), "the timeline has the area"
        for selector in (*PARTS, "#panes"):
            assert on_screen(app.query_one(selector)), selector
        assert "6 pods" in str(pods.query_one(".pane-tab-text").render())
        assert "^t Panes" in bar(app)

        await pilot.press("ctrl+t")
        assert not screen.has_class("-timeline-front") and app.focused is pods.table
        assert pods.region.height > timeline.region.height
        await pilot.press("tab")  # the next pane is drawn whole, the one before becomes a tab
        pg = panes(app)["postgres"]
        assert app.focused is pg.table and pg.region.height > 3 and pods.region.height == 1
        await pilot.press("escape")
        entry = app.query_one(QuickEntry)
        assert app.focused is entry and on_screen(entry) and pg.region.height > 3, "the pane in use stays"
        await pilot.press("ctrl+t")
        assert app.focused is entry, "typing goes on in the entry line"
        assert screen.has_class("-timeline-front") and pg.region.height == 1


async def test_wide_console_keeps_the_panes_in_a_column_and_has_no_ctrl_t(console, room, sources):
    room.declare("Checkout 5xx", "SEV2")
    async with console() as pilot:
        app = pilot.app
        await open_f5(pilot)
        timeline, pods = app.query_one(TimelineView), panes(app)["pods"]
        assert pods.region.x >= timeline.region.right and pods.region.height > 3
        assert "^t" not in bar(app)
        await pilot.press("ctrl+t")
        assert not app.screen.has_class("-timeline-front") and app.focused is pods.table
        await pilot.press("W")
        assert not app.query(DiagPane)
        assert "Refresh" not in bar(app) and "Next pane" not in bar(app)
