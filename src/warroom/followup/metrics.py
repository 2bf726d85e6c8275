"""Incident metrics: time to detect, acknowledge, mitigate and resolve, from the milestones
(or, where one was never marked, from the declaration, the acknowledgement and the status
changes), and their summary across real incidents (drills left out).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

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
