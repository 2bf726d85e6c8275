"""Events: the immutable facts an incident is made of.

Every action is one event. State is a fold over them (``state.py``); the local log and the
shared store only ever move events around. An event's wire form is a JSON object; anything
arriving from elsewhere is checked by :func:`from_wire` before it is believed.
"""

import json
import re

# Annotations are not postponed here: typing compiles each string annotation of a
# NamedTuple when the module is imported, and these load as the console starts.
from typing import Any, NamedTuple

from ..errors import WarroomError
from .ids import parse_hlc
from .safe_text import clean, clean_name, one_line
from .times import FUTURE_SLACK_MS, hhmm, in_range, iso, MAX_MS, MIN_MS, parse_time, TimeError

MAX_EVENT_BYTES = 64 * 1024
ENTRY_KINDS = ("note", "decision", "action", "hypothesis", "observation")

# kind -> {field: (type, required)}. Payload fields not listed are refused on ingest.
_S, _B, _I = str, bool, int
KINDS: dict[str, dict[str, tuple[type, bool]]] = {
    "declared": {
        "title": (_S, True), "severity": (_S, True), "status": (_S, True), "policy": (_S, True),
        "slug": (_S, True), "service": (_S, False), "impact": (_S, False), "drill": (_B, False),
        "scenario": (_S, False),
    },
    "severity": {"severity": (_S, True), "supersedes": (_S, False)},
    "status": {"status": (_S, True), "supersedes": (_S, False)},
    "role": {"role": (_S, True), "person": (_S, True), "previous": (_S, False),
             "briefing": (_S, False), "supersedes": (_S, False)},
    "task": {"role": (_S, True), "task": (_S, True), "done": (_B, True)},
    "entry": {"kind": (_S, True), "text": (_S, True)},
    "ack": {"by": (_S, False)},
    "update_posted": {"text": (_S, False), "channel": (_S, False)},
    "field": {"name": (_S, True), "value": (_S, True), "supersedes": (_S, False)},
    # diagnostics and runbooks
    "evidence": {"pane": (_S, True), "target": (_S, True), "text": (_S, True), "source": (_S, False)},
    "runbook": {"runbook": (_S, True), "title": (_S, True), "panes": (_S, False)},
    "diag_action": {"diagnostic": (_S, True), "action": (_S, True), "target": (_S, True),
                    "result": (_S, False)},
    # communications and follow-up
    "action_item": {"item_id": (_S, True), "description": (_S, False), "owner": (_S, False),
                    "due": (_S, False), "priority": (_S, False), "status": (_S, False)},
    "criterion": {"criterion": (_S, True), "met": (_B, True)},
    "override": {"what": (_S, True), "reason": (_S, False)},
    "milestone": {"name": (_S, True)},
    "decision_tree": {"answers": (_S, True), "outcome": (_S, True)},
    # paging: a page a provider took (or a drill's dry run), and its acknowledgement read back from
    # the provider; apart from the incident's own ``ack``
    "paged": {"target": (_S, True), "provider": (_S, True), "reason": (_S, True), "remote_id": (_S, False),
              "dry_run": (_B, False), "step": (_S, False)},
    "page_acked": {"target": (_S, True), "provider": (_S, True), "by": (_S, False), "acked_ms": (_I, True),
                   "remote_id": (_S, False)},
}
# Fields resolved last-writer-wins, and the event kinds that write them.
LWW_KINDS = ("severity", "status", "role", "field")


class EventError(WarroomError, ValueError):
    """An event that cannot be accepted, with the reason."""


class EarlyEventError(EventError):
    """A well-formed event dated later than the store's clock allows, yet: ``dated_ms``."""

    def __init__(self, message: str, dated_ms: int) -> None:
        super().__init__(message)
        self.dated_ms = dated_ms


class Event(NamedTuple):
    event_id: str
    incident_id: str
    kind: str
    payload: dict[str, Any]
    author: str
    role: str
    occurred_ms: int
    recorded_ms: int
    hlc: str
    origin: str

    @property
    def order(self) -> tuple:
        """Total order used everywhere: when it happened, then causality, then origin."""
        return (self.occurred_ms, self.hlc, self.origin, self.event_id)

    @property
    def writing_order(self) -> tuple:
        """The order edits resolve in, last writer wins: when it was written, not when it is dated."""
        return (self.hlc, self.origin, self.event_id)

    def to_wire(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id, "incident_id": self.incident_id, "kind": self.kind,
            "payload": self.payload, "author": self.author, "role": self.role,
            "occurred_at": iso(self.occurred_ms), "recorded_at": iso(self.recorded_ms),
            "hlc": self.hlc, "origin": self.origin,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_wire(), ensure_ascii=False, separators=(",", ":"))


def validate_payload(kind: str, payload: Any) -> dict[str, Any]:
    """Check a payload against its kind's schema; return it with text cleaned."""
    schema = KINDS.get(kind)
    if schema is None:
        raise EventError(f"unknown kind {kind!r}")
    if not isinstance(payload, dict):
        raise EventError("payload is not an object")
    for name, (kind_type, required) in schema.items():
        if name not in payload:
            if required:
                raise EventError(f"{kind}: missing field {name!r}")
            continue
        if not isinstance(payload[name], kind_type):
            raise EventError(f"{kind}: field {name!r} should be {kind_type.__name__}")
    unknown = set(payload) - set(schema)
    if unknown:
        raise EventError(f"{kind}: unexpected field(s) {', '.join(sorted(unknown))}")
    if kind == "entry" and payload["kind"] not in ENTRY_KINDS:
        raise EventError(f"entry: unknown entry kind {payload['kind']!r}")
    if kind == "page_acked" and (isinstance(payload["acked_ms"], bool) or not MIN_MS <= payload["acked_ms"] <= MAX_MS):
        raise EventError("page_acked: acked_ms out of range")
    if kind == "action_item" and payload.get("due"):
        try:
            parse_time(payload["due"] + ("T23:59:59Z" if len(payload["due"]) == 10 else ""), 0)
        except TimeError:
            raise EventError(f"action_item: unreadable or out-of-range due date {payload['due'][:40]!r}") from None
    return {k: clean(v) if isinstance(v, str) else v for k, v in payload.items()}


_WIRE_FIELDS = ("event_id", "incident_id", "kind", "payload", "author", "role",
                "occurred_at", "recorded_at", "hlc", "origin")
_ID = re.compile(r"^[A-Za-z0-9._-]{1,80}$")  # event, incident and origin ids as warroom makes them
_NAME_MAX = 200  # author and role: a name, not a text
_POLICY_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")


def is_policy_name(name: str) -> bool:
    """A policy named by an event is looked up by name among the known ones, never opened
    as a path: no separators, no ``.toml`` (which ``load_policy`` would take for a file)."""
    return bool(_POLICY_NAME.match(name)) and not name.lower().endswith(".toml")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def check_size(event: Event) -> None:
    """Refuse an event too big for the store, where it is made: every peer would quarantine it."""
    size = len(event.to_json().encode("utf-8"))
    if size > MAX_EVENT_BYTES:
        raise EventError(f"{event.kind} is {size:,} bytes, over the {MAX_EVENT_BYTES:,}-byte limit "
                         "of one event: split it")


def from_wire(data: bytes | str | dict, not_after: int | None = None) -> Event:
    """Parse and validate an event from another terminal; raise EventError with the reason.

    Anything that is not exactly an event warroom would write is refused: over-deep or
    over-long JSON, non-finite numbers, stamps and times out of range or later than
    ``not_after`` (the store's clock plus the slack local input gets), a policy given as a path."""
    if isinstance(data, (bytes, bytearray)):
        if len(data) > MAX_EVENT_BYTES:
            raise EventError(f"event is {len(data)} bytes, over the {MAX_EVENT_BYTES} byte cap")
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EventError(f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    if isinstance(data, str):
        if len(data.encode("utf-8", "surrogatepass")) > MAX_EVENT_BYTES:
            raise EventError(f"event is over the {MAX_EVENT_BYTES} byte cap")
        try:
            data = json.loads(data, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            raise EventError(f"not JSON: {exc.msg}") from None
        except RecursionError:
            raise EventError("not JSON warroom writes: nested too deeply") from None
        except ValueError as exc:  # a number too long to read, NaN, Infinity
            raise EventError(f"not JSON warroom writes: {str(exc)[:80]}") from None
    if not isinstance(data, dict):
        raise EventError("event is not a JSON object")
    missing = [name for name in _WIRE_FIELDS if name not in data]
    if missing:
        raise EventError(f"missing field(s): {', '.join(missing)}")
    for name in _WIRE_FIELDS:
        if name != "payload" and not isinstance(data[name], str):
            raise EventError(f"field {name!r} should be a string")
    for name in ("event_id", "incident_id", "origin"):
        if not _ID.match(data[name]):
            raise EventError(f"field {name!r} is not an id")
    if len(data["author"]) > _NAME_MAX or len(data["role"]) > _NAME_MAX:
        raise EventError("author or role longer than a name")
    try:
        occurred, recorded = _wire_time(data["occurred_at"]), _wire_time(data["recorded_at"])
        hlc_ms = in_range(parse_hlc(data["hlc"])[0])
    except (TimeError, ValueError):
        raise EventError("unreadable or out-of-range occurred_at, recorded_at or hlc") from None
    payload = validate_payload(data["kind"], data["payload"])
    if data["kind"] == "declared" and not is_policy_name(payload["policy"]):
        raise EventError("declared: policy must be a policy's name, not a path")
    dated = max(occurred, recorded, hlc_ms)
    if not_after is not None and dated > not_after:
        raise EarlyEventError(f"dated {iso(dated)}, after the store's clock plus "
                              f"{FUTURE_SLACK_MS // 1000}s: a clock far ahead, or a forged time", dated)
    return Event(
        event_id=data["event_id"], incident_id=data["incident_id"], kind=data["kind"],
        payload=payload, author=clean_name(data["author"]), role=clean_name(data["role"]),
        occurred_ms=occurred, recorded_ms=recorded, hlc=data["hlc"], origin=data["origin"],
    )


def _wire_time(text: str) -> int:
    """A time as warroom writes it (ISO 8601, UTC, within range); nothing relative."""
    if not text[:1].isdigit() or len(text) > 40:
        raise TimeError(text)
    return parse_time(text, 0)


def label(event: Event) -> str:
    """The short tag a timeline line carries: the entry kind, or the event kind."""
    return event.payload["kind"] if event.kind == "entry" else event.kind


def summary(event: Event) -> str:
    """One line saying what the event did, as the timeline shows it."""
    p = event.payload
    match event.kind:
        case "entry":
            return one_line(p["text"])
        case "declared":
            what = "DRILL declared" if p.get("drill") else "declared"
            extra = "".join(f" · {k} {p[k]}" for k in ("service", "impact") if p.get(k))
            return f"{what} {p['severity']} {p['title']!r} ({p['slug']}){extra}"
        case "severity":
            return f"severity set to {p['severity']}"
        case "status":
            return f"status set to {p['status']}"
        case "role":
            if p.get("previous") and p["previous"] != p["person"]:
                brief = f" — briefing: {one_line(p['briefing'])}" if p.get("briefing") else ""
                return f"{p['role']} handed over {p['previous']} → {p['person']}{brief}"
            return f"{p['role']} assigned to {p['person']}"
        case "task":
            return f"{p['role']} task {'done' if p['done'] else 'reopened'}: {p['task']}"
        case "ack":
            return "acknowledged"
        case "update_posted":
            where = f" to {p['channel']}" if p.get("channel") else ""
            text = f": {one_line(p['text'])}" if p.get("text") else ""
            return f"status update posted{where}{text}"
        case "field":
            return f"{p['name']} set: {one_line(p['value'])}"
        case "evidence":
            return f"evidence from {p['pane']} ({p['target']}): {one_line(p['text'])}"
        case "runbook":
            return f"runbook started: {p['title']}"
        case "diag_action":
            result = f" — {p['result']}" if p.get("result") else ""
            return f"{p['diagnostic']}: {p['action']} {p['target']}{result}"
        case "action_item":
            bits = [p.get(k) for k in ("priority", "owner", "due", "status") if p.get(k)]
            return f"action item {p['item_id']}: {p.get('description', '')} {' · '.join(bits)}".rstrip()
        case "criterion":
            return f"resolution criterion {'met' if p['met'] else 'not met'}: {p['criterion']}"
        case "override":
            reason = f" — {p['reason']}" if p.get("reason") else ""
            return f"override: {p['what']}{reason}"
        case "milestone":
            return f"milestone: {p['name']}"
        case "decision_tree":
            return f"rollback decision: {p['outcome']} ({p['answers']})"
        case "paged":
            what = "DRILL dry run, nobody paged:" if p.get("dry_run") else "paged"
            remote = f" {p['remote_id']}" if p.get("remote_id") else ""
            step = f" [{p['step']}]" if p.get("step") else ""
            return f"{what} {p['target']} via {p['provider']}{remote}{step}: {one_line(p['reason'])}"
        case "page_acked":
            by = f" by {p['by']}" if p.get("by") else ""
            return f"page to {p['target']} acknowledged{by} at {hhmm(p['acked_ms'])} ({p['provider']})"
    return event.kind
