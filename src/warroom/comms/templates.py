"""Communication templates from the playbooks, filled from live incident state.

A template is a text file under ``runbooks/templates/<policy>/NAME.txt`` (a user's copy in
``<config>/templates/<policy>/`` shadows it). The placeholder language is deliberately tiny:
``{name}`` is replaced by a known value and ``{{`` / ``}}`` are literal braces. Nothing is
evaluated — no attribute access, no format specs — and values are inserted in one pass, so
a value that itself contains ``{severity}`` stays literal text. A line that is nothing but
one placeholder whose value is empty is left out (``{postmortem_line}`` where the policy asks
for no postmortem).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..errors import WarroomError
from ..followup import resolution
from ..model import clocks
from ..model.clocks import MINUTE
from ..model.events import Event
from ..model.policy import Policy
from ..model.state import IncidentState
from ..model.times import hhmm, stamp, to_datetime

# Free-text fields set with ``room.set_field`` (and ``warroom set``), shown in templates and
# the postmortem. Multi-line values become bullet lists where a list is expected.
FIELDS = {
    "impact": "who is affected and how",
    "what_we_know": "brief summary of what is known",
    "current_actions": "what is being done",
    "eta": "expected time to resolution",
    "workaround": "a workaround customers can use",
    "root_cause": "what caused the incident",
    "resolution": "what fixed it",
    "summary": "2–3 sentence summary for the postmortem",
    "users_affected": "number or percentage of users affected",
    "revenue_impact": "revenue impact, if any",
    "contributing_factors": "one per line",
    "what_went_well": "one per line",
    "what_went_wrong": "one per line (playbook 000: what could be improved)",
    "lessons": "key takeaways",
    "postmortem_link": "where the postmortem lives",
}
PLACEHOLDERS = (
    "title", "slug", "incident_id", "service", "severity", "severity_name", "status", "impact",
    "what_we_know", "current_actions", "eta", "workaround", "ic", "tl", "comms", "scribe",
    "time", "date", "started", "detected", "restored", "duration", "next_update",
    "next_update_in", "root_cause", "resolution", "postmortem", "postmortem_line", "recovery_until",
)
_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LONE = re.compile(r"^[ \t]*\{([A-Za-z_][A-Za-z0-9_]*)\}[ \t]*(?:\r?\n|$)", re.MULTILINE)


class TemplateError(WarroomError, ValueError):
    """A template that cannot be used: names the file and the problem."""


@dataclass(frozen=True)
class Template:
    name: str
    text: str
    source: str


def template_dirs(policy: str) -> list[Path]:
    """Where templates are looked for, first match wins."""
    user = config.config_dir() / "templates"
    shipped = config.data_dir("runbooks") / "templates"
    return [user / policy, user, shipped / policy]


def names(policy: str) -> list[str]:
    found = set()
    for folder in template_dirs(policy):
        if folder.is_dir():
            found.update(p.stem for p in folder.glob("*.txt"))
    return sorted(found)


def parse(name: str, text: str, source: str) -> Template:
    for m in _TOKEN.finditer(text):
        if m[1] is not None and m[1] not in PLACEHOLDERS:
            line = text.count("\n", 0, m.start()) + 1
            raise TemplateError(f"{source}:{line}: unknown placeholder {{{m[1]}}} "
                                f"(known: {', '.join(PLACEHOLDERS)})")
    return Template(name, text, source)


def load(name: str, policy: str) -> Template:
    key = name.strip().lower().replace(" ", "-").replace("_", "-")
    for folder in template_dirs(policy):
        path = folder / f"{key}.txt"
        if path.is_file():
            try:
                return parse(key, path.read_text(encoding="utf-8"), str(path))
            except (OSError, UnicodeDecodeError) as exc:
                raise TemplateError(f"{path}: cannot read template: {exc}") from None
    raise TemplateError(f"no template {name!r} for policy {policy} (known: {', '.join(names(policy))})")


def fill(template: Template | str, values: dict[str, str]) -> str:
    """Replace placeholders in one pass; a missing value becomes an empty string."""
    text = template.text if isinstance(template, Template) else template
    text = _LONE.sub(lambda m: "" if not str(values.get(m[1], "")) else m[0], text)

    def sub(m: re.Match) -> str:
        if m[0] == "{{":
            return "{"
        if m[0] == "}}":
            return "}"
        return str(values.get(m[1], ""))

    return _TOKEN.sub(sub, text)


def _latest_entry(events: list[Event], kinds: tuple[str, ...]) -> str:
    entries = [e for e in events if e.kind == "entry" and e.payload["kind"] in kinds]
    return max(entries, key=lambda e: e.order).payload["text"].strip() if entries else ""


def _role(state: IncidentState, policy: Policy, *keys: str) -> str:
    for role in policy.roles:
        if role.id.lower() in keys or role.short.lower() in keys or role.name.lower() in keys:
            return state.roles.get(role.id, "")
    return ""


def span_words(ms: int) -> str:
    """A duration as the playbooks write it: "1 hour 5 minutes", "45 minutes"."""
    minutes = max(0, ms) // 60_000
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes or not hours:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def context(state: IncidentState, policy: Policy, events: list[Event], now: int) -> dict[str, str]:
    """Every placeholder's value for this incident as of ``now``."""
    field = lambda name, default="": str(state.get(name) or default).strip() or default  # noqa: E731
    marks = resolution.milestones(events)
    started = marks.get("started", state.declared_ms)
    detected = marks.get("detected", state.declared_ms)
    restored = resolution.resolved_at(state, policy)
    update = clocks.next_update(state, policy)
    recovery = resolution.recovery(state, policy)
    sev = policy.find_severity(state.severity)
    sev_name = sev.name if sev is not None else ""
    postmortem = (field("postmortem_link", "coming soon") if resolution.postmortem_required(state, policy)
                  else "")
    utc = lambda ms: f"{stamp(ms)[:16]} UTC" if ms is not None else ""  # noqa: E731
    return {
        "title": state.title, "slug": state.slug, "incident_id": state.id,
        "service": state.service or state.title,
        "severity": state.severity, "severity_name": sev_name, "status": state.status,
        "impact": field("impact", state.impact or "Under assessment"),
        "what_we_know": field("what_we_know", _latest_entry(events, ("hypothesis", "observation"))
                              or "Under investigation"),
        "current_actions": field("current_actions", _latest_entry(events, ("action", "decision"))
                                 or "Investigating"),
        "eta": field("eta", "TBD"), "workaround": field("workaround", "None at this time"),
        "ic": _role(state, policy, "ic") or "unassigned",
        "tl": _role(state, policy, "tl") or "unassigned",
        "comms": _role(state, policy, "cl", "comms", "communications lead") or "unassigned",
        "scribe": _role(state, policy, "scribe") or "unassigned",
        "time": f"{hhmm(now)} UTC",
        "date": to_datetime(started).strftime("%Y-%m-%d") if started is not None else "",
        "started": utc(started), "detected": utc(detected),
        "restored": utc(restored) or "not yet restored",
        "duration": span_words((restored or now) - started) if started is not None else "",
        # the update being written now resets the clock: the next one is a cadence away
        "next_update": f"{hhmm(now + update.cadence_minutes * MINUTE)} UTC" if update else "as needed",
        "next_update_in": f"{update.cadence_minutes} minutes" if update else "due course",
        "root_cause": field("root_cause", "Under investigation"),
        "resolution": field("resolution", "TBD"),
        "postmortem": postmortem or "not required",
        "postmortem_line": f"Postmortem: {postmortem}" if postmortem else "",
        "recovery_until": utc(recovery.ends_ms) if recovery else "",
    }


def render(name: str, state: IncidentState, policy: Policy, events: list[Event], now: int) -> str:
    template = load(name, policy.name)
    values = context(state, policy, events, now)
    restored = resolution.resolved_at(state, policy)
    if template.name == "resolution" and restored is not None:
        values["time"] = f"{hhmm(restored)} UTC"  # when it was resolved, not when this was written
    return fill(template, values)


def render_for(room, incident_id: str, name: str, now: int | None = None) -> str:
    state = room.state(incident_id)
    return render(name, state, room.policy_for(state), room.events(incident_id),
                  room.clock() if now is None else now)
