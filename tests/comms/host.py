"""A bare app that hosts one comms widget or pushes one screen, for Pilot."""

from __future__ import annotations

from textual.app import App


class Host(App):
    def __init__(self, widget=None, screen=None) -> None:
        super().__init__()
        self.widget, self.screen_to_push, self.result = widget, screen, "unset"

    def compose(self):
        if self.widget is not None:
            yield self.widget

    def on_mount(self) -> None:
        if self.screen_to_push is not None:
            self.push_screen(self.screen_to_push, lambda r: setattr(self, "result", r))
