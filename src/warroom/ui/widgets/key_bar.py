"""The key bar: every shown action's key and title on one line, each clickable.

One widget rather than Textual's Footer (a widget per key): the console's first frame is
part of how fast it feels, and the bar only changes when the keymap or the focus does. Each
console key carries its action as click meta on its segments. While a diagnostic pane or a
runbook checklist has the focus the bar shows that pane's keys instead (refresh, pause,
evidence, cancel, sort, scrolling, and the way back), and with panes open the console's keys
start with the ones that move between them.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from ..keys import ACTIONS, key_label
from .panels import TextLines

PANE_ACTIONS = ("next_pane", "panes_or_timeline")  # shown first while panes are open


def _label(key: str) -> str:
    """A key as the bar shows it: ``ctrl+t`` as ``^t``."""
    label = key_label(key)
    return "^" + label[5:] if label.startswith("ctrl+") else label


class KeyBar(TextLines):
    COMPONENT_CLASSES = {"keybar--key"}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._key_for = None

    def on_mount(self) -> None:
        self.watch(self.screen, "focused", lambda _focused: self._draw(), init=False)

    def on_resize(self) -> None:
        self._draw()  # across the narrow breakpoint the panes' keys change

    def show_keys(self, key_for) -> None:
        """``key_for(action_id)`` gives the key in force (the keymap may have moved it)."""
        self._key_for = key_for
        self._draw()

    def redraw(self) -> None:
        """Again, for the focused pane's keys changed (its table overflowed, or fits again)."""
        self._draw()

    def _draw(self) -> None:
        if self._key_for is None or not self.is_attached:
            return
        from .diag_pane import Pane

        focused = self.screen.focused
        pane = next((w for w in (focused, *focused.ancestors) if isinstance(w, Pane)), None) if focused else None
        self.show_lines([self._pane_line(pane) if pane is not None else self._console_line()])

    def _pane_line(self, pane) -> Text:
        key_style = self.get_component_rich_style("keybar--key", partial=True)
        line = Text(no_wrap=True, overflow="ellipsis")
        hints = []
        if self._enabled("panes_or_timeline"):  # narrow: the way back to the timeline comes first
            hints.append((_label(self._key_for("panes_or_timeline")), "Timeline"))
        hints += pane.key_hints()
        if self._enabled("next_pane"):
            hints.append((f"Tab/{_label(self._key_for('next_pane'))}", "Next pane"))
        hints.append(("esc", "Entry line"))
        for key, title in hints:
            line.append(f" {key} ", key_style)
            line.append(f"{title} ")
        return line

    def _console_line(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key", partial=True)
        line = Text(no_wrap=True, overflow="ellipsis")
        front = self.screen.has_class("-timeline-front")
        titles = {"next_pane": "Next pane", "panes_or_timeline": "Panes" if front else "Timeline"}
        shown = [a for a in ACTIONS if a.id in PANE_ACTIONS and self._enabled(a.id)]
        shown += [a for a in ACTIONS if a.show]
        for action in shown:
            click = Style.from_meta({"@click": f"app.{action.id}"})
            line.append(f" {_label(self._key_for(action.id))} ", key_style + click)
            line.append(f"{titles.get(action.id, action.title)} ", click)
        palette = Style.from_meta({"@click": "app.command_palette"})
        line.append(" ^p ", key_style + palette)
        line.append("Palette ", palette)
        return line

    def _enabled(self, action_id: str) -> bool:
        return bool(self.app.check_action(action_id, ()))
