"""After the fire: the resolution checklist, the override, resolving and re-opening, the
recovery watch, milestones and the follow-up deadlines.

Everything is folded from the incident's events (``criterion``, ``override``, ``milestone``,
``status``), so every terminal computes the same checklist. Edits to a checklist item or a
milestone resolve last-writer-wins on the *writing* order (``Event.writing_order``): a
correction typed later wins even when it backdates the marker. Nothing here reads the clock;
``now`` is passed in. Action items are in actions.py, metrics in metrics.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import WarroomError
from ..model.clocks import Deadline, is_resolved, MINUTE
from ..model.events import Event
from ..model.policy import Policy
from ..model.state import IncidentState
from .actions import action_items

HOUR, DAY = 60 * MINUTE, 24 * 60 * MINUTE
MILESTONES = ("started", "detected", "acknowledged", "mitigated", "resolved", "postmortem", "review")


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
    for event in sorted((e for e in events if e.kind == "criterion"), key=lambda e: e.writing_order):
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
    if not is_resolved(state, policy):
        return None
    changes = sorted(state.status_changes)
    at = None
    for ms, status in changes:
        known = policy.find_status(status)
        resolved = known is not None and known.resolved
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
    for event in sorted((e for e in events if e.kind == "milestone"), key=lambda e: e.writing_order):
        found[event.payload["name"]] = event.occurred_ms
    return found


@dataclass(frozen=True)
class FollowUp:
    name: str
    deadline: Deadline


def postmortem_required(state: IncidentState, policy: Policy) -> bool:
    """Whether the policy asks for a postmortem (and its review) at this severity: playbook
    000 only for SEV1/SEV2; a policy that names no severities asks for one at every severity."""
    return not policy.postmortem_severities or state.severity in policy.postmortem_severities


def deadlines(state: IncidentState, policy: Policy, events: list[Event]) -> list[FollowUp]:
    """Postmortem (24 h / 48 h) and review (7 days) clocks, counted from resolution, for the
    severities that require a postmortem."""
    start = resolved_at(state, policy)
    if start is None or not postmortem_required(state, policy):
        return []
    marks = milestones(events)
    out = []
    if policy.postmortem_hours is not None:
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


# -- writing (through the Room, which validates, cleans and commits) ------------------

class NeedsOverride(WarroomError):
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
    return room.record(incident_id, "criterion", {"criterion": text, "met": met}, at)


def resolve(room, incident_id: str, override_reason: str | None = None, at: int | None = None) -> Event:
    """Set the resolved status. With criteria open, raise NeedsOverride unless a reason for
    the override is given; the override and the status change then commit together, the
    override first."""
    state = room.state(incident_id)
    policy = room.policy_for(state)
    missing = open_criteria(room.events(incident_id), policy)
    items = []
    if missing:
        if override_reason is None:
            raise NeedsOverride(missing)
        what = "resolved with open criteria: " + "; ".join(missing)
        items.append((incident_id, "override", {"what": what, "reason": override_reason}, at))
    items.append(room.status_item(incident_id, resolved_status(policy), at))
    return room.record_all(items)[-1]


def reopen(room, incident_id: str, reason: str = "", at: int | None = None) -> Event:
    """A recurrence: back to the first status, with an entry saying why (both or neither)."""
    policy = room.policy_for(room.state(incident_id))
    text = "Recurrence: incident re-opened" + (f": {reason}" if reason.strip() else "")
    return room.record_all([room.note_item(incident_id, text, kind="observation", at=at),
                            room.status_item(incident_id, policy.statuses[0].name, at)])[-1]


_STARTS = ("started", "detected")
_AFTER_START = ("acknowledged", "mitigated", "resolved")


def milestone_order_error(marks: dict[str, int]) -> str | None:
    """Why a set of milestones is impossible (an acknowledgement, mitigation or resolution
    before the impact began or was detected, or a detection before the start), else None."""
    from ..model.times import stamp

    pairs = [(late, early) for late in _AFTER_START for early in _STARTS] + [("detected", "started")]
    for late, early in pairs:
        if late in marks and early in marks and marks[late] < marks[early]:
            return (f"milestone {late} at {stamp(marks[late])[:16]} UTC cannot precede "
                    f"{early} at {stamp(marks[early])[:16]} UTC")
    return None


def mark(room, incident_id: str, name: str, at: int | None = None) -> Event:
    """Record a milestone; refused (nothing written) when it would put the milestones out of
    order, so no metric or postmortem duration comes out negative."""
    from ..room import RoomError

    key = name.strip().lower()
    if key not in MILESTONES:
        raise RoomError(f"unknown milestone {name!r} (one of: {', '.join(MILESTONES)})")
    marks = milestones(room.events(incident_id))
    marks[key] = room.write_clock() if at is None else at
    problem = milestone_order_error(marks)
    if problem:
        raise RoomError(problem)
    return room.record(incident_id, "milestone", {"name": key}, at)
