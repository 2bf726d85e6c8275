"""Paging from the command line: page someone, see who is on call, follow the pages.

``warroom page`` prints the target's phone and chat handle before it pages: when the provider
is the thing that is down, that line is what the room acts on.
"""

from __future__ import annotations

import sys

from ..model.times import hhmm
from .base import command, Context, incident_option


def _page_opts(p):
    from ..paging.contacts import PROVIDERS

    p.add_argument("target", help="a person, team or schedule of the contacts file")
    p.add_argument("--reason", required=True, help="why: the page's title and text")
    p.add_argument("--provider", choices=PROVIDERS, help="page through this provider (default: the target's first)")
    incident_option(p)


@command("page", "page a person, team or schedule of the contacts file for the incident", _page_opts)
def _page(ctx: Context, args) -> int:
    from ..paging.contacts import load_contacts
    from ..paging.page import page

    contacts = load_contacts()
    contact = contacts.get(args.target)
    state = ctx.incident()
    print(f"{contact.name}: {contact.reach}", flush=True)
    result = page(ctx.room, state.id, contact.name, args.reason, provider=args.provider or "", contacts=contacts)
    print(result.line)
    return 0 if result.state in ("sent", "dry_run", "already") else 1


@command("oncall", "who is on call: read from the paging providers, else as last read (with its age)")
def _oncall(ctx: Context, args) -> int:
    from ..paging.contacts import load_contacts
    from ..paging.page import refresh_on_call

    contacts = load_contacts()
    view = refresh_on_call(ctx.room, contacts=contacts)
    for problem in view.problems:
        print(f"warroom: {problem}", file=sys.stderr)
    print(view.heading())
    if not contacts.schedules:
        print(f"no schedules in {contacts.source}")
    for row in view.rows:
        until = f"until {hhmm(row.until_ms)}" if row.until_ms else "open-ended"
        reach = ", ".join(v for v in (row.phone, row.chat) if v)
        print(f"  {row.schedule:<28} {row.person:<20} {until:<12} {row.provider:<10} {reach}".rstrip())
    return 0


def _pages_opts(p):
    p.add_argument("--escalate", action="store_true",
                   help="also page the escalation steps that are due (once for the room, with a store)")
    incident_option(p)


@command("pages", "retry waiting pages, read acknowledgements back and list the incident's pages", _pages_opts)
def _pages(ctx: Context, args) -> int:
    from ..paging import escalation
    from ..paging.page import poll_acks, retry_pages, waiting_pages
    from .sync import engine_for

    room = ctx.room
    state = ctx.incident()
    engine = engine_for(ctx)
    claim = engine.claim if engine is not None else None
    for outcome in retry_pages(room):
        what = "sent" if outcome.ok else f"{outcome.state} ({outcome.error})"
        print(f"page to {outcome.delivery.target}: {what}")
    if args.escalate:
        for due, result in escalation.run_due(room, claim=claim):
            print(f"{due.step}: {result.line if hasattr(result, 'line') else result}")
    recorded, problems = poll_acks(room, claim=claim)
    for problem in problems:
        print(f"warroom: {problem}", file=sys.stderr)
    state = room.state(state.id)
    pages, waiting = state.pages(), waiting_pages(room, state.id)
    if not pages and not waiting:
        print(f"no pages in {state.id}")
    for found in pages:
        if found.dry_run:
            status = "DRILL dry run"
        elif found.acked_ms is not None:
            status = f"acknowledged by {found.acked_by or 'someone'} at {hhmm(found.acked_ms)}"
        else:
            status = "paged, not acknowledged"
        print(f"  {hhmm(found.paged_ms)} {found.target:<28} {found.provider:<10} {status}")
    for delivery in waiting:
        print(f"  {hhmm(delivery.created_ms)} {delivery.target:<28} {delivery.request.get('provider', ''):<10} "
              f"waiting ({delivery.last_error or delivery.state})")
    return 0
