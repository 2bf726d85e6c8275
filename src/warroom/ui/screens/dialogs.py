"""Modal dialogs. Each returns its answer through ``dismiss``; the app turns answers into
Room calls, so a dialog never writes an event itself."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Select, SelectionList, Static
from textual.widgets.option_list import Option

from ...model.policy import Policy
from ..keys import ACTIONS, key_label
from ..widgets.entry_line import SafeInput
from ..widgets.panels import notify_lines


def severity_lines(policy: Policy, severity: str, brief: bool = False) -> list[str]:
    """What a severity means in practice: its examples, response and update times, and who is
    notified, with the escalation matrix where the two differ (``brief``: a list of options,
    which already shows the times; the matrix only named)."""
    sev = policy.find_severity(severity)
    if sev is None:
        return []
    updates = f"every {sev.update_every_minutes} min" if sev.update_every_minutes else "as needed"
    lines = [f"e.g. {', '.join(sev.examples)}"] if sev.examples else []
    notify = notify_lines(policy, sev.id)
    if brief:
        return lines + notify[:1] + (["the clock follows the escalation matrix"] if len(notify) > 1 else [])
    return lines + [f"response {sev.response_text} · updates {updates}", *notify]


class _Modal(ModalScreen):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickScreen(_Modal):
    """Pick one of a short list (severity, status, role); incidents use :class:`FilterPickScreen`."""

    def __init__(self, title: str, options: list[tuple[str, str]], current: str | None = None,
                 hint: str = "") -> None:
        super().__init__()
        self.title_text, self.options, self.current, self.hint = title, options, current, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield OptionList(*[Option(Text(label), id=value) for value, label in self.options], id="pick")
            if self.hint:  # what Enter does, when it changes the incident for the room
                yield Static(Text(self.hint), id="pick-hint", classes="dialog-hint")

    def on_mount(self) -> None:
        pick = self.query_one(OptionList)
        ids = [value for value, _ in self.options]
        if self.current in ids:
            pick.highlighted = ids.index(self.current)
        pick.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class FilterPickScreen(_Modal):
    """Pick one of a long list (thousands of incidents), narrowed as you type.

    ``search(text)`` gives the matching values in order; ``label(value)`` a line's text,
    asked for only as its page is listed (the next page comes in as the cursor nears the
    end), so opening the list costs the same at 5,000 values as at 50."""

    PAGE = 100
    BINDINGS = [Binding(key, f"move('{action}')", show=False)
                for key, action in (("down", "cursor_down"), ("up", "cursor_up"),
                                    ("pagedown", "page_down"), ("pageup", "page_up"))]

    def __init__(self, title: str, search: Callable[[str], list[str]], label: Callable[[str], str],
                 current: str | None = None, noun: str = "item") -> None:
        super().__init__()
        self.title_text, self.search, self.label, self.current, self.noun = title, search, label, current, noun
        self.values: list[str] = []
        self.total = 0

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield SafeInput(placeholder="type to filter", id="pick-filter", compact=True)
            yield OptionList(id="pick")
            yield Static("", id="pick-hint", classes="dialog-hint")

    def on_mount(self) -> None:
        self.values = self.search("")
        self.total = len(self.values)
        self._list()
        pick = self.query_one(OptionList)
        if self.current in self.values[:pick.option_count]:
            pick.highlighted = self.values.index(self.current)
        self.query_one(Input).focus()

    def _list(self) -> None:
        pick = self.query_one(OptionList)
        pick.clear_options()
        self._more()
        pick.highlighted = 0 if pick.option_count else None
        many = f"{self.total:,} {self.noun}{'s' if self.total != 1 else ''}"
        if not self.values:
            hint = f"no {self.noun} matches · Esc to close"
        elif len(self.values) == self.total:
            hint = f"{many} · type to filter · ↑↓ Enter · Esc to close"
        else:
            hint = f"{len(self.values):,} of {many} · ↑↓ Enter · Esc to close"
        self.query_one("#pick-hint", Static).update(Text(hint))

    def _more(self) -> None:
        pick = self.query_one(OptionList)
        page = self.values[pick.option_count:pick.option_count + self.PAGE]
        pick.add_options([Option(Text(self.label(value)), id=value) for value in page])

    def action_move(self, action: str) -> None:
        getattr(self.query_one(OptionList), f"action_{action}")()

    @on(OptionList.OptionHighlighted)
    def _near_the_end(self, event: OptionList.OptionHighlighted) -> None:
        pick = event.option_list
        if event.option_index >= pick.option_count - self.PAGE // 5 and pick.option_count < len(self.values):
            self._more()

    @on(Input.Changed, "#pick-filter")
    def _filter(self, event: Input.Changed) -> None:
        self.values = self.search(event.value.strip())
        self._list()

    @on(Input.Submitted, "#pick-filter")
    def _submit(self) -> None:
        pick = self.query_one(OptionList)
        if pick.highlighted is not None:
            self.dismiss(pick.get_option_at_index(pick.highlighted).id)

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class DeclareScreen(_Modal):
    """Title, severity, service and impact of a new incident."""

    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self.policy = policy

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Declare an incident  (policy {self.policy.name})", classes="dialog-title")
            yield SafeInput(placeholder="Title, e.g. API returning 5xx", id="title")
            yield Select([(Text(f"{s.id} {s.name} — {s.definition}"), s.id) for s in self.policy.severities],
                         value=self.policy.severities[1].id if len(self.policy.severities) > 1
                         else self.policy.severities[0].id, allow_blank=False, id="severity")
            yield Static("", id="severity-info", classes="dialog-hint")
            yield SafeInput(placeholder="Service (optional)", id="service")
            yield SafeInput(placeholder="Impact: who is affected and how (optional)", id="impact")
            yield Static("Enter to declare · Esc to cancel", classes="dialog-hint")
            yield Static("", id="error", classes="dialog-error")

    def on_mount(self) -> None:
        self._severity_changed()
        self.query_one("#title", Input).focus()

    @on(Select.Changed, "#severity")
    def _severity_changed(self) -> None:
        severity = str(self.query_one("#severity", Select).value)
        self.query_one("#severity-info", Static).update(Text("\n".join(severity_lines(self.policy, severity))))

    @on(Input.Submitted)
    def _submit(self) -> None:
        title = self.query_one("#title", Input).value.strip()
        if not title:
            self.query_one("#error", Static).update("An incident needs a title.")
            self.query_one("#title", Input).focus()
            return
        self.dismiss({
            "title": title,
            "severity": str(self.query_one("#severity", Select).value),
            "service": self.query_one("#service", Input).value.strip(),
            "impact": self.query_one("#impact", Input).value.strip(),
        })


class AssignScreen(_Modal):
    """Assign a role; when it already has a holder this is a hand-over and asks for a briefing."""

    def __init__(self, policy: Policy, holders: dict[str, str], role: str | None = None,
                 incident_id: str = "") -> None:
        super().__init__()
        self.policy, self.holders, self.role = policy, holders, role or policy.roles[0].id
        self.incident_id = incident_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Assign or hand over a role", classes="dialog-title")
            yield Select([(Text(f"{r.id} — {r.name} ({self.holders.get(r.id, 'unassigned')})"), r.id)
                          for r in self.policy.roles], value=self.role, allow_blank=False, id="role")
            yield Static("", id="role-info", classes="dialog-hint")
            yield SafeInput(placeholder="Person", id="person")
            yield SafeInput(placeholder="Hand-over briefing (recorded in the timeline)", id="briefing")
            room = f" for everyone in {self.incident_id}" if self.incident_id else ""
            yield Static(f"Enter records the assignment (a hand-over if the role is held){room}"
                         " · Esc to cancel", classes="dialog-hint")
            yield Static("", id="error", classes="dialog-error")

    def on_mount(self) -> None:
        self._role_changed()
        self.query_one("#person", Input).focus()

    @on(Select.Changed, "#role")
    def _role_changed(self) -> None:
        role = str(self.query_one("#role", Select).value)
        self.query_one("#briefing", Input).display = bool(self.holders.get(role))
        found = self.policy.find_role(role)
        info = [f"who: {found.who}" if found and found.who else "",
                found.responsibility if found else ""]
        self.query_one("#role-info", Static).update(Text("\n".join(filter(None, info))))

    @on(Input.Submitted)
    def _submit(self) -> None:
        person = self.query_one("#person", Input).value.strip()
        if not person:
            self.query_one("#error", Static).update("Who takes the role?")
            self.query_one("#person", Input).focus()
            return
        self.dismiss({"role": str(self.query_one("#role", Select).value), "person": person,
                      "briefing": self.query_one("#briefing", Input).value.strip()})


class ChecklistScreen(_Modal):
    """A role's task checklist; every tick is reported at once (the app records it)."""

    def __init__(self, role_title: str, tasks: tuple[str, ...], done: set[str], on_toggle) -> None:
        super().__init__()
        self.role_title, self.tasks, self.done, self.on_toggle = role_title, tasks, done, on_toggle

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"{self.role_title} — tasks", classes="dialog-title")
            yield SelectionList[str](*[(Text(t), t, t in self.done) for t in self.tasks], id="tasks")
            yield Static("Space to tick · Esc to close", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    @on(SelectionList.SelectionToggled)
    def _toggled(self, event: SelectionList.SelectionToggled) -> None:
        task = event.selection.value
        self.on_toggle(task, task in event.selection_list.selected)


class TextScreen(_Modal):
    """A read-only text (an entry's details): shown literally."""

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(Text(self.body), id="body")
            yield Static("Esc to close", classes="dialog-hint")


class PromptScreen(_Modal):
    """One line of text (a reason, a name)."""

    def __init__(self, question: str, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.question, self.placeholder, self.value = question, placeholder, value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question), classes="dialog-title")
            yield SafeInput(self.value, placeholder=self.placeholder, id="answer")
            yield Static("Enter to confirm · Esc to cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())


class _Statement(Static, can_focus=True):
    """What a record dialog will do, focused first: keys typed at it are not taken as input."""


class RecordScreen(_Modal):
    """The deliberate second step of a change the whole room sees.

    It says what will be recorded and for whom; Enter records, Esc cancels. Its fields (a
    channel and a text, a reason) come prefilled and are reached with Tab; the statement has
    the focus first, so prose typed on by accident is not taken as an answer (the app hands
    it back to the entry line). ``describe(values)`` gives the statement for the fields as
    they stand; the answer is their values."""

    BINDINGS = [Binding("enter", "confirm", "Record", priority=True)]

    def __init__(self, title: str, describe: Callable[[dict[str, str]], str],
                 fields: list[tuple[str, str, str]] = (), required: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.title_text, self.describe, self.fields, self.required = title, describe, list(fields), required

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield _Statement("", id="statement")
            for field_id, label, value in self.fields:
                yield Label(label)
                yield SafeInput(value, id=field_id)
            tab = " · Tab to edit" if self.fields else ""
            yield Static(f"Enter to confirm · Esc to cancel{tab}", classes="dialog-hint")
            yield Static("", id="error", classes="dialog-error")

    def on_mount(self) -> None:
        self._describe()
        self.query_one(_Statement).focus()

    def values(self) -> dict[str, str]:
        return {field_id: self.query_one(f"#{field_id}", Input).value.strip() for field_id, _, _ in self.fields}

    @on(Input.Changed)
    def _describe(self) -> None:
        self.query_one(_Statement).update(Text(self.describe(self.values())))

    def action_confirm(self) -> None:
        values = self.values()
        missing = [field_id for field_id in self.required if not values[field_id]]
        if missing:
            self.query_one("#error", Static).update(f"{missing[0]} is needed.")
            self.query_one(f"#{missing[0]}", Input).focus()
            return
        self.dismiss(values)


class ConfirmScreen(_Modal):
    """y/n before anything dangerous."""

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question), classes="dialog-title")
            yield Static("y: yes · n: no", classes="dialog-hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class HelpScreen(_Modal):
    BINDINGS = [Binding("escape,question_mark,q", "cancel", "Close")]

    def compose(self) -> ComposeResult:
        text = Text()
        groups = list(dict.fromkeys(a.group for a in ACTIONS))
        for action in sorted(ACTIONS, key=lambda a: groups.index(a.group)):
            if action is next(a for a in ACTIONS if a.group == action.group):
                text.append(f"\n{action.group.upper()}\n", "bold underline")
            key = key_label(self.app.key_for(action.id))
            text.append(f"  {key:<10}", "bold cyan")
            text.append(f"{action.help}\n")
        books = sorted(getattr(self.app, "runbooks", {}).values(), key=lambda b: b.key)
        if books:
            text.append("\nRUNBOOKS\n", "bold underline")
            for book in books:
                text.append(f"  {book.key:<10}", "bold cyan")
                text.append(f"{book.title}\n")
        text.append("\nIN A DIAGNOSTIC PANE\n", "bold underline")
        text.append("  +/- refresh rate · space pause · e snapshot to the timeline as evidence\n")
        text.append("\nENTRY LINE\n", "bold underline")
        text.append("  [TIME] [KIND:] TEXT   e.g.  14:02 o: alert fired   ·   -5m d: roll back api\n")
        text.append("  TIME: -5m, -2h, HH:MM (UTC today) or ISO 8601.  KIND: n note, d decision, a action,\n"
                    "  h hypothesis, o observation (or the whole word).  Tab cycles the default kind.\n")
        text.append("\nTIMELINE\n", "bold underline")
        text.append("  ↑/↓ j/k move · g/G first/latest · Enter details · ↶ marks a backdated entry\n")
        text.append("  Ctrl+P opens the command palette.\n")
        with VerticalScroll(classes="dialog wide"):
            yield Label("warroom — keys", classes="dialog-title")
            yield Static(text, id="help-body")
