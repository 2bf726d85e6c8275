"""The incident commands: declare one, record what happens in it, and read it back.

Each fails with one clear line and a non-zero exit on bad input, having written nothing.
"""

from __future__ import annotations

import json

from ..model.times import stamp
from .base import at_option, command, Context, incident_option


def _declare_opts(p):
    p.add_argument("title")
    p.add_argument("--severity", required=True, metavar="SEV")
    p.add_argument("--service", default="")
    p.add_argument("--impact", default="")
    at_option(p)


@command("declare", "declare an incident; prints its id", _declare_opts)
def _declare(ctx: Context, args) -> int:
    state = ctx.room.declare(args.title, args.severity, args.service, args.impact, at=ctx.time(args.at))
    print(state.id)
    return 0


@command("list", "list incidents", lambda p: p.add_argument("--json", action="store_true"), read_only=True)
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
    at_option(p)


@command("show", "an incident's state and clocks, now or as of --at TIME", _show_opts, read_only=True)
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
    incident_option(p)
    p.add_argument("--kind", default="note", choices=ENTRY_KINDS)
    at_option(p)


@command("note", "add a timeline entry (note, decision, action, hypothesis, observation)", _note_opts)
def _note(ctx: Context, args) -> int:
    ctx.room.note(ctx.incident().id, args.text, args.kind, at=ctx.time(args.at))
    return 0


def _assign_opts(p):
    p.add_argument("role")
    p.add_argument("person")
    incident_option(p)
    p.add_argument("--briefing", default="", help="hand-over briefing recorded in the timeline")
    at_option(p)


@command("assign", "assign or hand over a role", _assign_opts)
def _assign(ctx: Context, args) -> int:
    from ..room import Unchanged

    done = ctx.room.assign(ctx.incident().id, args.role, args.person, args.briefing, at=ctx.time(args.at))
    if isinstance(done, Unchanged):
        print(done.reason)
    return 0


def _value_opts(name):
    def setup(p):
        p.add_argument(name)
        incident_option(p)
        at_option(p)
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
    incident_option(p)
    p.add_argument("--text", default="", help="what was posted")
    p.add_argument("--channel", default="", help="where it went")
    at_option(p)


@command("update-posted", "record that a status update went out (resets the update clock)", _posted_opts)
def _update_posted(ctx: Context, args) -> int:
    ctx.room.update_posted(ctx.incident().id, args.text, args.channel, at=ctx.time(args.at))
    return 0


def _ack_opts(p):
    incident_option(p)
    at_option(p)


@command("ack", "acknowledge the incident (meets the response deadline)", _ack_opts)
def _ack(ctx: Context, args) -> int:
    ctx.room.acknowledge(ctx.incident().id, at=ctx.time(args.at))
    return 0


def _timeline_opts(p):
    p.add_argument("incident", nargs="?")
    p.add_argument("--json", action="store_true")


@command("timeline", "print an incident's timeline in UTC", _timeline_opts, read_only=True)
def _timeline(ctx: Context, args) -> int:
    state = ctx.incident(args.incident)
    events = ctx.room.events(state.id)
    if args.json:
        print(json.dumps([e.to_wire() for e in events], indent=2, ensure_ascii=False))
        return 0
    from ..model.events import label, summary

    for e in events:
        who = f"{e.author}{f' ({e.role})' if e.role else ''}"
        print(f"{stamp(e.occurred_ms)}Z  {label(e):<13} {who:<20} {summary(e)}")
    return 0


@command("policies", "list the playbook policies warroom knows", read_only=True)
def _policies(ctx: Context, args) -> int:
    from ..model.policy import load_policy, policy_paths

    for path in policy_paths():
        policy = load_policy(str(path))
        print(f"{path.stem:<12} {policy.title}  ({path})")
    return 0
