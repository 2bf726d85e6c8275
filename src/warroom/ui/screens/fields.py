"""The communications lead's fields form: what the templates say, filled from the console.

Each field shows who set it last and when. Enter in a field asks first — a statement of the
fields that changed, for everyone in the incident — and then records them together, one
``field`` event each (all or none). Milestones are marked from the same form, now or
backdated as entries are (``-5m``, ``14:02``), after the same deliberate step. A field
changed by another terminal while the form is open shows its new value, unless it is being
edited here.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from ...comms.templates import FIELDS, FORM_FIELDS, LIST_FIELDS
from ...errors import WarroomError
from ...followup import resolution
from ...model.policy import CUSTOMER_FIELDS
from ...model.times import hhmm, parse_time, stamp, TimeError
from ..messages import EventsCommitted
from ..widgets.entry_line import SafeInput

LINES = "; "  # how a value of several lines shows in a one-line field (a list's items)


def label(name: str) -> str:
    return name.replace("_", " ").capitalize().replace("Eta", "ETA")


def shown(value: str) -> str:
    """A stored value as the form's one-line field shows it."""
    return LINES.join(line.strip() for line in value.splitlines() if line.strip())


class FieldsScreen(ModalScreen):
    """The fields of one incident, with their provenance, and its milestones."""

    DEFAULT_CSS = """
    FieldsScreen { align: center middle; }
    FieldsScreen > #fields-form { width: 120; max-width: 98%; height: auto; max-height: 90%; border: thick $accent;
                                  background: $surface; padding: 0 1; }
    FieldsScreen .fields-group { text-style: bold; margin-top: 1; }
    FieldsScreen .field-row { height: auto; }
    FieldsScreen .field-label { width: 22; }
    FieldsScreen .field-row Input { width: 1fr; }
    FieldsScreen .field-by { width: 34; color: $text-muted; padding-left: 1; }
    FieldsScreen #milestone-name { width: 24; }
    FieldsScreen #fields-error { color: $error; }
    """
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, room, incident_id: str) -> None:
        super().__init__()
        self.room, self.incident_id = room, incident_id
        self.saved: dict[str, str] = {}  # what each field showed when last read from the room

    def compose(self) -> ComposeResult:
        state = self.room.state(self.incident_id)
        with VerticalScroll(id="fields-form"):
            yield Label(Text(f"Fields of {state.id} · {state.title}"), classes="dialog-title")
            yield Static("Internal — updates, exec summary, postmortem", classes="fields-group")
            for name in FORM_FIELDS:
                if name == CUSTOMER_FIELDS[0]:
                    yield Static("Customer-facing — the only fields the status page and customer email state",
                                 classes="fields-group")
                with Horizontal(classes="field-row"):
                    yield Label(label(name), classes="field-label")
                    yield SafeInput(placeholder=FIELDS[name], id=f"field-{name}", compact=True)
                    yield Static("", id=f"by-{name}", classes="field-by")
            yield Static("Milestones", classes="fields-group")
            yield Static("", id="milestones")
            with Horizontal(classes="field-row"):
                yield Select([(m, m) for m in resolution.MILESTONES], value=resolution.MILESTONES[0],
                             allow_blank=False, id="milestone-name", compact=True)
                yield SafeInput(placeholder="when: now, -5m, 14:02 or ISO 8601 — Enter marks it",
                                id="milestone-at", compact=True)
            yield Static("Enter in a field saves the changed fields (asks first) · Tab next · Esc closes",
                         classes="dialog-hint")
            yield Static("", id="fields-error")

    def on_mount(self) -> None:
        self.reload(everything=True)
        self.query_one(f"#field-{FORM_FIELDS[0]}", Input).focus()

    # -- reading ----------------------------------------------------------------------------
    def reload(self, everything: bool = False) -> None:
        """Values and provenance from the room; a field being edited here keeps its text."""
        state = self.room.state(self.incident_id)
        today = stamp(self.room.clock())[:10]
        for name in FORM_FIELDS:
            info = state.field_info(name)
            value = shown(info.value) if info is not None else ""
            box = self.query_one(f"#field-{name}", Input)
            if everything or box.value == self.saved.get(name, ""):
                box.value = value
            self.saved[name] = value
            by = self.query_one(f"#by-{name}", Static)
            if info is None:
                by.update(Text("not set"))
            else:
                day = "" if stamp(info.at_ms)[:10] == today else f"{stamp(info.at_ms)[:10]} "
                by.update(Text(f"last updated by {info.author} at {day}{hhmm(info.at_ms)}"))
        marks = resolution.milestones(self.room.events(self.incident_id, with_entries=False))
        line = " · ".join(f"{m} {hhmm(marks[m])}" if m in marks else f"{m} —" for m in resolution.MILESTONES)
        self.query_one("#milestones", Static).update(Text(line))

    def changed(self) -> dict[str, str]:
        """The fields whose text differs from what the room holds, as they would be stored:
        a list field's items (``a; b``) one per line, as the templates list them."""
        out = {}
        for name in FORM_FIELDS:
            value = self.query_one(f"#field-{name}", Input).value.strip()
            if value != self.saved.get(name, ""):
                items = [item.strip() for item in value.split(LINES.strip())] if name in LIST_FIELDS else [value]
                out[name] = "\n".join(item for item in items if item)
        return out

    def on_events_committed(self, message: EventsCommitted) -> None:
        if message.touches(self.incident_id):
            self.reload()

    def show_error(self, message: str) -> None:
        self.query_one("#fields-error", Static).update(Text(message))

    # -- saving -----------------------------------------------------------------------------
    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "milestone-at":
            self._milestone(event.value.strip())
        else:
            self._save()

    def _save(self) -> None:
        from .dialogs import RecordScreen

        changes = self.changed()
        if not changes:
            self.show_error("Nothing changed.")
            return
        incident = self.incident_id

        def describe(_: dict[str, str]) -> str:
            many = f"{len(changes)} fields" if len(changes) > 1 else "1 field"
            lines = [f"Record for everyone in {incident}: {many}, as {self.room.user}"]
            for name, value in changes.items():
                value = shown(value)
                lines.append(f"  {label(name)}: {value[:80] + '…' if len(value) > 80 else value or '(cleared)'}")
            return "\n".join(lines)

        def answered(answer: dict | None) -> None:
            if answer is None:
                return  # back to the form, the edits kept
            try:
                self.room.set_fields(incident, changes)
            except WarroomError as exc:
                self.show_error(str(exc))
                return
            self.show_error("")
            self.reload(everything=True)
            self.notify(f"{len(changes)} field{'s' if len(changes) > 1 else ''} recorded: "
                        + ", ".join(label(n).lower() for n in changes), title="Fields saved", markup=False)
        self.app.push_screen(RecordScreen("Save fields", describe), answered)

    def _milestone(self, when: str) -> None:
        from .dialogs import RecordScreen

        name = str(self.query_one("#milestone-name", Select).value)
        now = self.room.clock()
        try:
            at = None if when.lower() in ("", "now") else parse_time(when, now)
        except TimeError as exc:
            self.show_error(str(exc))
            return
        incident = self.incident_id
        moment = f"{stamp(at if at is not None else now)[:16]} UTC" + (" (backdated)" if at is not None else "")

        def answered(answer: dict | None) -> None:
            if answer is None:
                return
            try:
                resolution.mark(self.room, incident, name, at=at)
            except WarroomError as exc:
                self.show_error(str(exc))
                return
            self.show_error("")
            self.query_one("#milestone-at", Input).value = ""
            self.reload()
        self.app.push_screen(RecordScreen(
            "Mark a milestone", lambda _: f"Record for everyone in {incident}: milestone {name} at {moment}"),
            answered)

    def action_close(self) -> None:
        if self.changed():
            from .dialogs import ConfirmScreen

            self.app.push_screen(ConfirmScreen("Close the form and drop the changes not saved?"),
                                 lambda yes: yes and self.dismiss(None))
            return
        self.dismiss(None)
