"""The console: a thin Textual shell over a :class:`~warroom.room.Room`.

It renders state and turns keys into Room calls. What other threads commit (the sync
follower, the write-behind) and the sync status reach it as messages (messages.py); which
clock rings when is the model's (model/alerts.py), the app only tells it. Anything blocking —
the store, diagnostics — runs in workers, never here.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import sys
import threading
import time
from typing import Callable

from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult
from textual.await_complete import AwaitComplete
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, TextArea

from ..config import config_dir, data_dir
from ..errors import WarroomError
from ..model import clocks
from ..model.alerts import AlertWatch, notices
from ..model.events import ENTRY_KINDS, Event, label, summary
from ..model.safe_text import compile_patterns
from ..model.times import hhmm, stamp, TimeError, to_datetime
from ..room import Room
from .keys import ACTIONS, bindings
from .messages import EntryRefused, EventsCommitted, SyncStatusChanged
from .tuning import Collector
from .widgets.entry_line import QuickEntry, SafeInput
from .widgets.key_bar import KeyBar
from .widgets.panels import ClocksPanel, FollowUpPanel, IncidentHeader, Roster, StatusBar, sync_status_text
from .widgets.timeline import TimelineView

TYPED_ONTO_S = 1.0  # keys this soon after an entry comes back were meant for the next one
# A command letter followed this soon by another printable key was the first letter of a
# sentence: nobody reads a dialog that fast. Well above the gaps of fast typing (≈ 100 ms),
# below a person's reaction to a dialog opening.
PROSE_GAP_S = 0.3
SYNC_GOODBYE_S = 0.4  # for the sync threads, at quit: a live store takes milliseconds, a hung one never
# Paging's own timer (screens/page.py): a due escalation step pages within this, and a tick with
# nothing configured costs one stat of the contacts file.
PAGING_TICK_S = 5.0
# The commands that open a dialog: typed as the first letter of a sentence, theirs is dropped.
DIALOG_ACTIONS = frozenset({"declare", "severity", "status", "assign", "checklist", "comms", "update_posted",
                            "acknowledge", "switch", "rollback", "resolve", "reopen", "action_items",
                            "postmortem", "diagnostic", "help", "fields", "page"})
KIND_FILTERS: list[frozenset[str] | None] = [None, *(frozenset({k}) for k in ENTRY_KINDS)]


def _palette():
    from .palette import WarroomCommands  # imported when the palette first opens
    return WarroomCommands


def load_keymap(warn: Callable[[str], None] | None = None) -> dict[str, str]:
    """``[keys]`` from config.toml: action id -> key.

    A broken file costs the console nothing but the custom keys: ``warn`` is told why (one
    line naming the file) and the defaults apply. Posting, which needs the file's secrets,
    refuses the same file instead (comms_config)."""
    from ..model.tomlfile import load, TomlFileError

    path = config_dir() / "config.toml"
    try:
        keys = load(path).get("keys", {}) if path.is_file() else {}
        if not isinstance(keys, dict):
            raise TomlFileError(path, f"keys: expected a table, got {type(keys).__name__}")
    except (TomlFileError, OSError) as exc:
        if warn is not None:
            warn(f"{exc}; [keys] ignored, the default keys apply")
        return {}
    return {k: v for k, v in keys.items() if isinstance(v, str)}


class Unsaved(str):
    """An entry whose commit failed: the line as typed, and what it keeps when tried again.

    The line is read again as at the moment it was typed: ``-5m`` keeps its backdate, a
    plain entry the time it was typed, an edited one the same. ``event`` is its last draft."""

    def __new__(cls, value: str, seq: int, kind: str, now_ms: int, plain_ms: int, event: Event,
                reason: str = "") -> "Unsaved":
        self = super().__new__(cls, value)
        self.seq, self.kind, self.now_ms, self.plain_ms = seq, kind, now_ms, plain_ms
        self.event, self.reason = event, reason
        return self

    @property
    def occurred_ms(self) -> int:
        return self.event.occurred_ms

    def retyped(self, value: str, event: Event | None = None, reason: str | None = None) -> "Unsaved":
        return Unsaved(value, self.seq, self.kind, self.now_ms, self.plain_ms, event or self.event,
                       self.reason if reason is None else reason)


class ConsoleScreen(Screen):
    """The console's screen: one grid (styles/warroom.tcss), apart from the dialogs' screens.
    Under 120 columns or 36 rows it is one column, with the clocks and roster compact."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]

    _covered = False  # a dialog has been over the screen

    def on_screen_suspend(self) -> None:
        self._covered = True

    def on_screen_resume(self) -> None:
        # Back from any dialog, keys land in the entry line again: the scribe types on
        # without looking, and prose must never fall through to the one-letter commands.
        # (Not as the console starts, and not while it closes and its widgets go.)
        if (self._covered and self.app.is_running and self.app.incident_id is not None
                and self.query("#timeline") and self.query("#entry")):
            self.query_one(QuickEntry).focus()


class WarroomApp(App):
    CSS_PATH = str(data_dir("styles") / "warroom.tcss")
    TITLE = "warroom"
    BINDINGS = bindings()
    COMMANDS = App.COMMANDS | {lambda: _palette()}
    delivery_runner = None  # posts waiting out an outage, sent from the tick (screens/comms.py)
    pager = None  # pages, acknowledgements and who is on call, on a timer of their own (screens/page.py)

    def __init__(self, room: Room, sync=None, clock=None, keymap: dict[str, str] | None = None) -> None:
        super().__init__()
        self.room, self.sync = room, sync
        self.clock = clock or room.clock
        self.incident_id: str | None = None
        self.keymap = keymap if keymap is not None else load_keymap(  # shown once the screen is up
            lambda text: self.notify(text, title="config.toml", severity="warning", timeout=20, markup=False))
        self.alerts = AlertWatch()
        self._declared_elsewhere: list[Event] = []  # told at the next tick, all at once
        self._kind_filter = 0
        self._ui_thread: int | None = None  # commits made on it are shown at once, not queued
        self._sync_text: Text | None = None
        self._changes: list[Event] | None = None  # the shown incident's non-entry events
        self.runbooks: dict = {}  # id -> Runbook, bound to their keys after the first frame
        self._pending_drill = None
        self._collector = Collector()
        # Entries whose commit failed, oldest typed first, apart from the one back in the
        # entry line (``_given_back``); ``warroom`` prints what is left at exit.
        self.unsaved: list[Unsaved] = []
        self._unsaved_lock = threading.Lock()  # failures arrive on the writer thread
        self._given_back: Unsaved | None = None
        self._given_back_line: QuickEntry | None = None
        self._given_back_at = 0.0

        self._typed = itertools.count()
        # A printable key typed while no text field had the focus, and the screens then open:
        # if a dialog opened on it and the very next key is printable too, the two were prose.
        self._armed: tuple[int, str, str, float] | None = None
        self._prose = False  # keys go to the entry line until the next non-printable one
        self._drop_dialog = False
        self._quitting = None  # the timer of a q that may still be the start of a sentence
        self.prose_gap_s = PROSE_GAP_S
        self._drafts: list[tuple[Event, Unsaved]] = []  # typed, shown, not yet handed to the writer

    def on_load(self) -> None:
        self._collector.pause()  # back on once the first frame is painted (tuning.py)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded and self._typed_prose(event):
            return
        await super().on_event(event)

    def _typed_prose(self, event: events.Key) -> bool:
        """Keep prose typed away from the entry line out of the commands.

        A one-letter command followed at once by another printable key was the start of a
        sentence ("upstream ok"): the dialog it opened closes unanswered and both keys go to
        the entry line, with the rest of the sentence after them. A printable key that no
        binding takes goes there too. Decided here, as each key arrives, so keys typed
        faster than a dialog closes still land in order; when they come faster than the
        dialog opens, it is not opened at all (``push_screen``)."""
        armed, self._armed = self._armed, None
        if not event.is_printable or not event.character:
            self._prose = self._drop_dialog = False
            return False
        depth = len(self.screen_stack)
        quick = armed is not None and event.time - armed[3] < self.prose_gap_s
        if self._quitting is not None and armed is not None:
            self._quitting.stop()  # "queue full": not a quit
            self._quitting = None
            self._to_entry(armed[2] + event.character)
            return True
        if quick and depth > armed[0]:
            # even a dialog that opened on a text field: the key was not typed into it
            self.screen.dismiss(None)
            self._to_entry(armed[2] + event.character)
            return True
        if isinstance(self.focused, (Input, TextArea)):
            self._prose = False
            return False
        if self._prose:
            self._to_entry(event.character)
            return True
        if armed is not None and depth > armed[0] and event.key not in self.active_bindings:
            # (a key the dialog binds, like y in a y/n question, is its answer)
            self.screen.dismiss(None)  # unanswered: nothing is recorded
            self._to_entry(armed[2] + event.character)
            return True
        if armed is not None and depth == armed[0] == 1 and armed[1] in self._dialog_keys():
            self._drop_dialog = True  # its command has not run yet: the dialog it opens is dropped
            self._to_entry(armed[2] + event.character)
            return True
        if depth == 1 and event.key not in self.active_bindings:
            self._to_entry(event.character)
            return True
        self._armed = (depth, event.key, event.character, event.time)
        if depth == 1 and event.key == self.key_for("quit") and self.prose_gap_s > 0:
            # q quits unless a sentence goes on at once: the gap is the only wait
            self._quitting = self.set_timer(self.prose_gap_s, self._quit_now)
            return True
        return False

    async def _quit_now(self) -> None:
        self._quitting = None
        await self.run_action("quit")

    def _dialog_keys(self) -> set[str]:
        return {self.key_for(action_id) for action_id in DIALOG_ACTIONS}

    def push_screen(self, screen, callback=None, wait_for_dismiss=False, **kwargs):
        if self._drop_dialog and isinstance(screen, ModalScreen):
            self._drop_dialog = False  # unanswered, as if Esc: nothing is recorded
            if wait_for_dismiss:
                future = asyncio.get_running_loop().create_future()
                future.set_result(None)
                return future
            return AwaitComplete.nothing()
        return super().push_screen(screen, callback, wait_for_dismiss, **kwargs)

    def _to_entry(self, text: str) -> None:
        self._prose = True
        entry = self.query_one(QuickEntry)
        entry.insert_text_at_cursor(text)
        entry.focus()

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
        yield QuickEntry(self._add_entry, id="entry")
        yield StatusBar(id="status")  # the filter box takes its place while open
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self._ui_thread = threading.get_ident()
        if self.keymap:
            self.set_keymap(self.keymap)
        self.query_one(KeyBar).show_keys(self.key_for)
        # the newest open incident, else the newest: nothing else is folded to start
        open_ = self.room.open_ids()
        shown = open_ or self.room.incident_ids()[-1:]
        self.show_incident(shown[-1] if shown else None)
        now = self.clock()
        for incident_id in open_:
            self.alerts.watch(incident_id, now)
        self.room.subscribe(self._on_events)
        self._next_second()
        self._paging_timer = self.set_interval(PAGING_TICK_S, self._paging_tick)
        self.query_one(TimelineView).focus()
        # after the first frame: what the first entry would otherwise wait for
        self.call_after_refresh(self._load_runbooks)
        self.call_after_refresh(self.room.open_writer)
        self.call_after_refresh(self._warm_up)
        if self.sync is not None:
            self.sync.on_status = lambda status: self.post_message(SyncStatusChanged(status))
            self.sync.start()

    def _warm_up(self) -> None:
        """After the first frame, what the first entry would otherwise pay for."""
        from ..model import entry_line  # noqa: F401  (the entry line's grammar)

        compile_patterns()

    def _load_runbooks(self) -> None:
        """Bind each runbook's key; a malformed file is reported and the rest still load."""
        from ..diagnostics.runbooks import load_runbooks

        self._collector.resume()
        books, errors = load_runbooks()
        for error in errors:
            self.notify(str(error), title="Runbook not loaded", severity="error", timeout=20, markup=False)
        taken = {self.key_for(a.id): a.id for a in ACTIONS}
        for book in books:
            if book.key in taken:  # the console's own key wins: a runbook never hides a command
                self.notify(f"{book.path}: key: {book.key} is the console's key for {taken[book.key]}; "
                            "the runbook opens from the palette", title="Runbook key not bound",
                            severity="warning", timeout=20, markup=False)
            else:
                self.bind(book.key, f"runbook('{book.id}')", description=book.title, show=False)
            self.runbooks[book.id] = book
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
        if self._given_back is not None:  # still in the entry line, maybe edited: kept too
            back, self._given_back = self._given_back, None
            value = self._given_back_line.value.strip()  # the widget outlives its screen
            self._keep(back.retyped(value) if value else back)

        self.room.unsubscribe(self._on_events)
        if self.sync is not None:
            # A store that hangs must not hold the quit: each sync thread has a moment to say
            # goodbye (its presence), and is left behind if it is stuck on the store; they
            # are daemons, and the outbox keeps what they did not push for the next start.
            self.sync.stop(timeout=SYNC_GOODBYE_S)
            # Said once the terminal is back (the app unmounts after leaving its screen), from
            # the local log alone: nothing here waits on the store.
            waiting = self.room.outbox_size()
            if waiting:
                one = waiting == 1
                print(f"warroom: {waiting} {'event waits' if one else 'events wait'} in the local log "
                      f"({self.room.log_path}) for the shared store: {'it goes' if one else 'they go'} out "
                      "at the next start", file=sys.stderr)
        self._collector.at_quit()

    def key_for(self, action_id: str) -> str:
        return self.keymap.get(action_id) or next(a.key for a in ACTIONS if a.id == action_id)

    # -- state -> screen --------------------------------------------------------------------
    @property
    def state(self):
        return self.room.state(self.incident_id, wait=False) if self.incident_id else None

    def show_incident(self, incident_id: str | None) -> None:
        self.incident_id = incident_id
        self._changes = None
        self.query_one(TimelineView).show(self.room, incident_id)
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
        self.query_one(IncidentHeader).show_time(state, now, policy)
        self.query_one(ClocksPanel).show(state, policy, now)
        self.query_one(FollowUpPanel).show(self._follow_up(state, policy, now))

    def _show_status(self, state) -> None:
        timeline = self.query_one(TimelineView)
        filter_bits = [timeline.filter_text] if timeline.filter_text else []
        if timeline.filter_kinds:
            filter_bits.append("kind " + ",".join(sorted(timeline.filter_kinds)))
        self.query_one(StatusBar).show(self.room.user, self.room.role_of(state) if state else "",
                                       str(self.room.log_path), timeline.row_count if state else None,
                                       " · ".join(filter_bits), self._sync_text)

    def _follow_up(self, state, policy, now: int) -> list[tuple[str, str]]:
        if state is None:
            return []
        from ..model.public import customer_email_line

        # playbook 001's customer email, counted down while it is owed and not sent
        email = customer_email_line(state, policy, now)
        lines = [email] if email else []
        if self._changes is None:
            self._changes = self.room.events(state.id, with_entries=False)
        if not clocks.is_resolved(state, policy) and all(e.kind != "action_item" for e in self._changes):
            return lines  # no follow-up clocks run yet: not worth importing their module for
        from ..followup import resolution

        return lines + resolution.clock_lines(state, policy, self._changes, now)

    def _next_second(self) -> None:
        # On the turn of the second: the UTC clock changes when the wall clock does, and
        # between two ticks nothing time-driven is left for an entry's frame to repaint.
        self.set_timer((1000 - self.clock() % 1000) / 1000 + 0.001, self._second)

    def _second(self) -> None:
        if self.is_running:  # a timer that fires as the app shuts down arms no other
            self.tick()
            self._next_second()

    def tick(self) -> None:
        if not self.is_running:  # shutdown prunes the screens before it stops the timers
            return
        self.room.poll_log()
        state = self.state
        self._show_time(state, self.room.policy_for(state) if state else None)
        self._alert()
        self._run_deliveries()

    def _run_deliveries(self) -> None:
        if self.delivery_runner is None:
            from .screens.comms import DeliveryRunner
            self.delivery_runner = DeliveryRunner(self)
        self.delivery_runner.tick()

    async def action_quit(self) -> None:
        """Quit; posts still waiting are said on the way out (the next start resumes them)."""
        from .screens.comms import waiting_at_quit

        self.exit(message=waiting_at_quit(self.room))

    def _alert(self) -> None:
        """Tell what rings now (model/alerts.py), and the incidents declared elsewhere since the
        last tick: a notification each, summed up when there are many, and one bell for them
        all (two bells in the same instant are one sound). The end of recovery monitoring is
        the shown incident's, whose clocks panel counts it down."""
        now = self.clock()
        alerts = self.alerts.due(now, self._open_incident)
        state = self.state
        if state is not None and not self.room.is_open_id(state.id):
            alerts += self.alerts.recovery(state, self.room.policy_for(state), now)
        declared, self._declared_elsewhere = self._declared_elsewhere, []
        told = notices(alerts, declared)
        if any(notice.bell for notice in told):
            self.bell()
        for notice in told:
            extra = {} if notice.timeout is None else {"timeout": notice.timeout}
            self.notify(notice.message, title=notice.title, severity=notice.severity, markup=False, **extra)

    def _open_incident(self, incident_id: str):
        """An incident's state and policy for the alert watch, while it is open."""
        if not self.room.is_open_id(incident_id):
            return None
        state = self.room.state(incident_id, wait=False)
        return state, self.room.policy_for(state)

    # -- events from anywhere -------------------------------------------------------------
    def _on_events(self, events: list[Event]) -> None:
        """The room's listener, called on the thread that committed. A commit made on the UI
        thread (a key, the tick's poll of the log) is shown in the frame it was made for; from
        any other thread (the sync follower, the write-behind) it comes as a message."""
        if threading.get_ident() == self._ui_thread:
            self._apply(events)
        else:
            self.post_message(EventsCommitted(events))

    def on_events_committed(self, message: EventsCommitted) -> None:
        self._apply(message.events)

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
                    self._declared_elsewhere.append(event)
        now = self.clock()
        for incident_id in {e.incident_id for e in events if e.kind != "entry"}:
            if self.room.is_open_id(incident_id):
                self.alerts.watch(incident_id, now)  # its clocks may have moved: looked at the next tick
        if all(e.kind == "entry" for e in events):
            self._show_status(self.state)  # entries move only the timeline and its count
        else:
            self.refresh_panels()
        for screen in self.screen_stack[1:]:  # the dialogs open over the console show them too
            screen.post_message(EventsCommitted(events))

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        if not self.is_running:
            return
        self._sync_text = sync_status_text(message.status)
        self.refresh_panels()

    # -- helpers ----------------------------------------------------------------------------
    def _do(self, fn, *args, **kwargs):
        """Run a Room call, turning bad input into a notification instead of a crash."""
        try:
            return fn(*args, **kwargs)
        except WarroomError as exc:
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
        from .screens.dialogs import DeclareScreen

        def declared(answer: dict | None) -> None:
            if answer:
                state = self._do(self.room.declare, **answer)
                if state:
                    self.show_incident(state.id)
                    self.notify(f"{state.id} · {state.slug}", title=f"{state.severity} declared", markup=False)
                    # who takes the roles is the next question: the assign dialog, on IC's
                    # person (Esc leaves them unassigned)
                    self._assign(state.id, on_person=True)
        self.push_screen(DeclareScreen(self.room.policy), declared)

    def action_severity(self) -> None:
        from .screens.dialogs import PickScreen, severity_lines

        if not self._need_incident():
            return
        state = self.state
        policy = self.room.policy_for(state)
        def label(s) -> str:
            updates = f"every {s.update_every_minutes} min" if s.update_every_minutes else "as needed"
            head = f"{s.id} {s.name} — response {s.response_text}, updates {updates}"
            return "\n  ".join([head, *severity_lines(policy, s.id, brief=True)])
        options = [(s.id, label(s)) for s in policy.severities]
        self.push_screen(PickScreen("Severity", options, state.severity,
                                    f"Enter records the severity for everyone in {state.id} · Esc to cancel"),
                         lambda sev: sev and self._do(self.room.set_severity, self.incident_id, sev))

    def action_status(self) -> None:
        from .screens.dialogs import PickScreen

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
        self.push_screen(PickScreen("Status", options, state.status,
                                    f"Enter records the status for everyone in {state.id} (Resolved goes"
                                    " through the resolution checklist) · Esc to cancel"), picked)

    def action_assign(self) -> None:
        if not self._need_incident():
            return
        self._assign(self.state.id)

    def _assign(self, incident: str, on_person: bool = False) -> None:
        """The assign dialog; after a role nobody held is filled it goes on to the next one
        nobody holds, on its person (Esc when done), so a room is staffed in one go."""
        from ..room import Unchanged
        from .screens.dialogs import AssignScreen

        state = self.room.state(incident, wait=False)
        policy = self.room.policy_for(state)
        held = dict(state.roles)  # as the dialog shows them (the state itself moves on)

        def assigned(answer: dict | None) -> None:
            if not answer:
                return
            done = self._do(self.room.assign, incident, answer["role"], answer["person"], answer["briefing"])
            if isinstance(done, Unchanged):
                self.notify(done.reason, title="Nothing recorded", markup=False)
            elif done is not None and not held.get(answer["role"]):
                roles = self.room.state(incident, wait=False).roles
                if any(not roles.get(r.id) for r in policy.roles):
                    self._assign(incident, on_person=True)
        self.push_screen(AssignScreen(policy, held, incident_id=incident, on_person=on_person), assigned)

    def action_checklist(self) -> None:
        """Your own role's checklist: the one role you hold opens at once, several are a
        short pick; holding none, you pick among every role's."""
        from .screens.dialogs import ChecklistScreen, PickScreen

        if not self._need_incident():
            return
        state = self.state
        policy = self.room.policy_for(state)
        incident = state.id

        def open_checklist(role_id: str | None) -> None:
            if not role_id:
                return
            role = policy.role(role_id)
            self.push_screen(ChecklistScreen(
                role.name, role.tasks, self.state.done_tasks(role.id),
                lambda task, done: self._do(self.room.tick_task, incident, role.id, task, done)))

        with_tasks = [r for r in policy.roles if r.tasks]
        mine = [r for r in with_tasks if state.roles.get(r.id) == self.room.user]
        if len(mine) == 1:
            open_checklist(mine[0].id)
            return
        options = [(r.id, f"{r.id} — {r.name} ({len(state.done_tasks(r.id))}/{len(r.tasks)})")
                   for r in mine or with_tasks]
        if mine:
            title = f"Your roles in {incident}: checklist of which?"
        elif self.room.user in state.roles.values():
            title = f"Your roles in {incident} have no tasks: checklist of which role?"
        else:
            title = f"You hold no role in {incident}: checklist of which role?"
        self.push_screen(PickScreen(title, options), open_checklist)

    def action_update_posted(self) -> None:
        """Record that an update went out: where and what, asked first (prefilled)."""
        from .screens.dialogs import RecordScreen

        if not self._need_incident():
            return
        incident = self.incident_id
        channel, text = self._last_update_draft(incident)

        def describe(values: dict[str, str]) -> str:
            where = values["channel"] or "no channel"
            return (f"Record for everyone in {incident}: status update posted to {where}"
                    " — the update clock restarts")

        def answered(values: dict | None) -> None:
            if values is not None and self._do(self.room.update_posted, incident, values["text"],
                                               values["channel"]):
                state = self.room.state(incident, wait=False)
                update = clocks.next_update(state, self.room.policy_for(state))
                nxt = f"next due {hhmm(update.due_ms)} UTC" if update else "no cadence"
                self.notify(f"Status update recorded; {nxt}.", title="Update sent")
        self.push_screen(RecordScreen("Status update posted", describe,
                                      [("channel", "Channel", channel), ("text", "Text", text)]), answered)

    def _last_update_draft(self, incident_id: str) -> tuple[str, str]:
        """The channel of the last update recorded (else Slack, the comms pane's first
        target) and the update template as the comms pane (m) drafts it from live state."""
        from ..comms import templates

        posted = [e for e in self.room.events(incident_id, with_entries=False) if e.kind == "update_posted"]
        channel = next((e.payload.get("channel") for e in reversed(posted) if e.payload.get("channel")), "slack")
        state = self.room.state(incident_id, wait=False)
        names = templates.names(self.room.policy_for(state).name)
        name = "update" if "update" in names else (names[0] if names else "")
        try:
            text = templates.render_for(self.room, incident_id, name).strip() if name else ""
        except templates.TemplateError:
            text = ""
        return channel, text

    def action_comms(self) -> None:
        if self._need_incident():
            from .screens.comms import CommsScreen
            self.push_screen(CommsScreen(self.room, self.incident_id), lambda _: self.refresh_panels())

    def action_fields(self) -> None:
        if self._need_incident():
            from .screens.fields import FieldsScreen
            self.push_screen(FieldsScreen(self.room, self.incident_id), lambda _: self.refresh_panels())

    def action_resolve(self) -> None:
        if self._need_incident():
            from .screens.resolution import ResolutionScreen
            self.push_screen(ResolutionScreen(self.room, self.incident_id), lambda _: self.refresh_panels())

    def action_reopen(self) -> None:
        from ..followup import resolution
        from .screens.dialogs import RecordScreen

        if not self._need_incident():
            return
        incident = self.incident_id

        def describe(values: dict[str, str]) -> str:
            why = f": {values['reason']}" if values["reason"] else ""
            return f"Record for everyone in {incident}: re-opened, its clocks start again{why}"
        self.push_screen(RecordScreen("Re-open", describe, [("reason", "What recurred?", "")]),
                         lambda answer: answer is not None
                         and self._do(resolution.reopen, self.room, incident, answer["reason"]))

    def action_rollback(self) -> None:
        if self._need_incident():
            from .screens.rollback import RollbackDialog
            self.push_screen(RollbackDialog(self.room, self.incident_id))

    def action_action_items(self) -> None:
        if self._need_incident():
            from .screens.actions import ActionsScreen
            self.push_screen(ActionsScreen(self.room, self.incident_id), lambda _: self.refresh_panels())

    def action_page(self) -> None:
        """Page a person, team or schedule of the contacts file for the shown incident."""
        if self._need_incident():
            self._pager().open_dialog(self.incident_id)

    def _pager(self):
        if self.pager is None:
            from .screens.page import Pager
            self.pager = Pager(self)
        return self.pager

    def _paging_tick(self) -> None:
        """Paging's timer: waiting pages, due escalation steps, acknowledgements and who is on
        call, in a thread worker (screens/page.py); no thread at all with nothing configured."""
        if self.is_running:
            self._pager().tick()

    def on_paging_checked(self, message) -> None:
        if self.is_running and self.pager is not None:
            self.pager.checked(message.report)

    def action_postmortem(self) -> None:
        if self._need_incident():
            from .screens.postmortem import PostmortemScreen
            self.push_screen(PostmortemScreen(self.room, self.incident_id))

    async def action_runbook(self, runbook_id: str) -> None:
        """Open a runbook's checklist and panes beside the timeline. Only here: the checklist's
        first line records "runbook started" for the room, on purpose. A drill's own runbook,
        opened as the drill starts, is recorded once as part of the exercise."""
        book = self.runbooks.get(runbook_id)
        if book is None or not self._need_incident():
            return
        from ..followup.drills import resume_drill
        from .widgets.runbook_panel import open_runbook

        try:
            drill = resume_drill(self.room, self.incident_id)
        except LookupError as exc:
            self.notify(str(exc), title="Drill scenario missing", severity="error", markup=False)
            return
        record = drill is not None and drill.scenario.runbook == runbook_id and not any(
            e.kind == "runbook" and e.payload.get("runbook") == runbook_id
            for e in self.room.events(self.incident_id, with_entries=False))
        await self._show_panes(open_runbook(self.room, self.incident_id, book, drill=drill, record=record))

    def action_diagnostic(self) -> None:
        """Open one diagnostic pane: pick a source, give its target."""
        from ..diagnostics import available
        from .screens.dialogs import PickScreen, PromptScreen

        names = available()
        options = [(name, name) for name in sorted(names)]

        def picked(name: str | None) -> None:
            if name:
                self.push_screen(PromptScreen(f"{name}: target", "a DSN, a Redis URL, a URL, or ns?label=value"),
                                 lambda target: target is not None
                                 and self.run_worker(self._open_diagnostic(name, target)))
        self.push_screen(PickScreen("Open a diagnostic pane", options), picked)

    async def _open_diagnostic(self, name: str, target: str) -> None:
        from ..followup.drills import resume_drill
        from .widgets.diag_pane import DiagPane
        from .widgets.runbook_panel import make_diagnostic

        drill = resume_drill(self.room, self.incident_id) if self.incident_id else None
        pane = DiagPane(make_diagnostic(name, target, drill), room=self.room,
                        incident=lambda: self.incident_id, source="drill" if drill else "live")
        await self._show_panes([pane], replace=False)

    async def _show_panes(self, widgets: list, replace: bool = True) -> None:
        """Mount panes (a column of their own; on a narrow console, over most of the timeline)
        and give the first diagnostic the focus, where its keys are shown."""
        from .widgets.diag_pane import arrange, DiagPane

        panes = self.query_one("#panes")
        if replace:
            await panes.remove_children()
        await panes.mount_all(widgets)
        panes.add_class("-open")
        panes.screen.add_class("-panes")
        panes.screen.remove_class("-timeline-front")
        first = next((w for w in widgets if isinstance(w, DiagPane)), widgets[0] if widgets else None)
        if first is not None:
            arrange(panes, current=first)
            first.focus_target.focus()
        self.query_one(KeyBar).show_keys(self.key_for)

    async def action_close_panes(self) -> None:
        panes = self.query_one("#panes")
        await panes.remove_children()
        panes.remove_class("-open")
        panes.screen.remove_class("-panes")
        panes.screen.remove_class("-timeline-front")
        self.query_one(TimelineView).focus()
        self.query_one(KeyBar).show_keys(self.key_for)

    # -- between the panes and the entry line -------------------------------------------------
    def action_focus_next(self) -> None:
        self._cycle_focus(1)

    def action_focus_previous(self) -> None:
        self._cycle_focus(-1)

    def action_next_pane(self) -> None:
        self._cycle_focus(1)

    def action_previous_pane(self) -> None:
        self._cycle_focus(-1)

    def _cycle_focus(self, step: int) -> None:
        """Tab and F6 (Shift: back) on the console: each open pane's table or checklist in
        screen order, then the entry line, and round again; from the timeline, the first pane
        (back: the entry line). With no pane open, the timeline and the entry line. In the entry
        line Tab cycles the kind (its own binding) and F6 leaves it. A dialog keeps its order."""
        screen = self.screen
        if not isinstance(screen, ConsoleScreen):
            screen.focus_next() if step > 0 else screen.focus_previous()
            return
        from .widgets.diag_pane import pane_targets

        entry = self.query_one(QuickEntry)
        targets = pane_targets(self.query_one("#panes"))
        ring = [*targets, entry] if targets else [self.query_one(TimelineView), entry]
        focused = self.focused
        here = next((i for i, w in enumerate(ring)
                     if focused is not None and (focused is w or w in focused.ancestors)), None)
        target = ring[(here + step) % len(ring)] if here is not None else ring[0 if step > 0 else -1]
        target.focus()

    def action_panes_or_timeline(self) -> None:
        """On a narrow console: the timeline in front of the panes (they shrink to one line
        each), or the panes in front again; the focus follows unless it is in the entry line."""
        from .widgets.diag_pane import arrange, panes_in

        screen, panes = self.screen, self.query_one("#panes")
        timeline_front = not screen.has_class("-timeline-front")
        screen.set_class(timeline_front, "-timeline-front")
        arrange(panes)
        timeline, focused = self.query_one(TimelineView), self.focused
        if timeline_front and focused is not None and focused is not self.query_one(QuickEntry):
            timeline.focus()
        elif not timeline_front and focused is timeline:
            current = next((p for p in panes_in(panes) if p.has_class("-current")), None)
            if current is not None:
                current.focus_target.focus()
        self.query_one(KeyBar).show_keys(self.key_for)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # F6 moves between panes only while some are open, and falls through to a runbook bound
        # to it otherwise; ctrl+t only where the panes cover the timeline (narrow or short).
        if action in ("next_pane", "previous_pane", "panes_or_timeline"):
            screen = self.screen
            if not isinstance(screen, ConsoleScreen) or not screen.has_class("-panes"):
                return False
            if action == "panes_or_timeline":
                return screen.has_class("-narrow") or screen.has_class("-short")
        return True

    def action_acknowledge(self) -> None:
        from .screens.dialogs import RecordScreen

        if not self._need_incident():
            return
        incident, user = self.incident_id, self.room.user
        self.push_screen(RecordScreen(
            "Acknowledge", lambda _: f"Record for everyone in {incident}: acknowledged by {user}"
                                     " — meets the response deadline"),
            lambda answer: answer is not None and self._do(self.room.acknowledge, incident))

    def action_switch(self) -> None:
        """Pick an incident: the open ones first, then the rest, newest first; listed a page
        at a time and narrowed as you type (id, title, slug, service, severity)."""
        from .screens.dialogs import FilterPickScreen

        if self.incident_id is None:  # one is shown as soon as there is any
            self.notify("No incidents yet: press D to declare one.", severity="warning")
            return
        self.push_screen(FilterPickScreen("Switch incident", self._switch_order, self._switch_label,
                                          self.incident_id, noun="incident"),
                         lambda ref: ref and self.show_incident(ref))

    def _switch_order(self, text: str) -> list[str]:
        newest_first = self.room.incident_ids(matching=text)[::-1]
        is_open = self.room.is_open_id
        return [i for i in newest_first if is_open(i)] + [i for i in newest_first if not is_open(i)]

    def _switch_label(self, incident_id: str) -> str:
        s = self.room.state(incident_id, wait=False)  # folded here, only once its line is listed
        return f"{s.severity} {s.status:<13} {s.title}  ({s.id}){'  DRILL' if s.drill else ''}"

    def action_filter_text(self) -> None:
        box = self._filter_box()
        if box is None:
            box = SafeInput(placeholder="filter the timeline (Enter keeps it, Esc clears)", id="filter", compact=True)
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
        from .screens.dialogs import HelpScreen

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
        back = self._given_back  # an entry the disk refused, tried again as it was typed
        if not value.strip():
            if back is None and self.unsaved:
                self._offer_given_back(entry)  # Enter on the empty line: the oldest one comes back
            return
        if back is None and not self._need_incident():
            return
        from ..model.entry_line import parse

        now = back.now_ms if back else self.clock()
        try:
            at, kind, text = parse(value, back.kind if back else entry.kind, now)
        except TimeError as exc:
            self.notify(str(exc), title="Entry kept, not added", severity="error", markup=False)
            return
        if back is not None:
            event = self._do(self.room.draft_note, back.event.incident_id, text, kind,
                             back.plain_ms if at is None else at)
        else:
            event = self._do(self.room.draft_note, self.incident_id, text, kind, at)
        if event is None:
            return
        typed = back.retyped(value, event) if back is not None else Unsaved(
            value, next(self._typed), entry.kind, now, event.occurred_ms if at is None else now, event)
        with self.prevent(Input.Changed):  # nobody listens, and it would bubble through every container
            entry.value = ""
        if self.query_one(TimelineView).add_pending(event):
            self._show_status(self.state)
        self._drafts.append((event, typed))
        if len(self._drafts) == 1:
            self.call_after_refresh(self._write_drafts)
        if back is not None:
            self._given_back = None
            self._offer_given_back(entry, asked=True)  # the next refused one, if any

    def _write_drafts(self) -> None:
        """Hand the entries typed since the last frame to the writer once that frame is on
        screen. The writer takes the GIL back after each of its SQLite calls; started at once,
        those turns land in the middle of painting the entry, and on a busy machine each can
        cost the UI thread an OS scheduling delay."""
        drafts, self._drafts = self._drafts, []
        for event, typed in drafts:
            self.room.write_behind(event, lambda events, exc, typed=typed: self._not_saved(typed, events, exc))

    def _not_saved(self, typed: Unsaved, events: list[Event], exc: Exception) -> None:
        """A write-behind commit failed (on the writer thread): the entry joins the refused
        ones, in the order typed. The oldest comes back to the entry line when that is empty;
        the rest wait their turn, or are printed at exit if the console is closing."""
        failed = typed.retyped(typed, reason=str(exc).removeprefix(f"{self.room.log_path}: "))
        self._keep(failed)
        self.post_message(EntryRefused(failed, events, exc))  # dropped if the console is closing

    def on_entry_refused(self, message: EntryRefused) -> None:
        if not self.is_running:
            return
        failed, exc = message.entry, message.error
        self.query_one(TimelineView).drop_pending({e.event_id for e in message.events})
        self._offer_given_back(self.query_one(QuickEntry))
        if self._given_back is not None and self._given_back.seq == failed.seq:
            told = f"{exc}. The entry is back in the entry line: Enter tries again."
        else:
            told = (f"{exc}. Not saved: {str(failed)!r} (printed again when warroom quits); "
                    "Enter on the empty entry line brings it back.")
        self.notify(told, title="Entry not saved", severity="error", timeout=30, markup=False)
        self._show_status(self.state)

    def _keep(self, entry: Unsaved) -> None:
        with self._unsaved_lock:
            bisect.insort(self.unsaved, entry, key=lambda u: u.seq)

    def _offer_given_back(self, entry: QuickEntry, asked: bool = False) -> None:
        """Put the oldest refused entry back in the entry line, if that line is free."""
        if self._given_back is None and not entry.value:
            with self._unsaved_lock:
                back = self.unsaved.pop(0) if self.unsaved else None
            if back is not None:
                self._given_back, self._given_back_line = back, entry

                self._given_back_at = float("-inf") if asked else time.monotonic()
                with self.prevent(Input.Changed):
                    entry.value = back
                entry.cursor_position = len(back)
        self._show_given_back(entry)

    def _show_given_back(self, entry: QuickEntry) -> None:
        """Under the entry line: why the entry in it is back, when it goes in, how many wait."""
        back, waiting = self._given_back, len(self.unsaved)
        if back is not None:
            more = f" · {waiting} more waiting" if waiting else ""
            line = (f"not saved ({back.reason}) · Enter tries again, at "
                    f"{to_datetime(back.occurred_ms):%H:%M:%S} UTC{more}")
        elif waiting:
            line = f"{waiting} not saved · Enter on the empty line brings {'it' if waiting == 1 else 'the oldest'} back"
        else:
            line = None
        entry.border_subtitle = Text(line) if line else None

    @on(Input.Changed, "#entry")
    def _typed_onto(self) -> None:
        """An entry given back steps aside, whole, when the line is cleared, or when keys land
        on it at once: those were meant for the next entry (the scribe typed on without
        looking), and start a line of their own rather than merging the two."""
        back = self._given_back
        if back is None:
            return
        entry = self.query_one(QuickEntry)
        value = entry.value
        if value:
            if (value == back or time.monotonic() - self._given_back_at > TYPED_ONTO_S
                    or not (value.startswith(back) or value.endswith(back))):
                return  # an edit: it goes in at the entry's own time
            typed = value[len(back):] if value.startswith(back) else value[:-len(back)]
            with self.prevent(Input.Changed):
                entry.value = typed
            entry.cursor_position = len(typed)
        self._given_back = None
        self._keep(back)
        self._show_given_back(entry)



    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, QuickEntry):
            self.query_one(TimelineView).make_room()

    @on(QuickEntry.Left)
    def _entry_left(self) -> None:
        self.query_one(TimelineView).focus()

    @on(TimelineView.Opened)
    def _opened(self, message: TimelineView.Opened) -> None:
        from .screens.dialogs import TextScreen

        event = self.room.get_event(message.event_id)
        if event is None:
            return
        body = [f"occurred  {stamp(event.occurred_ms)} UTC", f"recorded  {stamp(event.recorded_ms)} UTC",
                f"author    {event.author}{f' ({event.role})' if event.role else ''}",
                f"kind      {label(event)}", f"origin    {event.origin}", f"id        {event.event_id}", ""]
        body.append(event.payload.get("text") or summary(event))
        if event.payload.get("briefing"):
            body.append(f"briefing: {event.payload['briefing']}")
        self.push_screen(TextScreen(label(event).upper(), "\n".join(body)))
