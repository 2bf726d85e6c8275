"""Playbook 001's rollback decision tree as a guided yes/no dialog.

Each answer moves the walk on (``rollback.step``); at the outcome the answers and the outcome
are recorded as one ``decision_tree`` event in the timeline. ``b`` steps back a question.
Dismisses with the outcome id (ROLLBACK / REVERT / INVESTIGATE) or None when cancelled.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from ...followup import rollback
from ...room import RoomError


class RollbackDialog(ModalScreen[str | None]):
    DEFAULT_CSS = """
    RollbackDialog { align: center middle; }
    RollbackDialog > Vertical { width: 72; height: auto; border: round $accent; background: $surface;
                                padding: 0 1; }
    RollbackDialog #question { text-style: bold; margin: 1 0; }
    RollbackDialog #path { color: $text-muted; }
    RollbackDialog Horizontal { height: auto; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("b", "back", "Back"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, room, incident_id: str) -> None:
        super().__init__()
        self.room, self.incident_id = room, incident_id
        self.answers: list[bool] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Rollback decision tree")
            yield Static("", id="path")
            yield Static("", id="question")
            yield Static("", id="hint")
            with Horizontal():
                yield Button("Yes (y)", id="yes", variant="primary")
                yield Button("No (n)", id="no")
                yield Button("Back (b)", id="back")

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        node = rollback.step(self.answers)
        self.query_one("#path", Static).update(Text(rollback.describe(self.answers)))
        self.query_one("#question", Static).update(Text(node.text))
        self.query_one("#hint", Static).update(Text(getattr(node, "hint", "")))

    def action_answer(self, yes: bool) -> None:
        self.answers.append(yes)
        node = rollback.step(self.answers)
        if isinstance(node, rollback.Outcome):
            try:
                rollback.record(self.room, self.incident_id, self.answers)
            except RoomError as exc:
                self.notify(str(exc), severity="error", markup=False)
                self.answers.pop()
                return
            self.notify(f"{node.id}: {node.text}", title="Rollback decision", markup=False)
            self.dismiss(node.id)
            return
        self._show()

    def action_back(self) -> None:
        if self.answers:
            self.answers.pop()
            self._show()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        if event.button.id == "yes":
            self.action_answer(True)
        elif event.button.id == "no":
            self.action_answer(False)
        elif event.button.id == "back":
            self.action_back()
