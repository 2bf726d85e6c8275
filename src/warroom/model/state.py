"""Incident state as a pure fold over events.

Changeable fields (severity, status, role holders, named fields, task ticks) resolve
last-writer-wins on the event order ``(occurred_at, hlc, origin, event_id)``; everything
else only accumulates. Applying the same events in any order, any number of times, gives
the same state — which is what lets every terminal agree without talking to the others.
A write that replaced a value its author had not seen (two writers from the same parent)
is kept as a conflict, so nobody's change vanishes silently.
"""

import json
from dataclasses import dataclass, field

# Annotations are not postponed here: typing compiles each string annotation of a
# NamedTuple when the module is imported, and these load as the console starts.
from typing import Iterable, NamedTuple

from .events import Event


class Value(NamedTuple):
    """A last-writer-wins register with the event that set it."""

    value: object
    order: tuple
    event_id: str
    author: str


class Page(NamedTuple):
    """A target paged in an incident (the first ``paged`` of it) and, once the provider reported
    it, who acknowledged the page and when (``page_acked``)."""

    target: str
    provider: str
    reason: str
    remote_id: str
    dry_run: bool
    step: str
    paged_ms: int
    paged_by: str
    event_id: str
    acked_ms: int | None = None
    acked_by: str = ""


class FieldInfo(NamedTuple):
    """Where a field's value came from: who set it and when (the time it is dated)."""

    value: str
    author: str
    at_ms: int
    event_id: str


class Conflict(NamedTuple):
    field: str
    kept: str  # value that won
    lost: str  # value written concurrently from the same parent
    lost_by: str
    event_id: str


@dataclass
class IncidentState:
    id: str
    declared: bool = False
    title: str = ""
    slug: str = ""
    service: str = ""
    impact: str = ""
    policy: str = ""
    drill: bool = False
    scenario: str = ""
    declared_ms: int | None = None
    declared_by: str = ""
    declared_event: str = ""
    acknowledged_ms: int | None = None
    acknowledged_by: str = ""
    acks: list[int] = field(default_factory=list)  # every acknowledgement: a reopen asks for a new one
    last_update_ms: int | None = None
    updates: list[int] = field(default_factory=list)  # every posted update: the cadence's breaches walk them
    customer_emails: list[int] = field(default_factory=list)  # updates that went to customers by email
    fields: dict[str, Value] = field(default_factory=dict)
    tasks: dict[tuple[str, str], Value] = field(default_factory=dict)
    status_changes: list[tuple[int, str]] = field(default_factory=list)
    event_ids: set[str] = field(default_factory=set)
    _change_ids: set[str] = field(default_factory=set, repr=False)
    entry_count: int = 0
    event_count: int = 0
    # The history the clocks walk: (order, field, value) of every severity and status write
    # (the declaration's included), and event id -> (when, what) of every event after it, named
    # as a policy's ``progress`` names them (an entry by its kind, a milestone "milestone:NAME").
    field_history: list[tuple[tuple, str, str]] = field(default_factory=list, repr=False)
    marks: dict[str, tuple[int, str]] = field(default_factory=dict, repr=False)
    clock_cache: tuple | None = field(default=None, repr=False, compare=False)  # clocks' walk, until the next event
    # field -> {supersedes-parent -> [(order, value, author, event_id)]}
    _writes: dict[str, dict[str, list]] = field(default_factory=dict, repr=False)
    # target (lower case) -> (order, Page) of its first page; -> (acked_ms, order, by) of its first ack
    _pages: dict[str, tuple] = field(default_factory=dict, repr=False)
    _page_acks: dict[str, tuple] = field(default_factory=dict, repr=False)

    # -- reads -------------------------------------------------------------------
    def get(self, name: str, default=None):
        reg = self.fields.get(name)
        return default if reg is None else reg.value

    @property
    def severity(self) -> str:
        return self.get("severity", "")

    @property
    def status(self) -> str:
        return self.get("status", "")

    @property
    def roles(self) -> dict[str, str]:
        return {name[5:]: reg.value for name, reg in sorted(self.fields.items())
                if name.startswith("role:") and reg.value}

    def field_info(self, name: str) -> FieldInfo | None:
        """A named field's value with who set it and when; None if it was never set."""
        reg = self.fields.get(name)
        if reg is None:
            return None
        return FieldInfo(str(reg.value), reg.author, reg.order[0], reg.event_id)

    def done_tasks(self, role_id: str) -> set[str]:
        return {task for (role, task), reg in self.tasks.items() if role == role_id and reg.value}

    def mark_entries(self, entries: Iterable[tuple[int, str, str]]) -> None:
        """Note timeline entries, as (occurred_ms, event_id, kind), that were counted, not folded:
        a state loaded from the log folds no entries, yet a decision or an action is progress."""
        for ms, event_id, kind in entries:
            self.marks[event_id] = (ms, kind)

    def head(self, name: str) -> str:
        """The event id that currently sets a field: what a new write supersedes."""
        reg = self.fields.get(name)
        return reg.event_id if reg else ""

    def pages(self) -> list[Page]:
        """Every target paged, in the order it was first paged, with its acknowledgement if one
        was read back (an acknowledgement folded before its page still counts)."""
        out = []
        for key, (_, page) in sorted(self._pages.items(), key=lambda item: item[1][0]):
            ack = self._page_acks.get(key)
            out.append(page._replace(acked_ms=ack[0], acked_by=ack[2]) if ack else page)
        return out

    def page(self, target: str) -> Page | None:
        return next((p for p in self.pages() if p.target.lower() == target.lower()), None)

    @property
    def conflicts(self) -> list[Conflict]:
        found = []
        for name, parents in self._writes.items():
            for writes in parents.values():
                if len(writes) < 2:
                    continue
                writes = sorted(writes)
                top = writes[-1]
                for order, value, author, event_id in writes[:-1]:
                    found.append(Conflict(name, str(top[1]), str(value), author, event_id))
        return found

    def digest(self) -> str:
        """A hash of everything that must agree between terminals."""
        body = {
            "fields": {k: [v.value, v.event_id] for k, v in sorted(self.fields.items())},
            "tasks": sorted([list(k), v.value] for k, v in self.tasks.items()),
            # entries are counted, not listed: a state loaded from the log counts them
            "changes": sorted(self._change_ids), "entries": self.entry_count,
            "declared": [self.title, self.slug, self.declared_ms, self.policy],
            "ack": self.acknowledged_ms, "update": self.last_update_ms,
        }
        import hashlib  # only the agreement checks ask for this: not worth importing at start

        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()

    # -- the fold ------------------------------------------------------------------
    def apply(self, event: Event) -> bool:
        """Fold one event in; return False when it was already applied.

        Ids of entries loaded by count (``Room.state``) are not held here: the log,
        which deduplicates on event id, is what keeps them from being counted twice."""
        if event.event_id in self.event_ids:
            return False
        self.event_ids.add(event.event_id)
        self.event_count += 1
        p, order = event.payload, event.order
        if event.kind != "entry":
            self._change_ids.add(event.event_id)
        if event.kind != "declared":
            what = (p["kind"] if event.kind == "entry" else
                    f"milestone:{p['name']}" if event.kind == "milestone" else event.kind)
            self.marks[event.event_id] = (event.occurred_ms, what)
        match event.kind:
            case "entry":
                self.entry_count += 1
            case "declared":
                self.declared = True
                self.title, self.slug, self.policy = p["title"], p["slug"], p["policy"]
                self.service, self.impact = p.get("service", ""), p.get("impact", "")
                self.drill, self.scenario = bool(p.get("drill")), p.get("scenario", "")
                self.declared_ms, self.declared_by = event.occurred_ms, event.author
                self.declared_event = event.event_id
                self._write("severity", p["severity"], event, parent="")
                self._write("status", p["status"], event, parent="")
                self.field_history += [(order, "severity", p["severity"]), (order, "status", p["status"])]
            case "severity":
                self._write("severity", p["severity"], event)
                self.field_history.append((order, "severity", p["severity"]))
            case "status":
                self._write("status", p["status"], event)
                self.status_changes.append((event.occurred_ms, p["status"]))
                self.field_history.append((order, "status", p["status"]))
            case "role":
                self._write(f"role:{p['role']}", p["person"], event)
            case "field":
                self._write(p["name"], p["value"], event)
            case "task":
                key = (p["role"], p["task"])
                current = self.tasks.get(key)
                if current is None or order > current.order:
                    self.tasks[key] = Value(p["done"], order, event.event_id, event.author)
            case "ack":
                self.acks.append(event.occurred_ms)
                if self.acknowledged_ms is None or event.occurred_ms < self.acknowledged_ms:
                    self.acknowledged_ms, self.acknowledged_by = event.occurred_ms, event.author
            case "paged":
                key = p["target"].lower()
                if key not in self._pages or order < self._pages[key][0]:
                    self._pages[key] = (order, Page(
                        p["target"], p["provider"], p["reason"], p.get("remote_id", ""), bool(p.get("dry_run")),
                        p.get("step", ""), event.occurred_ms, event.author, event.event_id))
            case "page_acked":
                key, ack = p["target"].lower(), (p["acked_ms"], order, p.get("by", ""))
                if key not in self._page_acks or ack < self._page_acks[key]:
                    self._page_acks[key] = ack
            case "update_posted":
                self.updates.append(event.occurred_ms)
                if is_customer_email(p):
                    self.customer_emails.append(event.occurred_ms)
                if self.last_update_ms is None or event.occurred_ms > self.last_update_ms:
                    self.last_update_ms = event.occurred_ms
        return True

    def _write(self, name: str, value, event: Event, parent: str | None = None) -> None:
        current = self.fields.get(name)
        if current is None or event.order > current.order:
            self.fields[name] = Value(value, event.order, event.event_id, event.author)
        parent = event.payload.get("supersedes", "") if parent is None else parent
        if parent or event.kind != "declared":
            self._writes.setdefault(name, {}).setdefault(parent, []).append(
                (event.order, value, event.author, event.event_id))


def is_customer_email(payload: dict) -> bool:
    """Whether a posted update was the email to customers: a channel that is e-mail
    ("email", "email:customers") or the audience "customers"; a dry run is not one."""
    if payload.get("dry_run"):
        return False
    channel = str(payload.get("channel", "")).strip().lower()
    return channel.startswith("email") or str(payload.get("audience", "")).strip().lower() == "customers"


def fold(incident_id: str, events: Iterable[Event]) -> IncidentState:
    state = IncidentState(incident_id)
    for event in events:
        state.apply(event)
    return state
