"""Action items of an incident: a table with overdue items highlighted, add and close keys.

Items are folded from ``action_item`` events (``actions.action_items``); edits from other
terminals show as they are committed (the app forwards ``EventsCommitted`` to the open
dialog), and overdue is re-judged every 30 s against the room's clock.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from ...followup import actions, resolution
from ...room import RoomError
from ..messages import EventsCommitted
from ..widgets.entry_line import SafeInput

COLUMNS = ("id", "priority", "status", "due", "owner", "action")


class ActionForm(ModalScreen[dict | None]):
    """Add an action item: description, owner, due date, priority."""

    DEFAULT_CSS = """
    ActionForm { align: center middle; }
    ActionForm > Vertical { width: 70; height: auto; border: round $accent; background: $surface; padding: 0 1; }
    ActionForm Horizontal { height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("New action item")
            yield SafeInput(placeholder="what needs doing", id="description")
            yield SafeInput(placeholder="owner", id="owner")
            yield SafeInput(placeholder="due: YYYY-MM-DD", id="due")
            yield SafeInput(placeholder="priority: P0, P1 or P2", id="priority")
            with Horizontal():
                yield Button("Add", id="add", variant="primary")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#add")
    @on(Input.Submitted)
    def _add(self) -> None:
        values = {w.id: w.value.strip() for w in self.query(Input)}
        if not values["description"]:
            self.query_one("#description", Input).focus()
            return
        self.dismiss({k: v for k, v in values.items() if v})

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ActionsView(Vertical):
    DEFAULT_CSS = """
    ActionsView { height: 1fr; }
    ActionsView #actions-clocks { height: auto; padding: 0 1; }
    ActionsView DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("a", "add", "Add action", id="actions.add", tooltip="Add an action item"),
        Binding("d", "set_status('done')", "Done", id="actions.done", tooltip="Mark the item done"),
        Binding("o", "set_status('open')", "Re-open", id="actions.open", tooltip="Re-open the item"),
        Binding("p", "set_status('in-progress')", "In progress", id="actions.progress"),
    ]

    def __init__(self, room, incident_id: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.room, self.incident_id = room, incident_id

    def compose(self) -> ComposeResult:
        yield Static("", id="actions-clocks")
        table = DataTable(id="actions", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table

    def on_mount(self) -> None:
        self.refresh_items()
        self.set_interval(30, self.refresh_items)

    def refresh_items(self) -> None:
        now = self.room.clock()
        events = self.room.events(self.incident_id)
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for item in actions.action_items(events):
            style = "bold red" if item.overdue(now) else ("dim" if item.closed else "")
            status = item.status + (" OVERDUE" if item.overdue(now) else "")
            cells = (item.item_id, item.priority, status, item.due, item.owner, item.description)
            table.add_row(*(Text(c or "—", style=style) for c in cells), key=item.item_id)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        self.query_one("#actions-clocks", Static).update(self._clocks(now, events))

    def _clocks(self, now: int, events) -> Text:
        state = self.room.state(self.incident_id)
        text = Text()
        for line, level in resolution.clock_lines(state, self.room.policy_for(state), events, now):
            text.append(line + "   ", {"ok": "", "warn": "bold yellow", "alert": "bold red"}[level])
        return text

    @property
    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_add(self) -> None:
        def added(answer: dict | None) -> None:
            if answer:
                self._save(None, **answer)
        self.app.push_screen(ActionForm(), added)

    def action_set_status(self, status: str) -> None:
        if self.selected:
            self._save(self.selected, status=status)

    def _save(self, item_id: str | None, **fields: str) -> None:
        try:
            actions.save_action(self.room, self.incident_id, item_id, **fields)
        except RoomError as exc:
            self.notify(str(exc), title="Not saved", severity="error", markup=False)
            return
        self.refresh_items()


class ActionsScreen(ModalScreen):
    """The action items as a dialog over the console; escape closes it."""

    DEFAULT_CSS = """
    ActionsScreen { align: center middle; }
    ActionsScreen > ActionsView { width: 95%; height: 80%; border: round $accent; background: $surface; }
    """
    BINDINGS = [Binding("escape", "app.pop_screen", "Close")]

    def __init__(self, room, incident_id: str) -> None:
        super().__init__()
        self.room, self.incident_id = room, incident_id

    def compose(self) -> ComposeResult:
        yield ActionsView(self.room, self.incident_id)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    def on_events_committed(self, message: EventsCommitted) -> None:
        if message.touches(self.incident_id):
            self.query_one(ActionsView).refresh_items()
