"""The postmortem, generated from the log in either playbook's Markdown format.

The timeline is every meaningful event in occurred order (UTC), so entries typed after the
fact land where they happened, marked with when they were logged. Narrative sections (root
cause, contributing factors, what went well…) are ``field`` events set during or after the
incident; an unset one shows the playbook's prompt in brackets so the gap is visible.
"""

from __future__ import annotations

from ..followup import resolution
from ..followup.actions import action_items
from ..model.events import Event, summary
from ..model.policy import Policy
from ..model.state import IncidentState
from ..model.times import hhmm, to_datetime
from .templates import span_words

FORMATS = ("sre-team", "cygni")
BACKDATED_MS = 60_000
_SKIP = {"task", "criterion", "action_item", "field"}
_MILESTONE_TEXT = {
    "started": "Impact began", "detected": "Issue detected", "acknowledged": "Engineer acknowledged",
    "mitigated": "Mitigation applied", "resolved": "Incident resolved",
    "postmortem": "Postmortem completed", "review": "Postmortem review held",
}


def format_for(policy: Policy) -> str:
    fmt = policy.extra.get("postmortem_format", policy.name)
    return fmt if fmt in FORMATS else "cygni"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|") or "—"


def _item(text: str) -> str:
    """A list item: continuation lines indented so they stay inside the item."""
    lines = [line.rstrip() for line in text.strip().splitlines()] or [""]
    return "- " + "\n  ".join(lines)


def _bullets(value: str, prompt: str) -> list[str]:
    items = [line.strip().lstrip("-*• ").strip() for line in value.splitlines() if line.strip()]
    return [f"- {i}" for i in items] or [f"- [{prompt}]"]


def _line(event: Event, previous: dict[str, str]) -> str | None:
    p = event.payload
    match event.kind:
        case "declared":
            text = f"Incident declared: {p['title']} ({p['severity']}, {p['status']}) by {event.author}"
            previous["severity"] = p["severity"]
        case "severity":
            text = f"Severity changed {previous.get('severity', '?')} → {p['severity']}"
            previous["severity"] = p["severity"]
        case "status":
            text = f"Status changed to {p['status']}"
        case "role":
            text = summary(event)
            text = text[0].upper() + text[1:] if text else text
        case "entry":
            label = "" if p["kind"] == "note" else p["kind"].capitalize() + ": "
            text = label + p["text"].strip()
        case "ack":
            text = f"Acknowledged by {event.author}"
        case "milestone":
            text = _MILESTONE_TEXT.get(p["name"], f"Milestone: {p['name']}")
        case "update_posted":
            text = "Status update posted" + (f" to {p['channel']}" if p.get("channel") else "")
        case _:
            text = summary(event)
            text = text[0].upper() + text[1:] if text else text
    return text


def timeline(events: list[Event], day_ms: int | None) -> list[str]:
    day = to_datetime(day_ms).date() if day_ms is not None else None
    previous: dict[str, str] = {}
    lines = []
    for event in sorted(events, key=lambda e: e.order):
        if event.kind in _SKIP:
            continue
        text = _line(event, previous)
        moment = to_datetime(event.occurred_ms)
        when = hhmm(event.occurred_ms) if moment.date() == day else moment.strftime("%m-%d %H:%M")
        if event.recorded_ms - event.occurred_ms >= BACKDATED_MS:
            text += f" _(logged {hhmm(event.recorded_ms)})_"
        lines.append(_item(f"{when} - {text}"))
    return lines


def _author(state: IncidentState, policy: Policy) -> str:
    for key in ("scribe", "ic"):
        for role in policy.roles:
            if role.id.lower() == key and state.roles.get(role.id):
                return state.roles[role.id]
    return state.declared_by


def render(state: IncidentState, policy: Policy, events: list[Event], now: int,
           fmt: str | None = None) -> str:
    fmt = fmt or format_for(policy)
    if fmt not in FORMATS:
        raise ValueError(f"unknown postmortem format {fmt!r} (one of: {', '.join(FORMATS)})")
    marks = resolution.milestones(events)
    start = marks.get("started", state.declared_ms)
    end = resolution.resolved_at(state, policy)
    span = span_words((end or now) - start) + ("" if end else " (ongoing)")
    field = lambda name: str(state.get(name) or "").strip()  # noqa: E731
    text = lambda name, prompt: field(name) or f"[{prompt}]"  # noqa: E731
    sevs = [e.payload["severity"] for e in sorted(events, key=lambda e: e.order)
            if e.kind in ("declared", "severity")]
    severity = state.severity + (f" (changed: {' → '.join(sevs)})" if len(set(sevs)) > 1 else "")
    date = to_datetime(start).strftime("%Y-%m-%d")
    impact = field("impact") or state.impact
    items = action_items(events)
    summary_text = field("summary") or (
        f"{state.title}: a {state.severity} incident"
        + (f" affecting {state.service}" if state.service else "")
        + f", {'resolved after' if end else 'open for'} {span_words((end or now) - start)}.")
    out: list[str] = []
    if fmt == "sre-team":
        out += [f"# Incident Postmortem: {state.title}", "",
                f"**Date**: {date}", f"**Duration**: {span}", f"**Severity**: {severity}",
                f"**Author**: {_author(state, policy)}", "",
                "## Summary", summary_text, "",
                "## Impact",
                f"- Users affected: {field('users_affected') or impact or '[Number or percentage]'}",
                f"- Duration of impact: {span}",
                f"- Revenue impact: {field('revenue_impact') or 'None known'}", "",
                "## Timeline (all times UTC)", *timeline(events, start), "",
                "## Root Cause", text("root_cause", "Technical explanation of what caused the incident"), ""]
        if field("contributing_factors"):
            out += ["## Contributing Factors", *_bullets(field("contributing_factors"), ""), ""]
        out += ["## Resolution", text("resolution", "What was done to fix the issue"), "",
                "## What Went Well", *_bullets(field("what_went_well"), "Thing that worked"), "",
                "## What Could Be Improved", *_bullets(field("what_went_wrong"), "Thing to improve"), "",
                "## Action Items", "| Action | Owner | Due Date | Priority | Status |",
                "|--------|-------|----------|----------|--------|"]
    else:
        finish = hhmm(end) if end else "ongoing"
        out += [f"# Incident Post-Mortem: {state.title}", "",
                "## Incident Summary", f"- Date: {date}",
                f"- Duration: {hhmm(start)} - {finish} ({span})",
                f"- Severity: {severity}", f"- Impact: {impact or '[Customer/Business impact]'}", "",
                summary_text, "",
                "## Timeline", "All times UTC.", *timeline(events, start), "",
                "## Root Cause", text("root_cause", "Technical description of what caused the incident"), ""]
        if field("resolution"):
            out += ["## Resolution", field("resolution"), ""]
        out += ["## Contributing Factors", *_bullets(field("contributing_factors"), "Factor"), "",
                "## What Went Well", *_bullets(field("what_went_well"), "Positive aspect"), "",
                "## What Went Wrong", *_bullets(field("what_went_wrong"), "Issue"), "",
                "## Action Items", "| Action | Owner | Due Date | Priority | Status |",
                "|--------|-------|----------|----------|--------|"]
    for item in items:
        status = item.status + (" (overdue)" if item.overdue(now) else "")
        out.append(f"| {_cell(item.description)} | {_cell(item.owner)} | {_cell(item.due)} | "
                   f"{_cell(item.priority)} | {_cell(status)} |")
    if not items:
        out.append("| [Action] | [Owner] | [Date] | [P0/P1/P2] | Open |")
    out += ["", "## Lessons Learned", text("lessons", "Key takeaways for the team"), ""]
    return "\n".join(out)


def render_for(room, incident_id: str, now: int | None = None, fmt: str | None = None) -> str:
    state = room.state(incident_id)
    return render(state, room.policy_for(state), room.events(incident_id),
                  room.clock() if now is None else now, fmt)
