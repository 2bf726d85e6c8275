"""The key bar: every shown action's key and title on one line, each clickable.

One widget rather than Textual's Footer (a widget per key): the console's first frame is
part of how fast it feels, and the bar only changes when the keymap does. Each key carries
its action as click meta on its segments.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from ..keys import ACTIONS, key_label
from .panels import TextLines


class KeyBar(TextLines):
    COMPONENT_CLASSES = {"keybar--key"}

    def show_keys(self, key_for) -> None:
        """``key_for(action_id)`` gives the key in force (the keymap may have moved it)."""
        key_style = self.get_component_rich_style("keybar--key", partial=True)
        line = Text(no_wrap=True, overflow="ellipsis")
        for action in ACTIONS:
            if not action.show:
                continue
            click = Style.from_meta({"@click": f"app.{action.id}"})
            line.append(f" {key_label(key_for(action.id))} ", key_style + click)
            line.append(f"{action.title} ", click)
        palette = Style.from_meta({"@click": "app.command_palette"})
        line.append(" ^p ", key_style + palette)
        line.append("Palette ", palette)
        self.show_lines([line])
