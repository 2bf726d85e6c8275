"""CLI commands of the communications lead and of the follow-up: templates, posting,
resolution criteria, milestones, action items, the postmortem and the metrics report."""

from __future__ import annotations

import json
import sys

from .base import _at, _global_options, _incident_opt, CliError, command, Context
from ..model.times import duration, hhmm, iso, stamp

DEFAULT_TEMPLATE = {"slack": "update", "statuspage": "status-page", "pagerduty": "initial"}


def _incident(ctx: Context, ref: str | None = None):
    """The named incident; with no name, the only open one, else the latest declared —
    follow-up work (postmortem, actions, re-open) happens after resolution."""
    from ..room import RoomError

    ref = ref if ref is not None else getattr(ctx.args, "incident", None)
    try:
        return ctx.room.find(ref)
    except RoomError:
        incidents = ctx.room.incidents()
        if ref or not incidents or any(ctx.room.is_open(s) for s in incidents):
            raise
        return max(incidents, key=lambda s: s.declared_ms or 0)


def _ref(p):
    p.add_argument("incident", nargs="?", help="incident id, prefix or slug (default: the only open one)")


def _template_opts(p):
    p.add_argument("name", help="template name (see `warroom templates`)")
    _ref(p)


@command("template", "print a communication template filled from the incident's state", _template_opts)
def _template(ctx: Context, args) -> int:
    from ..comms.templates import render_for, TemplateError

    state = _incident(ctx, args.incident)
    try:
        print(render_for(ctx.room, state.id, args.name))
    except TemplateError as exc:
        raise CliError(str(exc)) from None
    return 0


@command("templates", "list the communication templates of the policy")
def _templates(ctx: Context, args) -> int:
    from ..comms.templates import names

    for name in names(ctx.room.policy.name):
        print(name)
    return 0


def _post_opts(p):
    from ..comms.post import PD_ACTIONS, SP_STATUSES, TARGETS

    p.add_argument("target", choices=TARGETS)
    p.add_argument("--template", metavar="NAME", help="template to fill (default: update / status-page / initial)")
    p.add_argument("--text", help="post this text instead of a template ('-' reads standard input)")
    p.add_argument("--action", choices=PD_ACTIONS, help="PagerDuty event action (default from status)")
    p.add_argument("--status", choices=SP_STATUSES, help="Statuspage status (default from status)")
    p.add_argument("--dry-run", action="store_true", help="print what would be posted, post nothing")
    _incident_opt(p)


@command("post", "post an update to slack, statuspage or pagerduty and record it", _post_opts)
def _post(ctx: Context, args) -> int:
    from ..comms.post import deliver, DrillRefused, PostError, refuse_drill
    from ..comms.settings import ConfigError
    from ..comms.templates import render_for, TemplateError

    state = _incident(ctx)
    if not args.dry_run:
        try:
            refuse_drill(state)  # before the text is even read: a rehearsal posts nowhere
        except DrillRefused as exc:
            raise CliError(str(exc)) from None

    if args.text is not None:
        text = sys.stdin.read() if args.text == "-" else args.text
    else:
        try:
            text = render_for(ctx.room, state.id, args.template or DEFAULT_TEMPLATE[args.target])
        except TemplateError as exc:
            raise CliError(str(exc)) from None
    if args.dry_run:
        print(text)
        return 0
    try:
        result = deliver(ctx.room, state.id, args.target, text, action=args.action or "",
                         status=args.status or "")
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    except PostError as exc:
        hint = ("check the channel before posting again" if exc.maybe_sent
                else "nothing was recorded; run the same command to retry")
        print(f"warroom: post failed: {exc} ({hint})", file=sys.stderr)
        return 1
    extra = f" [{result.remote_id}]" if result.remote_id else ""
    print(f"{result.target}: {result.detail}{extra}")
    return 0


def _pm_opts(p):
    from ..comms.postmortem import FORMATS

    _ref(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--format", choices=FORMATS, help="playbook format (default: the incident's policy)")


@command("postmortem", "generate the postmortem in Markdown from the log", _pm_opts)
def _postmortem(ctx: Context, args) -> int:
    from ..comms.postmortem import render_for

    state = _incident(ctx, args.incident)
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
    _incident_opt(p)
    _at(p)


@command("set", "set a narrative field: root_cause, impact, what_we_know, lessons…", _set_opts)
def _set(ctx: Context, args) -> int:
    from ..comms.templates import FIELDS

    name = args.field.strip().lower().replace("-", "_")
    if name not in FIELDS:
        raise CliError(f"unknown field {args.field!r} (one of: {', '.join(FIELDS)})")
    value = sys.stdin.read() if args.value == "-" else args.value
    ctx.room.set_field(_incident(ctx).id, name, value.strip(), at=ctx.time(args.at))
    return 0


def _milestone_opts(p):
    from ..followup.resolution import MILESTONES

    p.add_argument("name", choices=MILESTONES)
    _incident_opt(p)
    _at(p)


@command("milestone", "mark a lifecycle milestone (the metrics are measured between them)", _milestone_opts)
def _milestone(ctx: Context, args) -> int:
    from ..followup.resolution import mark

    mark(ctx.room, _incident(ctx).id, args.name, at=ctx.time(args.at))
    return 0


def _criteria_opts(p):
    _ref(p)
    p.add_argument("--met", action="append", default=[], metavar="N|TEXT", help="tick a criterion")
    p.add_argument("--unmet", action="append", default=[], metavar="N|TEXT", help="untick a criterion")


@command("criteria", "show or tick the resolution criteria", _criteria_opts)
def _criteria(ctx: Context, args) -> int:
    from ..followup.resolution import criteria, tick

    state = _incident(ctx, args.incident)
    for ref in args.met:
        tick(ctx.room, state.id, ref, True)
    for ref in args.unmet:
        tick(ctx.room, state.id, ref, False)
    policy = ctx.room.policy_for(state)
    for i, c in enumerate(criteria(ctx.room.log.events(state.id), policy), 1):
        by = f"  ({c.by}, {hhmm(c.at_ms)} UTC)" if c.by else ""
        print(f"{i}. [{'x' if c.met else ' '}] {c.text}{by}")
    return 0


def _resolve_opts(p):
    _incident_opt(p)
    p.add_argument("--force", metavar="REASON", help="resolve with criteria open; the reason is recorded")
    _at(p)


@command("resolve", "mark the incident resolved (criteria open need --force REASON)", _resolve_opts)
def _resolve(ctx: Context, args) -> int:
    from ..followup.resolution import NeedsOverride, resolve

    try:
        resolve(ctx.room, _incident(ctx).id, args.force, at=ctx.time(args.at))
    except NeedsOverride as exc:
        raise CliError(f"{exc}; tick them with `warroom criteria --met N` or use --force REASON") from None
    return 0


def _reopen_opts(p):
    _incident_opt(p)
    p.add_argument("--reason", default="", help="what recurred")
    _at(p)


@command("reopen", "re-open a resolved incident after a recurrence", _reopen_opts)
def _reopen(ctx: Context, args) -> int:
    from ..followup.resolution import reopen

    reopen(ctx.room, _incident(ctx).id, args.reason, at=ctx.time(args.at))
    return 0


@command("followup", "recovery monitoring, follow-up deadlines and open action items", _ref)
def _followup(ctx: Context, args) -> int:
    from ..followup import resolution as fu

    state = _incident(ctx, args.incident)
    policy, events, now = ctx.room.policy_for(state), ctx.room.log.events(state.id), ctx.clock()
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
    for item in fu.action_items(events):
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
        _global_options(sub, suppress=True)
        _incident_opt(sub)


@command("action", "action items: add, update, list", _action_opts)
def _action(ctx: Context, args) -> int:
    from ..followup.resolution import action_items, save_action

    state = _incident(ctx)
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
    items = action_items(ctx.room.log.events(state.id))
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


@command("report", "time to detect / acknowledge / mitigate / resolve across incidents", _report_opts)
def _report(ctx: Context, args) -> int:
    from ..followup.resolution import METRICS, metrics, summarise

    rows = []
    for state in ctx.room.incidents():
        m = metrics(state, ctx.room.policy_for(state), ctx.room.log.events(state.id))
        if m.drill == args.drills:
            m.drill = False
            rows.append((state, m))
    totals = summarise([m for _, m in rows])
    if args.json:
        print(json.dumps({"incidents": [
            {"id": s.id, "title": s.title, "severity": s.severity, "drill": s.drill,
             "milestones": {k: iso(v) for k, v in sorted(m.marks.items())}, "derived": list(m.derived),
             **{f"time_to_{k}_ms": m.values[k] for k in METRICS}} for s, m in rows],
            "summary": totals}, indent=2))
        return 0
    show = lambda ms: duration(ms) if ms is not None else "—"  # noqa: E731
    print(f"{'incident':<16} {'sev':<5} " + " ".join(f"{k:>11}" for k in METRICS) + "  title")
    for s, m in rows:
        print(f"{s.id:<16} {s.severity:<5} " + " ".join(f"{show(m.values[k]):>11}" for k in METRICS)
              + f"  {s.title}")
    print(f"{'median':<22} " + " ".join(f"{show(totals[k]['median_ms']):>11}" for k in METRICS))
    print(f"{'incidents':<22} " + " ".join(f"{totals[k]['count']:>11}" for k in METRICS))
    return 0


def _rollback_opts(p):
    p.add_argument("answers", nargs="*", metavar="y|n", help="answers so far, in order")
    _incident_opt(p)


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
        record(ctx.room, _incident(ctx).id, answers)
        print(f"{node.id}: {node.text}  ({describe(answers)})")
    else:
        print(node.text + (f"  {node.hint}" if node.hint else ""))
    return 0
