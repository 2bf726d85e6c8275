"""The console: a thin Textual shell over a :class:`~warroom.room.Room`.

It renders state, turns keys into Room calls, and marshals events committed on other
threads (the sync worker) onto the UI loop. Anything blocking — the store, diagnostics —
runs in workers, never here.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import tomllib

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input

from . import clocks
from .events import ENTRY_KINDS, Event, label, summary
from .locations import config_dir, data_dir
from .room import Room, RoomError
from .text import compile_patterns
from .times import TimeError, hhmm, stamp
from .ui.commands import ACTIONS, bindings
from .ui.entry import QuickEntry
from .ui.keybar import KeyBar
from .ui.panels import ClocksPanel, FollowUpPanel, IncidentHeader, Roster, StatusBar
from .ui.timeline import TimelineView

ALERT_WINDOW_MS = 90_000
KIND_FILTERS: list[frozenset[str] | None] = [None, *(frozenset({k}) for k in ENTRY_KINDS)]


def _palette():
    from .ui.palette import WarroomCommands  # imported when the palette first opens
    return WarroomCommands


def load_keymap() -> dict[str, str]:
    """``[keys]`` from config.toml: action id -> key. A broken file is ignored, not fatal."""
    path = config_dir() / "config.toml"
    try:
        keys = tomllib.loads(path.read_text(encoding="utf-8")).get("keys", {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    return {k: v for k, v in keys.items() if isinstance(v, str)} if isinstance(keys, dict) else {}


class ConsoleScreen(Screen):
    """The console's screen: one grid (styles/warroom.tcss), apart from the dialogs' screens."""


class WarroomApp(App):
    CSS_PATH = str(data_dir("styles") / "warroom.tcss")
    TITLE = "warroom"
    BINDINGS = bindings()
    COMMANDS = App.COMMANDS | {lambda: _palette()}

    def __init__(self, room: Room, sync=None, clock=None, keymap: dict[str, str] | None = None) -> None:
        super().__init__()
        self.room, self.sync = room, sync
        self.clock = clock or room.clock
        self.incident_id: str | None = None
        self.keymap = load_keymap() if keymap is None else keymap
        self._alerted: set[tuple] = set()
        self._kind_filter = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ui_thread: int | None = None
        self._sync_text: Text | None = None
        self._changes: list[Event] | None = None  # the shown incident's non-entry events
        self.runbooks: dict = {}  # id -> Runbook, bound to their keys after the first frame
        self._pending_drill = None
        self._collecting = False
        self.unsaved: list[str] = []  # entries whose commit failed and were not given back yet
        self._drafts: list[tuple[Event, str]] = []  # typed, shown, not yet handed to the writer

    def on_load(self) -> None:
        # The first frame allocates a few hundred thousand objects that all live on (styles,
        # widgets, caches); collecting while they pile up only walks them again and again.
        # The collector comes back on once the first frame is painted.
        self._collecting = gc.isenabled()
        gc.disable()

    # -- layout --------------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        return ConsoleScreen(id="_default")

    def compose(self) -> ComposeResult:
        # One grid on the screen (styles/warroom.tcss), with no container between it and the
        # panels: every frame visits each container's every line, and the first frame lays
        # out and paints them all. What an entry changes (a timeline row, the entry line, the
        # status line) sits in the left column, what a second changes (the clocks, the
        # header's right end) in the right one, so each frame stays small.
        yield IncidentHeader(id="header")
        yield TimelineView(id="timeline")
        yield Vertical(id="panes")  # diagnostic panes: a column of their own once opened
        yield ClocksPanel(id="clocks")
        yield Roster(id="roster")
        yield FollowUpPanel(id="followup")
        yield QuickEntry(self._add_entry, id="entry",
                         placeholder="i to write · [-5m|14:02] [d:|a:|h:|o:] text · Enter adds")
        yield StatusBar(id="status")  # the filter box takes its place while open
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._ui_thread = threading.get_ident()
        if self.keymap:
            self.set_keymap(self.keymap)
        self.query_one(KeyBar).show_keys(self.key_for)
        incidents = self.room.incidents()
        open_ = [s for s in incidents if self.room.is_open(s)]
        pick = open_[-1] if open_ else (incidents[-1] if incidents else None)
        self.show_incident(pick.id if pick else None)
        self.room.subscribe(self._on_events)
        self._next_second()
        self.query_one(TimelineView).focus()
        # after the first frame: what the first entry would otherwise wait for
        self.call_after_refresh(self._load_runbooks)
        self.call_after_refresh(self.room.open_writer)
        self.call_after_refresh(self._warm_up)
        if self.sync is not None:
            self.sync.on_status = self._on_sync_status
            self.sync.start()

    def _warm_up(self) -> None:
        """After the first frame, what the first entry would otherwise pay for."""
        from . import quick_entry  # noqa: F401  (the entry line's grammar)

        compile_patterns()

    def _load_runbooks(self) -> None:
        """Bind each runbook's key; a malformed file is reported and the rest still load."""
        from .runbooks import load_runbooks

        if self._collecting:
            self._collecting = False
            gc.freeze()  # what the first frame built stays for good: not walked again
            gc.enable()
        books, errors = load_runbooks()
        for error in errors:
            self.notify(str(error), title="Runbook not loaded", severity="error", timeout=20, markup=False)
        for book in books:
            self.runbooks[book.id] = book
            self.bind(book.key, f"runbook('{book.id}')", description=book.title, show=False)
        if self._pending_drill is not None:
            drill, self._pending_drill = self._pending_drill, None
            self.show_incident(drill.incident_id)
            if drill.scenario.runbook in self.runbooks:
                self.run_worker(self.action_runbook(drill.scenario.runbook))

    def start_drill(self, drill) -> None:
        """Open on a drill incident with its scenario's runbook (``warroom drill``)."""
        self._pending_drill = drill

    def on_unmount(self) -> None:
        self._write_drafts()
        self.room.flush()  # every entry typed is on disk (or in self.unsaved) before we go
        self.room.unsubscribe(self._on_events)
        if self.sync is not None:
            self.sync.stop()
        gc.freeze()  # quitting should be instant: no last walk over every object on the way out
        if self._collecting:  # quit before the first frame
            gc.enable()

    def key_for(self, action_id: str) -> str:
        return self.keymap.get(action_id) or next(a.key for a in ACTIONS if a.id == action_id)

    # -- state -> screen --------------------------------------------------------------------
    @property
    def state(self):
        return self.room.state(self.incident_id, wait=False) if self.incident_id else None

    def show_incident(self, incident_id: str | None) -> None:
        self.incident_id = incident_id
        self._changes = None
        self.query_one(TimelineView).show(self.room.log, incident_id)
        if self.sync is not None:
            state = self.state
            self.sync.set_presence(incident_id, self.room.role_of(state) if state else "")
        self.refresh_panels()

    def refresh_panels(self) -> None:
        state = self.state
        policy = self.room.policy_for(state) if state else None
        self.query_one(IncidentHeader).show(state, policy)
        self.query_one(Roster).show(state, policy)
        self._show_status(state)
        self._show_time(state, policy)

    def _show_time(self, state, policy) -> None:
        """The panels that move with the clock alone: repainted every second."""
        now = self.clock()
        self.query_one(IncidentHeader).show_time(state, now)
        self.query_one(ClocksPanel).show(state, policy, now)
        self.query_one(FollowUpPanel).show(self._follow_up(state, policy, now))

    def _show_status(self, state) -> None:
        timeline = self.query_one(TimelineView)
        filter_bits = [timeline.filter_text] if timeline.filter_text else []
        if timeline.filter_kinds:
            filter_bits.append("kind " + ",".join(sorted(timeline.filter_kinds)))
        self.query_one(StatusBar).show(self.room.user, self.room.role_of(state) if state else "",
                                       str(self.room.log.path), timeline.row_count if state else None,
                                       " · ".join(filter_bits), self._sync_text)

    def _follow_up(self, state, policy, now: int) -> list[tuple[str, str]]:
        if state is None:
            return []
        if self._changes is None:
            self._changes = self.room.log.events(state.id, with_entries=False)
        if not clocks.is_resolved(state, policy) and all(e.kind != "action_item" for e in self._changes):
            return []  # no follow-up clocks run yet: not worth importing their module for
        from . import followup

        return followup.clock_lines(state, policy, self._changes, now)

    def _next_second(self) -> None:
        # On the turn of the second: the UTC clock changes when the wall clock does, and
        # between two ticks nothing time-driven is left for an entry's frame to repaint.
        self.set_timer((1000 - self.clock() % 1000) / 1000 + 0.001, self._second)

    def _second(self) -> None:
        self.tick()
        self._next_second()

    def tick(self) -> None:
        if not self.is_running:  # shutdown prunes the screens before it stops the timers
            return
        self.room.poll_log()
        state = self.state
        self._show_time(state, self.room.policy_for(state) if state else None)
        self._alert()

    def _alert(self) -> None:
        """Ring once when an update falls due or an escalation step arrives, for every open incident."""
        now = self.clock()
        for state in self.room.incidents(wait=False):
            policy = self.room.policy_for(state)
            if clocks.is_resolved(state, policy):
                continue
            update = clocks.next_update(state, policy)
            if update and update.overdue(now) and (state.id, "update", update.due_ms) not in self._alerted:
                self._alerted.add((state.id, "update", update.due_ms))
                self.bell()
                self.notify(f"{state.severity} {state.title}: status update overdue since "
                            f"{hhmm(update.due_ms)} UTC — m to draft it, u once it is out",
                            title="Update overdue", severity="error", timeout=15, markup=False)
            for step in clocks.engaged(state, policy, now):
                key = (state.id, "escalation", step.track, step.after_minutes, step.at_ms)
                if key not in self._alerted and now - step.at_ms <= ALERT_WINDOW_MS and step.after_minutes:
                    self._alerted.add(key)
                    self.bell()
                    self.notify(f"{state.title}: engage {step.notify} now ({step.track})",
                                title="Escalate", severity="warning", timeout=15, markup=False)

    # -- events from anywhere -------------------------------------------------------------
    def _on_events(self, events: list[Event]) -> None:
        self._from_any_thread(self._apply, events)

    def _from_any_thread(self, fn, *args) -> None:
        """Run ``fn`` on the UI loop: now if called there, else as soon as the loop can."""
        if threading.get_ident() == self._ui_thread:
            fn(*args)
        elif self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    def _apply(self, events: list[Event]) -> None:
        if not self.is_running:
            return
        if any(e.incident_id == self.incident_id for e in events):
            self.query_one(TimelineView).changed()
            if any(e.kind != "entry" for e in events):
                self._changes = None
                if self.sync is not None and self.state is not None:
                    self.sync.set_presence(self.incident_id, self.room.role_of(self.state))
        for event in events:
            if event.kind == "declared" and event.incident_id != self.incident_id:
                if self.incident_id is None:
                    self.show_incident(event.incident_id)
                elif event.origin != self.room.origin:
                    self.notify(f"{event.payload['severity']} {event.payload['title']} declared by "
                                f"{event.author} — x to switch", title="New incident", markup=False)
        if all(e.kind == "entry" for e in events):
            self._show_status(self.state)  # entries move only the timeline and its count
        else:
            self.refresh_panels()

    def _on_sync_status(self, status) -> None:
        def show() -> None:
            self._sync_text = status.as_text() if hasattr(status, "as_text") else Text(str(status.state))
            self.refresh_panels()
        self._from_any_thread(show)

    # -- helpers ----------------------------------------------------------------------------
    def _do(self, fn, *args, **kwargs):
        """Run a Room call, turning bad input into a notification instead of a crash."""
        try:
            return fn(*args, **kwargs)
        except RoomError as exc:
            self.notify(str(exc), title="Not done", severity="error", markup=False)
            return None

    def _need_incident(self) -> bool:
        if self.incident_id is None:
            self.notify("No incident yet: press D to declare one.", severity="warning")
            return False
        return True

    # -- actions ----------------------------------------------------------------------------
    def action_write(self) -> None:
        self.query_one(QuickEntry).focus()

    def action_declare(self) -> None:
        from .ui.dialogs import DeclareScreen

        def declared(answer: dict | None) -> None:
            if answer:
                state = self._do(self.room.declare, **answer)
                if state:
                    self.show_incident(state.id)
                    self.notify(f"{state.id} · {state.slug}", title=f"{state.severity} declared", markup=False)
        self.push_screen(DeclareScreen(self.room.policy), declared)

    def action_severity(self) -> None:
        from .ui.dialogs import PickScreen

        if not self._need_incident():
            return
        state = self.state
        policy = self.room.policy_for(state)
        options = [(s.id, f"{s.id} {s.name} — response {s.response_text}, updates "
                    f"{'every %d min' % s.update_every_minutes if s.update_every_minutes else 'as needed'}")
                   for s in policy.severities]
        self.push_screen(PickScreen("Severity", options, state.severity),
                         lambda sev: sev and self._do(self.room.set_severity, self.incident_id, sev))

    def action_status(self) -> None:
        from .ui.dialogs import PickScreen

        if not self._need_incident():
            return
        state = self.state
        policy = self.room.policy_for(state)
        options = [(s.name, f"{s.name} — {s.phase}") for s in policy.statuses]

        def picked(status: str | None) -> None:
            if status and policy.status(status).resolved:
                self.action_resolve()  # resolution goes through its checklist
            elif status:
                self._do(self.room.set_status, self.incident_id, status)
        self.push_screen(PickScreen("Status", options, state.status), picked)

    def action_assign(self) -> None:
        from .ui.dialogs import AssignScreen

        if not self._need_incident():
            return
        state = self.state

        def assigned(answer: dict | None) -> None:
            if answer:
                self._do(self.room.assign, self.incident_id, answer["role"], answer["person"], answer["briefing"])
        self.push_screen(AssignScreen(self.room.policy_for(state), state.roles), assigned)

    def action_checklist(self) -> None:
        from .ui.dialogs import ChecklistScreen, PickScreen

        if not self._need_incident():
            return
        state = self.state
        policy = self.room.policy_for(state)
        options = [(r.id, f"{r.id} — {r.name} ({len(state.done_tasks(r.id))}/{len(r.tasks)})")
                   for r in policy.roles if r.tasks]

        def picked(role_id: str | None) -> None:
            if not role_id:
                return
            role = policy.role(role_id)
            incident = self.incident_id
            self.push_screen(ChecklistScreen(
                role.name, role.tasks, self.state.done_tasks(role.id),
                lambda task, done: self._do(self.room.tick_task, incident, role.id, task, done)))
        self.push_screen(PickScreen("Checklist of which role?", options), picked)

    def action_update_posted(self) -> None:
        if not self._need_incident():
            return
        if self._do(self.room.update_posted, self.incident_id):
            update = clocks.next_update(self.state, self.room.policy_for(self.state))
            nxt = f"next due {hhmm(update.due_ms)} UTC" if update else "no cadence"
            self.notify(f"Status update recorded; {nxt}.", title="Update sent")

    def action_comms(self) -> None:
        if self._need_incident():
            from .ui.comms_pane import CommsScreen
            self.push_screen(CommsScreen(self.room, self.incident_id), lambda _: self.refresh_panels())

    def action_resolve(self) -> None:
        if self._need_incident():
            from .ui.resolution import ResolutionScreen
            self.push_screen(ResolutionScreen(self.room, self.incident_id), lambda _: self.refresh_panels())

    def action_reopen(self) -> None:
        from . import followup
        from .ui.dialogs import PromptScreen

        if not self._need_incident():
            return
        incident = self.incident_id
        self.push_screen(PromptScreen("Re-open: what recurred?", "symptoms seen again"),
                         lambda reason: reason is not None and self._do(followup.reopen, self.room, incident, reason))

    def action_rollback(self) -> None:
        if self._need_incident():
            from .ui.rollback_dialog import RollbackDialog
            self.push_screen(RollbackDialog(self.room, self.incident_id))

    def action_action_items(self) -> None:
        if self._need_incident():
            from .ui.actions_view import ActionsScreen
            self.push_screen(ActionsScreen(self.room, self.incident_id), lambda _: self.refresh_panels())

    def action_postmortem(self) -> None:
        if self._need_incident():
            from .ui.postmortem_view import PostmortemScreen
            self.push_screen(PostmortemScreen(self.room, self.incident_id))

    async def action_runbook(self, runbook_id: str) -> None:
        """Open a runbook's checklist and panes beside the timeline, and record that it started."""
        book = self.runbooks.get(runbook_id)
        if book is None or not self._need_incident():
            return
        from .drills import resume_drill
        from .ui.runbook_panel import open_runbook

        try:
            drill = resume_drill(self.room, self.incident_id)
        except LookupError as exc:
            self.notify(str(exc), title="Drill scenario missing", severity="error", markup=False)
            return
        await self._show_panes(open_runbook(self.room, self.incident_id, book, drill=drill))

    def action_diagnostic(self) -> None:
        """Open one diagnostic pane: pick a source, give its target."""
        from .diagnostics import available
        from .ui.dialogs import PickScreen, PromptScreen

        names = available()
        options = [(name, name) for name in sorted(names)]

        def picked(name: str | None) -> None:
            if name:
                self.push_screen(PromptScreen(f"{name}: target", "a DSN, a Redis URL, a URL, or ns?label=value"),
                                 lambda target: target is not None and self.run_worker(self._open_diagnostic(name, target)))
        self.push_screen(PickScreen("Open a diagnostic pane", options), picked)

    async def _open_diagnostic(self, name: str, target: str) -> None:
        from .drills import resume_drill
        from .ui.diag_pane import DiagPane
        from .ui.runbook_panel import make_diagnostic

        drill = resume_drill(self.room, self.incident_id) if self.incident_id else None
        pane = DiagPane(make_diagnostic(name, target, drill), room=self.room,
                        incident=lambda: self.incident_id, source="drill" if drill else "live")
        await self._show_panes([pane], replace=False)

    async def _show_panes(self, widgets: list, replace: bool = True) -> None:
        panes = self.query_one("#panes")
        if replace:
            await panes.remove_children()
        await panes.mount_all(widgets)
        panes.add_class("-open")
        panes.screen.add_class("-panes")
        focusable = [w for w in widgets if getattr(w, "table", None) is not None]
        if focusable:
            focusable[0].table.focus()

    async def action_close_panes(self) -> None:
        panes = self.query_one("#panes")
        await panes.remove_children()
        panes.remove_class("-open")
        panes.screen.remove_class("-panes")
        self.query_one(TimelineView).focus()

    def action_acknowledge(self) -> None:
        if self._need_incident():
            self._do(self.room.acknowledge, self.incident_id)

    def action_switch(self) -> None:
        from .ui.dialogs import PickScreen

        incidents = self.room.incidents()
        if not incidents:
            self.notify("No incidents yet: press D to declare one.", severity="warning")
            return
        incidents.sort(key=lambda s: (not self.room.is_open(s), -(s.declared_ms or 0)))
        options = [(s.id, f"{s.severity} {s.status:<13} {s.title}  ({s.id}){'  DRILL' if s.drill else ''}")
                   for s in incidents]
        self.push_screen(PickScreen("Switch incident", options, self.incident_id),
                         lambda ref: ref and self.show_incident(ref))

    def action_filter_text(self) -> None:
        box = self._filter_box()
        if box is None:
            box = Input(placeholder="filter the timeline (Enter keeps it, Esc clears)", id="filter", compact=True)
            self.mount(box, after=self.query_one(StatusBar))
        self._filtering(box, True)
        box.focus()

    def _filtering(self, box: Input, on: bool) -> None:
        """The filter box takes the status line's place while it is open, like ``/`` in less."""
        box.display = on
        self.query_one(StatusBar).display = not on

    def _filter_box(self) -> Input | None:
        found = self.query("#filter")
        return found.first(Input) if found else None

    def action_filter_kind(self) -> None:
        self._kind_filter = (self._kind_filter + 1) % len(KIND_FILTERS)
        timeline = self.query_one(TimelineView)
        timeline.set_filter(KIND_FILTERS[self._kind_filter], timeline.filter_text)
        self.refresh_panels()

    def action_help(self) -> None:
        from .ui.dialogs import HelpScreen

        self.push_screen(HelpScreen())

    # -- widget messages ----------------------------------------------------------------------
    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        timeline = self.query_one(TimelineView)
        timeline.set_filter(timeline.filter_kinds, event.value)
        self.refresh_panels()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self._filtering(self.query_one("#filter", Input), False)
        self.query_one(TimelineView).focus()

    def on_key(self, event) -> None:
        if event.key != "escape":
            return
        box = self._filter_box()
        if box is not None and box.has_focus:
            box.value = ""
            self._filtering(box, False)
            self.query_one(TimelineView).focus()
            event.stop()

    def _add_entry(self, value: str) -> None:
        """The scribe's hot path: the entry is on screen in the next frame, and its commit
        follows on the writer thread once that frame is painted (see write_behind.py)."""
        entry = self.query_one(QuickEntry)
        if not value.strip() or not self._need_incident():
            return
        from .quick_entry import parse

        try:
            at, kind, text = parse(value, entry.kind, self.clock())
        except TimeError as exc:
            self.notify(str(exc), title="Entry kept, not added", severity="error", markup=False)
            return
        event = self._do(self.room.draft_note, self.incident_id, text, kind, at)
        if event is None:
            return
        with self.prevent(Input.Changed):  # nobody listens, and it would bubble through every container
            entry.value = ""
        if self.query_one(TimelineView).add_pending(event):
            self._show_status(self.state)
        self._drafts.append((event, value))
        if len(self._drafts) == 1:
            self.call_after_refresh(self._write_drafts)

    def _write_drafts(self) -> None:
        """Hand the entries typed since the last frame to the writer once that frame is on
        screen. The writer takes the GIL back after each of its SQLite calls; started at once,
        those turns land in the middle of painting the entry, and on a busy machine each can
        cost the UI thread an OS scheduling delay."""
        drafts, self._drafts = self._drafts, []
        for event, value in drafts:
            self.room.write_behind(event, lambda events, exc, value=value: self._not_saved(value, events, exc))

    def _not_saved(self, value: str, events: list[Event], exc: Exception) -> None:
        """A write-behind commit failed (on the writer thread): the text goes back to the
        entry line, or stays listed to be printed at exit if the console is closing."""
        self.unsaved.append(value)

        def give_back() -> None:
            if not self.is_running:
                return
            self.query_one(TimelineView).drop_pending({e.event_id for e in events})
            entry = self.query_one(QuickEntry)
            if not entry.value:
                entry.value = value
                self.unsaved.remove(value)
                told = f"{exc}. The entry is back in the entry line: Enter tries again."
            else:
                told = f"{exc}. Not saved: {value!r} (printed again when warroom quits)."
            self.notify(told, title="Entry not saved", severity="error", timeout=30, markup=False)
            self._show_status(self.state)
        self._from_any_thread(give_back)

    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, QuickEntry):
            self.query_one(TimelineView).make_room()

    @on(QuickEntry.Left)
    def _entry_left(self) -> None:
        self.query_one(TimelineView).focus()

    @on(TimelineView.Opened)
    def _opened(self, message: TimelineView.Opened) -> None:
        from .ui.dialogs import TextScreen

        event = self.room.log.get(message.event_id)
        if event is None:
            return
        body = [f"occurred  {stamp(event.occurred_ms)} UTC", f"recorded  {stamp(event.recorded_ms)} UTC",
                f"author    {event.author}{f' ({event.role})' if event.role else ''}",
                f"kind      {label(event)}", f"origin    {event.origin}", f"id        {event.event_id}", ""]
        body.append(event.payload.get("text") or summary(event))
        if event.payload.get("briefing"):
            body.append(f"briefing: {event.payload['briefing']}")
        self.push_screen(TextScreen(label(event).upper(), "\n".join(body)))
