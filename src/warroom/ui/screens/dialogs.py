"""Modal dialogs. Each returns its answer through ``dismiss``; the app turns answers into
Room calls, so a dialog never writes an event itself."""

from __future__ import annotations

import asyncio
from typing import Callable

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import Option

from ...model.policy import Policy
from ...model.safe_text import clean_name
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


def severity_keys(policy: Policy) -> dict[str, str]:
    """Severity id -> the digit that picks it: SEVn's own digit when every id ends in a
    different one, otherwise its position (1 the first)."""
    ids = [s.id for s in policy.severities]
    digits = [s[-1] for s in ids]
    if not all(d.isdigit() for d in digits) or len(set(digits)) != len(digits):
        digits = [str(n) for n in range(1, len(ids) + 1)]
    return {sev: digit for sev, digit in zip(ids, digits) if len(digit) == 1}


def role_letters(policy: Policy) -> dict[str, str]:
    """Role id -> the letter that picks it: the first letter of its id not taken by a role
    before it (IC i, TL t, Comms c, Scribe s), else of its short name or its name."""
    letters: dict[str, str] = {}
    for role in policy.roles:
        free = [ch for ch in (role.id + role.short + role.name).lower()
                if "a" <= ch <= "z" and ch not in letters.values()]
        if free:
            letters[role.id] = free[0]
    return letters


def key_span(keys: list[str]) -> str:
    """"1–4" for 1, 2, 3, 4; "1/3/5" when they are not a run."""
    if len(keys) > 2 and [ord(k) for k in keys] == list(range(ord(keys[0]), ord(keys[0]) + len(keys))):
        return f"{keys[0]}–{keys[-1]}"
    return "/".join(keys)


class _Modal(ModalScreen):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)


class FormScreen(_Modal):
    """A dialog of fields and a list, for keys sent fast (pasted, or typed by a practised hand).

    Textual hands a key to the field that has the focus as it arrives, and resolves a
    non-priority binding only once the key has come back up from that field: with Tab bound
    so, keys typed after it still went into the field it was leaving. Here Tab, Shift+Tab,
    Enter, the list's arrows and the keys that pick act as each key arrives (priority
    bindings), and Enter first lets every field take the characters already sent to it."""

    BINDINGS = [Binding("tab", "app.focus_next", show=False, priority=True),
                Binding("shift+tab", "app.focus_previous", show=False, priority=True),
                Binding("enter", "enter", show=False, priority=True),
                *[Binding(key, f"in_list('{action}')", show=False, priority=True)
                  for key, action in (("up", "cursor_up"), ("down", "cursor_down"), ("home", "first"),
                                      ("end", "last"), ("pageup", "page_up"), ("pagedown", "page_down"))]]
    SETTLE_GUARD_S = 2.0  # only if a field closes with keys in it: never the wait of a key
    SHORT_ROWS = 36  # under this the fields and the list lose their boxes, so the form fits 24 rows

    def on_resize(self, event: events.Resize) -> None:
        short = event.size.height < self.SHORT_ROWS
        for widget in self.query("Input, OptionList"):
            widget.compact = short

    def in_text(self) -> bool:
        """Keys typed now are text: a picking key is a character there."""
        return isinstance(self.focused, Input)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "in_list" or isinstance(self.focused, OptionList)

    def action_in_list(self, action: str) -> None:
        getattr(self.focused, f"action_{action}")()

    async def settled(self) -> None:
        """Once every field has taken the characters already sent to it: each field has a
        queue of its own, and Enter reads them all."""
        taken = []
        for field in self.query(Input):
            done = asyncio.Event()
            if field.call_later(done.set):
                taken.append(done.wait())
        if taken:
            try:
                await asyncio.wait_for(asyncio.gather(*taken), self.SETTLE_GUARD_S)
            except asyncio.TimeoutError:
                pass


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


class DeclareScreen(FormScreen):
    """Title, severity, service and impact of a new incident.

    The severity is chosen, never defaulted: it sets the clocks the whole room runs on. Its
    keys pick it while the list has the focus (Tab from the title), so digits typed in a
    text field stay text; once title and severity are set, Enter declares from any field."""

    BINDINGS = [Binding(str(n), f"pick_severity('{n}')", show=False, priority=True) for n in range(10)]

    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self.policy = policy
        self.keys = {key: sev for sev, key in severity_keys(policy).items()}
        self.span = key_span(list(self.keys))

    def compose(self) -> ComposeResult:
        by_id = {sev: key for key, sev in self.keys.items()}
        with Vertical(classes="dialog"):
            yield Label(f"Declare an incident  (policy {self.policy.name})", classes="dialog-title")
            yield SafeInput(placeholder="Title, e.g. API returning 5xx", id="title")
            yield OptionList(*[Option(Text(f"{by_id.get(s.id, ' ')}  {s.id} {s.name} — {s.definition}"), id=s.id)
                               for s in self.policy.severities], id="severity")
            yield Static("", id="severity-info", classes="dialog-hint")
            yield SafeInput(placeholder="Service (optional)", id="service")
            yield SafeInput(placeholder="Impact: who is affected and how (optional)", id="impact")
            yield Static("", id="error", classes="dialog-error dialog-keys")
            yield Static("", id="hint", classes="dialog-hint dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#severity", OptionList).highlighted = None  # (OptionList starts on its first)
        self._show()
        self.query_one("#title", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pick_severity":
            return parameters[0] in self.keys and not self.in_text()
        return super().check_action(action, parameters)

    @property
    def severity(self) -> str | None:
        """The chosen severity: the one highlighted in the list (none until one is picked)."""
        option = self.query_one("#severity", OptionList).highlighted_option
        return option.id if option is not None else None

    def action_pick_severity(self, key: str) -> None:
        ids = [s.id for s in self.policy.severities]
        self.query_one("#severity", OptionList).highlighted = ids.index(self.keys[key])

    @on(OptionList.OptionHighlighted, "#severity")
    @on(Input.Changed, "#title")
    def _show(self) -> None:
        severity = self.severity
        self.query_one("#severity-info", Static).update(
            Text("\n".join(severity_lines(self.policy, severity)) if severity else "no severity chosen yet"))
        self._hint()

    def on_descendant_focus(self) -> None:
        self._hint()

    def _hint(self) -> None:
        """What the keys do in the field that has the focus, as things stand."""
        in_list = isinstance(self.focused, OptionList)
        severity, title = self.severity, self.query_one("#title", Input).value.strip()
        if in_list:
            keys = f"{self.span} or ↑↓ severity" if severity else f"{self.span} or ↑↓ choose a severity first"
        elif isinstance(self.focused, Input) and self.focused.id == "title":
            keys = f"Tab: the severity list ({self.span} there)"
        else:
            keys = f"{self.span} in the severity list"
        if not title:
            enter = "a title is needed"
        elif not severity:
            enter = "Enter: choose a severity" if not in_list else ""
        else:
            enter = f"Enter declares {severity} for everyone"
        self.query_one("#hint", Static).update(Text(" · ".join(filter(None, [keys, enter, "Esc cancels"]))))

    async def action_enter(self) -> None:
        await self.settled()
        title, severity = self.query_one("#title", Input).value.strip(), self.severity
        error = self.query_one("#error", Static)
        if not title:
            error.update("An incident needs a title.")
            self.query_one("#title", Input).focus()
            return
        if severity is None:
            error.update(f"Choose a severity: {self.span}")
            self.query_one("#severity", OptionList).focus()
            return
        self.dismiss({
            "title": title,
            "severity": severity,
            "service": self.query_one("#service", Input).value.strip(),
            "impact": self.query_one("#impact", Input).value.strip(),
        })


class AssignScreen(FormScreen):
    """Assign a role; when someone else holds it this is a hand-over and asks for a briefing.

    It opens on the first role nobody holds, with the focus on the list, where each role's
    letter picks it; Tab or Enter goes on to the person, Enter there records."""

    BINDINGS = [Binding(chr(c), f"pick_role('{chr(c)}')", show=False, priority=True)
                for c in range(ord("a"), ord("z") + 1)]

    def __init__(self, policy: Policy, holders: dict[str, str], role: str | None = None,
                 incident_id: str = "", on_person: bool = False) -> None:
        super().__init__()
        self.policy, self.holders, self.incident_id = policy, holders, incident_id
        self.on_person = on_person  # going on from the role just assigned: its person next
        ids = [r.id for r in policy.roles]
        self.role = role if role in ids else next((r for r in ids if not holders.get(r)), ids[0])
        self.letters = role_letters(policy)
        self.by_letter = {letter: role_id for role_id, letter in self.letters.items()}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Assign or hand over a role", classes="dialog-title")
            yield OptionList(*[Option(Text(f"{self.letters.get(r.id, ' ')}  {r.id} — {r.name} "
                                           f"({self.holders.get(r.id) or 'unassigned'})"), id=r.id)
                               for r in self.policy.roles], id="role")
            yield Static("", id="role-info", classes="dialog-hint")
            yield SafeInput(placeholder="Person", id="person")
            yield SafeInput(placeholder="Hand-over briefing (recorded in the timeline)", id="briefing")
            yield Static("", id="error", classes="dialog-error dialog-keys")
            yield Static("", id="hint", classes="dialog-hint dialog-keys")

    def on_mount(self) -> None:
        roles = self.query_one("#role", OptionList)
        roles.highlighted = [r.id for r in self.policy.roles].index(self.role)
        self._role_changed()
        (self.query_one("#person", Input) if self.on_person else roles).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pick_role":
            return parameters[0] in self.by_letter and not self.in_text()
        return super().check_action(action, parameters)

    @property
    def chosen(self) -> str:
        option = self.query_one("#role", OptionList).highlighted_option
        return option.id if option is not None else self.role

    def action_pick_role(self, letter: str) -> None:
        ids = [r.id for r in self.policy.roles]
        self.query_one("#role", OptionList).highlighted = ids.index(self.by_letter[letter])

    @on(OptionList.OptionHighlighted, "#role")
    def _role_changed(self) -> None:
        role = self.chosen
        self.query_one("#briefing", Input).display = bool(self.holders.get(role))
        found = self.policy.find_role(role)
        info = [f"who: {found.who}" if found and found.who else "",
                found.responsibility if found else ""]
        self.query_one("#role-info", Static).update(Text("\n".join(filter(None, info))))
        self._hint()

    def on_descendant_focus(self) -> None:
        self._hint()

    @on(Input.Changed)
    def _hint(self) -> None:
        """What Enter does here, for whom."""
        role = self.chosen
        found = self.policy.find_role(role)
        short = found.short if found else role
        holder = self.holders.get(role, "")
        person = clean_name(self.query_one("#person", Input).value)
        room = f" for everyone in {self.incident_id}" if self.incident_id else ""
        if isinstance(self.focused, OptionList):
            letters = " ".join(f"{letter}={self.policy.role(r).short}" for r, letter in self.letters.items())
            text = f"type a role's letter to pick it ({letters}) · Tab or Enter: the person"
        elif not person:
            text = f"the person who takes {short}"
        elif person == holder:
            text = f"{person} already holds {short}: Enter records nothing"
        elif holder and self.focused is self.query_one("#person") and not self.query_one("#briefing", Input).value:
            text = f"Enter: the briefing for {person}, who takes {short} over from {holder}{room}"
        elif holder:
            text = f"Enter hands {short} over from {holder} to {person}{room}"
        else:
            text = f"Enter records {person} as {short}{room}"
        done = "Esc when done" if self.on_person else "Esc cancels"
        self.query_one("#hint", Static).update(Text(f"{text} · {done}"))

    @on(OptionList.OptionSelected, "#role")  # a click on a role
    def _to_person(self) -> None:
        self.query_one("#person", Input).focus()

    async def action_enter(self) -> None:
        """On the roles, on to the person; there, records (a hand-over asks for its briefing first)."""
        person_field, briefing = self.query_one("#person", Input), self.query_one("#briefing", Input)
        if isinstance(self.focused, OptionList):
            person_field.focus()
            return
        await self.settled()
        person = person_field.value.strip()
        if not person:
            self.query_one("#error", Static).update("Who takes the role?")
            person_field.focus()
            return
        role = self.chosen
        handing_over = self.holders.get(role) not in ("", None, clean_name(person))
        if handing_over and self.focused is person_field and not briefing.value.strip():
            briefing.focus()  # a hand-over is briefed: Enter again records it without one
            return
        self.dismiss({"role": role, "person": person, "briefing": briefing.value.strip()})


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
