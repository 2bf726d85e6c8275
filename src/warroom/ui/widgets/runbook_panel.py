"""A runbook beside the timeline: its checklist, its resolution paths, and the panes it opens.

Opening a runbook is local to this console. That it started is told to the whole room only on
purpose: the checklist's first line says "Enter records … for everyone", and Enter there asks
once more (a RecordScreen naming the incident) before the ``runbook`` event is written.
Commands a runbook names are shown, and run only after a y/n confirmation, in a thread, with
their output shown below; the command comes from the loaded runbook file, never from an
event. Ticking a step writes an action entry so the timeline tells what was checked.
A pane whose target names a ``${VAR}`` that is unset says so, instead of connecting to the
client's default.
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...diagnostics.base import describe_error, Diagnostic, Snapshot
from ...diagnostics.runbooks import run_shell, Runbook, start
from ...model.safe_text import clean
from ...model.times import hhmm
from .diag_pane import bound_keys, ConfirmScreen, DiagPane, Pane

RECORD = "record"  # the option id of the checklist's first line


class RunbookPanel(Pane):
    DEFAULT_CSS = """
    RunbookPanel { height: auto; max-height: 50%; border: round $secondary; }
    RunbookPanel .rb-head { height: auto; }
    RunbookPanel OptionList { height: auto; max-height: 16; }
    RunbookPanel .rb-output { height: auto; max-height: 10; display: none; color: $text-muted; }
    RunbookPanel.-output .rb-output { display: block; }
    RunbookPanel .pane-tab { height: 1; display: none; }
    """
    BINDINGS = [
        Binding("space", "tick", "Done", id="runbook.tick", tooltip="Mark the selected step done / not done"),
        Binding("exclamation_mark", "run_command", "Run", id="runbook.run",
                tooltip="Run the selected command (asks y/n)"),
    ]

    def __init__(self, book: Runbook, room=None, incident: str | Callable[[], str | None] | None = None,
                 read_only: bool = False, runner: Callable[[str], tuple[int | None, str]] = run_shell,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.book, self.room, self.incident, self.read_only, self.runner = book, room, incident, read_only, runner
        self.done: set[int] = set()
        self.last_output = ""
        self.recorded_ms: int | None = None  # when the room was told it started

    def compose(self) -> ComposeResult:
        yield Static(classes="pane-tab pane-tab-text", markup=False)
        head = Text.assemble((self.book.title, "bold"), f"  [{self.book.key}]")
        if self.book.symptoms:
            head.append(f"\nSymptoms: {self.book.symptoms}", "italic")
        yield Static(head, classes="rb-head", markup=False)
        self.recorded_ms = self._started_ms()
        yield OptionList(*self._options())
        yield Static(classes="rb-output", markup=False)

    def on_mount(self) -> None:
        self.border_title = f"runbook: {self.book.id}"
        self.show_tab()

    @property
    def focus_target(self) -> Widget:
        return self.query_one(OptionList)

    def tab_text(self) -> Text:
        text = Text.assemble(("▸ ", "bold"), (f"runbook: {self.book.title}", "bold"),
                             f"  {len(self.done)}/{len(self.book.steps)} steps done")
        if self.recorded_ms is None and self._incident_id():
            text.append("  not recorded yet", "yellow")
        text.no_wrap, text.overflow = True, "ellipsis"
        return text

    def key_hints(self) -> list[tuple[str, str]]:
        keys = bound_keys(self.screen, {"runbook.tick", "runbook.run"})
        hints = [("⏎", "Record started")] if self.recorded_ms is None and self._record_line() else []
        hints += [(keys[i], title) for i, title in (("runbook.tick", "Step done"), ("runbook.run", "Run command"))
                  if i in keys]
        return hints + [("↑↓", "Steps")]

    def _started_ms(self) -> int | None:
        """When the room was told this runbook started in this incident, if it was."""
        incident = self._incident_id()
        if self.room is None or not incident:
            return None
        return next((e.occurred_ms for e in reversed(self.room.events(incident, with_entries=False))
                     if e.kind == "runbook" and e.payload.get("runbook") == self.book.id), None)

    def _record_line(self) -> Option | None:
        incident = self._incident_id()
        if self.room is None or not incident or (self.read_only and self.recorded_ms is None):
            return None
        if self.recorded_ms is not None:
            prompt = Text(f"✓ recorded for everyone: runbook {self.book.id} started at {hhmm(self.recorded_ms)} UTC",
                          "dim")
            return Option(prompt, id=RECORD, disabled=True)
        prompt = Text.assemble(("▶ Enter records ", "bold"), (f"'runbook {self.book.id} started'", "bold"),
                               (" for everyone", "bold"), ("  (opening it told no one)", "dim"))
        return Option(prompt, id=RECORD)

    def _options(self) -> list[Option]:
        record = self._record_line()
        items = [record] if record is not None else []
        for i, step in enumerate(self.book.steps):
            mark = "[x]" if i in self.done else "[ ]"
            prompt = Text(f"{mark} {i + 1}. {step.text}", style="strike dim" if i in self.done else "")
            if step.command:
                prompt.append(f"\n      $ {step.command}", "cyan")
            items.append(Option(prompt, id=f"step-{i}"))
        for j, res in enumerate(self.book.resolutions):
            prompt = Text.assemble(("  → ", "bold"), (f"If {res.when}: ", "bold"), res.then)
            if res.command:
                prompt.append(f"\n      $ {res.command}", "cyan")
            items.append(Option(prompt, id=f"res-{j}"))
        return items

    def _redraw(self) -> None:
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options(self._options())
        options.highlighted = highlighted

    def _incident_id(self) -> str | None:
        return self.incident() if callable(self.incident) else self.incident

    def _selected(self) -> str | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id

    def selected_command(self) -> str:
        sel = self._selected() or ""
        kind, _, index = sel.partition("-")
        if kind == "step":
            return self.book.steps[int(index)].command
        if kind == "res":
            return self.book.resolutions[int(index)].command
        return ""

    @on(OptionList.OptionSelected)
    def _selected_option(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == RECORD:
            self.action_record_started()
        elif (event.option.id or "").startswith("step-"):
            self.action_tick()

    def action_record_started(self) -> None:
        """The deliberate step: a dialog says what the whole room will see, Enter records it."""
        from ..screens.dialogs import RecordScreen

        incident = self._incident_id()
        if self.room is None or not incident or self.recorded_ms is not None or self.read_only:
            return
        book = self.book
        panes = ", ".join(p.diagnostic for p in book.panes) or "none"

        def describe(_values: dict[str, str]) -> str:
            return f"Record for everyone in {incident}: runbook '{book.title}' ({book.id}) started, panes {panes}"

        def answered(values: dict | None) -> None:
            if values is None:
                return
            from ...errors import WarroomError

            try:
                event = start(self.room, incident, book)
            except WarroomError as exc:
                self.notify(str(exc), title="Not recorded", severity="error", markup=False)
                return
            self.recorded_ms = event.occurred_ms
            self._redraw()
            self.show_tab()

        self.app.push_screen(RecordScreen("Runbook started", describe), answered)

    def action_tick(self) -> None:
        sel = self._selected() or ""
        if not sel.startswith("step-"):
            return
        i = int(sel.partition("-")[2])
        done = i not in self.done
        (self.done.add if done else self.done.discard)(i)
        incident = self._incident_id()
        if self.room is not None and incident:
            verb = "checked" if done else "unchecked"
            self.room.note(incident, f"runbook {self.book.id}: {verb} step {i + 1}: {self.book.steps[i].text}",
                           kind="action")
        self._redraw()
        self.show_tab()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "run_command":
            return not self.read_only
        return True

    def action_run_command(self) -> None:
        command = self.selected_command()
        if not command:
            self.notify("This line has no command", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._run(command)

        self.app.push_screen(ConfirmScreen(f"Run this command on this machine?\n\n$ {command}"), answered)

    @work(thread=True, exit_on_error=False, group="runbook-command")
    def _run(self, command: str) -> None:
        try:
            code, output = self.runner(command)
        except Exception as exc:
            code, output = None, describe_error(exc)
        self.app.call_from_thread(self._ran, command, code, output)

    def _ran(self, command: str, code: int | None, output: str) -> None:
        result = "timed out" if code is None else f"exit {code}"
        output = clean(output)
        self.last_output = output
        self.set_class(True, "-output")
        self.query_one(".rb-output", Static).update(Text(f"$ {command}  ({result})\n{output[-1500:]}"))
        incident = self._incident_id()
        if self.room is not None and incident:
            self.room.record(incident, "diag_action", {"diagnostic": f"runbook:{self.book.id}", "action": "run",
                                                       "target": command, "result": result})


class _Unavailable(Diagnostic):
    """Stands in for a diagnostic that could not be loaded, so the pane shows why."""

    def __init__(self, name: str, target: str, error: str) -> None:
        super().__init__(target)
        self.name, self.title, self.error = name, name, error

    def fetch(self) -> Snapshot:
        return self.snapshot(error=self.error)  # as it is: it names what to do, not a failure kind


def make_diagnostic(name: str, target: str, drill=None) -> Diagnostic:
    """A pane's source: the drill's simulation during a drill, else the installed plugin."""
    if drill is not None:
        return drill.diagnostic(name, target)
    from ...diagnostics import load

    try:
        cls = load(name)
        options = {"watch": True} if name == "pods" else {}
        return cls(target, **options)
    except Exception as exc:
        return _Unavailable(name, target, describe_error(exc))


def open_runbook(room, incident_id: str | None, book: Runbook, drill=None, read_only: bool = False,
                 record: bool = False, env: dict[str, str] | None = None) -> list[Widget]:
    """Build a runbook's widgets: the panel, then one pane per source. Opening tells no one;
    ``record`` also records that it started (the panel's first line does it on purpose).

    The console mounts the returned widgets (e.g. into its ``#panes`` container). A pane whose
    target names an unset ``${VAR}`` (looked up in ``env``, else the environment) shows that
    instead of connecting: a DSN quietly expanded to nothing reaches the client's default.
    """
    if record and room is not None and incident_id:
        start(room, incident_id, book)
    widgets: list[Widget] = [RunbookPanel(book, room, incident_id, read_only=read_only)]
    for spec in book.panes:
        unset = "" if drill is not None else spec.unset_reason(book.path, env)
        if unset:
            diag = _Unavailable(spec.diagnostic, spec.target, unset)
            diag.title = spec.title or spec.diagnostic
        else:
            diag = make_diagnostic(spec.diagnostic, spec.resolved_target(env), drill)
        widgets.append(DiagPane(diag, room=room, incident=incident_id, interval=spec.interval,
                                read_only=read_only, source="drill" if drill is not None else "live"))
    return widgets
