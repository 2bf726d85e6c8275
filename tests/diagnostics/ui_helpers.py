"""A small app that mounts our widgets over a real Room, and a plugin that counts its fetches."""

from __future__ import annotations

import threading
import time

from textual.app import App, ComposeResult

from warroom.diagnostics.base import Diagnostic, Row, Snapshot


class PaneApp(App):
    def __init__(self, *widgets) -> None:
        super().__init__()
        self.widgets = widgets

    def compose(self) -> ComposeResult:
        yield from self.widgets

    def on_mount(self) -> None:
        from warroom.ui.widgets.diag_pane import RowTable

        tables = self.query(RowTable)
        if tables:
            tables.first().focus()


class CountingDiagnostic(Diagnostic):
    """A plugin of our own: counts fetches, records overlap, can be made to hang."""

    name = "counting"
    title = "Counting"
    default_interval = 0.5
    floor = 0.2

    def __init__(self, target: str = "", clock=None, delay: float = 0.0, **options) -> None:
        super().__init__(target or "counter", clock, **options)
        self.delay = delay
        self.fetches = 0
        self.running = 0
        self.max_running = 0
        self.gate = threading.Event()
        self.gate.set()
        self._lock = threading.Lock()

    def collect(self) -> Snapshot:
        with self._lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            self.gate.wait(10)
            time.sleep(self.delay)
            self.fetches += 1
            rows = [Row("a", ("a", str(self.fetches))), Row("b", ("b", "bad"), "bad")]
            return self.snapshot(columns=("NAME", "VALUE"), rows=rows, summary=[f"fetch {self.fetches}"])
        finally:
            with self._lock:
                self.running -= 1
