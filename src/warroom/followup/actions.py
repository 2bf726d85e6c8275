"""Action items: folded from ``action_item`` events, each field last-writer-wins on its own
(on ``Event.writing_order``), so every terminal shows the same table; and the checks a new
or changed item passes before it is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.events import Event
from ..model.policy import Policy
from ..model.times import parse_time, TimeError

ACTION_STATUSES = ("open", "in-progress", "done", "cancelled")
CLOSED = ("done", "cancelled")
DEFAULT_PRIORITIES = ("P0", "P1", "P2")


@dataclass
class ActionItem:
    item_id: str
    description: str = ""
    owner: str = ""
    due: str = ""
    priority: str = ""
    status: str = "open"
    created_ms: int = 0
    created_order: tuple = ()

    @property
    def closed(self) -> bool:
        return self.status in CLOSED

    def due_ms(self) -> int | None:
        """A due date means the end of that day (UTC); a full time means that time."""
        if not self.due:
            return None
        text = self.due.strip()
        try:
            if len(text) == 10:
                return parse_time(text + "T23:59:59Z", 0)
            return parse_time(text, 0)
        except TimeError:
            return None

    def overdue(self, now: int) -> bool:
        due = self.due_ms()
        return not self.closed and due is not None and now > due


def action_items(events: list[Event]) -> list[ActionItem]:
    """Fold ``action_item`` events; each field is last-writer-wins on its own."""
    items: dict[str, ActionItem] = {}
    for event in sorted((e for e in events if e.kind == "action_item"), key=lambda e: e.writing_order):
        p = event.payload
        item = items.get(p["item_id"])
        if item is None:
            item = items[p["item_id"]] = ActionItem(p["item_id"], created_ms=event.occurred_ms,
                                                    created_order=event.writing_order)
        for name in ("description", "owner", "due", "priority", "status"):
            if name in p:
                setattr(item, name, p[name])
    return sorted(items.values(), key=lambda i: i.created_order)


def check_priority(policy: Policy, priority: str) -> str:
    allowed = policy.action_priorities or DEFAULT_PRIORITIES
    for p in allowed:
        if p.lower() == priority.strip().lower():
            return p
    raise ValueError(f"unknown priority {priority!r} (one of: {', '.join(allowed)})")


def check_status(status: str) -> str:
    key = status.strip().lower().replace(" ", "-")
    if key not in ACTION_STATUSES:
        raise ValueError(f"unknown action status {status!r} (one of: {', '.join(ACTION_STATUSES)})")
    return key


def check_due(due: str, now: int) -> str:
    """Normalise a due date: YYYY-MM-DD stays, anything parse_time reads becomes ISO."""
    from ..model.times import iso

    text = due.strip()
    if not text:
        return ""
    try:
        if len(text) == 10:
            parse_time(text, now)
            return text
        return iso(parse_time(text, now))
    except TimeError as exc:
        raise ValueError(str(exc)) from None


def save_action(room, incident_id: str, item_id: str | None = None, **fields: str) -> Event:
    """Add an action item (no item_id) or change some of its fields."""
    from ..model.ids import short_token
    from ..room import RoomError

    policy = room.policy_for(room.state(incident_id))
    payload: dict[str, str] = {}
    try:
        for name, value in fields.items():
            if value is None:
                continue
            if name == "priority":
                value = check_priority(policy, value)
            elif name == "status":
                value = check_status(value)
            elif name == "due":
                value = check_due(value, room.clock())
            elif name not in ("description", "owner"):
                raise ValueError(f"action items have no field {name!r}")
            payload[name] = value.strip()
    except ValueError as exc:
        raise RoomError(str(exc)) from None
    if item_id is None:
        if not payload.get("description"):
            raise RoomError("an action item needs a description")
        payload.setdefault("status", "open")
        item_id = "A" + short_token(4)
    else:
        known = {i.item_id.lower(): i.item_id for i in action_items(room.events(incident_id))}
        if item_id.lower() not in known:
            raise RoomError(f"no action item {item_id!r}")
        item_id = known[item_id.lower()]
        if not payload:
            raise RoomError("nothing to change: give --status, --owner, --due, --priority or --description")
    return room.record(incident_id, "action_item", {"item_id": item_id, **payload}, None)
