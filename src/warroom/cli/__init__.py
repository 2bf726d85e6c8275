"""The command line: the same core as the console, for scripts, ChatOps and people who prefer it.

``main`` parses, dispatches and turns a :class:`~warroom.errors.WarroomError` into one line and
an exit status. The command modules register their commands with ``base.command`` when
:func:`build_parser` imports them; ``warroom`` with global options alone opens the console
without importing them.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from typing import Callable

from ..errors import WarroomError
from ..model.times import now_ms
from .base import COMMANDS, console_args, Context, global_options

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    from . import comms, diag, followup, incident, page, sync

    groups = [incident, sync, diag, comms, page, followup]  # the order `warroom --help` lists them in
    order = {module.__name__: i for i, module in enumerate(groups)}
    parser = argparse.ArgumentParser(prog="warroom", description="Run an incident war room from a terminal.")
    global_options(parser, suppress=False)
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, cmd in sorted(COMMANDS.items(), key=lambda item: order.get(item[1].run.__module__, len(order))):
        sub = subs.add_parser(name, help=cmd.help, description=cmd.help)
        global_options(sub, suppress=True)
        cmd.setup(sub)
    return parser


def _join_negative_times(argv: list[str]) -> list[str]:
    """Let ``--at -5m`` through: argparse would take ``-5m`` for an option."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--at" and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            out.append(f"--at={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv: list[str] | None = None, clock: Callable[[], int] = now_ms) -> int:
    argv = _join_negative_times(sys.argv[1:] if argv is None else argv)
    args = console_args(argv) or build_parser().parse_args(argv)
    ctx = Context(args, clock)
    try:
        if args.command is None:
            from .console import start

            return start(ctx)
        try:
            code = COMMANDS[args.command].run(ctx, args)
        finally:
            ctx.close()
        if code == 0 and args.command != "sync":
            from .sync import push_after_command

            push_after_command(ctx)
        return code
    except WarroomError as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return exc.exit_code
    except sqlite3.DatabaseError as exc:  # damage found past the file's header
        from ..store.log import log_error

        print(f"warroom: {log_error(ctx.db_path, exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
