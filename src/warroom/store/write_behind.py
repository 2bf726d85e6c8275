"""Write-behind for the console's timeline entries: the console paints an entry first and
hands it here, and the commit runs on a thread of its own, so the scribe never waits on the
fsync (≈1 ms, tens of ms when the disk is busy).

The commit is the log's usual one — WAL, ``synchronous=FULL``, the outbox row in the same
transaction — on the room's writer connection (``Room.writer_log``), not the one the screen
reads on, so the screen's reads never queue behind an fsync. The console marks a row as not
yet on disk until its commit lands; a commit that fails hands its events back to ``on_error``
and the console puts the text back: nothing typed is lost. ``flush`` waits for everything
submitted (the console calls it as it quits).
"""

from __future__ import annotations

import queue
import threading
from typing import Callable

from ..model.events import Event

Commit = Callable[[list[Event]], object]
OnError = Callable[[list[Event], Exception], None]


class WriteBehind:
    def __init__(self, commit: Commit) -> None:
        self._commit = commit
        self._queue: queue.Queue[tuple[list[Event], OnError] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def start(self) -> None:
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="warroom-write-behind", daemon=True)
                self._thread.start()

    def submit(self, events: list[Event], on_error: OnError) -> None:
        self.start()
        self._queue.put((events, on_error))

    def flush(self) -> None:
        """Return once every submitted commit has landed or failed."""
        if self._thread is not None:
            self._queue.join()

    def close(self) -> None:
        self.flush()
        with self._start:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join()
                self._thread = None

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            events, on_error = item
            try:
                self._commit(events)
            except Exception as exc:  # the caller decides what a failed commit means to the user
                on_error(events, exc)
            finally:
                self._queue.task_done()
        self._queue.task_done()
