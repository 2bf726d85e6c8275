"""What happens after the fire: resolution checklist, recovery watch, deadlines, actions, metrics.

Everything is folded from the incident's events (``criterion``, ``override``, ``milestone``,
``action_item``, ``status``), so every terminal computes the same checklist and the same
action table. Edits to a checklist item, a milestone or an action item field resolve
last-writer-wins on the *writing* order ``(hlc, origin, event_id)``: a correction typed later
wins even when it backdates the marker. Nothing here reads the clock; ``now`` is passed in.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Iterable

from ..model.clocks import Deadline, MINUTE
from ..model.events import Event
from ..model.policy import Policy
from ..model.state import IncidentState
from ..model.times import parse_time, TimeError

HOUR, DAY = 60 * MINUTE, 24 * 60 * MINUTE
MILESTONES = ("started", "detected", "acknowledged", "mitigated", "resolved", "postmortem", "review")
ACTION_STATUSES = ("open", "in-progress", "done", "cancelled")
CLOSED = ("done", "cancelled")
DEFAULT_PRIORITIES = ("P0", "P1", "P2")
METRICS = ("detect", "acknowledge", "mitigate", "resolve")


def _writing_order(event: Event) -> tuple:
    return (event.hlc, event.origin, event.event_id)


def _lww(events: Iterable[Event]) -> list[Event]:
    return sorted(events, key=_writing_order)


# -- resolution criteria --------------------------------------------------------------

@dataclass(frozen=True)
class Criterion:
    text: str
    met: bool
    by: str = ""
    at_ms: int | None = None


def criteria(events: list[Event], policy: Policy) -> list[Criterion]:
    """The policy's resolution criteria with their latest ticks, in the policy's order."""
    ticks: dict[str, Event] = {}
    for event in _lww(e for e in events if e.kind == "criterion"):
        ticks[event.payload["criterion"]] = event
    out = []
    for text in policy.resolution_criteria:
        tick = ticks.get(text)
        out.append(Criterion(text, bool(tick and tick.payload["met"]),
                             tick.author if tick else "", tick.occurred_ms if tick else None))
    return out


def open_criteria(events: list[Event], policy: Policy) -> list[str]:
    return [c.text for c in criteria(events, policy) if not c.met]


def match_criterion(policy: Policy, ref: str) -> str:
    """A criterion by its 1-based number or a case-insensitive prefix of its text."""
    items = policy.resolution_criteria
    if ref.strip().isdigit() and 1 <= int(ref) <= len(items):
        return items[int(ref) - 1]
    hits = [c for c in items if c.lower().startswith(ref.strip().lower())]
    if len(hits) != 1:
        listed = "; ".join(f"{i}. {c}" for i, c in enumerate(items, 1)) or "none"
        raise ValueError(f"no single criterion matches {ref!r} (policy {policy.name}: {listed})")
    return hits[0]


# -- resolution, recovery and recurrence ----------------------------------------------

def resolved_status(policy: Policy) -> str:
    return next(s.name for s in policy.statuses if s.resolved)


def resolved_at(state: IncidentState, policy: Policy) -> int | None:
    """When the incident entered its current resolved status (None while it is open)."""
    try:
        if not policy.status(state.status).resolved:
            return None
    except KeyError:
        return None
    changes = sorted(state.status_changes)
    at = None
    for ms, status in changes:
        try:
            resolved = policy.status(status).resolved
        except KeyError:
            resolved = False
        if resolved and at is None:
            at = ms
        elif not resolved:
            at = None
    return at


@dataclass(frozen=True)
class Recovery:
    """Playbook 001: watch for recurrence for N minutes after resolution."""

    started_ms: int
    ends_ms: int

    def remaining(self, now: int) -> int:
        return max(0, self.ends_ms - now)

    def active(self, now: int) -> bool:
        return self.started_ms <= now < self.ends_ms


def recovery(state: IncidentState, policy: Policy) -> Recovery | None:
    start = resolved_at(state, policy)
    if start is None or not policy.recovery_monitor_minutes:
        return None
    return Recovery(start, start + policy.recovery_monitor_minutes * MINUTE)


def milestones(events: list[Event]) -> dict[str, int]:
    """Explicit lifecycle markers: name -> when (the latest written marker of a name wins)."""
    found: dict[str, int] = {}
    for event in _lww(e for e in events if e.kind == "milestone"):
        found[event.payload["name"]] = event.occurred_ms
    return found


@dataclass(frozen=True)
class FollowUp:
    name: str
    deadline: Deadline


def deadlines(state: IncidentState, policy: Policy, events: list[Event]) -> list[FollowUp]:
    """Postmortem (24 h / 48 h) and review (7 days) clocks, counted from resolution."""
    start = resolved_at(state, policy)
    if start is None:
        return []
    marks = milestones(events)
    out = []
    wants_postmortem = not policy.postmortem_severities or state.severity in policy.postmortem_severities
    if policy.postmortem_hours is not None and wants_postmortem:
        out.append(FollowUp("postmortem", Deadline(start + policy.postmortem_hours * HOUR,
                                                   marks.get("postmortem"))))
    if policy.review_days is not None:
        out.append(FollowUp("review", Deadline(start + policy.review_days * DAY, marks.get("review"))))
    return out


def clock_lines(state: IncidentState, policy: Policy, events: list[Event], now: int) -> list[tuple[str, str]]:
    """The follow-up clocks as (text, level) for a panel: level is "ok", "warn" or "alert"."""
    from ..model.times import duration, stamp

    lines = []
    rec = recovery(state, policy)
    if rec and rec.active(now):
        lines.append((f"recovery monitoring: {duration(rec.remaining(now))} left "
                      f"(until {stamp(rec.ends_ms)[11:16]} UTC)", "warn"))
    elif rec:
        lines.append(("recovery monitoring done", "ok"))
    for f in deadlines(state, policy, events):
        d = f.deadline
        if d.met_ms is not None:
            lines.append((f"{f.name} done", "ok"))
        elif d.overdue(now):
            lines.append((f"{f.name} OVERDUE by {duration(now - d.due_ms)}", "alert"))
        else:
            lines.append((f"{f.name} due {stamp(d.due_ms)} UTC (in {duration(d.due_ms - now)})", "ok"))
    overdue = [i for i in action_items(events) if i.overdue(now)]
    if overdue:
        lines.append((f"{len(overdue)} action item{'s' if len(overdue) > 1 else ''} overdue", "alert"))
    return lines


# -- action items ---------------------------------------------------------------------

@dataclass
class ActionItem:
    item_id: str
    description: str = ""
    owner: str = ""
    due: str = ""
    priority: str = ""
    status: str = "open"
    created_ms: int = 0
    created_order: tuple = ()

    @property
    def closed(self) -> bool:
        return self.status in CLOSED

    def due_ms(self) -> int | None:
        """A due date means the end of that day (UTC); a full time means that time."""
        if not self.due:
            return None
        text = self.due.strip()
        try:
            if len(text) == 10:
                return parse_time(text + "T23:59:59Z", 0)
            return parse_time(text, 0)
        except TimeError:
            return None

    def overdue(self, now: int) -> bool:
        due = self.due_ms()
        return not self.closed and due is not None and now > due


def action_items(events: list[Event]) -> list[ActionItem]:
    """Fold ``action_item`` events; each field is last-writer-wins on its own."""
    items: dict[str, ActionItem] = {}
    for event in _lww(e for e in events if e.kind == "action_item"):
        p = event.payload
        item = items.get(p["item_id"])
        if item is None:
            item = items[p["item_id"]] = ActionItem(p["item_id"], created_ms=event.occurred_ms,
                                                    created_order=_writing_order(event))
        for name in ("description", "owner", "due", "priority", "status"):
            if name in p:
                setattr(item, name, p[name])
    return sorted(items.values(), key=lambda i: i.created_order)


def check_priority(policy: Policy, priority: str) -> str:
    allowed = policy.action_priorities or DEFAULT_PRIORITIES
    for p in allowed:
        if p.lower() == priority.strip().lower():
            return p
    raise ValueError(f"unknown priority {priority!r} (one of: {', '.join(allowed)})")


def check_status(status: str) -> str:
    key = status.strip().lower().replace(" ", "-")
    if key not in ACTION_STATUSES:
        raise ValueError(f"unknown action status {status!r} (one of: {', '.join(ACTION_STATUSES)})")
    return key


def check_due(due: str, now: int) -> str:
    """Normalise a due date: YYYY-MM-DD stays, anything parse_time reads becomes ISO."""
    from ..model.times import iso

    text = due.strip()
    if not text:
        return ""
    try:
        if len(text) == 10:
            parse_time(text, now)
            return text
        return iso(parse_time(text, now))
    except TimeError as exc:
        raise ValueError(str(exc)) from None


# -- metrics --------------------------------------------------------------------------

@dataclass
class Metrics:
    """Times in ms: detect = started→detected, the others counted from detection."""

    incident_id: str
    drill: bool
    marks: dict[str, int] = field(default_factory=dict)
    derived: tuple[str, ...] = ()
    values: dict[str, int | None] = field(default_factory=dict)


def metrics(state: IncidentState, policy: Policy, events: list[Event]) -> Metrics:
    marks = milestones(events)
    derived = []
    fallbacks = {"detected": state.declared_ms, "acknowledged": state.acknowledged_ms,
                 "resolved": resolved_at(state, policy)}
    for name, value in fallbacks.items():
        if name not in marks and value is not None:
            marks[name] = value
            derived.append(name)
    detected = marks.get("detected")

    def span(start: int | None, end: int | None) -> int | None:
        return None if start is None or end is None else end - start

    values = {
        "detect": span(marks.get("started"), detected),
        "acknowledge": span(detected, marks.get("acknowledged")),
        "mitigate": span(detected, marks.get("mitigated")),
        "resolve": span(detected, marks.get("resolved")),
    }
    return Metrics(state.id, state.drill, marks, tuple(derived), values)


def summarise(rows: list[Metrics]) -> dict[str, dict[str, int | None]]:
    """Count, median, mean and max of each metric across real (non-drill) incidents."""
    out = {}
    for name in METRICS:
        values = [m.values[name] for m in rows if not m.drill and m.values.get(name) is not None]
        out[name] = {
            "count": len(values),
            "median_ms": int(statistics.median(values)) if values else None,
            "mean_ms": int(statistics.fmean(values)) if values else None,
            "max_ms": max(values) if values else None,
        }
    return out


# -- writing (through the Room, which validates, cleans and commits) ------------------

class NeedsOverride(Exception):
    """Resolving with criteria still open: the caller must confirm and give a reason."""

    def __init__(self, open_items: list[str]) -> None:
        super().__init__(f"{len(open_items)} resolution criteria still open: " + "; ".join(open_items))
        self.open_items = open_items


def tick(room, incident_id: str, criterion: str, met: bool = True, at: int | None = None) -> Event:
    policy = room.policy_for(room.state(incident_id))
    try:
        text = match_criterion(policy, criterion)
    except ValueError as exc:
        from ..room import RoomError
        raise RoomError(str(exc)) from None
    return room._write(incident_id, "criterion", {"criterion": text, "met": met}, at)


def resolve(room, incident_id: str, override_reason: str | None = None, at: int | None = None) -> Event:
    """Set the resolved status. With criteria open, raise NeedsOverride unless a reason for
    the override is given; the override is recorded before the status change."""
    state = room.state(incident_id)
    policy = room.policy_for(state)
    missing = open_criteria(room.log.events(incident_id), policy)
    if missing:
        if override_reason is None:
            raise NeedsOverride(missing)
        what = "resolved with open criteria: " + "; ".join(missing)
        room._write(incident_id, "override", {"what": what, "reason": override_reason}, at)
    return room.set_status(incident_id, resolved_status(policy), at=at)


def reopen(room, incident_id: str, reason: str = "", at: int | None = None) -> Event:
    """A recurrence: back to the first status, with an entry saying why."""
    state = room.state(incident_id)
    policy = room.policy_for(state)
    text = "Recurrence: incident re-opened" + (f": {reason}" if reason.strip() else "")
    room.note(incident_id, text, kind="observation", at=at)
    return room.set_status(incident_id, policy.statuses[0].name, at=at)


def mark(room, incident_id: str, name: str, at: int | None = None) -> Event:
    key = name.strip().lower()
    if key not in MILESTONES:
        from ..room import RoomError
        raise RoomError(f"unknown milestone {name!r} (one of: {', '.join(MILESTONES)})")
    return room._write(incident_id, "milestone", {"name": key}, at)


def save_action(room, incident_id: str, item_id: str | None = None, **fields: str) -> Event:
    """Add an action item (no item_id) or change some of its fields."""
    from ..model.ids import short_token
    from ..room import RoomError

    policy = room.policy_for(room.state(incident_id))
    payload: dict[str, str] = {}
    try:
        for name, value in fields.items():
            if value is None:
                continue
            if name == "priority":
                value = check_priority(policy, value)
            elif name == "status":
                value = check_status(value)
            elif name == "due":
                value = check_due(value, room.clock())
            elif name not in ("description", "owner"):
                raise ValueError(f"action items have no field {name!r}")
            payload[name] = value.strip()
    except ValueError as exc:
        raise RoomError(str(exc)) from None
    if item_id is None:
        if not payload.get("description"):
            raise RoomError("an action item needs a description")
        payload.setdefault("status", "open")
        item_id = "A" + short_token(4)
    else:
        known = {i.item_id.lower(): i.item_id for i in action_items(room.log.events(incident_id))}
        if item_id.lower() not in known:
            raise RoomError(f"no action item {item_id!r}")
        item_id = known[item_id.lower()]
        if not payload:
            raise RoomError("nothing to change: give --status, --owner, --due, --priority or --description")
    return room._write(incident_id, "action_item", {"item_id": item_id, **payload}, None)
