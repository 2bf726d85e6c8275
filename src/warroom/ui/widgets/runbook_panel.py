"""A runbook beside the timeline: its checklist, its resolution paths, and the panes it opens.

Commands a runbook names are shown, and run only after a y/n confirmation, in a thread, with
their output shown below; the command comes from the loaded runbook file, never from an
event. Ticking a step writes an action entry so the timeline tells what was checked.
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...diagnostics.base import describe_error, Diagnostic
from ...diagnostics.runbooks import run_shell, Runbook, start
from ...model.safe_text import clean
from .diag_pane import ConfirmScreen, DiagPane


class RunbookPanel(Vertical):
    DEFAULT_CSS = """
    RunbookPanel { height: auto; max-height: 50%; border: round $secondary; }
    RunbookPanel .rb-head { height: auto; }
    RunbookPanel OptionList { height: auto; max-height: 16; }
    RunbookPanel .rb-output { height: auto; max-height: 10; display: none; color: $text-muted; }
    RunbookPanel.-output .rb-output { display: block; }
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

    def compose(self) -> ComposeResult:
        head = Text.assemble((self.book.title, "bold"), f"  [{self.book.key}]")
        if self.book.symptoms:
            head.append(f"\nSymptoms: {self.book.symptoms}", "italic")
        yield Static(head, classes="rb-head", markup=False)
        yield OptionList(*self._options())
        yield Static(classes="rb-output", markup=False)

    def on_mount(self) -> None:
        self.border_title = f"runbook: {self.book.id}"

    def _options(self) -> list[Option]:
        items = []
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
        if (event.option.id or "").startswith("step-"):
            self.action_tick()

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

    def collect(self):
        raise RuntimeError(self.error)


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
                 record: bool = True) -> list[Widget]:
    """Record that the runbook started and build its widgets: the panel, then one pane per source.

    The console mounts the returned widgets (e.g. into its ``#panes`` container).
    """
    if record and room is not None and incident_id:
        start(room, incident_id, book)
    widgets: list[Widget] = [RunbookPanel(book, room, incident_id, read_only=read_only)]
    for spec in book.panes:
        diag = make_diagnostic(spec.diagnostic, spec.resolved_target(), drill)
        widgets.append(DiagPane(diag, room=room, incident=incident_id, interval=spec.interval,
                                read_only=read_only, source="drill" if drill is not None else "live"))
    return widgets
