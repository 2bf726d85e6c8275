"""Incident state rendered for people (text) and for scripts (JSON): shared by CLI and UI."""

from __future__ import annotations

from typing import Any

from . import clocks
from .policy import Policy
from .state import IncidentState
from .times import duration, hhmm, humanize, iso, stamp


def as_dict(state: IncidentState, policy: Policy, now: int) -> dict[str, Any]:
    update = clocks.next_update(state, policy)
    nxt = clocks.next_escalation(state, policy, now)
    deadline = clocks.response_deadline(state, policy)
    ack = clocks.ack_deadline(state, policy)
    reset = clocks.ladder_reset(state, policy)
    elapsed = clocks.elapsed_ms(state, policy, now)
    return {
        "id": state.id, "slug": state.slug, "title": state.title, "severity": state.severity,
        "status": state.status, "phase": clocks.phase(state, policy), "policy": policy.name,
        "service": state.service, "impact": state.impact, "drill": state.drill,
        "declared_at": iso(state.declared_ms), "declared_by": state.declared_by,
        "acknowledged_at": iso(state.acknowledged_ms), "resolved": clocks.is_resolved(state, policy),
        "roles": state.roles,
        "tasks_done": {r.id: sorted(state.done_tasks(r.id)) for r in policy.roles if state.done_tasks(r.id)},
        "last_update_at": iso(state.last_update_ms),
        "next_update_due": iso(update.due_ms) if update else None,
        "update_overdue": bool(update and update.overdue(now)),
        "update_cadence_minutes": update.cadence_minutes if update else None,
        "next_escalation": ({"at": iso(nxt.at_ms), "notify": nxt.notify, "track": nxt.track} if nxt else None),
        "engaged": [{"at": iso(e.at_ms), "notify": e.notify, "track": e.track}
                    for e in clocks.engaged(state, policy, now)] if not clocks.is_resolved(state, policy) else [],
        "response_due": iso(deadline.due_ms) if deadline else None,
        "response_overdue": bool(deadline and deadline.overdue(now)),
        "ack_due": ({"due": iso(ack.due_ms), "met_at": iso(ack.met_ms), "overdue": ack.overdue(now)}
                    if ack else None),
        "due_now": [{"at": iso(e.at_ms), "due": iso(e.due_ms), "notify": e.notify, "track": e.track}
                    for e in clocks.due_now(state, policy, now)],
        "ladder_reset": ({"at": iso(reset.at_ms), "by_event": reset.event_id, "kind": reset.kind}
                         if reset else None),
        "elapsed_s": elapsed // 1000 if elapsed is not None else None,
        "breaches": [breach_dict(b) for b in clocks.breaches(state, policy, now)],
        "conflicts": [{"field": c.field, "kept": c.kept, "lost": c.lost, "lost_by": c.lost_by}
                      for c in state.conflicts],
        "events": state.event_count, "entries": state.entry_count, "as_of": iso(now),
    }


def breach_dict(breach: clocks.Breach) -> dict[str, Any]:
    """One breach for scripts; late by whole seconds, a part of one counting as one."""
    return {"clock": breach.clock, "due": iso(breach.due_ms), "met_at": iso(breach.met_ms),
            "late_by_s": -(-breach.late_by_ms // 1000)}


def breach_text(breach: clocks.Breach) -> str:
    """One breach in words: "ack due 10:05 UTC, met 10:07 UTC — 2m late"."""
    met = f"met {hhmm(breach.met_ms)} UTC" if breach.met_ms is not None else "not met"
    return f"{breach.clock} due {hhmm(breach.due_ms)} UTC, {met} — {humanize(breach.late_by_ms)} late"


def as_text(state: IncidentState, policy: Policy, now: int) -> str:
    d = as_dict(state, policy, now)
    sev = policy.severity(state.severity) if state.severity else None
    lines = [
        f"{state.id}  {state.slug}{'  [DRILL]' if state.drill else ''}",
        f"{state.title} — {state.severity}{f' {sev.name}' if sev else ''} · {state.status} · phase: {d['phase']}",
        f"declared {stamp(state.declared_ms)} UTC by {state.declared_by} (policy {policy.name})"
        + (f" · elapsed {duration(d['elapsed_s'] * 1000)}" if d["elapsed_s"] is not None else ""),
    ]
    if state.service or state.impact:
        lines.append(" · ".join(x for x in (f"service: {state.service}" if state.service else "",
                                            f"impact: {state.impact}" if state.impact else "") if x))
    lines.append("roles: " + " · ".join(f"{r.id} {state.roles.get(r.id, '—')}" for r in policy.roles))
    update = clocks.next_update(state, policy)
    if update:
        left = update.remaining(now)
        when = f"OVERDUE by {duration(-left)}" if left < 0 else f"in {duration(left)}"
        lines.append(f"next update due {stamp(update.due_ms)} UTC ({when}; every {update.cadence_minutes} min)")
    elif not d["resolved"]:
        lines.append("next update: as needed")
    for step in clocks.due_now(state, policy, now):
        lines.append(f"due now: {step.notify} [{step.track}] (due {hhmm(step.due_ms)} UTC)")
    nxt = clocks.next_escalation(state, policy, now)
    if nxt:
        lines.append(f"next escalation {hhmm(nxt.at_ms)} UTC (in {duration(nxt.at_ms - now)}): "
                     f"{nxt.notify} [{nxt.track}]")
    reset = clocks.ladder_reset(state, policy)
    if reset and not d["resolved"]:
        lines.append(f"no-progress ladder counting since {hhmm(reset.at_ms)} UTC ({reset.kind})")
    if not d["resolved"]:
        for label, deadline in (("respond", clocks.response_deadline(state, policy)),
                                ("acknowledge", clocks.ack_deadline(state, policy))):
            if deadline:
                met = (f"acknowledged {hhmm(deadline.met_ms)} UTC" if deadline.met_ms is not None
                       else ("OVERDUE" if deadline.overdue(now) else f"in {duration(deadline.due_ms - now)}"))
                lines.append(f"{label} by {hhmm(deadline.due_ms)} UTC — {met}")
    for breach in clocks.breaches(state, policy, now):
        lines.append(f"SLA breach: {breach_text(breach)}")
    for c in d["conflicts"]:
        lines.append(f"conflict on {c['field']}: kept {c['kept']!r}, {c['lost_by']} wrote {c['lost']!r} concurrently")
    lines.append(f"events: {state.event_count} ({state.entry_count} timeline entries)")
    return "\n".join(lines)
