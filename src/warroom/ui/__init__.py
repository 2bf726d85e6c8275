"""The Textual console: a thin shell over the headless core.

One factory makes every console: :func:`make_app` for ``warroom``, ``warroom drill`` and the
tests alike, and :func:`run_console` to run one on the terminal. Importing this package
imports neither Textual nor the app: the CLI reaches it on its fast path.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, TYPE_CHECKING

from ..errors import WarroomError

if TYPE_CHECKING:
    from ..room import Room
    from .app import WarroomApp


class NoTerminal(WarroomError):
    """The console was asked for where it cannot draw."""


def need_terminal() -> None:
    """The console draws on a terminal and reads keys from one; on a pipe it would paint
    escape codes into it, flat out, for as long as nobody stops it."""
    try:
        ok = os.isatty(sys.stdin.fileno()) and os.isatty(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # closed, detached or replaced streams
        ok = False
    if not ok:
        raise NoTerminal("the console needs a terminal (stdin and stdout); use the CLI commands for scripts")


def make_app(room: Room, sync=None, clock: Callable[[], int] | None = None,
             keymap: dict[str, str] | None = None, drill=None) -> WarroomApp:
    """A console over ``room``: ``sync`` is the engine it starts and stops, ``keymap`` the keys
    (by default config.toml's), ``drill`` a drill to open on with its runbook."""
    from .app import WarroomApp

    app = WarroomApp(room, sync=sync, clock=clock, keymap=keymap)
    if drill is not None:
        app.start_drill(drill)
    return app


def run_console(room: Room, sync=None, *, drill=None) -> int:
    """Run the console on this terminal until it quits; the exit status.

    Entries whose commit failed as the console closed are printed, in the order typed, each
    with its time, and make the status 2: the words stay, even when the disk would not."""
    from . import tuning

    need_terminal()
    tuning.for_the_terminal()  # before Textual is imported: it reads its frame rate once
    app = make_app(room, sync=sync, drill=drill)
    app.run()
    from ..model.safe_text import strip_controls
    from ..model.times import stamp

    for text in app.unsaved:
        print(f"warroom: entry not saved: {strip_controls(text)} (occurred {stamp(text.occurred_ms)} UTC)",
              file=sys.stderr)
    return app.return_code or (2 if app.unsaved else 0)
