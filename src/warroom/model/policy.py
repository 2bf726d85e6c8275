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
from . import tomlfile

DEFAULT_POLICY = "cygni"
NEXT_BUSINESS_DAY = "next business day"
AS_NEEDED = "as needed"
MAX_MINUTES = 30 * 24 * 60
MAX_HOURS = 30 * 24
MAX_DAYS = 365
_LIMITS = {"minutes": (MAX_MINUTES, " (30 days)"), "hours": (MAX_HOURS, " (30 days)"), "days": (MAX_DAYS, "")}
_HHMM = re.compile(r"(?:[01]?[0-9]|2[0-3]):[0-5][0-9]")


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the field."""


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
    after_minutes: int
    notify: str


class Track(NamedTuple):
    """One escalation path: steps counted from declaration, or from the last progress."""

    name: str
    clock: str  # "declared" | "progress"
    severities: tuple[str, ...]
    steps: tuple[Step, ...]


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

    def severity(self, ident: str) -> Severity:
        for sev in self.severities:
            if sev.id.lower() == ident.strip().lower():
                return sev
        raise KeyError(f"unknown severity {ident!r} (policy {self.name}: "
                       f"{', '.join(s.id for s in self.severities)})")

    def status(self, name: str) -> Status:
        for status in self.statuses:
            if status.name.lower() == name.strip().lower():
                return status
        raise KeyError(f"unknown status {name!r} (policy {self.name}: "
                       f"{', '.join(s.name for s in self.statuses)})")

    def role(self, name: str) -> Role:
        key = name.strip().lower()
        for role in self.roles:
            if key in (role.id.lower(), role.short.lower(), role.name.lower()):
                return role
        raise KeyError(f"unknown role {name!r} (policy {self.name}: "
                       f"{', '.join(r.short for r in self.roles)})")

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
    tracks = []
    for r in top.tables("escalation"):
        clock = r.text("clock")
        if clock not in ("declared", "progress"):
            raise r.fail("clock", '"declared" or "progress"', clock)
        sevs = r.texts("severities")
        for sev in sevs:
            if sev not in sev_ids:
                raise r.fail("severities", f"severities from {sev_ids}", sev)
        steps = tuple(
            Step(after_minutes=s.count("after", "minutes", 0), notify=s.text("notify"))
            for s in r.tables("steps")
        )
        tracks.append(Track(r.text("name"), clock, sevs, tuple(sorted(steps, key=lambda s: s.after_minutes))))
    follow = top.table("follow_up")
    resolution = top.table("resolution")
    return Policy(
        name=top.text("name"), title=top.text("title", top.data.get("name", "")), source=source,
        severities=severities, statuses=statuses, roles=roles, escalation=tuple(tracks),
        unacknowledged_phase=top.text("unacknowledged_phase", "Detection"),
        business_day_start=top.clock_time("business_day_start", "09:00"),
        acknowledge_minutes=top.minutes("acknowledge_within", "none", None),
        postmortem_hours=follow.count("postmortem_hours", "hours", 1, None),
        postmortem_severities=follow.texts("postmortem_severities", ()),
        review_days=follow.count("review_days", "days", 1, None),
        recovery_monitor_minutes=resolution.minutes("monitor", "none", None),
        resolution_criteria=resolution.texts("criteria", ()),
        action_priorities=follow.texts("action_priorities", ()),
        extra={k: v for k, v in data.items() if k not in _KNOWN},
    )


_KNOWN = {"name", "title", "severities", "statuses", "roles", "escalation", "unacknowledged_phase",
          "business_day_start", "acknowledge_within", "follow_up", "resolution"}


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
