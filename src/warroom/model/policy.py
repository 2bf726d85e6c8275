"""Playbook policy as data: severities, statuses, roles, escalation, follow-up deadlines.

A policy is a TOML file. The two shipped playbooks live in ``runbooks/policies/``; an
organisation can add its own in the user config directory or point at any file. Every
problem in a file is reported as ``FILE: FIELD: expected ..., got ...`` — never a traceback.
Durations are bounded at load (30 days of minutes or hours, a year of days): a value the
clocks cannot add to a date would otherwise break every later command on the incident.
"""

import re
from pathlib import Path
from types import MappingProxyType

# Annotations are not postponed here: typing compiles each string annotation of a
# NamedTuple when the module is imported, and these load as the console starts.
from typing import Any, Mapping, NamedTuple

from .. import config
from ..errors import WarroomError
from . import tomlfile
from .events import ENTRY_KINDS, KINDS
from .times import time_zone

DEFAULT_POLICY = "cygni"
NEXT_BUSINESS_DAY = "next business day"
AS_NEEDED = "as needed"
MAX_MINUTES = 30 * 24 * 60
MAX_HOURS = 30 * 24
MAX_DAYS = 365
_LIMITS = {"minutes": (MAX_MINUTES, " (30 days)"), "hours": (MAX_HOURS, " (30 days)"), "days": (MAX_DAYS, "")}
_HHMM = re.compile(r"(?:[01]?[0-9]|2[0-3]):[0-5][0-9]")
_TARGET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # a contacts file's name, as page/unacked give it
# The lifecycle milestones an incident can mark (``warroom milestone``).
MILESTONE_NAMES = ("started", "detected", "acknowledged", "mitigated", "resolved", "postmortem", "review")
# The customer-facing fields: the only ones a public text (status page, customer email) may
# state. ``customer_message`` falls back to the sentence of the status, the others to the
# policy's sentence for the field left unset.
CUSTOMER_FIELDS = ("customer_message", "customer_impact", "customer_root_cause", "customer_workaround")
DEFAULT_PUBLIC_TEMPLATES = ("status-page", "customer-email")
DEFAULT_PUBLIC_TITLE = "Service Disruption"
DEFAULT_UNSET = MappingProxyType({
    "customer_impact": "Disruption to {service} for some customers.",
    "customer_root_cause": "We are investigating the cause and will share what we learn.",
    "customer_workaround": "No workaround is available at this time.",
})
_SENTENCE_TOKEN = re.compile(r"\{[^{}]*\}|[{}]")
# What resets a "no progress" ladder unless its track says otherwise: playbook 000's progress.
DEFAULT_PROGRESS = ("status", "decision", "action", "milestone:mitigated", "milestone:resolved", "evidence")
# Progress is named by what the timeline calls an event: an entry's kind, "milestone:NAME" (or
# "milestone", any), or an event kind; not the declaration (the ladder starts there).
PROGRESS_WORDS = (ENTRY_KINDS + ("milestone",) + tuple(f"milestone:{name}" for name in MILESTONE_NAMES)
                  + tuple(kind for kind in KINDS if kind not in ("declared", "entry", "milestone")))


class PolicyError(WarroomError, ValueError):
    """A policy file that cannot be used; the message names the file and the field."""


class PolicyLookupError(WarroomError, LookupError):
    """A severity, status or role the policy does not have; the message lists those it has."""


class Severity(NamedTuple):
    id: str
    name: str
    definition: str
    examples: tuple[str, ...]
    response_minutes: int | None  # None: next business day
    update_every_minutes: int | None  # None: as needed
    notify: tuple[str, ...]

    @property
    def response_text(self) -> str:
        return NEXT_BUSINESS_DAY if self.response_minutes is None else f"< {self.response_minutes} min"


class Status(NamedTuple):
    name: str
    phase: str
    resolved: bool = False


class Role(NamedTuple):
    id: str
    name: str
    short: str
    responsibility: str
    who: str
    tasks: tuple[str, ...]


class Step(NamedTuple):
    """One escalation step. With ``page`` (a person, team or schedule of the contacts file)
    it pages that target when it comes due, once for the whole room; without, it reminds.
    With ``unacked`` it is ack-aware: due ``after_minutes`` after the page to that target was
    sent, and only while that page is still unacknowledged ("no response in 15 m")."""

    after_minutes: int
    notify: str
    page: str = ""
    unacked: str = ""


class Track(NamedTuple):
    """One escalation path: steps counted from declaration, or from the last progress.

    On a "progress" track ``progress`` names the events that count as progress (see
    PROGRESS_WORDS); ``steps_from`` says whether each step's minutes count from the last
    progress ("progress": 15/30/60) or from the step before ("previous": 15, +30, +60); with
    ``reset`` progress sends the ladder back to its first step instead of on from the level reached."""

    name: str
    clock: str  # "declared" | "progress"
    severities: tuple[str, ...]
    steps: tuple[Step, ...]
    progress: tuple[str, ...] = ()
    steps_from: str = "progress"
    reset: bool = False
    # ack-aware steps (``unacked``): counted from a page, not by the track's clock
    ack_steps: tuple[Step, ...] = ()

    def counts_as_progress(self, word: str) -> bool:
        return word in self.progress or ("milestone" in self.progress and word.startswith("milestone:"))


class PublicText(NamedTuple):
    """What a public text says that no one typed: the status-page title by severity, the
    sentence for each status, the sentence for a customer field left unset. A sentence may
    name ``{service}`` and nothing else."""

    templates: tuple[str, ...] = DEFAULT_PUBLIC_TEMPLATES
    titles: Mapping[str, str] = MappingProxyType({})  # severity id -> title
    status: Mapping[str, str] = MappingProxyType({})  # status name -> sentence
    unset: Mapping[str, str] = DEFAULT_UNSET  # customer field -> sentence

    def title(self, severity: str) -> str:
        return self.titles.get(severity, DEFAULT_PUBLIC_TITLE)

    def sentence(self, status: Status | None) -> str:
        if status is not None and status.name in self.status:
            return self.status[status.name]
        if status is not None and status.resolved:
            return "The issue affecting {service} has been resolved."
        return "We are investigating an issue affecting {service}."


class CustomerEmail(NamedTuple):
    """Playbook 001: a customer email for SEV1/SEV2 incidents lasting over 30 minutes."""

    severities: tuple[str, ...]
    after_minutes: int


class Policy(NamedTuple):
    name: str
    title: str
    source: str
    severities: tuple[Severity, ...]
    statuses: tuple[Status, ...]
    roles: tuple[Role, ...]
    escalation: tuple[Track, ...]
    unacknowledged_phase: str = "Detection"
    business_day_start: str = "09:00"
    acknowledge_minutes: int | None = None
    postmortem_hours: int | None = None
    postmortem_severities: tuple[str, ...] = ()
    review_days: int | None = None
    recovery_monitor_minutes: int | None = None
    resolution_criteria: tuple[str, ...] = ()
    action_priorities: tuple[str, ...] = ()
    extra: Mapping[str, Any] = MappingProxyType({})  # keys the reader does not know, kept for templates
    business_day_end: str = "17:00"
    timezone: str = "UTC"  # an IANA name: where business hours are reckoned
    public: PublicText = PublicText()
    customer_email: CustomerEmail | None = None

    def find_severity(self, ident: str) -> Severity | None:
        key = ident.strip().lower()
        return next((sev for sev in self.severities if sev.id.lower() == key), None)

    def find_status(self, name: str) -> Status | None:
        key = name.strip().lower()
        return next((status for status in self.statuses if status.name.lower() == key), None)

    def find_role(self, name: str) -> Role | None:
        key = name.strip().lower()
        return next((role for role in self.roles if key in (role.id.lower(), role.short.lower(), role.name.lower())),
                    None)

    def severity(self, ident: str) -> Severity:
        return self._found("severity", ident, self.find_severity(ident), (s.id for s in self.severities))

    def status(self, name: str) -> Status:
        return self._found("status", name, self.find_status(name), (s.name for s in self.statuses))

    def role(self, name: str) -> Role:
        return self._found("role", name, self.find_role(name), (r.short for r in self.roles))

    def _found(self, what: str, asked: str, found, known):
        if found is None:
            raise PolicyLookupError(f"unknown {what} {asked!r} (policy {self.name}: {', '.join(known)})")
        return found

    @property
    def initial_status(self) -> Status:
        return self.statuses[0]

    def tracks_for(self, severity: str) -> list[Track]:
        return [t for t in self.escalation if severity in t.severities]


class _Reader:
    """Typed access to a TOML table that names the file and the field on every error."""

    def __init__(self, source: str, data: dict, where: str = "") -> None:
        self.source, self.data, self.where = source, data, where

    def fail(self, name: str, expected: str, got: Any = None, missing: bool = False) -> PolicyError:
        where = f"{self.where}.{name}" if self.where else name
        found = "it is missing" if missing else f"got {tomlfile.shown(got)}"
        return PolicyError(f"{self.source}: {where}: expected {expected}, {found}")

    def get(self, name: str, kind: type | tuple, expected: str, default: Any = ...) -> Any:
        if name not in self.data:
            if default is ...:
                raise self.fail(name, expected, missing=True)
            return default
        value = self.data[name]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
            raise self.fail(name, expected, value)
        return value

    def text(self, name: str, default: Any = ...) -> str:
        return self.get(name, str, "a string", default)

    def texts(self, name: str, default: Any = ...) -> tuple[str, ...]:
        value = self.get(name, list, "a list of strings", default)
        if any(not isinstance(v, str) for v in value):
            raise self.fail(name, "a list of strings", value)
        return tuple(value)

    def minutes(self, name: str, words: str, default: Any = ...) -> int | None:
        """A duration in minutes from 1 to MAX_MINUTES, or ``words`` (None)."""
        value = self.get(name, (int, str), f'a whole number of minutes or "{words}"', default)
        if value is None or value == words:
            return None
        if isinstance(value, str):
            raise self.fail(name, f'a whole number of minutes or "{words}"', value)
        return self.bounded(name, value, 1, "minutes", f' or "{words}"')

    def count(self, name: str, unit: str, low: int, default: Any = ...) -> int | None:
        """A whole number of ``unit`` (minutes, hours, days) from ``low`` to its limit."""
        value = self.get(name, int, f"a whole number of {unit}", default)
        return None if value is None else self.bounded(name, value, low, unit)

    def bounded(self, name: str, value: int, low: int, unit: str, alternative: str = "") -> int:
        high, span = _LIMITS[unit]
        if not low <= value <= high:
            raise self.fail(name, f"a whole number of {unit} from {low} to {high}{span}{alternative}", value)
        return value

    def clock_time(self, name: str, default: str) -> str:
        value = self.text(name, default)
        if not _HHMM.fullmatch(value):
            raise self.fail(name, "a time of day HH:MM (00:00 to 23:59)", value)
        return value

    def tables(self, name: str) -> "list[_Reader]":
        value = self.get(name, list, "an array of tables")
        if not value:
            raise self.fail(name, "at least one entry", value)
        out = []
        for i, item in enumerate(value):
            where = f"{self.where}.{name}[{i}]" if self.where else f"{name}[{i}]"
            if not isinstance(item, dict):
                raise PolicyError(f"{self.source}: {where}: expected a table, got {tomlfile.shown(item)}")
            out.append(_Reader(self.source, item, where))
        return out

    def table(self, name: str) -> "_Reader":
        value = self.get(name, dict, "a table", {})
        return _Reader(self.source, value, f"{self.where}.{name}" if self.where else name)


def _kinds(kind: type | tuple) -> tuple:
    return kind if isinstance(kind, tuple) else (kind,)


def parse_policy(text: str, source: str) -> Policy:
    try:
        data = tomlfile.loads(text, source)
    except tomlfile.TomlFileError as exc:
        raise PolicyError(str(exc)) from None
    return _policy(data, source)


def _policy(data: dict, source: str) -> Policy:
    top = _Reader(source, data)
    severities = tuple(
        Severity(
            id=r.text("id"), name=r.text("name"), definition=r.text("definition", ""),
            examples=r.texts("examples", ()),
            response_minutes=r.minutes("response", NEXT_BUSINESS_DAY),
            update_every_minutes=r.minutes("update_every", AS_NEEDED, AS_NEEDED),
            notify=r.texts("notify", ()),
        )
        for r in top.tables("severities")
    )
    sev_ids = [s.id for s in severities]
    _unique(source, "severities", "id", sev_ids)
    statuses = tuple(
        Status(name=r.text("name"), phase=r.text("phase", r.data.get("name", "")),
               resolved=r.get("resolved", bool, "true or false", False))
        for r in top.tables("statuses")
    )
    _unique(source, "statuses", "name", [s.name for s in statuses])
    if not any(s.resolved for s in statuses):
        raise PolicyError(f"{source}: statuses: expected one status with resolved = true, got none")
    roles = tuple(
        Role(id=r.text("id"), name=r.text("name"), short=r.text("short", r.data.get("id", "")),
             responsibility=r.text("responsibility", ""), who=r.text("who", ""),
             tasks=r.texts("tasks", ()))
        for r in top.tables("roles")
    )
    _unique(source, "roles", "id", [r.id for r in roles])
    tracks = [_track(r, sev_ids) for r in top.tables("escalation")]
    follow = top.table("follow_up")
    resolution = top.table("resolution")
    opening, closing = _business_hours(top)
    return Policy(
        name=top.text("name"), title=top.text("title", top.data.get("name", "")), source=source,
        severities=severities, statuses=statuses, roles=roles, escalation=tuple(tracks),
        unacknowledged_phase=top.text("unacknowledged_phase", "Detection"),
        business_day_start=opening, business_day_end=closing, timezone=_zone(top),
        acknowledge_minutes=top.minutes("acknowledge_within", "none", None),
        postmortem_hours=follow.count("postmortem_hours", "hours", 1, None),
        postmortem_severities=follow.texts("postmortem_severities", ()),
        review_days=follow.count("review_days", "days", 1, None),
        recovery_monitor_minutes=resolution.minutes("monitor", "none", None),
        resolution_criteria=resolution.texts("criteria", ()),
        action_priorities=follow.texts("action_priorities", ()),
        extra={k: v for k, v in data.items() if k not in _KNOWN},
        public=_public(top.table("public"), sev_ids, [s.name for s in statuses]),
        customer_email=_customer_email(top, sev_ids),
    )


_KNOWN = {"name", "title", "severities", "statuses", "roles", "escalation", "unacknowledged_phase",
          "business_day_start", "business_hours", "timezone", "acknowledge_within", "follow_up", "resolution",
          "public", "customer_email"}


def _track(r: _Reader, sev_ids: list[str]) -> Track:
    clock = r.text("clock")
    if clock not in ("declared", "progress"):
        raise r.fail("clock", '"declared" or "progress"', clock)
    sevs = r.texts("severities")
    for sev in sevs:
        if sev not in sev_ids:
            raise r.fail("severities", f"severities from {sev_ids}", sev)
    steps = _steps(r)
    ack_steps = tuple(s for s in steps if s.unacked)
    steps = tuple(s for s in steps if not s.unacked)
    if clock == "declared":
        for name in ("progress", "steps_from", "reset"):
            if name in r.data:
                raise r.fail(name, 'only on a clock = "progress" track', r.data[name])
        return Track(r.text("name"), clock, sevs, tuple(sorted(steps, key=lambda s: s.after_minutes)),
                     ack_steps=ack_steps)
    progress = r.texts("progress", DEFAULT_PROGRESS)
    unknown = [word for word in progress if word not in PROGRESS_WORDS]
    if unknown:
        raise r.fail("progress", f"event kinds from {list(PROGRESS_WORDS)}", unknown[0])
    steps_from = r.text("steps_from", "progress")
    if steps_from not in ("progress", "previous"):
        raise r.fail("steps_from", '"progress" or "previous"', steps_from)
    # measured from the step before, the steps stay in the order written: each is a gap
    ordered = steps if steps_from == "previous" else tuple(sorted(steps, key=lambda s: s.after_minutes))
    return Track(r.text("name"), clock, sevs, ordered, progress, steps_from,
                 r.get("reset", bool, "true or false", False), ack_steps)


def _steps(r: _Reader) -> tuple[Step, ...]:
    """A track's steps; an ack-aware one must name the page of another step of the track."""
    steps = []
    for s in r.tables("steps"):
        names = {}
        for name in ("page", "unacked"):
            value = s.text(name, "")
            if value and not _TARGET.fullmatch(value):
                raise s.fail(name, "a name from the contacts file (letters, digits, . _ -)", value)
            names[name] = value
        steps.append(Step(s.count("after", "minutes", 0), s.text("notify"), names["page"], names["unacked"]))
    for i, (s, step) in enumerate(zip(r.tables("steps"), steps)):
        paged = {other.page.lower() for j, other in enumerate(steps) if other.page and j != i}
        if step.unacked and step.unacked.lower() not in paged:
            raise s.fail("unacked", f"the page of another step of this track ({', '.join(sorted(paged)) or 'none'})",
                         step.unacked)
    return tuple(steps)


def _public(r: _Reader, sev_ids: list[str], status_names: list[str]) -> PublicText:
    for key in r.data:
        if key not in ("templates", "titles", "status", "unset"):
            raise r.fail(key, "one of templates, titles, status, unset", key)
    templates = r.texts("templates", DEFAULT_PUBLIC_TEMPLATES)
    titles = _sentences(r.table("titles"), sev_ids, "severities")
    status = _sentences(r.table("status"), status_names, "statuses")
    unset = _sentences(r.table("unset"), [f for f in CUSTOMER_FIELDS if f != "customer_message"], "fields")
    return PublicText(tuple(templates), titles, status, MappingProxyType({**DEFAULT_UNSET, **unset}))


def _sentences(r: _Reader, keys: list[str], what: str) -> Mapping[str, str]:
    """A table of texts keyed by ``keys`` (severity ids, status names, field names)."""
    out = {}
    for key in r.data:
        if key not in keys:
            raise r.fail(key, f"one of the policy's {what} ({', '.join(keys)})", key)
        value = r.text(key)
        if not value.strip():
            raise r.fail(key, "a non-empty text", value)
        bad = next((m[0] for m in _SENTENCE_TOKEN.finditer(value) if m[0] != "{service}"), None)
        if bad is not None:
            raise r.fail(key, "a text naming no placeholder but {service}", bad)
        out[key] = value.strip()
    return MappingProxyType(out)


def _customer_email(top: _Reader, sev_ids: list[str]) -> CustomerEmail | None:
    if "customer_email" not in top.data:
        return None
    r = top.table("customer_email")
    for key in r.data:
        if key not in ("severities", "after"):
            raise r.fail(key, "one of severities, after", key)
    severities = r.texts("severities")
    for sev in severities:
        if sev not in sev_ids:
            raise r.fail("severities", f"severities from {sev_ids}", sev)
    return CustomerEmail(severities, r.count("after", "minutes", 0))


def _business_hours(top: _Reader) -> tuple[str, str]:
    """Opening and closing, local: ``business_hours = "09:00-17:00"``, or the older
    ``business_day_start`` alone (closing at 17:00)."""
    if "business_hours" not in top.data:
        return top.clock_time("business_day_start", "09:00"), "17:00"
    if "business_day_start" in top.data:
        raise PolicyError(f"{top.source}: business_hours: expected either business_hours or "
                          "business_day_start, got both")
    value = top.text("business_hours")
    opening, _, closing = value.partition("-")
    if not (_HHMM.fullmatch(opening.strip()) and _HHMM.fullmatch(closing.strip())):
        raise top.fail("business_hours", 'opening and closing times "HH:MM-HH:MM"', value)
    opening, closing = (f"{int(h):02d}:{m}" for h, m in (part.strip().split(":") for part in (opening, closing)))
    if opening >= closing:
        raise top.fail("business_hours", "the opening before the closing", value)
    return opening, closing


def _zone(top: _Reader) -> str:
    name = top.text("timezone", "UTC")
    try:
        time_zone(name)
    except ValueError:
        raise top.fail("timezone", 'an IANA time zone such as "Europe/Stockholm"', name) from None
    return name


def _unique(source: str, table: str, key: str, values: list[str]) -> None:
    seen = set()
    for i, value in enumerate(values):
        if value.lower() in seen:
            raise PolicyError(f"{source}: {table}[{i}].{key}: expected a unique value, got {value!r} twice")
        seen.add(value.lower())


def load_policy(name_or_path: str | None = None) -> Policy:
    """Load a policy by name (user directory first, then the shipped ones) or by path."""
    ref = name_or_path or DEFAULT_POLICY
    path = Path(ref).expanduser()
    if not (path.suffix == ".toml" or "/" in ref):
        path = next((p for p in policy_paths() if p.stem == ref), None)
        if path is None:
            known = ", ".join(sorted({p.stem for p in policy_paths()}))
            raise PolicyError(f"no policy named {ref!r} (known: {known}); give a name or a .toml path")
    try:
        data = tomlfile.load(path)
    except tomlfile.TomlFileError as exc:
        raise PolicyError(str(exc)) from None
    return _policy(data, str(path))


def policy_paths() -> list[Path]:
    """Every policy file known by name: the user's shadow the shipped ones."""
    found: dict[str, Path] = {}
    for folder in (config.data_dir("runbooks") / "policies", config.user_policy_dir()):
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                found[path.stem] = path
    return list(found.values())
