"""The pane that hosts any diagnostic: a table refreshed in a thread, paced by ``RefreshSchedule``.

A fetch runs in a thread worker and reports back by message, so a target that hangs never
blocks a key; the next refresh is armed only when the last one finished, so two never overlap.
The pane shows the time of the last good refresh and keeps its rows when a refresh fails,
with the error above them. Rows are updated by key inside ``batch_update`` instead of being
rebuilt. Text from the target is shown as ``rich.text.Text``, never parsed as markup.

Panes are driven from the keyboard: Tab / F6 reach each pane's table or checklist (the
console's ring), Esc goes back to the entry line, and the key bar shows the keys of the pane
that has the focus (:meth:`Pane.key_hints`). On a narrow console only the pane in use is drawn
whole; the others, and all of them while the timeline is in front, shrink to a one-line tab.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from ...diagnostics.base import Diagnostic, RefreshSchedule, render_text, Snapshot
from ...model.safe_text import clean, strip_controls
from ...model.times import to_datetime
from ..tuning import freeze_big_table
from .row_table import cut_cell, prepare, RowPrep, RowTable

__all__ = ["ConfirmScreen", "DiagPane", "Pane", "pane_targets", "prepare", "RowPrep", "RowTable"]

FREEZE_ROWS = 1000
MORE_COLUMNS = "← → more columns"


class ConfirmScreen(ModalScreen[bool]):
    """A y/n question; dangerous actions wait for it. ``details`` are (label, value) lines
    naming what the action is about, each value cleaned and cut to the dialog's width (three
    lines at most), so the question is answered about the thing it names."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Static { width: auto; max-width: 90%; padding: 1 2; border: thick $error;
                             background: $surface; }
    """
    BINDINGS = [Binding("y", "answer(True)", "Yes", id="confirm.yes"),
                Binding("n,escape", "answer(False)", "No", id="confirm.no")]

    def __init__(self, question: str, details: list[tuple[str, str]] = ()) -> None:
        super().__init__()
        self.question = question
        self.details = list(details)

    def compose(self) -> ComposeResult:
        yield Static(self.body(self.app.size.width), markup=False)

    def body(self, screen_width: int) -> Text:
        text = Text(self.question)
        if self.details:
            label_w = max(cell_len(label) for label, _ in self.details) + 2
            # the dialog: 90% of the screen, less its border (2) and padding (4)
            room = max(10, int(screen_width * 0.9) - 6 - label_w)
            text.append("\n")
            for label, value in self.details:
                lines = wrap_cells(clean(strip_controls(value)), room, 3)
                text.append("\n" + label.ljust(label_w), "bold")
                text.append(("\n" + " " * label_w).join(lines))
        text.append("\n\n[y] yes   [n] no")
        return text

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


def wrap_cells(value: str, width: int, lines: int) -> list[str]:
    """``value`` on at most ``lines`` lines of ``width`` cells, the last cut with an ellipsis."""
    value = " ".join(value.split())
    out: list[str] = []
    while value and len(out) < lines:
        if cell_len(value) <= width:
            out.append(value)
            break
        if len(out) == lines - 1:
            out.append(cut_cell(value, width).rstrip())
            break
        n = width
        while cell_len(value[:n]) > width:
            n -= 1
        out.append(value[:n])
        value = value[n:]
    return out or [""]


class Pane(Vertical):
    """What the diagnostic panes and the runbook panel share in the console: the widget Tab and
    F6 stop at, Esc back to the entry line, the one-line tab a narrow console shows it as, and
    which pane is the one in use (``-current``; the others carry ``-tab``)."""

    BINDINGS = [Binding("escape", "app.write", "Entry line", show=False, id="pane.leave")]

    @property
    def focus_target(self) -> Widget:
        raise NotImplementedError

    def tab_text(self) -> Text:
        """The pane as one line: its title and what it says in short."""
        return Text(str(self.border_title or ""))

    def key_hints(self) -> list[tuple[str, str]]:
        """(key, title) for the key bar while the pane has the focus, the most used first (the
        bar adds the ways to the next pane and back to the entry line)."""
        return []

    def on_mount(self) -> None:
        self.set_class(True, "-tab")
        self.watch(self.screen, "focused", self._focus_moved, init=False)

    def _focus_moved(self, focused: Widget | None) -> None:
        if focused is None:
            return
        if focused is self or self in focused.ancestors:
            self.screen.remove_class("-timeline-front")
            arrange(self.parent, current=self)
        elif focused.id == "timeline" and self.parent is not None and self is self.parent.children[0]:
            self.screen.add_class("-timeline-front")
            arrange(self.parent)

    def show_tab(self) -> None:
        tab = self.query(".pane-tab-text")
        if tab:
            tab.first(Static).update(self.tab_text())


def panes_in(container: Widget | None) -> list[Pane]:
    return [w for w in container.children if isinstance(w, Pane)] if container is not None else []


def pane_targets(container: Widget | None) -> list[Widget]:
    """What Tab and F6 stop at in the open panes, in screen order."""
    return [p.focus_target for p in panes_in(container)]


def arrange(container: Widget | None, current: Pane | None = None) -> None:
    """Mark the pane in use (``current``, else the one marked before); the others, and every
    pane while the timeline is in front, become tabs (drawn as one line on a narrow console)."""
    panes = panes_in(container)
    if not panes:
        return
    if current is None:
        current = next((p for p in panes if p.has_class("-current")), panes[0])
    front = panes[0].screen.has_class("-timeline-front") if panes[0].is_attached else False
    for pane in panes:
        pane.set_class(pane is current, "-current")
        pane.set_class(pane is not current or front, "-tab")


def bound_keys(screen, ids: set[str]) -> dict[str, str]:
    """binding id -> the first key in force for it, as shown (the keymap may have moved it);
    an action its widget disables (no cancel on this source) is left out."""
    found: dict[str, str] = {}
    for key, active in screen.active_bindings.items():
        binding_id = active.binding.id
        if binding_id in ids and binding_id not in found and active.enabled:
            found[binding_id] = screen.app.get_key_display(active.binding)
    return found


class DiagPane(Pane, can_focus=False):
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
    DiagPane .diag-summary { height: auto; max-height: 30%; text-wrap: nowrap; text-overflow: ellipsis; }
    DiagPane RowTable { height: 1fr; }
    DiagPane .diag-detail { height: auto; max-height: 14; display: none; border-top: solid $primary; }
    DiagPane.-detail .diag-detail { display: block; }
    DiagPane .pane-tab { height: 1; display: none; }
    DiagPane .pane-tab-text { width: 1fr; height: 1; }
    DiagPane .pane-more { width: auto; height: 1; padding: 0 1; color: $text-muted; display: none; }
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
        with Horizontal(classes="pane-tab"):  # on a narrow console, the pane's title line
            yield Static(classes="pane-tab-text", markup=False)
            yield Static(MORE_COLUMNS, classes="pane-more", markup=False)
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

    @property
    def focus_target(self) -> Widget:
        return self.table

    def tab_text(self) -> Text:
        title = str(self.border_title or self.diagnostic.name)
        text = Text.assemble(("▸ ", "bold"), (title, "bold"))
        if self.schedule.last_error:
            text.append(f"  {self.schedule.last_error}", "red")
        elif self.snapshot is not None and self.snapshot.summary:
            text.append(f"  {self.snapshot.summary[0]}")
        if self.schedule.paused:
            text.append("  PAUSED", "bold yellow")
        text.no_wrap, text.overflow = True, "ellipsis"
        return text

    def key_hints(self) -> list[tuple[str, str]]:
        keys = bound_keys(self.screen, {"diag.faster", "diag.slower", "diag.pause", "diag.evidence",
                                        "diag.cancel", "diag.terminate", "diag.sort"})
        hints = []
        if "diag.faster" in keys or "diag.slower" in keys:
            hints.append(("/".join(keys[k] for k in ("diag.faster", "diag.slower") if k in keys), "Refresh"))
        for binding_id, title in (("diag.pause", "Resume" if self.schedule.paused else "Pause"),
                                  ("diag.evidence", "Evidence"), ("diag.cancel", "Cancel query"),
                                  ("diag.terminate", "Terminate"), ("diag.sort", "Sort")):
            if binding_id in keys:
                hints.append((keys[binding_id], title))
        wide = self.table.hidden_columns or self.table.scroll_x
        hints.append(("↑↓←→" if wide else "↑↓", "Scroll"))
        hints.append(("⏎", "Detail"))
        return hints

    @on(RowTable.Overflowed)
    def _overflowed(self, message: RowTable.Overflowed) -> None:
        message.stop()
        self.border_subtitle = MORE_COLUMNS if message.hidden else None
        self.set_class(bool(message.hidden), "-overflow")
        if self.screen.focused is self.table:  # its scroll keys are on the key bar: ← → or not
            for bar in self.screen.query("KeyBar"):
                bar.redraw()

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
        self._set(".pane-tab-text", self.tab_text())

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
        # a line each, cut rather than wrapped (its CSS): in a narrow pane the rows are the point
        self._set(".diag-summary", Text("\n".join(snap.summary)))
        rows, widths, index = prepared or prepare(snap, self.unhealthy_first)
        self.table.set_rows(snap.columns, rows, widths, index, snap.layout)
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
        from ..screens.dialogs import RecordScreen

        # the snapshot as it was when e was pressed; recording it is the dialog's Enter
        first = payload["text"].splitlines()[0] if payload["text"] else ""
        statement = (f"Record for everyone in {incident}: evidence from {payload['pane']}"
                     f" ({payload['target']})\n{first}")
        self.app.push_screen(RecordScreen("Evidence", lambda _: statement),
                             lambda answer: answer is not None and self._record_evidence(incident, payload))

    def _record_evidence(self, incident: str, payload: dict) -> None:
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

        self.app.push_screen(ConfirmScreen(question, self.row_details(key)), answered)

    def row_details(self, key: str) -> list[tuple[str, str]]:
        """The row an action is about, as its y/n question names it (the source's ``confirm``
        columns, else every column): PID, duration, query start and query text for a backend."""
        table = self.table
        if key not in table.index:
            return []
        cells = dict(zip(table.columns, table.row(key).cells))
        layout = self.snapshot.layout if self.snapshot is not None else None
        names = [c for c in (layout.confirm if layout else ()) if c in cells] or list(table.columns)
        return [(name, cells[name]) for name in names if cells[name]]

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
