"""The scribe's entry line: type, Enter, and the entry is on the timeline."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive, reactive
from textual.widgets import Input

from ...model.events import ENTRY_KINDS
from ...model.safe_text import safe_line


class SafeInput(Input):
    """An Input that never holds a control or bidi character, nor a line break or tab.

    Typed keys are printable already; pasted text (a terminal passes C1 controls and bidi
    overrides through a bracketed paste) and values set by code are filtered here, where
    every insertion, paste and clipboard action ends."""

    def replace(self, text: str, start: int, end: int) -> None:
        super().replace(safe_line(text), start, end)

    def validate_value(self, value: str) -> str:
        return safe_line(value)


HINT_AWAY = "i to write · [-5m|14:02] [d:|a:|h:|o:] text · Enter adds"
HINT_WRITING = "writing: [-5m|14:02] [d:|a:|h:|o:] text · Enter adds · Esc to the timeline"


class QuickEntry(SafeInput):
    """The entry line. Its hint says whether keys land in it: "i to write" only while they
    do not, so the hint is never typed in as a prefix (``io: …``)."""

    BINDINGS = [
        Binding("tab", "cycle_kind", "Kind", priority=True, tooltip="Cycle the default entry kind"),
        Binding("escape", "leave", "Back", tooltip="Leave the entry line"),
    ]
    kind = reactive("note", init=False)
    # Input resizes its virtual width with every keystroke, and the base reactive asks for a
    # layout of the whole screen each time. The line's own width never depends on its text
    # (it is 1fr), and horizontal scrolling reads the virtual width directly: a repaint will do.
    virtual_size = Reactive(Size(0, 0), layout=False)
    # A steady cursor: each blink is a frame of the whole screen, twice a second, and an
    # entry typed during one waits for it.
    cursor_blink = reactive(False, init=False)

    def __init__(self, on_submit, **kwargs) -> None:
        # Nothing selected on focus: keys handed over from elsewhere (prose typed at the
        # timeline) must add to the line, not replace what is in it.
        super().__init__(placeholder=HINT_AWAY, select_on_focus=False, **kwargs)
        self._on_submit = on_submit
        self.border_title = self.kind.upper()

    def on_focus(self) -> None:
        self.placeholder = HINT_WRITING

    def on_blur(self) -> None:
        self.placeholder = HINT_AWAY

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            # Taken here, not as a binding: a binding is looked up once the key has bubbled
            # through every container up to the app, a queue hop each, and Enter is the
            # scribe's hot path.
            event.stop()
            event.prevent_default()
            self._on_submit(self.value)
            return
        await super()._on_key(event)

    async def action_submit(self) -> None:
        # Straight to the owner: a Submitted message would wait in three queues on its way up.
        self._on_submit(self.value)

    class Left(Message):
        """The user pressed Esc: focus goes back to the timeline."""

    def action_cycle_kind(self) -> None:
        self.kind = ENTRY_KINDS[(ENTRY_KINDS.index(self.kind) + 1) % len(ENTRY_KINDS)]

    def watch_kind(self, kind: str) -> None:
        self.border_title = kind.upper()  # the kind an entry gets without a prefix

    def action_leave(self) -> None:
        self.post_message(self.Left())
