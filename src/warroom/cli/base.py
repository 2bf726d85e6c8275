"""What every command module shares: the registry, the context a command runs in, the error
it raises and the options several commands take.

It imports none of its siblings: each command module imports this one and registers its
commands with :func:`command`; ``cli/__init__.py`` imports the command modules when it
builds the parser.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TYPE_CHECKING

from ..errors import WarroomError
from ..model.times import now_ms, parse_time

if TYPE_CHECKING:
    from ..model.state import IncidentState
    from ..room import Room


class CliError(WarroomError):
    """A user-facing error of the command line: printed as one line, exit status 2."""


@dataclass
class Command:
    help: str
    setup: Callable[[argparse.ArgumentParser], None]
    run: Callable[["Context", argparse.Namespace], int]
    read_only: bool = False  # never creates the log; a --db naming no file is refused


COMMANDS: dict[str, Command] = {}


def command(name: str, help: str, setup: Callable = lambda p: None, *, read_only: bool = False):
    def register(run):
        COMMANDS[name] = Command(help, setup, run, read_only)
        return run
    return register


class Context:
    """What a command needs, opened lazily so ``--help`` and the console start fast.

    The log file is made only by a command that may write; if that command ends having
    recorded nothing (refused, or nothing to do), the file it made is removed again, so a
    typo in a command or a ``--db`` path leaves nothing behind.
    """

    def __init__(self, args: argparse.Namespace, clock: Callable[[], int] = now_ms) -> None:
        self.args, self.clock = args, clock
        self._room = None
        self._made_log = False

    @property
    def user(self) -> str:
        return self.args.user or os.environ.get("WARROOM_USER") or _login()

    @property
    def db_path(self) -> Path:
        from ..config import default_db

        return Path(self.args.db or default_db())

    @property
    def room(self) -> Room:
        if self._room is None:
            from ..model.policy import load_policy
            from ..room import Room

            # the policy first: a bad one is refused before any file is made
            policy = load_policy(self.args.policy or os.environ.get("WARROOM_POLICY"))
            self._room = Room(self._open_log(), self.user, policy, clock=self.clock)
        return self._room

    @property
    def opened_room(self) -> Room | None:
        """The room if the command opened one, else None (nothing was read or written)."""
        return self._room

    def _open_log(self):
        from ..store.log import LocalLog, NoLogError

        path = self.db_path
        cmd = COMMANDS.get(self.args.command or "")
        if cmd is not None and cmd.read_only:
            try:
                return LocalLog(path, create=False)
            except NoLogError:
                if getattr(self.args, "db", None):
                    raise
                return LocalLog(":memory:")  # the default log, not made yet: nothing recorded
        self._made_log = not os.path.lexists(path)
        return LocalLog(path)

    def close(self) -> None:
        """Remove the log file this command made if nothing was recorded in it."""
        if self._room is None or not self._made_log:
            return
        room, path = self._room, self._room.log_path
        try:
            unused = room.last_seq() == 0 and room.outbox_size() == 0 and not room.holds_local_state()
        except sqlite3.Error:
            return
        if not unused:
            return
        room.close()
        self._room = None
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(f"{path}{suffix}")
            except FileNotFoundError:
                pass
            except OSError:
                break

    def time(self, text: str | None) -> int | None:
        return None if text is None else parse_time(text, self.clock())

    def incident(self, ref: str | None = None) -> IncidentState:
        return self.room.find(ref if ref is not None else getattr(self.args, "incident", None))

    def incident_or_latest(self, ref: str | None = None) -> IncidentState:
        """The named incident; with no name, the only open one, else the latest declared —
        follow-up work (postmortem, actions, re-open) happens after resolution."""
        from ..room import RoomError

        ref = ref if ref is not None else getattr(self.args, "incident", None)
        try:
            return self.room.find(ref)
        except RoomError:
            incidents = self.room.incidents()
            if ref or not incidents or any(self.room.is_open(s) for s in incidents):
                raise
            return max(incidents, key=lambda s: s.declared_ms or 0)


def _login() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:
        return "unknown"


def global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """The options every command takes, before or after its name."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--db", default=default, metavar="PATH",
                        help="local log file (env WARROOM_DB; default in the XDG data directory)")
    parser.add_argument("--as", dest="user", default=default, metavar="NAME",
                        help="who you are (env WARROOM_USER; default your login name)")
    parser.add_argument("--policy", default=default, metavar="NAME|PATH",
                        help="playbook policy (env WARROOM_POLICY; default cygni)")
    parser.add_argument("--store", default=default, metavar="URL",
                        help="shared store, redis:// or rediss:// with user and password "
                             "(env WARROOM_STORE; default none: work alone)")
    parser.add_argument("--store-insecure", action="store_true", default=default,
                        help="allow plain redis:// to a non-loopback host (env WARROOM_STORE_INSECURE=1)")


def at_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--at", metavar="TIME", help="when it happened: ISO 8601, HH:MM (UTC) or -5m")


def incident_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--incident", metavar="ID", help="incident id, prefix or slug")


def incident_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("incident", nargs="?", help="incident id, prefix or slug (default: the only open one)")


def console_args(argv: list[str]) -> argparse.Namespace | None:
    """The options when ``argv`` opens the console (global options only), else None.

    The console is what people start in a hurry: it takes its few options without building
    every command's parser (and importing the modules that add commands). Anything else —
    a command, ``--help``, a malformed option — goes to the full parser.
    """
    parser = argparse.ArgumentParser(prog="warroom", add_help=False, exit_on_error=False)
    global_options(parser, suppress=False)
    try:
        args, rest = parser.parse_known_args(argv)
    except argparse.ArgumentError:
        return None
    if rest:
        return None
    args.command = None
    return args
