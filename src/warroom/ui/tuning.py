"""The console's runtime settings, each set by a bench and kept here so every console gets them.

Nothing here imports Textual: :func:`for_the_terminal` must run before Textual is imported,
which reads its frame rate once, at import.
"""

from __future__ import annotations

import gc
import os
import sys


def for_the_terminal() -> None:
    """The frame rate and the switch interval of a console drawing on a real terminal."""
    # bench/keys.py (key to screen): Textual paints at most TEXTUAL_FPS frames a second
    # (60 unless set), and after a frame waits one to two intervals before the next: at 1000
    # an entry typed as the clocks repaint for the second waits 1-2 ms for its own frame, not
    # up to 8 ms as at 240. Frames are still painted only when something changed, and one
    # takes about 3 ms, so a stream of changes stays far below that rate.
    os.environ.setdefault("TEXTUAL_FPS", "1000")
    # bench/keys.py: frames are painted on the UI thread and written out by Textual's
    # writer thread, and the write-behind commits on another: a thread waiting for the
    # interpreter gets it after at most 1 ms, not 5, so a painted frame reaches the terminal
    # while the next work runs.
    sys.setswitchinterval(0.001)


class Collector:
    """The cyclic garbage collector around the console's first frame and its quit.

    bench/startup.py (cold start to first frame): the first frame allocates a few
    hundred thousand objects that all live on (styles, widgets, caches); collecting while they
    pile up only walks them again and again. So the collector is off until the first frame is
    painted, and what that frame built is then frozen: never walked again."""

    def __init__(self) -> None:
        self._paused = False

    def pause(self) -> None:
        """Before the first frame (the app's load)."""
        self._paused = gc.isenabled()
        gc.disable()

    def resume(self) -> None:
        """Once the first frame is painted."""
        if self._paused:
            self._paused = False
            gc.freeze()
            gc.enable()

    def at_quit(self) -> None:
        """Quitting should be instant, without a last walk over every object on the way out."""
        gc.freeze()
        if self._paused:  # quit before the first frame
            self._paused = False
            gc.enable()


def freeze_big_table() -> None:
    """bench/pods_pane.py (5,000 pods under a busy watch): a big diagnostic table is
    long-lived; taken out of the cyclic collector's full passes, which otherwise rescan every
    row (gen-2 pauses of 30-150 ms)."""
    gc.collect()
    gc.freeze()
