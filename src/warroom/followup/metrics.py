"""Incident metrics: time to detect, acknowledge, mitigate and resolve, from the milestones
(or, where one was never marked, from the declaration, the acknowledgement and the status
changes), and their summary across real incidents (drills left out); and each incident's
compliance with its policy's clocks (SLA breaches, acknowledgement in time, updates on time,
escalation levels reached), summarised the same way.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from ..model import clocks
from ..model.events import Event
from ..model.policy import Policy
from ..model.state import IncidentState
from .resolution import milestones, resolved_at

METRICS = ("detect", "acknowledge", "mitigate", "resolve")


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
        # a log from before milestones were validated may hold them out of order: such a
        # span is unknown, not negative
        return None if start is None or end is None or end < start else end - start

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


@dataclass
class Compliance:
    """One incident against its policy's clocks as of a moment: its breaches, whether it was
    acknowledged in time (None: not yet known), its updates on time of those due, and per
    escalation track the highest level engaged as (level from 1, who)."""

    incident_id: str
    drill: bool
    breaches: list[clocks.Breach]
    acknowledged_in_time: bool | None
    updates_on_time: int
    updates_due: int
    levels: dict[str, tuple[int, str]]


def compliance(state: IncidentState, policy: Policy, now: int) -> Compliance:
    found = clocks.breaches(state, policy, now)
    # the acknowledgement's own deadline where the policy has one, else the response's: both are met by it
    clock, deadline = (("ack", clocks.ack_deadline(state, policy)) if policy.acknowledge_minutes is not None
                       else ("response", clocks.response_deadline(state, policy)))
    in_time = None
    if any(b.clock == clock for b in found):
        in_time = False
    elif deadline is not None and deadline.met_ms is not None:
        in_time = True
    on_time, due = clocks.update_compliance(state, policy, now)
    levels: dict[str, tuple[int, str]] = {}
    for step in clocks.engaged(state, policy, now):
        level = next((i for track in policy.escalation if track.name == step.track
                      for i, s in enumerate(track.steps, 1) if s.notify == step.notify), 0)
        if level > levels.get(step.track, (0, ""))[0]:
            levels[step.track] = (level, step.notify)
    return Compliance(state.id, state.drill, found, in_time, on_time, due, levels)


def _share(count: int, of: int) -> dict[str, int | float | None]:
    return {"count": count, "of": of, "percent": round(100 * count / of, 1) if of else None}


def summarise_compliance(rows: list[Compliance]) -> dict:
    """Across real (non-drill) incidents: % acknowledged within the deadline (of those whose
    deadline was met or missed), % of status updates on time, breaches by clock, and per track
    how many incidents reached each level as their highest."""
    real = [c for c in rows if not c.drill]
    known = [c.acknowledged_in_time for c in real if c.acknowledged_in_time is not None]
    levels: dict[str, dict[tuple[int, str], int]] = {}
    for c in real:
        for track, reached in c.levels.items():
            levels.setdefault(track, {}).setdefault(reached, 0)
            levels[track][reached] += 1
    by_clock: dict[str, int] = {}
    for c in real:
        for b in c.breaches:
            by_clock[b.clock] = by_clock.get(b.clock, 0) + 1
    return {
        "incidents": len(real),
        "acknowledged_in_time": _share(sum(known), len(known)),
        "updates_on_time": _share(sum(c.updates_on_time for c in real), sum(c.updates_due for c in real)),
        "breaches": dict(sorted(by_clock.items())),
        "escalation": {track: [{"level": level, "notify": notify, "incidents": n}
                               for (level, notify), n in sorted(found.items())]
                       for track, found in sorted(levels.items())},
    }
