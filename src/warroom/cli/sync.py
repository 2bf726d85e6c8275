"""``warroom sync`` and the helpers the CLI uses to reach the shared store.

Kept apart from ``warroom.sync`` so that ``--help`` and commands run without a store never
import redis-py.
"""

from __future__ import annotations

import os
import sys

from ..errors import WarroomError
from .base import CliError, command, Context


def store_url(args) -> str | None:
    return getattr(args, "store", None) or os.environ.get("WARROOM_STORE") or None


def allow_insecure(args) -> bool:
    return bool(getattr(args, "store_insecure", False)) or \
        os.environ.get("WARROOM_STORE_INSECURE", "").strip().lower() in ("1", "true", "yes")


def engine_for(ctx: Context):
    """A SyncEngine for the configured store, or None when warroom works alone."""
    url = store_url(ctx.args)
    if not url:
        return None
    from ..sync.engine import SyncEngine

    engine = SyncEngine(ctx.room, url, allow_insecure=allow_insecure(ctx.args))
    if getattr(ctx.args, "store", None) and engine.config.password:
        print("warroom: warning: a password given with --store can be read by anyone on this "
              "machine (ps, /proc); set WARROOM_STORE instead", file=sys.stderr)
    return engine


def push_after_command(ctx: Context) -> None:
    """After a command wrote events: publish them; on failure warn, keep them queued."""
    if not store_url(ctx.args) or ctx.opened_room is None or not ctx.room.outbox_size():
        return
    try:
        engine = engine_for(ctx)
        engine.push_once(timeout=3.0)
    except WarroomError as exc:
        waiting = ctx.room.outbox_size()
        print(f"warroom: warning: saved locally, not pushed ({exc}); {waiting} event(s) wait for "
              "`warroom sync`", file=sys.stderr)


def _sync_opts(p) -> None:
    p.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                   help="give up on the store after this long (default 5)")


@command("sync", "push local events to the shared store and pull everyone else's, once", _sync_opts)
def _sync(ctx: Context, args) -> int:
    from ..sync.engine import SyncError

    engine = engine_for(ctx)
    if engine is None:
        raise CliError("no store configured: pass --store URL or set WARROOM_STORE")
    try:
        pushed, pulled = engine.sync_once(timeout=args.timeout)
    except SyncError as exc:
        waiting = ctx.room.outbox_size()
        raise CliError(f"{exc}; local data intact, {waiting} event(s) waiting") from None
    quarantined, held = len(ctx.room.quarantined()), len(ctx.room.held())
    extra = f", re-published {engine.republished} the store had lost" if engine.republished else ""
    extra += f", {quarantined} entr{'y' if quarantined == 1 else 'ies'} in quarantine" if quarantined else ""
    extra += f", {held} held until their time" if held else ""
    print(f"synced with {engine.store}: pushed {pushed}, pulled {pulled}{extra}")
    return 0
