"""The communications lead's commands: fill a template, post an update and record it."""

from __future__ import annotations

import sys

from .base import command, Context, incident_argument, incident_option

DEFAULT_TEMPLATE = {"slack": "update", "statuspage": "status-page", "pagerduty": "initial"}


def _template_opts(p):
    p.add_argument("name", help="template name (see `warroom templates`)")
    incident_argument(p)


@command("template", "print a communication template filled from the incident's state", _template_opts,
         read_only=True)
def _template(ctx: Context, args) -> int:
    from ..comms.templates import render_for

    state = ctx.incident_or_latest(args.incident)
    print(render_for(ctx.room, state.id, args.name))
    return 0


@command("templates", "list the communication templates of the policy", read_only=True)
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
    incident_option(p)


@command("post", "post an update to slack, statuspage or pagerduty and record it", _post_opts)
def _post(ctx: Context, args) -> int:
    from ..comms.post import deliver, PostError, refuse_drill
    from ..comms.templates import render_for

    state = ctx.incident_or_latest()
    if not args.dry_run:
        refuse_drill(state)  # before the text is even read: a rehearsal posts nowhere
    if args.text is not None:
        text = sys.stdin.read() if args.text == "-" else args.text
    else:
        text = render_for(ctx.room, state.id, args.template or DEFAULT_TEMPLATE[args.target])
    if args.dry_run:
        print(text)
        return 0
    try:
        result = deliver(ctx.room, state.id, args.target, text, action=args.action or "",
                         status=args.status or "")
    except PostError as exc:
        hint = ("check the channel before posting again" if exc.maybe_sent
                else "nothing was recorded; run the same command to retry")
        print(f"warroom: post failed: {exc} ({hint})", file=sys.stderr)
        return 1
    extra = f" [{result.remote_id}]" if result.remote_id else ""
    print(f"{result.target}: {result.detail}{extra}")
    return 0
