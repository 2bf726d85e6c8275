"""What the core's threads tell the console: one small message each.

The sync threads, the write-behind thread and the log's poll all reach the UI by
``post_message``, which is safe from any thread and queues the message for the app's own
loop; a message posted once the app is closing is dropped, so nothing that arrives after
shutdown can touch a screen that is gone. They are addressed to the app and do not bubble.
"""

from __future__ import annotations

from textual.message import Message


class EventsCommitted(Message, bubble=False):
    """Events are on disk: committed here, by another terminal, or by the sync follower.

    The app forwards it to the dialogs open over the console, which show what they hold of
    the incident afresh (the action items, the resolution checklist)."""

    def __init__(self, events: list) -> None:
        super().__init__()
        self.events = events

    def touches(self, incident_id: str | None) -> bool:
        """Whether any of the events changes what a view of ``incident_id`` shows beyond its timeline."""
        return any(e.incident_id == incident_id and e.kind != "entry" for e in self.events)


class SyncStatusChanged(Message, bubble=False):
    """The sync engine's status moved (live, catching up, reconnecting, offline, pending).

    Only the latest counts: one still queued is replaced by the next."""

    def __init__(self, status) -> None:
        super().__init__()
        self.status = status

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SyncStatusChanged)


class EntryRefused(Message, bubble=False):
    """A write-behind commit failed: the entry (kept with the refused ones already) comes off
    the timeline's pending rows and is offered back in the entry line."""

    def __init__(self, entry, events: list, error: Exception) -> None:
        super().__init__()
        self.entry, self.events, self.error = entry, events, error
