"""The postmortem, generated from the log in either playbook's Markdown format.

The timeline is every meaningful event in occurred order (UTC), so entries typed after the
fact land where they happened, marked with when they were logged. Narrative sections (root
cause, contributing factors, what went well…) are ``field`` events set during or after the
incident; an unset one shows the playbook's prompt in brackets so the gap is visible.
SLA breaches (a late acknowledgement or response, an overdue status update) stand in the
timeline at their due time and are counted under the summary.
"""

from __future__ import annotations

from ..followup import resolution
from ..followup.actions import action_items
from ..model import clocks
from ..model.events import Event, summary
from ..model.policy import Policy
from ..model.state import IncidentState
from ..model.times import hhmm, humanize, to_datetime
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


_CLOCK_TEXT = {"ack": ("acknowledgement", "acknowledged"), "response": ("response", "acknowledged"),
               "update": ("status update", "posted")}


def breach_line(breach: clocks.Breach) -> str:
    """A breach as the timeline says it: "SLA breach: status update due 14:30, posted 14:50 (20m late)"."""
    what, done = _CLOCK_TEXT.get(breach.clock, (breach.clock, "met"))
    met = f"{done} {hhmm(breach.met_ms)}" if breach.met_ms is not None else f"not {done}"
    return f"SLA breach: {what} due {hhmm(breach.due_ms)}, {met} ({humanize(breach.late_by_ms)} late)"


def breach_summary(breaches: list[clocks.Breach]) -> str:
    """"2 SLA breaches: response 2m late, status update 4m late"."""
    parts = ", ".join(f"{_CLOCK_TEXT.get(b.clock, (b.clock,))[0]} {humanize(b.late_by_ms)} late" for b in breaches)
    return f"{len(breaches)} SLA breach{'es' if len(breaches) != 1 else ''}: {parts}"


def timeline(events: list[Event], day_ms: int | None, breaches: list[clocks.Breach] = ()) -> list[str]:
    """Every meaningful event in occurred order, with each breach after what happened at its due time."""
    day = to_datetime(day_ms).date() if day_ms is not None else None
    previous: dict[str, str] = {}
    rows: list[tuple[tuple, int, str]] = []
    for event in sorted(events, key=lambda e: e.order):
        if event.kind in _SKIP:
            continue
        text = _line(event, previous)
        if event.recorded_ms - event.occurred_ms >= BACKDATED_MS:
            text += f" _(logged {hhmm(event.recorded_ms)})_"
        rows.append(((event.occurred_ms, 0, len(rows)), event.occurred_ms, text))
    rows += [((b.due_ms, 1, i), b.due_ms, breach_line(b)) for i, b in enumerate(breaches)]
    lines = []
    for _, ms, text in sorted(rows, key=lambda row: row[0]):
        moment = to_datetime(ms)
        when = hhmm(ms) if moment.date() == day else moment.strftime("%m-%d %H:%M")
        lines.append(_item(f"{when} - {text}"))
    return lines


def _author(state: IncidentState, policy: Policy) -> str:
    for key in ("scribe", "ic"):
        for role in policy.roles:
            if role.id.lower() == key and state.roles.get(role.id):
                return state.roles[role.id]
    return state.declared_by


def first_detection(state: IncidentState, events: list[Event]) -> int:
    """Where the incident's duration starts: the earliest ``started``/``detected`` milestone,
    else the earliest entry that happened before the declaration (typed in afterwards), else
    the declaration."""
    marks = resolution.milestones(events)
    found = [marks[name] for name in ("started", "detected") if name in marks]
    if found:
        return min(found)
    return min([state.declared_ms] + [e.occurred_ms for e in events if e.kind == "entry"])


def _when(ms: int | None, dated: bool) -> str:
    """A moment of the Duration line: with its date when the incident crosses midnight."""
    if ms is None:
        return "ongoing"
    return to_datetime(ms).strftime("%Y-%m-%d %H:%M") if dated else hhmm(ms)


def render(state: IncidentState, policy: Policy, events: list[Event], now: int,
           fmt: str | None = None) -> str:
    fmt = fmt or format_for(policy)
    if fmt not in FORMATS:
        raise ValueError(f"unknown postmortem format {fmt!r} (one of: {', '.join(FORMATS)})")
    start = first_detection(state, events)
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
    breaches = clocks.breaches(state, policy, now)
    counted = ["", breach_summary(breaches) + "."] if breaches else []
    summary_text = field("summary") or (
        f"{state.title}: a {state.severity} incident"
        + (f" affecting {state.service}" if state.service else "")
        + f", {'resolved after' if end else 'open for'} {span_words((end or now) - start)}.")
    crosses = to_datetime(start).date() != to_datetime(end or now).date()
    out: list[str] = []
    if fmt == "sre-team":
        dates = f" ({_when(start, True)} - {_when(end, True)}, UTC)" if crosses else ""
        out += [f"# Incident Postmortem: {state.title}", "",
                f"**Date**: {date}", f"**Duration**: {span}{dates}", f"**Severity**: {severity}",
                f"**Author**: {_author(state, policy)}", "",
                "## Summary", summary_text, *counted, "",
                "## Impact",
                f"- Users affected: {field('users_affected') or impact or '[Number or percentage]'}",
                f"- Duration of impact: {span}",
                f"- Revenue impact: {field('revenue_impact') or 'None known'}", "",
                "## Timeline (all times UTC)", *timeline(events, start, breaches), "",
                "## Root Cause", text("root_cause", "Technical explanation of what caused the incident"), ""]
        if field("contributing_factors"):
            out += ["## Contributing Factors", *_bullets(field("contributing_factors"), ""), ""]
        out += ["## Resolution", text("resolution", "What was done to fix the issue"), "",
                "## What Went Well", *_bullets(field("what_went_well"), "Thing that worked"), "",
                "## What Could Be Improved", *_bullets(field("what_went_wrong"), "Thing to improve"), "",
                "## Action Items", "| Action | Owner | Due Date | Priority | Status |",
                "|--------|-------|----------|----------|--------|"]
    else:
        out += [f"# Incident Post-Mortem: {state.title}", "",
                "## Incident Summary", f"- Date: {date}",
                f"- Duration: {_when(start, crosses)} - {_when(end, crosses)} ({span})",
                f"- Severity: {severity}", f"- Impact: {impact or '[Customer/Business impact]'}", "",
                summary_text, *counted, "",
                "## Timeline", "All times UTC.", *timeline(events, start, breaches), "",
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
