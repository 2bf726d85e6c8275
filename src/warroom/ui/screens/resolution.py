"""Resolving an incident: the playbook's resolution criteria as a checklist.

Ticking an item records a ``criterion`` event at once, and ticks from other terminals show as
they are committed: every terminal sees the same list.
Resolving with items still open asks for confirmation and a reason, recorded as an
``override`` before the status change. Dismisses with True when the incident was resolved.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, SelectionList, Static

from ...followup import resolution
from ...room import RoomError
from ..messages import EventsCommitted
from ..widgets.entry_line import SafeInput


class ResolutionScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ResolutionScreen { align: center middle; }
    ResolutionScreen > Vertical { width: 80; height: auto; max-height: 90%; border: round $accent;
                                  background: $surface; padding: 0 1; }
    ResolutionScreen #criteria { height: auto; max-height: 12; }
    ResolutionScreen #override-box { height: auto; display: none; }
    ResolutionScreen #override-box.shown { display: block; }
    ResolutionScreen #override-warning { color: $warning; }
    ResolutionScreen Horizontal { height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, room, incident_id: str) -> None:
        super().__init__()
        self.room, self.incident_id = room, incident_id
        state = room.state(incident_id)
        self.policy = room.policy_for(state)
        self.title_text = f"Resolve {state.severity} {state.title}?"

    def _criteria(self) -> list[resolution.Criterion]:
        return resolution.criteria(self.room.events(self.incident_id), self.policy)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text))
            yield Static(Text("Resolution criteria (space ticks, ticks are shared):"))
            yield SelectionList[str](*[(Text(c.text), c.text, c.met) for c in self._criteria()], id="criteria")
            with Vertical(id="override-box"):
                yield Static("", id="override-warning")
                yield SafeInput(placeholder="reason for resolving anyway (recorded)", id="reason")
                yield Button("Resolve anyway", id="override", variant="warning")
            with Horizontal():
                yield Button("Resolve", id="resolve", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#criteria", SelectionList).focus()

    def on_events_committed(self, message: EventsCommitted) -> None:
        if not message.touches(self.incident_id):
            return
        listed = self.query_one("#criteria", SelectionList)
        for criterion in self._criteria():  # selecting posts no SelectionToggled: nothing recorded again
            (listed.select if criterion.met else listed.deselect)(criterion.text)

    @on(SelectionList.SelectionToggled, "#criteria")
    def _toggled(self, event: SelectionList.SelectionToggled) -> None:
        text = event.selection.value
        met = text in event.selection_list.selected
        try:
            resolution.tick(self.room, self.incident_id, text, met)
        except RoomError as exc:
            self.notify(str(exc), severity="error", markup=False)
        self.query_one("#override-box").remove_class("shown")

    @on(Button.Pressed, "#resolve")
    def _resolve(self) -> None:
        try:
            resolution.resolve(self.room, self.incident_id)
        except resolution.NeedsOverride as exc:
            warning = self.query_one("#override-warning", Static)
            warning.update(Text(f"{len(exc.open_items)} criteria still open: " + "; ".join(exc.open_items)
                                + ". Resolve anyway? The override and its reason are recorded."))
            self.query_one("#override-box").add_class("shown")
            self.query_one("#reason", Input).focus()
            return
        except RoomError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.dismiss(True)

    @on(Button.Pressed, "#override")
    @on(Input.Submitted, "#reason")
    def _override(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        try:
            resolution.resolve(self.room, self.incident_id, override_reason=reason)
        except RoomError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
