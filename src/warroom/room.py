"""The war room's headless core: turns intentions into events, commits them, keeps state.

The CLI, the console and the sync worker all go through a :class:`Room`. It never imports
Textual. Time comes from an injected ``clock`` (ms), so tests freeze it.

Two connections to the log file: ``room.log``, the reader, is where the console (on its UI
thread) and the CLI read, and no other thread writes on it; every commit — a command's, the
write-behind thread's, the sync pusher's and follower's — goes through :meth:`Room.writer_log`,
one writer connection whose lock makes them take turns. A commit held open by a slow disk
therefore never stalls a read on the screen, nor shows the screen rows not committed yet.
Workflows (follow-up, runbooks, panes) write with :meth:`Room.record` and
:meth:`Room.record_all` and read with the read methods here, never through ``room.log``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Iterable, NamedTuple, TYPE_CHECKING

from .errors import WarroomError
from .model import clocks
from .model.events import check_size, ENTRY_KINDS, Event, EventError, is_policy_name, validate_payload
from .model.ids import format_hlc, HybridClock, parse_hlc, short_token, slugify, uuid7
from .model.policy import load_policy, Policy, PolicyError, PolicyLookupError
from .model.safe_text import clean, clean_name
from .model.state import FieldInfo, fold, IncidentState
from .model.times import FUTURE_SLACK_MS, now_ms, to_datetime
from .store.log import LocalLog

if TYPE_CHECKING:
    from .store.write_behind import OnError, WriteBehind

Listener = Callable[[list[Event]], None]
Item = tuple[str, str, dict, int | None]  # (incident_id, kind, payload, at): one event to record


class RoomError(WarroomError, ValueError):
    """Bad input from a user: the message is one clear line and nothing was written."""


class Unchanged(NamedTuple):
    """A request that asked for what already holds: nothing was recorded, ``reason`` says so
    in one line."""

    reason: str

    def __str__(self) -> str:
        return self.reason


class Room:
    def __init__(self, log: LocalLog, user: str, policy: Policy | None = None,
                 clock: Callable[[], int] = now_ms) -> None:
        # a name is shown on one row of every terminal and goes into every event
        self.log, self.user, self.clock = log, clean_name(user) or "unknown", clock
        self.policy = policy or load_policy()
        self._policies = {self.policy.name: self.policy}
        self.origin = log.meta("origin")
        if not self.origin:
            self.origin = short_token(10)
            log.set_meta("origin", self.origin)
        # How far this clock runs ahead of the shared store's, once the sync engine measured
        # it beyond the warning line: events are then stamped in the store's time, so peers
        # never see them dated in their future (which they would refuse).
        self.ahead_ms = 0
        # seeded from the log, but never from a stamp too far ahead to be true
        self.hlc = HybridClock(self.write_clock, log.latest_hlc(format_hlc(clock() + FUTURE_SLACK_MS, 0)))
        self._states: dict[str, IncidentState] = {}
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._seen_seq = log.last_seq()
        self._applied_here: set[str] = set()  # committed by this process since the last poll
        self._data_version = log.data_version()
        self._behind: WriteBehind | None = None
        self._writer: LocalLog | None = None
        self._writer_opening = threading.Lock()
        self._open: dict[str, int] | None = None  # open incident -> declared_ms, once asked for

    # -- listening -----------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- the log, read on the reader connection ----------------------------------------
    @property
    def log_path(self) -> Path:
        return self.log.path

    def events(self, incident_id: str, until_ms: int | None = None, with_entries: bool = True) -> list[Event]:
        """An incident's events in timeline order (up to ``until_ms``; without entries if asked)."""
        return self.log.events(incident_id, until_ms=until_ms, with_entries=with_entries)

    def get_event(self, event_id: str) -> Event | None:
        return self.log.get(event_id)

    def timeline(self, incident_id: str, offset: int = 0, limit: int = -1,
                 kinds: frozenset[str] | None = None, text: str = "", from_end: bool = False) -> list[tuple]:
        """A page of timeline rows (see :meth:`LocalLog.timeline`)."""
        return self.log.timeline(incident_id, offset, limit, kinds, text, from_end=from_end)

    def timeline_count(self, incident_id: str, kinds: frozenset[str] | None = None, text: str = "",
                       after_seq: int = 0, upto_seq: int | None = None) -> int:
        return self.log.timeline_count(incident_id, kinds, text, after_seq=after_seq, upto_seq=upto_seq)

    def landed(self, event_ids: list[str], upto_seq: int) -> set[str]:
        """Which of ``event_ids`` are committed, at or before ``upto_seq``."""
        return self.log.landed(event_ids, upto_seq)

    def last_seq(self) -> int:
        return self.log.last_seq()

    def incident_ids(self, matching: str = "") -> list[str]:
        """Every declared incident's id, oldest first (those matching ``matching``, if given)."""
        return self.log.incident_ids(matching)

    def entry_count(self, incident_id: str, until_ms: int | None = None) -> int:
        return self.log.entry_count(incident_id, until_ms)

    def outbox_size(self) -> int:
        """Events committed here and not yet published to the shared store."""
        return self.log.outbox_size()

    def holds_local_state(self) -> bool:
        """Posts or pages waiting, or the on-call cache: kept here besides the events."""
        return self.log.holds_local_state()

    def on_call_rows(self) -> list[tuple[str, str, str, int, int, str]]:
        """The on-call cache: (schedule, provider, person, until_ms, fetched_ms, payload)."""
        return self.log.on_call_rows()

    def quarantined(self) -> list[tuple[str, str, bytes]]:
        """(source, reason, raw) of every entry refused from the store."""
        return self.log.quarantined()

    def held(self) -> list[tuple[str, str, str, int, str]]:
        """Entries from the store dated too far ahead to apply yet (see :meth:`LocalLog.held`)."""
        return self.log.held()

    # -- reading -------------------------------------------------------------------
    def policy_for(self, state: IncidentState) -> Policy:
        """The policy an incident was declared under (shared by every terminal)."""
        name = state.policy or self.policy.name
        if name not in self._policies:
            try:
                if not is_policy_name(name):
                    raise PolicyError(name)
                self._policies[name] = load_policy(name)
            except PolicyError:
                self._policies[name] = self.policy
        return self._policies[name]

    def state(self, incident_id: str, at: int | None = None, wait: bool = True) -> IncidentState:
        """The incident as of ``at`` (default: now, from the cache kept by every commit).

        A commit holds the lock from its append until its events are folded in, so a reader
        who saw an event in the log sees it here too. ``wait=False`` is for the screen, which
        must not stall behind a commit waiting on the disk: it may get the state one
        in-flight commit behind, and that commit's listeners repaint it a moment later."""
        if at is not None:
            return fold(incident_id, self.log.events(incident_id, until_ms=at))
        if not wait and (state := self._states.get(incident_id)) is not None:
            return state
        with self._lock:
            state = self._states.get(incident_id)
            if state is None:
                # Entries never change state: count them without decoding their payloads
                # (the log deduplicates them, so the state need not hold their ids).
                state = fold(incident_id, self.log.events(incident_id, with_entries=False))
                entries = self.log.entry_count(incident_id)
                state.entry_count += entries
                state.event_count += entries
                # ...save when a "no progress" ladder counts them: their times, from the index
                if kinds := clocks.progress_entry_kinds(self.policy_for(state)):
                    state.mark_entries((row[0], row[3], row[4]) for row in self.log.timeline(incident_id, kinds=kinds))
                self._states[incident_id] = state
            return state

    def incidents(self, wait: bool = True) -> list[IncidentState]:
        return [self.state(i, wait=wait) for i in self.log.incident_ids()]

    def is_open(self, state: IncidentState) -> bool:
        return not clocks.is_resolved(state, self.policy_for(state))

    def open_ids(self) -> list[str]:
        """The incidents not resolved, oldest declaration first, folding none of them.

        Read from the log once (each incident's winning status, in one query), then kept by
        every commit: a console following thousands of incidents pays for the open ones only."""
        found = list(self._open_set().items())  # one copy: commits change it on other threads
        return [incident_id for incident_id, _ in sorted(found, key=lambda item: (item[1], item[0]))]

    def is_open_id(self, incident_id: str) -> bool:
        return incident_id in self._open_set()

    def _open_set(self) -> dict[str, int]:
        if self._open is None:
            with self._lock:
                if self._open is None:
                    self._open = {row[0]: row[1] for row in self.log.statuses() if self._row_open(row)}
        return self._open

    def _row_open(self, row: tuple[str, int, str, str]) -> bool:
        """Whether a :meth:`LocalLog.statuses` row is an open incident (as :meth:`is_open`)."""
        _, _, policy, status = row
        known = self.policy_for(IncidentState("", policy=policy or "")).find_status(status or "")
        return known is None or not known.resolved

    def _track_open(self, events: Iterable[Event], log: LocalLog) -> None:
        """Keep the open set (once read) up to date with events just committed. An incident
        not folded yet is looked up in ``log`` (the connection of the calling thread), not
        folded: resolved ones stay out of memory."""
        if self._open is None:
            return
        for incident_id in {e.incident_id for e in events if e.kind in ("declared", "status")}:
            state = self._states.get(incident_id)
            if state is not None:
                rows = [(incident_id, state.declared_ms, state.policy, state.status)] if state.declared else []
            else:
                rows = log.statuses(incident_id)
            if rows and self._row_open(rows[0]):
                self._open[incident_id] = rows[0][1] or 0
            else:
                self._open.pop(incident_id, None)

    def find(self, ref: str | None) -> IncidentState:
        """An incident by id, unique id prefix or slug; with no ref, the only open one."""
        incidents = self.incidents()
        if not ref:
            open_ = [s for s in incidents if self.is_open(s)]
            if len(open_) == 1:
                return open_[0]
            if not open_:
                raise RoomError("no open incident: declare one, or name one with --incident")
            raise RoomError(f"{len(open_)} open incidents, name one with --incident: "
                            + ", ".join(s.id for s in open_))
        key = ref.strip().lower()
        exact = [s for s in incidents if key in (s.id.lower(), s.slug.lower())]
        matches = exact or [s for s in incidents if s.id.lower().startswith(key)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise RoomError(f"no such incident: {ref!r}")
        raise RoomError(f"{ref!r} matches several incidents: " + ", ".join(s.id for s in matches))

    def role_of(self, state: IncidentState, person: str | None = None) -> str:
        """The roles a person holds in an incident, as short names ("IC+Scribe")."""
        person = person or self.user
        policy = self.policy_for(state)
        shorts = []
        for role_id, holder in state.roles.items():
            if holder == person:
                role = policy.find_role(role_id)
                shorts.append(role.short if role is not None else role_id)
        return "+".join(shorts)

    # -- writing -------------------------------------------------------------------
    def write_clock(self) -> int:
        """Now, as this terminal stamps what it writes."""
        return self.clock() - self.ahead_ms

    def _stamp(self, at: int | None) -> tuple[int, int, str]:
        now = self.write_clock()
        if at is not None and at > self.clock() + FUTURE_SLACK_MS:  # "future" as the user's clock says
            raise RoomError("that time is in the future; backdate with -5m, HH:MM or an ISO time")
        hlc = self.hlc.now()
        occurred = at if at is not None else parse_hlc(hlc)[0]
        return now, occurred, hlc

    def _event(self, incident_id: str, kind: str, payload: dict, at: int | None,
               state: IncidentState | None = None) -> Event:
        try:
            payload = validate_payload(kind, payload)
        except EventError as exc:
            raise RoomError(str(exc)) from None
        now, occurred, hlc = self._stamp(at)
        role = self.role_of(state) if state is not None else ""
        event = Event(uuid7(now), incident_id, kind, payload, self.user, role, occurred, now, hlc,
                      self.origin)
        try:
            check_size(event)
        except EventError as exc:
            raise RoomError(str(exc)) from None
        return event

    def writer_log(self) -> LocalLog:
        """The connection every commit of this process goes through, opened on first use.

        Writers on other threads (write-behind, sync) use it, and read on it what must see
        their own writes (outbox, cursors): ``room.log`` stays the reader's alone. A log in
        memory has one connection only, so there it is the reader."""
        if self._writer is None:
            with self._writer_opening:
                if self._writer is None:
                    memory = str(self.log.path) == ":memory:"
                    self._writer = self.log if memory else LocalLog(self.log.path, create=False)
        return self._writer

    def _commit(self, events: list[Event], outbox: bool = True,
                cursor: tuple[str, str] | None = None,
                delivery: tuple[str, tuple[str, ...]] | None = None) -> list[Event]:
        writer = self.writer_log()
        with self._lock:
            added = writer.append(events, outbox=outbox, cursor=cursor, delivery=delivery)
            for event in added:
                self._applied_here.add(event.event_id)
                if event.incident_id in self._states:
                    self._states[event.incident_id].apply(event)
            self._track_open(added, writer)
        if added:
            for listener in list(self._listeners):
                listener(added)
        return added

    def ingest(self, events: Iterable[Event], cursor: tuple[str, str] | None = None) -> list[Event]:
        """Apply events from elsewhere (the store, another process): no outbox rows."""
        events = list(events)
        for event in events:
            self.hlc.observe(event.hlc)
        return self._commit(events, outbox=False, cursor=cursor)

    def refresh(self, events: Iterable[Event]) -> None:
        """Events another process already committed to our log: fold them and tell listeners."""
        fresh = []
        with self._lock:
            for event in events:
                self.hlc.observe(event.hlc)
                state = self._states.get(event.incident_id)
                if state is not None:
                    state.apply(event)
                fresh.append(event)
            self._track_open(fresh, self.log)
        if fresh:
            for listener in list(self._listeners):
                listener(fresh)

    def poll_log(self) -> None:
        """Pick up what other processes (the CLI, another console) committed to our log file.

        Called from the UI's tick: while a commit holds the lock (a slow disk, a log locked
        by another process) it returns at once, and the next tick picks up what it missed."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            version = self.log.data_version()
            if version == self._data_version:
                return
            self._data_version = version
            events = []
            for seq, event in self.log.since(self._seen_seq):
                self._seen_seq = seq
                if event.event_id not in self._applied_here:
                    events.append(event)
            self._applied_here.clear()
        finally:
            self._lock.release()
        self.refresh(events)

    def declare(self, title: str, severity: str, service: str = "", impact: str = "",
                at: int | None = None, policy: Policy | None = None, drill: bool = False,
                scenario: str = "") -> IncidentState:
        policy = policy or self.policy
        title = clean(title).strip()
        if not title:
            raise RoomError("an incident needs a title")
        sev = self._severity(policy, severity)
        day = to_datetime(at if at is not None else self.clock()).strftime("%Y%m%d")
        incident_id = f"{day}-{short_token(4)}"
        payload = {"title": title, "severity": sev, "status": policy.initial_status.name,
                   "policy": policy.name, "slug": f"incident-{day}-{slugify(title)}",
                   "service": service, "impact": impact}
        if drill:
            payload.update(drill=True, scenario=scenario)
        self._policies.setdefault(policy.name, policy)
        self._commit([self._event(incident_id, "declared", payload, at)])
        return self.state(incident_id)

    def note(self, incident_id: str, text: str, kind: str = "note", at: int | None = None) -> Event:
        event = self.draft_note(incident_id, text, kind, at)
        self._commit([event])
        return event

    def draft_note(self, incident_id: str, text: str, kind: str = "note", at: int | None = None) -> Event:
        """A timeline entry, checked and stamped, not written yet."""
        # An entry changes no state, so the state one in-flight commit behind will do: a
        # draft never waits for the previous entry's commit to reach the disk.
        return self._draft(*self.note_item(incident_id, text, kind, at), wait=False)

    def note_item(self, incident_id: str, text: str, kind: str = "note", at: int | None = None) -> Item:
        """A timeline entry, checked, for :meth:`record_all`."""
        if kind not in ENTRY_KINDS:
            raise RoomError(f"unknown entry kind {kind!r} (one of: {', '.join(ENTRY_KINDS)})")
        if not clean(text).strip():
            raise RoomError("an entry needs some text")
        return (incident_id, "entry", {"kind": kind, "text": text.strip()}, at)

    def write_behind(self, event: Event, on_error: OnError) -> None:
        """Commit a drafted event on the writer thread (see write_behind.py): listeners hear of
        it once it is on disk; ``on_error(events, exc)`` is called, on that thread, if it fails."""
        self.open_writer().submit([event], on_error)

    def open_writer(self) -> WriteBehind:
        """The write-behind thread and the writer connection it commits on (the console opens
        them after its first frame, so the first entry does not pay for them)."""
        if self._behind is None:
            from .store.write_behind import WriteBehind

            self.writer_log()
            self._behind = WriteBehind(self._commit)
            self._behind.start()
        return self._behind

    def flush(self) -> None:
        """Wait until every write-behind commit has landed or failed."""
        if self._behind is not None:
            self._behind.flush()

    def close(self) -> None:
        if self._behind is not None:
            self._behind.close()
            self._behind = None
        if self._writer is not None and self._writer is not self.log:
            self._writer.close()
        self._writer = None
        self.log.close()

    def set_severity(self, incident_id: str, severity: str, at: int | None = None) -> Event:
        state = self.state(incident_id)
        sev = self._severity(self.policy_for(state), severity)
        return self.record(incident_id, "severity", {"severity": sev, "supersedes": state.head("severity")}, at)

    def set_status(self, incident_id: str, status: str, at: int | None = None) -> Event:
        return self.record(*self.status_item(incident_id, status, at))

    def status_item(self, incident_id: str, status: str, at: int | None = None) -> Item:
        """A status change, checked against the incident's policy, for :meth:`record_all`."""
        state = self.state(incident_id)
        try:
            name = self.policy_for(state).status(status).name
        except PolicyLookupError as exc:
            raise RoomError(str(exc)) from None
        return (incident_id, "status", {"status": name, "supersedes": state.head("status")}, at)

    def assign(self, incident_id: str, role: str, person: str, briefing: str = "",
               at: int | None = None) -> Event | Unchanged:
        """Record who holds a role (a hand-over when someone else did); the person who holds it
        already is told so, and nothing is recorded."""
        state = self.state(incident_id)
        try:
            role_def = self.policy_for(state).role(role)
        except PolicyLookupError as exc:
            raise RoomError(str(exc)) from None
        role_id = role_def.id
        person = clean_name(person)
        if not person:
            raise RoomError("assign needs a person")
        if state.roles.get(role_id) == person:
            return Unchanged(f"{person} already holds {role_def.short}: nothing recorded")
        payload = {"role": role_id, "person": person, "supersedes": state.head(f"role:{role_id}")}
        previous = state.roles.get(role_id, "")
        if previous:
            payload["previous"] = previous
        if briefing.strip():
            payload["briefing"] = briefing.strip()
        return self.record(incident_id, "role", payload, at)

    def tick_task(self, incident_id: str, role: str, task: str, done: bool = True,
                  at: int | None = None) -> Event:
        state = self.state(incident_id)
        try:
            role_def = self.policy_for(state).role(role)
        except PolicyLookupError as exc:
            raise RoomError(str(exc)) from None
        if task not in role_def.tasks:
            raise RoomError(f"{role_def.short} has no task {task!r}")
        return self.record(incident_id, "task", {"role": role_def.id, "task": task, "done": done}, at)

    def acknowledge(self, incident_id: str, at: int | None = None) -> Event:
        return self.record(incident_id, "ack", {"by": self.user}, at)

    def update_posted(self, incident_id: str, text: str = "", channel: str = "",
                      at: int | None = None) -> Event:
        return self.record(incident_id, "update_posted", {"text": text, "channel": channel}, at)

    def set_field(self, incident_id: str, name: str, value: str, at: int | None = None) -> Event:
        return self.record(*self.field_item(incident_id, name, value, at))

    def field_item(self, incident_id: str, name: str, value: str, at: int | None = None) -> Item:
        """A named field's new value, for :meth:`record_all`; its event says who and when."""
        if not name or not name.replace("_", "").isalnum():
            raise RoomError(f"not a field name: {name[:40]!r}")
        return (incident_id, "field", {"name": name, "value": value,
                                       "supersedes": self.state(incident_id).head(name)}, at)

    def set_fields(self, incident_id: str, values: dict[str, str], at: int | None = None) -> list[Event]:
        """Several fields at once (a form saved): all committed together, or none. A value the
        field already holds is not written again."""
        state = self.state(incident_id)
        items = [self.field_item(incident_id, name, value, at) for name, value in values.items()
                 if str(state.get(name) or "") != value]
        return self.record_all(items) if items else []

    def field_info(self, incident_id: str, name: str) -> FieldInfo | None:
        """A field's value with who set it and when (the fields form's "last updated by")."""
        return self.state(incident_id).field_info(name)

    def record(self, incident_id: str, kind: str, payload: dict, at: int | None = None) -> Event:
        """Check, stamp (now, or dated ``at``) and commit one event of ``kind``."""
        return self.record_all([(incident_id, kind, payload, at)])[0]

    def record_all(self, items: Iterable[Item]) -> list[Event]:
        """Commit events that belong together (an override and the resolution it allows, a
        re-open and its note) in one transaction: all of them or, if one fails, none. Each is
        checked and stamped, in the order given, before any is written."""
        events = [self._draft(*item) for item in items]
        self._commit(events)
        return events

    # -- deliveries: the outbox of posts and pages (comms/outbox.py), on the writer ---------
    def add_delivery(self, row: dict) -> None:
        self.writer_log().add_delivery(row)

    def claim_deliveries(self, now_ms: int, lease_ms: int, states: tuple[str, ...],
                         ids: list[str] | None = None, due_only: bool = True, limit: int = 20) -> list[tuple]:
        return self.writer_log().claim_deliveries(now_ms, lease_ms, states, ids, due_only, limit)

    def set_delivery(self, ident: str, from_states: tuple[str, ...], **changes) -> bool:
        return self.writer_log().set_delivery(ident, from_states, **changes)

    def finish_delivery(self, ident: str, from_states: tuple[str, ...], items: Iterable[Item]) -> list[Event]:
        """Record what a delivery did and mark it sent, in one transaction (or neither)."""
        events = [self._draft(*item) for item in items]
        self._commit(events, delivery=(ident, from_states))
        return events

    def deliveries(self, states: tuple[str, ...] | None = None, incident: str | None = None,
                   ident: str | None = None) -> list[tuple]:
        """Delivery rows, read on the reader (see :meth:`LocalLog.deliveries`)."""
        return self.log.deliveries(states, incident, ident)

    def delivery_counts(self, states: tuple[str, ...]) -> tuple[int, int | None]:
        return self.log.delivery_counts(states)

    def _draft(self, incident_id: str, kind: str, payload: dict, at: int | None,
               wait: bool = True) -> Event:
        state = self.state(incident_id, wait=wait)
        if not state.declared:
            raise RoomError(f"no such incident: {incident_id!r}")
        return self._event(incident_id, kind, payload, at, state)

    @staticmethod
    def _severity(policy: Policy, severity: str) -> str:
        try:
            return policy.severity(severity).id
        except PolicyLookupError as exc:
            raise RoomError(str(exc)) from None
