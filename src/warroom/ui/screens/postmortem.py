"""The postmortem as the console previews it: Markdown generated from the log, in the
incident's playbook format, refreshed on demand and writable to a file."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from ...comms import postmortem


class PostmortemScreen(ModalScreen):
    DEFAULT_CSS = """
    PostmortemScreen { align: center middle; }
    PostmortemScreen > Vertical { width: 95%; height: 95%; border: round $accent; background: $surface; }
    PostmortemScreen #pm-status { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("f5", "refresh_doc", "Refresh", tooltip="Generate again from the log"),
        Binding("ctrl+o", "save", "Save", tooltip="Write the Markdown to a file"),
        Binding("ctrl+b", "copy", "Copy", tooltip="Copy the Markdown (OSC 52)"),
        Binding("escape", "app.pop_screen", "Close"),
    ]

    def __init__(self, room, incident_id: str, out_dir: Path | None = None, fmt: str | None = None) -> None:
        super().__init__()
        self.room, self.incident_id, self.fmt = room, incident_id, fmt
        self.out_dir = Path(out_dir) if out_dir else Path.cwd()
        self.markdown = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll():
                # links in text typed by others must not open anything
                yield Markdown("", id="pm-doc", open_links=False)
            yield Static(Text("f5 refresh · ctrl+o save · ctrl+b copy · esc close"), id="pm-status")

    def on_mount(self) -> None:
        self.action_refresh_doc()

    def action_refresh_doc(self) -> None:
        self.markdown = postmortem.render_for(self.room, self.incident_id, fmt=self.fmt)
        self.query_one("#pm-doc", Markdown).update(self.markdown)

    def _status(self, text: str) -> None:
        self.query_one("#pm-status", Static).update(Text(text))

    def action_save(self) -> None:
        state = self.room.state(self.incident_id)
        path = self.out_dir / f"{state.slug}-postmortem.md"
        try:
            path.write_text(self.markdown, encoding="utf-8")
        except OSError as exc:
            self._status(f"cannot write {path}: {exc.strerror}")
            return
        self._status(f"saved to {path}")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.markdown)
        self._status("copied to the clipboard (OSC 52)")
