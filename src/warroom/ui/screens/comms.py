"""The communications lead's pane: a playbook template filled from live state, editable,
then sent (Slack / Statuspage / PagerDuty), marked as sent, copied or saved.

Posting runs in a thread worker so a slow or hung service never freezes the console; the
result comes back to the UI thread, which records it (``update_posted`` resets the update
clock). A failure stays on screen with its reason and a retry key; nothing is recorded.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Select, Static, TextArea

from ...comms import templates
from ...room import RoomError

TARGET_FOR = {"status-page": "statuspage"}
TARGETS = (("Slack", "slack"), ("Statuspage", "statuspage"), ("PagerDuty", "pagerduty"))


class CommsPane(Vertical):
    """Preview, edit and send one update."""

    DEFAULT_CSS = """
    CommsPane { height: 1fr; }
    CommsPane #comms-pick { height: auto; }
    CommsPane #comms-pick Select { width: 1fr; }
    CommsPane #comms-draft { height: 1fr; }
    CommsPane #comms-status { height: auto; min-height: 1; padding: 0 1; }
    CommsPane #comms-status.error { color: $error; }
    CommsPane #comms-status.ok { color: $success; }
    CommsPane #comms-buttons { height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "send", "Send", id="comms.send", tooltip="Post the text to the chosen target"),
        Binding("ctrl+t", "mark_sent", "Mark sent", id="comms.mark_sent",
                tooltip="Record that this update went out (resets the update clock)"),
        Binding("ctrl+b", "copy", "Copy", id="comms.copy", tooltip="Copy the text to the clipboard (OSC 52)"),
        Binding("ctrl+o", "save", "Save", id="comms.save", tooltip="Write the text to a file"),
        Binding("f5", "refill", "Refill", id="comms.refill", tooltip="Fill the template again from live state"),
        Binding("ctrl+r", "retry", "Retry", id="comms.retry", tooltip="Retry the last failed post"),
    ]

    def __init__(self, room, incident_id: str, template: str = "update", poster=None,
                 out_dir: Path | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.room, self.incident_id, self.poster = room, incident_id, poster
        self.out_dir = Path(out_dir) if out_dir else Path.cwd()
        state = room.state(incident_id)
        self.names = templates.names(room.policy_for(state).name)
        self.template = template if template in self.names else (self.names[0] if self.names else "")
        self.failed: tuple[str, str] | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="comms-pick"):
            yield Select([(n, n) for n in self.names], value=self.template or Select.NULL,
                         allow_blank=False, id="comms-template")
            yield Select(TARGETS, value=TARGET_FOR.get(self.template, "slack"), allow_blank=False,
                         id="comms-target")
        yield TextArea(self._fill(), id="comms-draft", soft_wrap=True)
        yield Static(Text("ctrl+s send · ctrl+t mark sent · ctrl+b copy · ctrl+o save · f5 refill"),
                     id="comms-status")
        with Horizontal(id="comms-buttons"):
            yield Button("Send", id="comms-send", variant="primary")
            yield Button("Mark sent", id="comms-mark")
            yield Button("Copy", id="comms-copy")
            yield Button("Save", id="comms-save")

    # -- helpers -----------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self.query_one("#comms-draft", TextArea).text

    @property
    def target(self) -> str:
        return str(self.query_one("#comms-target", Select).value)

    def _fill(self) -> str:
        if not self.template:
            return ""
        try:
            return templates.render_for(self.room, self.incident_id, self.template)
        except templates.TemplateError as exc:
            return f"(template error: {exc})"

    def show_status(self, message: str, kind: str = "") -> None:
        status = self.query_one("#comms-status", Static)
        status.set_classes(kind)
        status.update(Text(message))

    # -- choices -----------------------------------------------------------------------------
    @on(Select.Changed, "#comms-template")
    def _template_changed(self, event: Select.Changed) -> None:
        if event.value == self.template or event.value is Select.NULL:
            return
        self.template = str(event.value)
        self.query_one("#comms-target", Select).value = TARGET_FOR.get(self.template, "slack")
        self.action_refill()

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {"comms-send": self.action_send, "comms-mark": self.action_mark_sent,
                   "comms-copy": self.action_copy, "comms-save": self.action_save}
        if event.button.id in actions:
            actions[event.button.id]()

    # -- actions -----------------------------------------------------------------------------
    def action_refill(self) -> None:
        self.query_one("#comms-draft", TextArea).load_text(self._fill())
        self.show_status(f"{self.template}: filled from live state")

    def action_send(self) -> None:
        self._send(self.target, self.text)

    def action_retry(self) -> None:
        if self.failed is None:
            self.show_status("nothing to retry")
            return
        self._send(*self.failed)

    def _send(self, target: str, text: str) -> None:
        if self.busy:
            self.show_status("a post is already under way")
            return
        if not text.strip():
            self.show_status("nothing to send", "error")
            return
        from ...comms.post import DrillRefused, refuse_drill

        try:
            refuse_drill(self.room.state(self.incident_id))
        except DrillRefused as exc:
            self.show_status(str(exc), "error")
            return
        self.busy = True

        self.show_status(f"posting to {target}…")
        self.run_worker(partial(self._post, target, text), name=f"post {target}", group="comms-post",
                        thread=True, exclusive=True, exit_on_error=False)

    def _post(self, target: str, text: str) -> None:
        """Runs in a worker thread: HTTP only; the result goes back to the UI thread."""
        from ...comms.post import Poster, PostError, send
        from ...comms.settings import ConfigError

        try:
            if self.poster is None:
                self.poster = Poster()
            result = send(self.room, self.incident_id, target, text, self.poster)
        except (PostError, ConfigError) as exc:
            self.app.call_from_thread(self._failed, target, text, exc)
            return
        except Exception as exc:  # a bug must not take the console down mid-incident
            self.app.call_from_thread(self._failed, target, text, exc)
            return
        self.app.call_from_thread(self._sent, text, result)

    def _sent(self, text: str, result) -> None:
        from ...comms.post import record

        self.busy, self.failed = False, None
        try:
            record(self.room, self.incident_id, text, result)
        except RoomError as exc:
            self.show_status(f"posted to {result.target}, but not recorded: {exc}", "error")
            return
        extra = f" [{result.remote_id}]" if result.remote_id else ""
        self.show_status(f"✓ {result.target}: {result.detail}{extra} — update clock reset", "ok")

    def _failed(self, target: str, text: str, exc: Exception) -> None:
        self.busy = False
        self.failed = (target, text)
        maybe = getattr(exc, "maybe_sent", False)
        hint = ("it may have gone out: check, then ctrl+r to post again or ctrl+t to mark sent"
                if maybe else "nothing recorded — ctrl+r to retry")
        self.show_status(f"✗ {exc} — {hint}", "error")
        self.app.bell()

    def action_mark_sent(self) -> None:
        text = self.text
        try:
            self.room.update_posted(self.incident_id, text, "manual")
        except RoomError as exc:
            self.show_status(str(exc), "error")
            return
        self.failed = None
        self.show_status("✓ marked as sent — update clock reset", "ok")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.show_status("copied to the clipboard (OSC 52)", "ok")

    def action_save(self) -> None:
        """Ask where (the incident's slug and template in the working directory by default)."""
        from .dialogs import PromptScreen

        state = self.room.state(self.incident_id)
        default = self.out_dir / f"{state.slug}-{self.template or 'update'}.txt"
        self.app.push_screen(PromptScreen("Save the text to", "a file path", str(default)),
                             lambda answer: answer and self._save(answer))

    def _save(self, answer: str) -> None:
        path = Path(answer).expanduser()
        path = path if path.is_absolute() else self.out_dir / path
        try:
            path.write_text(self.text, encoding="utf-8")
        except OSError as exc:
            self.show_status(f"cannot write {path}: {exc.strerror}", "error")
            return
        self.show_status(f"saved to {path}", "ok")


class CommsScreen(ModalScreen):
    """The pane as a full dialog; escape closes it."""

    DEFAULT_CSS = """
    CommsScreen { align: center middle; }
    CommsScreen > CommsPane { width: 90%; height: 90%; border: round $accent; background: $surface; }
    """
    BINDINGS = [Binding("escape", "app.pop_screen", "Close")]

    def __init__(self, room, incident_id: str, template: str = "update", poster=None,
                 out_dir: Path | None = None) -> None:
        super().__init__()
        self.pane_args = (room, incident_id, template, poster, out_dir)

    def compose(self) -> ComposeResult:
        yield CommsPane(*self.pane_args)
