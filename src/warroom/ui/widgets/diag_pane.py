"""The pane that hosts any diagnostic: a table refreshed in a thread, paced by ``RefreshSchedule``.

A fetch runs in a thread worker and reports back by message, so a target that hangs never
blocks a key; the next refresh is armed only when the last one finished, so two never overlap.
The pane shows the time of the last good refresh and keeps its rows when a refresh fails,
with the error above them. Rows are updated by key inside ``batch_update`` instead of being
rebuilt. Text from the target is shown as ``rich.text.Text``, never parsed as markup.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.message import Message
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from ...diagnostics.base import BAD, Diagnostic, DIM, OK, RefreshSchedule, render_text, Row, Snapshot, WARN
from ...model.safe_text import strip_controls
from ...model.times import to_datetime
from ..tuning import freeze_big_table

LEVEL_STYLES = {OK: Style(color="green"), WARN: Style(color="yellow"), BAD: Style(color="red", bold=True),
                DIM: Style(color="grey50"), "": Style()}
HEADER = Style(bold=True, underline=True)
CURSOR = Style(reverse=True)
CURSOR_FOCUSED = Style(reverse=True, bold=True)
MAX_WIDTH = 60
NO_STYLE = Style()
FREEZE_ROWS = 1000


class ConfirmScreen(ModalScreen[bool]):
    """A y/n question; dangerous actions wait for it."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Static { width: auto; max-width: 90%; padding: 1 2; border: thick $error;
                             background: $surface; }
    """
    BINDINGS = [Binding("y", "answer(True)", "Yes", id="confirm.yes"),
                Binding("n,escape", "answer(False)", "No", id="confirm.no")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        yield Static(Text(self.question + "\n\n[y] yes   [n] no"), markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class RowTable(ScrollView, can_focus=True):
    """A table that draws only the lines on screen, one Strip per row, from plain segments.

    Textual's DataTable re-renders every visible cell through Rich after any change (≈ 80 ms
    for a screenful on a 2-core machine); a pods pane under a busy watch changes every second,
    so that cost lands on keystrokes. Here a line is a handful of segments: a frame of 50 rows
    costs about a millisecond. Rows arrive already sorted and measured (in the refresh thread).
    """

    DEFAULT_CSS = """
    RowTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "Top", show=False),
        Binding("end", "jump(-1)", "Bottom", show=False),
        Binding("enter", "select", "Select", show=False),
    ]

    @dataclass
    class Selected(Message):
        table: "RowTable"
        key: str

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns: tuple[str, ...] = ()
        self.rows: list[Row] = []
        self.widths: list[int] = []
        self.index: dict[str, int] = {}
        self.cursor = 0
        self._strips: dict[str, tuple] = {}

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def keys(self) -> list[str]:
        return [r.key for r in self.rows]

    def row(self, key: str) -> Row:
        return self.rows[self.index[key]]

    @property
    def cursor_key(self) -> str | None:
        return self.rows[self.cursor].key if self.rows else None

    def set_rows(self, columns: tuple[str, ...], rows: list[Row], widths: list[int],
                 index: dict[str, int]) -> None:
        """Swap in a new, prepared set of rows; the cursor stays on the same row key."""
        keep, old_rows, old_cursor = self.cursor_key, self.rows, self.cursor
        same_shape = columns == self.columns and widths == self.widths and len(rows) == len(old_rows)
        self.columns, self.rows, self.widths, self.index = columns, rows, widths, index
        if keep is not None and keep in index:
            self.cursor = index[keep]
        self.cursor = max(0, min(self.cursor, len(rows) - 1))
        if not same_shape:
            self._strips.clear()
            self.virtual_size = Size(sum(w + 2 for w in widths), len(rows) + 1)
            self.refresh()
            return
        # Repaint only the lines on screen whose row changed (or the cursor moved to or from).
        top = int(self.scroll_y)
        for i in range(top, min(len(rows), top + self.size.height)):
            if old_rows[i] is not rows[i] or i in (old_cursor, self.cursor):
                self.refresh_line(i + 1)

    def move_cursor(self, row: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(row, len(self.rows) - 1))
        visible = max(1, self.size.height - 1)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor + direction * max(1, self.size.height - 2))

    def action_jump(self, where: int) -> None:
        self.move_cursor(len(self.rows) - 1 if where < 0 else 0)

    def action_select(self) -> None:
        if self.rows:
            self.post_message(self.Selected(self, self.rows[self.cursor].key))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x = int(self.scroll_x)
        if y == 0:
            segments = [Segment(set_cell_size(c, w) + "  ", HEADER) for c, w in zip(self.columns, self.widths)]
        else:
            i = int(self.scroll_y) + y - 1
            if i >= len(self.rows):
                return Strip.blank(width)
            row = self.rows[i]
            cursor = i == self.cursor
            focused = cursor and self.has_focus
            hit = self._strips.get(row.key)
            if hit is not None and hit[0] is row and hit[1] == (cursor, focused, scroll_x, width):
                return hit[2]
            levels = dict(row.cell_levels)
            segments = []
            for c, (value, w) in enumerate(zip(row.cells, self.widths)):
                style = LEVEL_STYLES.get(levels.get(c) or row.level, NO_STYLE)
                if cursor:
                    style = style + (CURSOR_FOCUSED if self.has_focus else CURSOR)
                segments.append(Segment(set_cell_size(value, w) + "  ", style))
            strip = Strip(segments).crop_extend(scroll_x, scroll_x + width, None)
            if len(self._strips) > 4 * max(100, self.size.height):
                self._strips.clear()
            self._strips[row.key] = (row, (cursor, focused, scroll_x, width), strip)
            return strip
        return Strip(segments).crop_extend(scroll_x, scroll_x + width, None)


class RowPrep:
    """Sorts, cleans and measures rows in the refresh thread, remembering rows it has seen.

    A row object seen before (diagnostics reuse unchanged rows) is neither cleaned nor
    measured again, so a 5,000-row refresh with a few dozen changes costs a few ms. Column
    widths only grow until the columns change.
    """

    def __init__(self) -> None:
        self.columns: tuple[str, ...] = ()
        self.widths: list[int] = []
        self.seen: dict[str, tuple[Row, Row]] = {}

    def __call__(self, snap: Snapshot, unhealthy_first: bool) -> tuple[list[Row], list[int], dict[str, int]]:
        if snap.columns != self.columns:
            self.columns, self.seen = snap.columns, {}
            self.widths = [cell_len(c) for c in snap.columns]
        widths, seen, n = self.widths, self.seen, len(self.widths)
        rows = []
        for r in snap.rows:
            hit = seen.get(r.key)
            if hit is not None and hit[0] is r:
                rows.append(hit[1])
                continue
            joined = "".join(r.cells)
            clean_row = r if strip_controls(joined) == joined else \
                Row(r.key, tuple(strip_controls(c) for c in r.cells), r.level, r.cell_levels)
            for i, c in enumerate(clean_row.cells[:n]):
                w = len(c) if c.isascii() else cell_len(c)
                if w > widths[i]:
                    widths[i] = min(MAX_WIDTH, w)
            seen[r.key] = (r, clean_row)
            rows.append(clean_row)
        if len(seen) > 2 * len(rows) + 100:
            self.seen = {r.key: seen[r.key] for r in snap.rows if r.key in seen}
        if not (unhealthy_first and snap.ranked):
            rows.sort(key=(lambda r: (r.rank, r.key)) if unhealthy_first else (lambda r: r.key))
        return rows, list(widths), {r.key: i for i, r in enumerate(rows)}


def prepare(snap: Snapshot, unhealthy_first: bool) -> tuple[list[Row], list[int], dict[str, int]]:
    """One-off preparation of a snapshot's rows (see :class:`RowPrep`)."""
    return RowPrep()(snap, unhealthy_first)


class DiagPane(Vertical, can_focus=False):
    """One diagnostic in a pane. ``incident`` is the incident id evidence goes to (or a callable)."""

    DEFAULT_CSS = """
    DiagPane { height: 1fr; border: round $primary; }
    DiagPane:focus-within { border: round $accent; }
    DiagPane > Horizontal { height: 1; }
    DiagPane .diag-header { width: 1fr; height: 1; }
    DiagPane .diag-paused { width: auto; height: 1; background: $warning; color: $background;
                            text-style: bold; padding: 0 1; display: none; }
    DiagPane.-paused .diag-paused { display: block; }
    DiagPane .diag-error { height: auto; max-height: 3; color: $error; display: none; }
    DiagPane.-error .diag-error { display: block; }
    DiagPane .diag-summary { height: auto; max-height: 8; }
    DiagPane RowTable { height: 1fr; }
    DiagPane .diag-detail { height: auto; max-height: 14; display: none; border-top: solid $primary; }
    DiagPane.-detail .diag-detail { display: block; }
    """
    BINDINGS = [
        Binding("plus,equals_sign", "faster", "Faster", id="diag.faster", tooltip="Refresh more often"),
        Binding("minus", "slower", "Slower", id="diag.slower", tooltip="Refresh less often"),
        Binding("space", "pause", "Pause", id="diag.pause", tooltip="Pause or resume refreshing"),
        Binding("e", "evidence", "Evidence", id="diag.evidence",
                tooltip="Snapshot this pane into the timeline"),
        Binding("r", "refresh_now", "Refresh", id="diag.refresh", show=False),
        Binding("S", "toggle_sort", "Sort", id="diag.sort", tooltip="Unhealthy first / as listed"),
        Binding("C", "act('cancel')", "Cancel query", id="diag.cancel",
                tooltip="Cancel the selected backend's query (asks y/n)"),
        Binding("T", "act('terminate')", "Terminate", id="diag.terminate",
                tooltip="Terminate the selected backend (asks y/n)"),
    ]

    @dataclass
    class Fetched(Message):
        snapshot: Snapshot
        prepared: tuple | None = None

    def __init__(self, diagnostic: Diagnostic, room=None, incident: str | Callable[[], str | None] | None = None,
                 interval: float | None = None, hang_after: float = 5.0, read_only: bool = False,
                 source: str = "live", name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.diagnostic = diagnostic
        self.room = room
        self.incident = incident
        self.read_only = read_only
        self.source = source
        self.schedule = RefreshSchedule(interval or diagnostic.default_interval, diagnostic.floor, hang_after)
        self.snapshot: Snapshot | None = None
        self.unhealthy_first = True
        self._timer = None
        self._selected: str | None = None
        self._frozen_rows = 0
        self._texts: dict[str, Text] = {}
        self._prep = RowPrep()  # used by the refresh thread only

    # -- layout -------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(classes="diag-header", markup=False)
            yield Static("PAUSED", classes="diag-paused", markup=False)
        yield Static(classes="diag-error", markup=False)
        yield Static(classes="diag-summary", markup=False)
        yield RowTable()
        yield Static(classes="diag-detail", markup=False)

    @property
    def table(self) -> RowTable:
        return self.query_one(RowTable)

    def on_mount(self) -> None:
        self.border_title = self.diagnostic.title or self.diagnostic.name
        self._header()
        self.set_interval(0.5, self._header)
        self.action_refresh_now()

    def on_unmount(self) -> None:
        # Closing may wait on a socket or a watch thread: never on the UI thread.
        threading.Thread(target=self.diagnostic.close, daemon=True, name="diag-close").start()

    # -- refreshing ---------------------------------------------------------------
    def action_refresh_now(self) -> None:
        if self.schedule.begin(time.monotonic(), force=True):
            self._cancel_timer()
            self._fetch()

    def _tick(self) -> None:
        self._timer = None
        if self.schedule.begin(time.monotonic()):
            self._fetch()

    @work(thread=True, exclusive=True, exit_on_error=False, group="diag-refresh")
    def _fetch(self) -> None:
        snap = self.diagnostic.fetch()
        prepared = self._prep(snap, self.unhealthy_first) if snap.ok else None
        self.post_message(self.Fetched(snap, prepared))

    @on(Fetched)
    def _fetched(self, message: Fetched) -> None:
        message.stop()
        snap = message.snapshot
        self.schedule.end(snap)
        if snap.ok:
            self.snapshot = snap
            self._show_snapshot(snap, message.prepared)
        self._header()
        self._arm()

    def _arm(self) -> None:
        self._cancel_timer()
        if not self.schedule.paused and not self.schedule.in_flight:
            self._timer = self.set_timer(self.schedule.interval, self._tick)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def action_faster(self) -> None:
        self.schedule.faster()
        self._arm()
        self._header()

    def action_slower(self) -> None:
        self.schedule.slower()
        self._arm()
        self._header()

    def action_pause(self) -> None:
        paused = self.schedule.toggle_pause()
        self.set_class(paused, "-paused")
        if paused:
            self._cancel_timer()
        else:
            self._tick()
        self._header()

    # -- drawing ------------------------------------------------------------------
    def _header(self) -> None:
        s = self.schedule
        last = f"{to_datetime(s.last_good_ms):%H:%M:%S}Z" if s.last_good_ms else "never"
        head = Text.assemble((f"{self.diagnostic.display_target}", "bold"), f"  every {s.interval:g}s",
                             f"  last good {last}")
        if self.source == "drill":
            head.append("  DRILL", "bold magenta")
        self._set(".diag-header", head)
        error = s.last_error
        waited = s.hanging(time.monotonic())
        if waited:
            error = f"hanging: no answer for {waited:.0f}s" + (f" (last: {error})" if error else "")
        self.set_class(bool(error), "-error")
        self._set(".diag-error", Text(error))

    def _set(self, selector: str, text: Text) -> None:
        """Update a text line only when it changed, and re-layout only when its height did:
        a layout pass reflows the whole screen, which a refresh every second must not cost."""
        widget = self.query_one(selector, Static)
        old = self._texts.get(selector)
        if old is not None and old.plain == text.plain and old.spans == text.spans:
            return
        self._texts[selector] = text
        widget.update(text, layout=old is None or old.plain.count("\n") != text.plain.count("\n"))

    def _show_snapshot(self, snap: Snapshot, prepared: tuple | None = None) -> None:
        self._set(".diag-summary", Text("\n".join(snap.summary)))
        rows, widths, index = prepared or prepare(snap, self.unhealthy_first)
        self.table.set_rows(snap.columns, rows, widths, index)
        if len(rows) >= FREEZE_ROWS and len(rows) > 2 * self._frozen_rows:
            freeze_big_table()
            self._frozen_rows = len(rows)

    def _row_keys(self) -> list[str]:
        return self.table.keys()

    def action_toggle_sort(self) -> None:
        self.unhealthy_first = not self.unhealthy_first
        if self.snapshot:
            self._show_snapshot(self.snapshot)

    # -- selected row: detail -----------------------------------------------------
    def selected_key(self) -> str | None:
        return self.table.cursor_key

    @on(RowTable.Selected)
    def _row_selected(self, event: RowTable.Selected) -> None:
        event.stop()
        self._selected = event.key
        self._load_detail(event.key)

    @work(thread=True, exit_on_error=False, group="diag-detail", exclusive=True)
    def _load_detail(self, key: str) -> None:
        try:
            lines = self.diagnostic.detail(key)
        except Exception as exc:
            from ...diagnostics.base import describe_error

            lines = [describe_error(exc)]
        self.app.call_from_thread(self._show_detail, lines)

    def _show_detail(self, lines: list[str]) -> None:
        self.set_class(bool(lines), "-detail")
        self.query_one(".diag-detail", Static).update(Text("\n".join(lines[-14:])))

    # -- timeline -----------------------------------------------------------------
    def _incident_id(self) -> str | None:
        return self.incident() if callable(self.incident) else self.incident

    def evidence_payload(self) -> dict | None:
        if self.snapshot is None and not self.schedule.last_error:
            return None
        snap = self.snapshot or Snapshot(self.diagnostic.name, self.diagnostic.display_target, 0)
        text = render_text(snap)
        if self.schedule.last_error:
            text += f"\nlast refresh failed: {self.schedule.last_error}"
        return {"pane": self.diagnostic.name, "target": self.diagnostic.display_target, "text": text,
                "source": self.source}

    def action_evidence(self) -> None:
        incident = self._incident_id()
        payload = self.evidence_payload()
        if self.room is None or not incident:
            self.notify("No incident to record evidence in", severity="warning")
            return
        if payload is None:
            self.notify("Nothing to capture yet", severity="warning")
            return
        from ...room import RoomError

        try:
            self.room.record(incident, "evidence", payload)
        except RoomError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(f"Evidence from {payload['pane']} recorded", markup=False)

    # -- actions on a row ---------------------------------------------------------
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "act":
            return bool(not self.read_only and parameters and parameters[0] in self.diagnostic.actions)
        return True

    def action_act(self, action: str) -> None:
        key = self.selected_key()
        if key is None or action not in self.diagnostic.actions:
            return
        label = self.diagnostic.actions[action][1]
        question = f"{label}: {key} on {self.diagnostic.display_target}?"

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_action(action, key)

        self.app.push_screen(ConfirmScreen(question), answered)

    @work(thread=True, exit_on_error=False, group="diag-action")
    def _run_action(self, action: str, key: str) -> None:
        from ...diagnostics.base import describe_error

        try:
            result = self.diagnostic.act(action, key)
        except Exception as exc:
            result = describe_error(exc)
        self.app.call_from_thread(self._record_action, action, key, result)

    def _record_action(self, action: str, key: str, result: str) -> None:
        incident = self._incident_id()
        if self.room is not None and incident:
            self.room.record(incident, "diag_action", {
                "diagnostic": self.diagnostic.name, "action": action,
                "target": f"{key} on {self.diagnostic.display_target}", "result": result})
        self.notify(result, markup=False)
        self.action_refresh_now()
