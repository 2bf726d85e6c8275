"""Communication templates from the playbooks, filled from live incident state.

A template is a text file under ``runbooks/templates/<policy>/NAME.txt`` (a user's copy in
``<config>/templates/<policy>/`` shadows it). The placeholder language is deliberately tiny:
``{name}`` is replaced by a known value and ``{{`` / ``}}`` are literal braces. Nothing is
evaluated — no attribute access, no format specs — and values are inserted in one pass, so
a value that itself contains ``{severity}`` stays literal text. A line that is nothing but
one placeholder whose value is empty is left out (``{postmortem_line}`` where the policy asks
for no postmortem), and so is any line holding ``{name?}`` whose value is empty
(``- {restored?} - Service restored`` until the service is restored).

Public and internal stay apart. The templates the policy names public (status page, customer
email) may use only the customer-facing fields and what no one typed (service, severity,
status, times, the policy's sentences): one that names an internal field or a value drawn
from the timeline is refused when it is loaded. Where a customer field is not filled, a
public text states the policy's sentence, and :func:`draft` says which fields did.
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
from ..model.policy import CUSTOMER_FIELDS, DEFAULT_PUBLIC_TEMPLATES, Policy
from ..model.state import IncidentState
from ..model.times import hhmm, stamp, to_datetime

# Free-text fields set with ``room.set_field`` (``warroom set``, the console's fields form),
# shown in templates and the postmortem. Multi-line values become bullet lists where a list
# is expected (LIST_FIELDS).
FIELDS = {
    "impact": "who is affected and how",
    "what_we_know": "brief summary of what is known",
    "current_actions": "what is being done",
    "eta": "expected time to resolution",
    "workaround": "a workaround customers can use",
    "root_cause": "what caused the incident",
    "resolution": "what fixed it",
    "needs": "what the response needs: people, decisions, approvals",
    "customer_message": "what customers are told now (public)",
    "customer_impact": "what customers experience, in their words (public)",
    "customer_root_cause": "the cause, brief and non-technical (public)",
    "customer_workaround": "what customers can do meanwhile (public)",
    "summary": "2–3 sentence summary for the postmortem",
    "users_affected": "number or percentage of users affected",
    "revenue_impact": "revenue impact, if any",
    "contributing_factors": "one per line",
    "what_went_well": "one per line",
    "what_went_wrong": "one per line (playbook 000: what could be improved)",
    "lessons": "key takeaways",
    "postmortem_link": "where the postmortem lives",
}
# What the console's fields form edits, in its order: the internal ones, then the public ones.
FORM_FIELDS = ("impact", "what_we_know", "current_actions", "eta", "workaround", "root_cause", "resolution",
               "needs", *CUSTOMER_FIELDS)
LIST_FIELDS = ("what_we_know", "current_actions", "needs")
PLACEHOLDERS = (
    "title", "slug", "incident_id", "service", "severity", "severity_name", "status", "impact",
    "what_we_know", "current_actions", "eta", "workaround", "ic", "tl", "comms", "scribe",
    "time", "date", "started", "detected", "restored", "duration", "next_update",
    "next_update_in", "root_cause", "resolution", "postmortem", "postmortem_line", "recovery_until",
    "needs", "public_title", *CUSTOMER_FIELDS,
)
# What a public template may name: no title, no internal field, nothing from the timeline.
PUBLIC_PLACEHOLDERS = (
    "service", "severity", "severity_name", "status", "public_title", *CUSTOMER_FIELDS,
    "time", "date", "started", "detected", "restored", "duration", "next_update", "next_update_in",
)
WHAT_WE_KNOW_ENTRIES = 3  # observations and evidence, newest first
CURRENT_ACTIONS_ENTRIES = 5  # actions and decisions since the last status change, newest first
PD_SUMMARY_MAX = 1024  # PagerDuty Events API v2: payload.summary
_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)(\?)?\}")
_LONE = re.compile(r"[ \t]*\{([A-Za-z_][A-Za-z0-9_]*)\??\}[ \t]*\r?\n?")
_LINE = re.compile(r"[^\n]*\n|[^\n]+")
_BULLET = re.compile(r"^[-*•][ \t]+")


class TemplateError(WarroomError, ValueError):
    """A template that cannot be used: names the file and the problem."""


@dataclass(frozen=True)
class Template:
    name: str
    text: str
    source: str
    public: bool = False

    @property
    def placeholders(self) -> set[str]:
        return {m[1] for m in _TOKEN.finditer(self.text) if m[1] is not None}


@dataclass(frozen=True)
class Draft:
    """A filled template; for a public one, ``unfilled`` says which customer fields it states
    the policy's sentence for ("customer impact: playbook sentence (not filled)")."""

    name: str
    text: str
    public: bool
    unfilled: tuple[str, ...] = ()


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


def _key(name: str) -> str:
    return name.strip().lower().replace(" ", "-").replace("_", "-")


def is_public(name: str, policy: Policy | str) -> bool:
    """Whether the policy names the template public (the shipped default: status page, customer email)."""
    public = policy.public.templates if isinstance(policy, Policy) else DEFAULT_PUBLIC_TEMPLATES
    return _key(name) in {_key(n) for n in public}


def parse(name: str, text: str, source: str, public: bool = False) -> Template:
    for m in _TOKEN.finditer(text):
        if m[1] is None:
            continue
        line = text.count("\n", 0, m.start()) + 1
        if m[1] not in PLACEHOLDERS:
            raise TemplateError(f"{source}:{line}: unknown placeholder {{{m[1]}}} "
                                f"(known: {', '.join(PLACEHOLDERS)})")
        if public and m[1] not in PUBLIC_PLACEHOLDERS:
            raise TemplateError(f"{source}:{line}: {{{m[1]}}} is internal, and {name} is a public template: "
                                f"it may use only {', '.join(PUBLIC_PLACEHOLDERS)}")
    return Template(name, text, source, public)


def load(name: str, policy: Policy | str) -> Template:
    """A template by name for a policy (a Policy, or its name with the default public templates)."""
    key = _key(name)
    policy_name = policy.name if isinstance(policy, Policy) else policy
    for folder in template_dirs(policy_name):
        path = folder / f"{key}.txt"
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise TemplateError(f"{path}: cannot read template: {exc}") from None
            return parse(key, text, str(path), is_public(key, policy))
    raise TemplateError(f"no template {name!r} for policy {policy_name} (known: {', '.join(names(policy_name))})")


def fill(template: Template | str, values: dict[str, str]) -> str:
    """Replace placeholders in one pass; a missing value becomes an empty string. A value that
    is a list (it starts with a line break) loses that break at the start of a line."""
    text = template.text if isinstance(template, Template) else template
    out = []
    for line in _LINE.findall(text):
        tokens = [m for m in _TOKEN.finditer(line) if m[1] is not None]
        if any(m[2] and not str(values.get(m[1], "")) for m in tokens):
            continue  # an optional value is empty: its line goes
        lone = _LONE.fullmatch(line)
        if lone and not str(values.get(lone[1], "")):
            continue

        def sub(m: re.Match, line: str = line) -> str:
            if m[0] == "{{":
                return "{"
            if m[0] == "}}":
                return "}"
            value = str(values.get(m[1], ""))
            return value[1:] if value.startswith("\n") and not line[:m.start()].strip() else value

        out.append(_TOKEN.sub(sub, line))
    return "".join(out)


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


def _flat(text: str) -> str:
    return " ".join(text.split())


def listed(items: list[str]) -> str:
    """One item as it is; several as a bullet list on the lines after (newest first)."""
    items = [item for item in items if item]
    if len(items) <= 1:
        return items[0] if items else ""
    return "\n" + "\n".join(f"- {item}" for item in items)


def _field_list(value: str) -> str:
    return listed([_BULLET.sub("", line.strip()) for line in value.splitlines() if line.strip()])


def _since(events: list[Event], since_ms: int, entry_kinds: tuple[str, ...], evidence: bool = False,
           limit: int = 5) -> list[str]:
    """Entries of ``entry_kinds`` (and evidence) dated from ``since_ms``, newest first."""
    found = [e for e in events if e.occurred_ms >= since_ms and (
        (e.kind == "entry" and e.payload["kind"] in entry_kinds) or (evidence and e.kind == "evidence"))]
    found.sort(key=lambda e: e.order, reverse=True)
    out = []
    for e in found[:limit]:
        text = _flat(e.payload["text"])
        if e.kind == "evidence":
            text = f"{e.payload['pane']}: {text[:160]}{'…' if len(text) > 160 else ''}"
        out.append(text)
    return out


def _status_since(state: IncidentState) -> int:
    reg = state.fields.get("status")
    return reg.order[0] if reg is not None else (state.declared_ms or 0)


def context(state: IncidentState, policy: Policy, events: list[Event], now: int) -> dict[str, str]:
    """Every internal placeholder's value for this incident as of ``now``."""
    field = lambda name, default="": str(state.get(name) or default).strip() or default  # noqa: E731
    marks = resolution.milestones(events)
    started = marks.get("started", state.declared_ms)
    detected = marks.get("detected", state.declared_ms)
    restored = resolution.resolved_at(state, policy)
    resolved = clocks.is_resolved(state, policy)
    update = clocks.next_update(state, policy)
    recovery = resolution.recovery(state, policy)
    sev = policy.find_severity(state.severity)
    sev_name = sev.name if sev is not None else ""
    postmortem = (field("postmortem_link", "coming soon") if resolution.postmortem_required(state, policy)
                  else "")
    declared = state.declared_ms or 0
    # never a hypothesis: what is known is what was seen
    known = _since(events, declared, ("observation",), evidence=True, limit=WHAT_WE_KNOW_ENTRIES)
    doing = _since(events, _status_since(state), ("action", "decision"), limit=CURRENT_ACTIONS_ENTRIES)
    utc = lambda ms: f"{stamp(ms)[:16]} UTC" if ms is not None else ""  # noqa: E731
    listing = lambda name: _field_list(field(name))  # noqa: E731
    values = {
        "title": state.title, "slug": state.slug, "incident_id": state.id,
        "service": state.service or state.title,
        "severity": state.severity, "severity_name": sev_name, "status": state.status,
        "impact": field("impact", state.impact or "Under assessment"),
        "what_we_know": listing("what_we_know") or listed(known) or "Under investigation",
        "current_actions": listing("current_actions") or listed(doing) or "Investigating",
        "needs": listing("needs") or "Nothing at this time",
        "eta": field("eta", "TBD"), "workaround": field("workaround", "None at this time"),
        "ic": _role(state, policy, "ic") or "unassigned",
        "tl": _role(state, policy, "tl") or "unassigned",
        "comms": _role(state, policy, "cl", "comms", "communications lead") or "unassigned",
        "scribe": _role(state, policy, "scribe") or "unassigned",
        "time": f"{hhmm(now)} UTC",
        "date": to_datetime(started).strftime("%Y-%m-%d") if started is not None else "",
        "started": utc(started), "detected": utc(detected),
        "restored": utc(restored),
        "duration": span_words((restored or now) - started) if started is not None else "",
        # the update being written now resets the clock: the next one is a cadence away; once
        # resolved there is none (a line with {next_update?} goes)
        "next_update": ("" if resolved else
                        f"{hhmm(now + update.cadence_minutes * MINUTE)} UTC" if update else "as needed"),
        "next_update_in": "" if resolved else f"{update.cadence_minutes} minutes" if update else "due course",
        "root_cause": field("root_cause", "Under investigation"),
        "resolution": field("resolution", "TBD"),
        "postmortem": postmortem or "not required",
        "postmortem_line": f"Postmortem: {postmortem}" if postmortem else "",
        "recovery_until": utc(recovery.ends_ms) if recovery else "",
    }
    public, _ = public_context(state, policy, values)
    values.update({name: public[name] for name in ("public_title", *CUSTOMER_FIELDS)})
    return values


def public_context(state: IncidentState, policy: Policy,
                   values: dict[str, str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The values a public template may use (from ``values``, the internal context, only those
    it may name), and (field, why) for each customer field that states the policy's sentence
    instead. A customer message written before the last status change is stale:
    the status's own sentence stands in for it."""
    service = state.service.strip() or "our service"
    say = lambda sentence: sentence.replace("{service}", service)  # noqa: E731
    resolved = clocks.is_resolved(state, policy)
    status = policy.find_status(state.status)
    out = {"service": service, "public_title": say(policy.public.title(state.severity))}
    unfilled = []
    message = state.fields.get("customer_message")
    text = str(message.value).strip() if message is not None else ""
    status_reg = state.fields.get("status")
    if text and status_reg is not None and message.order < status_reg.order:
        out["customer_message"] = say(policy.public.sentence(status))
        unfilled.append(("customer_message", "customer message: playbook sentence "
                                             f"(written before the status became {state.status})"))
    elif text:
        out["customer_message"] = text
    else:
        out["customer_message"] = say(policy.public.sentence(status))
        unfilled.append(("customer_message", "customer message: playbook sentence (not filled)"))
    for name in CUSTOMER_FIELDS[1:]:
        text = str(state.get(name) or "").strip()
        if name == "customer_workaround" and resolved:
            out[name] = ""  # nothing to work around any more: its line goes
        elif text:
            out[name] = text
        else:
            out[name] = say(policy.public.unset.get(name, ""))
            unfilled.append((name, f"{name.replace('_', ' ')}: playbook sentence (not filled)"))
    return {**{k: values[k] for k in PUBLIC_PLACEHOLDERS if k in values}, **out}, unfilled


def draft(name: str, state: IncidentState, policy: Policy, events: list[Event], now: int) -> Draft:
    """The template filled: only public values in a public one, with what it fell back on."""
    template = load(name, policy)
    values = context(state, policy, events, now)
    restored = resolution.resolved_at(state, policy)
    if template.name == "resolution" and restored is not None:
        values["time"] = f"{hhmm(restored)} UTC"  # when it was resolved, not when this was written
    unfilled: list[str] = []
    if template.public:
        values, fell_back = public_context(state, policy, values)
        used = template.placeholders
        unfilled = [why for name, why in fell_back if name in used]
    return Draft(template.name, _tidy(fill(template, values)), template.public, tuple(unfilled))


def _tidy(text: str) -> str:
    """No space at a line's end, and no run of blank lines where dropped lines stood."""
    lines = [line.rstrip() for line in text.split("\n")]
    out = [line for i, line in enumerate(lines) if line or not (i and not lines[i - 1])]
    return "\n".join(out).rstrip("\n") + ("\n" if text.endswith("\n") else "")


def render(name: str, state: IncidentState, policy: Policy, events: list[Event], now: int) -> str:
    return draft(name, state, policy, events, now).text


def unfilled_public(name: str, state: IncidentState, policy: Policy, events: list[Event], now: int) -> list[str]:
    """For a public template, the customer fields it would state the policy's sentence for."""
    return list(draft(name, state, policy, events, now).unfilled)


def draft_for(room, incident_id: str, name: str, now: int | None = None) -> Draft:
    state = room.state(incident_id)
    return draft(name, state, room.policy_for(state), room.events(incident_id),
                 room.clock() if now is None else now)


def render_for(room, incident_id: str, name: str, now: int | None = None) -> str:
    return draft_for(room, incident_id, name, now).text


def pagerduty_summary(state: IncidentState) -> str:
    """The PagerDuty trigger's summary: "[SEV1] <title> — <service>", cut to PagerDuty's limit."""
    text = f"[{state.severity}] {_flat(state.title)}"
    if state.service.strip():
        text += f" — {_flat(state.service)}"
    return text if len(text) <= PD_SUMMARY_MAX else text[:PD_SUMMARY_MAX - 1] + "…"
