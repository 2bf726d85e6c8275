"""The command line: the same core as the console, for scripts, ChatOps and people who prefer it.

Every command fails with one clear line and a non-zero exit on bad input, having written nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..model.times import now_ms, parse_time, stamp, TimeError


class CliError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


@dataclass
class Command:
    help: str
    setup: Callable[[argparse.ArgumentParser], None]
    run: Callable[["Context", argparse.Namespace], int]


COMMANDS: dict[str, Command] = {}
# Modules that add their own commands with @command (kept small: they import lazily).
EXTENSIONS = ("sync", "diag", "comms")
# Commands that only read the log: they never create it, and a --db naming no file is refused.
READ_ONLY = frozenset({"list", "show", "timeline", "postmortem", "report", "template", "templates",
                       "followup", "policies", "runbooks", "diag"})


def command(name: str, help: str, setup: Callable = lambda p: None):
    def register(run):
        COMMANDS[name] = Command(help, setup, run)
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
    def room(self):
        if self._room is None:
            from ..model.policy import load_policy
            from ..room import Room

            # the policy first: a bad one is refused before any file is made
            policy = load_policy(self.args.policy or os.environ.get("WARROOM_POLICY"))
            self._room = Room(self._open_log(), self.user, policy, clock=self.clock)
        return self._room

    def _open_log(self):
        from ..store.log import LocalLog, NoLogError

        path = self.db_path
        if self.args.command in READ_ONLY:
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
        log = self._room.log
        try:
            unused = log.last_seq() == 0 and log.outbox_size() == 0
        except sqlite3.Error:
            return
        if not unused:
            return
        self._room.close()
        self._room = None
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(f"{log.path}{suffix}")
            except FileNotFoundError:
                pass
            except OSError:
                break

    def time(self, text: str | None) -> int | None:
        if text is None:
            return None
        try:
            return parse_time(text, self.clock())
        except TimeError as exc:
            raise CliError(str(exc)) from None

    def incident(self, ref: str | None = None):
        return self.room.find(ref if ref is not None else getattr(self.args, "incident", None))


def _login() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:
        return "unknown"


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
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


def _at(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--at", metavar="TIME", help="when it happened: ISO 8601, HH:MM (UTC) or -5m")


def _incident_opt(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--incident", metavar="ID", help="incident id, prefix or slug")


def console_args(argv: list[str]) -> argparse.Namespace | None:
    """The options when ``argv`` opens the console (global options only), else None.

    The console is what people start in a hurry: it takes its few options without building
    every command's parser (and importing the modules that add commands). Anything else —
    a command, ``--help``, a malformed option — goes to the full parser.
    """
    parser = argparse.ArgumentParser(prog="warroom", add_help=False, exit_on_error=False)
    _global_options(parser, suppress=False)
    try:
        args, rest = parser.parse_known_args(argv)
    except argparse.ArgumentError:
        return None
    if rest:
        return None
    args.command = None
    return args


def build_parser() -> argparse.ArgumentParser:
    import importlib

    for name in EXTENSIONS:
        importlib.import_module(f"warroom.cli.{name}")
    parser = argparse.ArgumentParser(prog="warroom", description="Run an incident war room from a terminal.")
    _global_options(parser, suppress=False)
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, cmd in COMMANDS.items():
        sub = subs.add_parser(name, help=cmd.help, description=cmd.help)
        _global_options(sub, suppress=True)
        cmd.setup(sub)
    return parser


# -- commands ---------------------------------------------------------------------------

def _declare_opts(p):
    p.add_argument("title")
    p.add_argument("--severity", required=True, metavar="SEV")
    p.add_argument("--service", default="")
    p.add_argument("--impact", default="")
    _at(p)


@command("declare", "declare an incident; prints its id", _declare_opts)
def _declare(ctx: Context, args) -> int:
    state = ctx.room.declare(args.title, args.severity, args.service, args.impact, at=ctx.time(args.at))
    print(state.id)
    return 0


@command("list", "list incidents", lambda p: p.add_argument("--json", action="store_true"))
def _list(ctx: Context, args) -> int:
    from ..model.report import as_dict

    now = ctx.clock()
    rows = [as_dict(s, ctx.room.policy_for(s), now) for s in ctx.room.incidents()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no incidents")
    for r in rows:
        flag = " OVERDUE-UPDATE" if r["update_overdue"] else ""
        print(f"{r['id']}  {r['severity']:<5} {r['status']:<14} {r['declared_at']}  {r['title']}"
              f"{'  [DRILL]' if r['drill'] else ''}{flag}")
    return 0


def _show_opts(p):
    p.add_argument("incident", nargs="?")
    p.add_argument("--json", action="store_true")
    _at(p)


@command("show", "an incident's state and clocks, now or as of --at TIME", _show_opts)
def _show(ctx: Context, args) -> int:
    from ..model.report import as_dict, as_text

    at = ctx.time(args.at)
    state = ctx.incident(args.incident)
    if at is not None:
        state = ctx.room.state(state.id, at=at)
    now = at if at is not None else ctx.clock()
    policy = ctx.room.policy_for(state)
    print(json.dumps(as_dict(state, policy, now), indent=2) if args.json else as_text(state, policy, now))
    return 0


def _note_opts(p):
    from ..model.events import ENTRY_KINDS

    p.add_argument("text")
    _incident_opt(p)
    p.add_argument("--kind", default="note", choices=ENTRY_KINDS)
    _at(p)


@command("note", "add a timeline entry (note, decision, action, hypothesis, observation)", _note_opts)
def _note(ctx: Context, args) -> int:
    ctx.room.note(ctx.incident().id, args.text, args.kind, at=ctx.time(args.at))
    return 0


def _assign_opts(p):
    p.add_argument("role")
    p.add_argument("person")
    _incident_opt(p)
    p.add_argument("--briefing", default="", help="hand-over briefing recorded in the timeline")
    _at(p)


@command("assign", "assign or hand over a role", _assign_opts)
def _assign(ctx: Context, args) -> int:
    ctx.room.assign(ctx.incident().id, args.role, args.person, args.briefing, at=ctx.time(args.at))
    return 0


def _value_opts(name):
    def setup(p):
        p.add_argument(name)
        _incident_opt(p)
        _at(p)
    return setup


@command("severity", "change severity (SEV1–SEV4)", _value_opts("severity"))
def _severity(ctx: Context, args) -> int:
    ctx.room.set_severity(ctx.incident().id, args.severity, at=ctx.time(args.at))
    return 0


@command("status", "change status (the policy's statuses)", _value_opts("status"))
def _status(ctx: Context, args) -> int:
    ctx.room.set_status(ctx.incident().id, args.status, at=ctx.time(args.at))
    return 0


def _posted_opts(p):
    _incident_opt(p)
    p.add_argument("--text", default="", help="what was posted")
    p.add_argument("--channel", default="", help="where it went")
    _at(p)


@command("update-posted", "record that a status update went out (resets the update clock)", _posted_opts)
def _update_posted(ctx: Context, args) -> int:
    ctx.room.update_posted(ctx.incident().id, args.text, args.channel, at=ctx.time(args.at))
    return 0


def _ack_opts(p):
    _incident_opt(p)
    _at(p)


@command("ack", "acknowledge the incident (meets the response deadline)", _ack_opts)
def _ack(ctx: Context, args) -> int:
    ctx.room.acknowledge(ctx.incident().id, at=ctx.time(args.at))
    return 0


def _timeline_opts(p):
    p.add_argument("incident", nargs="?")
    p.add_argument("--json", action="store_true")


@command("timeline", "print an incident's timeline in UTC", _timeline_opts)
def _timeline(ctx: Context, args) -> int:
    state = ctx.incident(args.incident)
    events = ctx.room.log.events(state.id)
    if args.json:
        print(json.dumps([e.to_wire() for e in events], indent=2, ensure_ascii=False))
        return 0
    from ..model.events import label, summary

    for e in events:
        who = f"{e.author}{f' ({e.role})' if e.role else ''}"
        print(f"{stamp(e.occurred_ms)}Z  {label(e):<13} {who:<20} {summary(e)}")
    return 0


@command("policies", "list the playbook policies warroom knows")
def _policies(ctx: Context, args) -> int:
    from ..model.policy import load_policy, policy_paths

    for path in policy_paths():
        policy = load_policy(str(path))
        print(f"{path.stem:<12} {policy.title}  ({path})")
    return 0


def need_terminal() -> None:
    """The console draws on a terminal and reads keys from one; on a pipe it would paint
    escape codes into it, flat out, for as long as nobody stops it."""
    try:
        ok = os.isatty(sys.stdin.fileno()) and os.isatty(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # closed, detached or replaced streams
        ok = False
    if not ok:
        raise CliError("the console needs a terminal (stdin and stdout); use the CLI commands for scripts")


def _console(ctx: Context) -> int:
    # Textual paints at most TEXTUAL_FPS frames a second (60 unless set), and after a frame
    # waits one to two intervals before the next: at 1000 an entry typed as the clocks repaint
    # for the second waits 1-2 ms for its own frame, not up to 8 ms as at 240. Frames are
    # still painted only when something changed, and one takes about 3 ms, so a stream of
    # changes stays far below that rate.
    os.environ.setdefault("TEXTUAL_FPS", "1000")
    # Frames are painted on this thread and written out by Textual's writer thread, and the
    # write-behind commits on another: a thread waiting for the interpreter gets it after at
    # most 1 ms, not 5, so a painted frame reaches the terminal while the next work runs.
    sys.setswitchinterval(0.001)
    from ..ui.app import WarroomApp
    from .sync import engine_for

    ctx.room.open_ids()  # a damaged log is reported here, before the screen is taken over
    try:
        need_terminal()  # and a pipe, before anything is drawn into it
    except CliError:
        ctx.close()  # a log made only for this is not left behind
        raise
    app = WarroomApp(ctx.room, sync=engine_for(ctx))  # the app starts and stops the engine
    app.run()
    from ..model.safe_text import strip_controls

    for text in app.unsaved:  # commits that failed as the console closed: the words stay, in order typed
        print(f"warroom: entry not saved: {strip_controls(text)} (occurred {stamp(text.occurred_ms)} UTC)",
              file=sys.stderr)
    return app.return_code or (2 if app.unsaved else 0)



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
    from ..store.log import LogError
    from ..model.policy import PolicyError
    from ..room import RoomError

    argv = _join_negative_times(sys.argv[1:] if argv is None else argv)
    args = console_args(argv) or build_parser().parse_args(argv)
    ctx = Context(args, clock)
    try:
        if args.command is None:
            return _console(ctx)
        try:
            code = COMMANDS[args.command].run(ctx, args)
        finally:
            ctx.close()
        if code == 0 and args.command != "sync":
            from .sync import push_after_command

            push_after_command(ctx)
        return code
    except (CliError, RoomError, PolicyError, LogError) as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # damage found past the file's header
        from ..store.log import log_error

        print(f"warroom: {log_error(ctx.db_path, exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0

