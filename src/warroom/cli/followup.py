"""The follow-up commands: resolution criteria, milestones, resolve and re-open, action items,
the postmortem, the metrics report and the rollback decision tree."""

from __future__ import annotations

import json
import sys

from ..model.times import duration, hhmm, iso, stamp
from .base import at_option, CliError, command, Context, global_options, incident_argument, incident_option


def _pm_opts(p):
    from ..comms.postmortem import FORMATS

    incident_argument(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--format", choices=FORMATS, help="playbook format (default: the incident's policy)")


@command("postmortem", "generate the postmortem in Markdown from the log", _pm_opts, read_only=True)
def _postmortem(ctx: Context, args) -> int:
    from ..comms.postmortem import render_for

    state = ctx.incident_or_latest(args.incident)
    text = render_for(ctx.room, state.id, fmt=args.format)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise CliError(f"{args.output}: {exc.strerror}") from None
        print(args.output)
    else:
        print(text, end="")
    return 0


def _set_opts(p):
    p.add_argument("field", help="root_cause, impact, what_we_know, current_actions, resolution, lessons, …")
    p.add_argument("value", help="the text ('-' reads standard input)")
    incident_option(p)
    at_option(p)


@command("set", "set a narrative field: root_cause, impact, what_we_know, lessons…", _set_opts)
def _set(ctx: Context, args) -> int:
    from ..comms.templates import FIELDS

    name = args.field.strip().lower().replace("-", "_")
    if name not in FIELDS:
        raise CliError(f"unknown field {args.field!r} (one of: {', '.join(FIELDS)})")
    value = sys.stdin.read() if args.value == "-" else args.value
    ctx.room.set_field(ctx.incident_or_latest().id, name, value.strip(), at=ctx.time(args.at))
    return 0


def _milestone_opts(p):
    from ..followup.resolution import MILESTONES

    p.add_argument("name", choices=MILESTONES)
    incident_option(p)
    at_option(p)


@command("milestone", "mark a lifecycle milestone (the metrics are measured between them)", _milestone_opts)
def _milestone(ctx: Context, args) -> int:
    from ..followup.resolution import mark

    mark(ctx.room, ctx.incident_or_latest().id, args.name, at=ctx.time(args.at))
    return 0


def _criteria_opts(p):
    incident_argument(p)
    p.add_argument("--met", action="append", default=[], metavar="N|TEXT", help="tick a criterion")
    p.add_argument("--unmet", action="append", default=[], metavar="N|TEXT", help="untick a criterion")


@command("criteria", "show or tick the resolution criteria", _criteria_opts)
def _criteria(ctx: Context, args) -> int:
    from ..followup.resolution import criteria, tick

    state = ctx.incident_or_latest(args.incident)
    for ref in args.met:
        tick(ctx.room, state.id, ref, True)
    for ref in args.unmet:
        tick(ctx.room, state.id, ref, False)
    policy = ctx.room.policy_for(state)
    for i, c in enumerate(criteria(ctx.room.events(state.id), policy), 1):
        by = f"  ({c.by}, {hhmm(c.at_ms)} UTC)" if c.by else ""
        print(f"{i}. [{'x' if c.met else ' '}] {c.text}{by}")
    return 0


def _resolve_opts(p):
    incident_option(p)
    p.add_argument("--force", metavar="REASON", help="resolve with criteria open; the reason is recorded")
    at_option(p)


@command("resolve", "mark the incident resolved (criteria open need --force REASON)", _resolve_opts)
def _resolve(ctx: Context, args) -> int:
    from ..followup.resolution import NeedsOverride, resolve

    try:
        resolve(ctx.room, ctx.incident_or_latest().id, args.force, at=ctx.time(args.at))
    except NeedsOverride as exc:
        raise CliError(f"{exc}; tick them with `warroom criteria --met N` or use --force REASON") from None
    return 0


def _reopen_opts(p):
    incident_option(p)
    p.add_argument("--reason", default="", help="what recurred")
    at_option(p)


@command("reopen", "re-open a resolved incident after a recurrence", _reopen_opts)
def _reopen(ctx: Context, args) -> int:
    from ..followup.resolution import reopen

    reopen(ctx.room, ctx.incident_or_latest().id, args.reason, at=ctx.time(args.at))
    return 0


@command("followup", "recovery monitoring, follow-up deadlines and open action items", incident_argument,
         read_only=True)
def _followup(ctx: Context, args) -> int:
    from ..followup import resolution as fu
    from ..followup.actions import action_items

    state = ctx.incident_or_latest(args.incident)
    policy, events, now = ctx.room.policy_for(state), ctx.room.events(state.id), ctx.clock()
    rec = fu.recovery(state, policy)
    if rec:
        left = rec.remaining(now)
        print(f"recovery monitoring until {stamp(rec.ends_ms)} UTC "
              + (f"({duration(left)} left)" if left else "(done)"))
    elif fu.resolved_at(state, policy) is None:
        print(f"not resolved ({state.status})")
    for f in fu.deadlines(state, policy, events):
        d = f.deadline
        met = f"done {stamp(d.met_ms)} UTC" if d.met_ms is not None else (
            f"OVERDUE by {duration(now - d.due_ms)}" if d.overdue(now) else f"in {duration(d.due_ms - now)}")
        print(f"{f.name} due {stamp(d.due_ms)} UTC — {met}")
    for item in action_items(events):
        if not item.closed:
            flag = "  OVERDUE" if item.overdue(now) else ""
            print(f"{item.item_id}  {item.priority or '--'}  {item.status:<11} {item.due or '-':<10} "
                  f"{item.owner or '-':<10} {item.description}{flag}")
    return 0


def _action_opts(p):
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    add = verbs.add_parser("add", help="add an action item")
    add.add_argument("description")
    upd = verbs.add_parser("update", help="change an action item")
    upd.add_argument("item_id")
    upd.add_argument("--description")
    upd.add_argument("--status", help="open, in-progress, done, cancelled")
    for sub in (add, upd):
        sub.add_argument("--owner")
        sub.add_argument("--due", help="YYYY-MM-DD, ISO time or -1d style")
        sub.add_argument("--priority", help="P0, P1 or P2")
    lst = verbs.add_parser("list", help="list action items")
    lst.add_argument("--json", action="store_true")
    for sub in (add, upd, lst):
        global_options(sub, suppress=True)
        incident_option(sub)


@command("action", "action items: add, update, list", _action_opts)
def _action(ctx: Context, args) -> int:
    from ..followup.actions import action_items, save_action

    state = ctx.incident_or_latest()
    if args.verb == "add":
        event = save_action(ctx.room, state.id, description=args.description, owner=args.owner,
                            due=args.due, priority=args.priority)
        print(event.payload["item_id"])
        return 0
    if args.verb == "update":
        save_action(ctx.room, state.id, args.item_id, description=args.description, owner=args.owner,
                    due=args.due, priority=args.priority, status=args.status)
        return 0
    now = ctx.clock()
    items = action_items(ctx.room.events(state.id))
    if args.json:
        print(json.dumps([{"item_id": i.item_id, "description": i.description, "owner": i.owner,
                           "due": i.due, "priority": i.priority, "status": i.status,
                           "overdue": i.overdue(now)} for i in items], indent=2))
        return 0
    for i in items:
        print(f"{i.item_id}  {i.priority or '--'}  {i.status:<11} {i.due or '-':<10} {i.owner or '-':<10} "
              f"{i.description}{'  OVERDUE' if i.overdue(now) else ''}")
    return 0


def _report_opts(p):
    p.add_argument("--json", action="store_true")
    p.add_argument("--drills", action="store_true", help="report drills instead of real incidents")


@command("report", "time to detect / acknowledge / mitigate / resolve, SLA breaches and compliance across incidents",
         _report_opts, read_only=True)
def _report(ctx: Context, args) -> int:
    from ..followup.metrics import compliance, METRICS, metrics, summarise, summarise_compliance
    from ..model.report import breach_dict, breach_text

    rows, now = [], ctx.clock()
    for state in ctx.room.incidents():
        policy = ctx.room.policy_for(state)
        m = metrics(state, policy, ctx.room.events(state.id))
        if m.drill == args.drills:
            c = compliance(state, policy, now)
            m.drill = c.drill = False
            rows.append((state, m, c))
    totals = summarise([m for _, m, _ in rows])
    sla = summarise_compliance([c for _, _, c in rows])
    if args.json:
        print(json.dumps({"incidents": [
            {"id": s.id, "title": s.title, "severity": s.severity, "drill": s.drill,
             "milestones": {k: iso(v) for k, v in sorted(m.marks.items())}, "derived": list(m.derived),
             **{f"time_to_{k}_ms": m.values[k] for k in METRICS},
             "breaches": [breach_dict(b) for b in c.breaches], "acknowledged_in_time": c.acknowledged_in_time,
             "updates_on_time": c.updates_on_time, "updates_due": c.updates_due,
             "escalation": {track: {"level": level, "notify": notify} for track, (level, notify) in c.levels.items()}}
            for s, m, c in rows],
            "summary": totals, "compliance": sla}, indent=2))
        return 0
    show = lambda ms: duration(ms) if ms is not None else "—"  # noqa: E731
    print(f"{'incident':<16} {'sev':<5} " + " ".join(f"{k:>11}" for k in METRICS) + "  title")
    for s, m, c in rows:
        print(f"{s.id:<16} {s.severity:<5} " + " ".join(f"{show(m.values[k]):>11}" for k in METRICS)
              + f"  {s.title}")
        for b in c.breaches:
            print(f"  SLA breach: {breach_text(b)}")
    print(f"{'median':<22} " + " ".join(f"{show(totals[k]['median_ms']):>11}" for k in METRICS))
    print(f"{'incidents':<22} " + " ".join(f"{totals[k]['count']:>11}" for k in METRICS))
    share = lambda d: f"{d['count']} of {d['of']}" + (f" ({d['percent']}%)" if d["of"] else "")  # noqa: E731
    print(f"acknowledged within the deadline: {share(sla['acknowledged_in_time'])}")
    print(f"status updates on time: {share(sla['updates_on_time'])}")
    for track, reached in sla["escalation"].items():
        print(f"highest escalation, {track}: " + ", ".join(f"{r['notify']} ×{r['incidents']}" for r in reached))
    return 0


def _rollback_opts(p):
    p.add_argument("answers", nargs="*", metavar="y|n", help="answers so far, in order")
    incident_option(p)


@command("rollback", "walk playbook 001's rollback decision tree (records the outcome)", _rollback_opts)
def _rollback(ctx: Context, args) -> int:
    from ..followup.rollback import describe, Outcome, record, step

    bad = [a for a in args.answers if a.lower() not in ("y", "n", "yes", "no")]
    if bad:
        raise CliError(f"answers are y or n, got {bad[0]!r}")
    answers = [a.lower().startswith("y") for a in args.answers]
    try:
        node = step(answers)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if isinstance(node, Outcome):
        record(ctx.room, ctx.incident_or_latest().id, answers)
        print(f"{node.id}: {node.text}  ({describe(answers)})")
    else:
        print(node.text + (f"  {node.hint}" if node.hint else ""))
    return 0
