"""``warroom`` with no command: the console, started from the global options alone."""

from __future__ import annotations

from ..ui import need_terminal, NoTerminal, run_console
from .base import Context


def start(ctx: Context) -> int:
    from .sync import engine_for

    ctx.room.open_ids()  # a damaged log is reported here, before the screen is taken over
    try:
        need_terminal()  # and a pipe, before anything is drawn into it
    except NoTerminal:
        ctx.close()  # a log made only for this is not left behind
        raise
    return run_console(ctx.room, sync=engine_for(ctx))  # the app starts and stops the engine
