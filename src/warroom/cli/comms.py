"""The communications lead's commands: fill a template, post an update and record it."""

from __future__ import annotations

import argparse
import sys

from .base import CliError, command, Context, incident_argument, incident_option


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
    from ..comms.post import PD_ACTIONS, SP_STATUSES

    p.add_argument("target", nargs="*", metavar="TARGET",
                   help="slack, statuspage, pagerduty, an audience (`warroom audiences`), or `defaults`: "
                        "the policy's audiences")
    p.add_argument("--template", metavar="NAME",
                   help="template to fill (default by target: update / status-page / initial / customer-email)")
    p.add_argument("--text", help="post this text instead of a template ('-' reads standard input)")
    p.add_argument("--action", choices=PD_ACTIONS, help="PagerDuty event action (default from status)")
    p.add_argument("--status", choices=SP_STATUSES, help="Statuspage status (default from status)")
    p.add_argument("--component", action="append", metavar="ID",
                   help="Statuspage: an affected component (repeat it; default every configured one)")
    p.add_argument("--notify", action=argparse.BooleanOptionalAction, default=True,
                   help="Statuspage: notify the page's subscribers (default yes)")
    p.add_argument("--dry-run", action="store_true", help="print what would be posted, post nothing")
    waiting = p.add_mutually_exclusive_group()
    waiting.add_argument("--waiting", action="store_true", help="list the posts waiting out an outage")
    waiting.add_argument("--retry", action="store_true", help="send every post waiting now, due or not")
    waiting.add_argument("--send-again", metavar="ID",
                         help="a post whose reply was lost: send it again (it may then appear twice)")
    waiting.add_argument("--mark-sent", metavar="ID", help="a post that did go: record it as sent, send nothing")
    waiting.add_argument("--drop", metavar="ID", help="a waiting post: send nothing, record nothing")
    incident_option(p)


@command("post", "post an update to a target or audience and record it (waits out an outage)", _post_opts)
def _post(ctx: Context, args) -> int:
    from ..comms import post
    from ..comms.templates import render_for

    if args.waiting or args.retry or args.send_again or args.mark_sent or args.drop:
        if args.target:
            raise CliError("name targets, or handle waiting posts (--waiting, --retry, --send-again, "
                           "--mark-sent, --drop), not both")
        return _waiting(ctx, args)
    if not args.target:
        raise CliError("post needs a target: slack, statuspage, pagerduty, an audience or `defaults` "
                       "(see `warroom audiences`)")
    state = ctx.incident_or_latest()
    poster = post.Poster()
    targets = _targets(poster.settings, state, args.target, ctx.room.policy_for(state).name)
    routes = []
    for target in targets:  # every target checked before anything goes
        try:
            routes.append(post.route(poster.settings, target, state))
        except post.PostError as exc:
            raise CliError(f"{exc}; nothing was sent") from None
    given = (sys.stdin.read() if args.text == "-" else args.text) if args.text is not None else None
    code = 0
    for target, where in zip(targets, routes):
        text = given if given is not None else render_for(
            ctx.room, state.id, args.template or post.DEFAULT_TEMPLATE[where.kind])
        if args.dry_run:
            print(f"--- {where.name} ({where.kind}{', drill: dry run' if where.dry_run else ''})")
            print(post.drill_text(text) if state.drill else text)
            continue
        done = post.post(ctx.room, state.id, target, text, poster, action=args.action or "",
                         status=args.status or "", components=args.component, notify=args.notify)
        code = max(code, _said(done))
    return code


def _targets(settings, state, named: list[str], policy: str) -> list[str]:
    """The targets named, ``defaults`` opened into the policy's audiences (those not set up
    in config.toml are skipped, and said so)."""
    out: list[str] = []
    for name in named:
        if name.strip().lower() != "defaults":
            out.append(name)
            continue
        for audience in settings.defaults_for(policy):
            if settings.audience(audience, state.slug) is None:
                print(f"warroom: {audience.replace('{slug}', state.slug)}: not set up ([[audiences]] in "
                      "config.toml): skipped", file=sys.stderr)
            else:
                out.append(audience)
    if not out:
        raise CliError(f"no audience to post to: {policy} names none set up in config.toml")
    return list(dict.fromkeys(out))


def _said(done) -> int:
    """Print what became of one post; its exit status."""
    if done.state == "sent":
        extra = f" [{done.remote_id}]" if done.remote_id else ""
        print(f"{done.target}: {done.detail}{extra}")
        return 0
    if done.state == "dry-run":
        print(f"{done.target}: {done.detail}")
        print(done.text)
        return 0
    if done.state == "waiting":
        print(f"warroom: {done.target}: not sent yet ({done.detail}); it waits as post {done.delivery} and is "
              "retried by the console, or now with `warroom post --retry`", file=sys.stderr)
    elif done.state == "ask":
        print(f"warroom: {done.target}: {done.detail}; check it before posting again: `warroom post "
              f"--send-again {done.delivery}` sends it again, `--mark-sent {done.delivery}` records it",
              file=sys.stderr)
    elif done.state == "failed":
        print(f"warroom: post failed: {done.target}: {done.detail} (nothing was recorded)", file=sys.stderr)
    else:
        print(f"warroom: {done.target}: {done.detail}", file=sys.stderr)
    return 1


def _waiting(ctx: Context, args) -> int:
    from ..comms import outbox, post
    from ..model.times import stamp

    room, senders = ctx.room, {post.CHANNEL: post.sender()}
    if args.waiting:
        found = outbox.pending(room)
        for d in found:
            when = "asks: send again, mark sent or drop" if d.state == outbox.ASK else (
                "being sent" if d.state == outbox.SENDING else f"next try {stamp(d.next_try_ms)} UTC")
            print(f"{d.id}  {d.incident}  {d.target}  {d.state}  attempt {d.attempts}  {when}"
                  + (f"  ({d.last_error})" if d.last_error else ""))
        if not found:
            print("no posts waiting")
        return 0
    if args.retry:
        outcomes = outbox.run_due(room, senders, everything=True)
        if not outcomes:
            print("no posts waiting to be retried")
        asking = [d for d in outbox.pending(room) if d.state == outbox.ASK]
        for d in asking:
            print(f"warroom: {d.target}: post {d.id} asks first ({d.last_error}): --send-again or --mark-sent",
                  file=sys.stderr)
        return max([_said(post.posted(o)) for o in outcomes] + [1 if asking else 0])
    ref = args.send_again or args.mark_sent or args.drop
    delivery = outbox.find(room, ref)
    if args.send_again:
        return _said(post.posted(outbox.send_again(room, delivery.id, senders)))
    if args.mark_sent:
        done = outbox.mark_sent(room, delivery.id, senders)
        if done.state != outbox.SENT:
            raise CliError(f"post {delivery.id} not marked: {done.error}")
        print(f"{delivery.target}: recorded as sent (nothing was sent)")
        return 0
    done = outbox.drop(room, delivery.id)
    if done.state != outbox.DROPPED:
        raise CliError(f"post {delivery.id} not dropped: {done.error}")
    print(f"{delivery.target}: dropped (nothing sent, nothing recorded)")
    return 0


@command("audiences", "list the audiences posts can go to, and the policy's defaults", read_only=True)
def _audiences(ctx: Context, args) -> int:
    from ..comms.settings import BUILT_IN, load_settings

    settings = load_settings()
    policy = ctx.room.policy.name
    defaults = set(settings.defaults_for(policy))
    built_in = {"slack": "[slack] webhook_url", "statuspage": "[statuspage]", "pagerduty": "[pagerduty]"}
    for name in settings.audience_names(policy):
        audience = settings.audience(name)
        if audience is None:
            where = "not set up ([[audiences]] in config.toml)"
        elif audience.name in BUILT_IN:
            where = built_in[audience.kind] + ("" if settings.configured()[audience.kind] else " (not set up)")
        else:
            where = audience.where()
        print(f"{name:<24} {'default' if name in defaults else '':<8} {where}")
    drill = settings.drill.kinds()
    print(f"drills post to: {', '.join(drill) if drill else 'nowhere (every drill post is a dry run)'}")
    return 0
