"""Deliveries that wait out an outage: a post (or a page) that could not go is kept in the
local log's ``deliveries`` table and tried again with backoff, until it goes or someone
decides.

The outbox is generic: a delivery names its ``channel`` ("post" here; paging queues pages
the same way) and a registered :class:`Sender` sends it. A delivery is

- ``waiting``: to be tried at ``next_try_ms`` (5 s after the first failure, doubling to 5 min);
- ``sending``: taken by a process until its lease ends; one left behind by a process that
  stopped mid-send is taken again when the lease is over;
- ``ask``: it may have gone although no reply came, and its service cannot de-duplicate a
  replay (a Slack webhook, an e-mail): it is never sent again without someone asking;
- ``sent`` (recorded), ``failed`` (the service refused it: sending again would not help) or
  ``dropped`` (someone chose to send nothing).

What records a delivery (``update_posted``, a field, a note) is committed in the same
transaction that marks it sent, so it is recorded exactly once, whichever process sends it.
The request stored has no secrets: the sender reads those when it sends.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from typing import Callable, TYPE_CHECKING

from ..errors import WarroomError
from ..model.ids import short_token
from ..model.safe_text import redact, safe_line
from ..store.log import DeliveryTaken

if TYPE_CHECKING:
    from ..room import Item, Room

WAITING, SENDING, ASK, SENT, FAILED, DROPPED = "waiting", "sending", "ask", "sent", "failed", "dropped"
PENDING = (WAITING, SENDING, ASK)  # what "posts waiting" counts
FIRST_RETRY_MS, LONGEST_RETRY_MS = 5_000, 300_000
DEFAULT_LEASE_MS = 600_000
# Where each channel's sender lives: imported when a delivery of that channel is first sent.
PROVIDERS = {"post": "warroom.comms.post"}


class DeliveryError(WarroomError):
    """A delivery that did not go. ``reason`` is safe to show (no secrets); ``transient``: the
    service was unreachable or busy, a later try may work; ``maybe_sent``: no reply came after
    the request was sent, so it may have gone."""

    exit_code = 1  # the input was fine: the service failed

    def __init__(self, target: str, reason: str, *, transient: bool = False, maybe_sent: bool = False) -> None:
        super().__init__(f"{target}: {reason}")
        self.target, self.reason = target, reason
        self.transient, self.maybe_sent = transient, maybe_sent


@dataclass(frozen=True)
class Delivery:
    id: str
    incident: str
    channel: str
    target: str
    request: dict
    dedup_key: str
    attempts: int
    next_try_ms: int
    state: str
    last_error: str
    created_ms: int

    @classmethod
    def from_row(cls, row: tuple) -> "Delivery":
        values = list(row)
        values[4] = json.loads(values[4])
        return cls(*values)


@dataclass(frozen=True)
class Sent:
    """What a sender reports when its service took the delivery."""

    detail: str
    remote_id: str = ""
    attempts: int = 1


@dataclass(frozen=True)
class Sender:
    """How one channel's deliveries go: ``send`` does the I/O (raising :class:`DeliveryError`),
    ``items`` are the events that record it, ``replay_safe`` says whether a send whose reply
    was lost may simply be tried again (the service de-duplicates it), ``lease_ms`` how long
    one send may take at most."""

    send: Callable[["Room", Delivery], Sent]
    items: Callable[["Room", Delivery, Sent], list["Item"]]
    replay_safe: Callable[[Delivery], bool] = lambda delivery: False
    lease_ms: Callable[[], int] = lambda: DEFAULT_LEASE_MS


@dataclass(frozen=True)
class Outcome:
    delivery: Delivery
    state: str  # sent, waiting, ask, failed, dropped, or "taken" (another process had it)
    sent: Sent | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.state == SENT


_SENDERS: dict[str, Sender] = {}


def register(channel: str, sender: Sender) -> None:
    _SENDERS[channel] = sender


def sender_for(channel: str, senders: dict[str, Sender] | None = None) -> Sender:
    if senders and channel in senders:
        return senders[channel]
    if channel not in _SENDERS and channel in PROVIDERS:
        importlib.import_module(PROVIDERS[channel])  # registers its sender
    if channel not in _SENDERS:
        raise WarroomError(f"no sender for {channel!r} deliveries (known: {', '.join(sorted(PROVIDERS))})")
    return _SENDERS[channel]


def backoff_ms(attempts: int) -> int:
    """The wait after the ``attempts``-th failed try: 5 s, 10 s, 20 s … at most 5 min."""
    return min(FIRST_RETRY_MS * 2 ** max(0, attempts - 1), LONGEST_RETRY_MS)


# -- queueing and sending ------------------------------------------------------------------
def queue(room: Room, incident: str, channel: str, target: str, request: dict, dedup_key: str = "",
          senders: dict[str, Sender] | None = None) -> Delivery:
    """Keep a delivery, taken by this process to be sent at once (see :func:`attempt`)."""
    now = room.clock()
    lease = sender_for(channel, senders).lease_ms()
    row = {"id": short_token(10).lower(), "incident": incident, "channel": channel, "target": target,
           "request": json.dumps(request, ensure_ascii=False, separators=(",", ":")), "dedup_key": dedup_key,
           "attempts": 1, "next_try_ms": now + lease, "state": SENDING, "last_error": "", "created_ms": now}
    room.add_delivery(row)
    return Delivery.from_row(tuple(row.values()))


def attempt(room: Room, delivery: Delivery, senders: dict[str, Sender] | None = None) -> Outcome:
    """Send a delivery this process has taken, and leave it sent (recorded), waiting, asking
    or failed."""
    sender = sender_for(delivery.channel, senders)
    try:
        sent = sender.send(room, delivery)
    except DeliveryError as exc:
        if exc.maybe_sent and not sender.replay_safe(delivery):
            return _leave(room, delivery, ASK, exc.reason, keep_time=True)
        if exc.transient or exc.maybe_sent:
            return _leave(room, delivery, WAITING, exc.reason)
        return _leave(room, delivery, FAILED, exc.reason, keep_time=True)
    except WarroomError as exc:  # a config file broken since: kept until it is fixed
        return _leave(room, delivery, WAITING, str(exc))
    except Exception as exc:  # a bug must not lose the post: kept, and the reason shown
        return _leave(room, delivery, WAITING, f"{exc.__class__.__name__}: {exc}")
    return _record(room, delivery, sender, sent, (SENDING,))


def run_due(room: Room, senders: dict[str, Sender] | None = None, now: int | None = None,
            everything: bool = False, limit: int = 20) -> list[Outcome]:
    """Send the waiting deliveries that are due (``everything``: all waiting, due or not), and
    settle those a stopped process left "sending" past their lease."""
    now = room.clock() if now is None else now
    outcomes = []
    rows = room.claim_deliveries(now, DEFAULT_LEASE_MS, (WAITING, SENDING), due_only=True, limit=limit)
    if everything:
        rows += room.claim_deliveries(now, DEFAULT_LEASE_MS, (WAITING,), due_only=False, limit=limit)
    for row in rows:
        before = Delivery.from_row(row)
        delivery = Delivery.from_row((*row[:6], row[6] + 1, row[7], SENDING, *row[9:]))
        try:
            sender = sender_for(delivery.channel, senders)
        except WarroomError as exc:
            outcomes.append(_leave(room, delivery, WAITING, str(exc)))
            continue
        if before.state == SENDING and not sender.replay_safe(delivery):
            # its process stopped mid-send: it may have gone, and a replay could post it twice
            outcomes.append(_leave(room, delivery, ASK, "the send was cut off before its reply: it may have "
                                   "gone out", keep_time=True))
            continue
        outcomes.append(attempt(room, delivery, senders))
    return outcomes


def send_again(room: Room, ident: str, senders: dict[str, Sender] | None = None) -> Outcome:
    """Someone asked: send a delivery now, whatever it waits for (asking, failed, waiting)."""
    rows = room.claim_deliveries(room.clock(), _lease(ident, room, senders), (ASK, FAILED, WAITING),
                                 ids=[ident], due_only=False, limit=1)
    if not rows:
        return _gone(room, ident)
    row = rows[0]
    return attempt(room, Delivery.from_row((*row[:6], row[6] + 1, row[7], SENDING, *row[9:])), senders)


def mark_sent(room: Room, ident: str, senders: dict[str, Sender] | None = None) -> Outcome:
    """Someone checked that it went: record it as sent, sending nothing."""
    found = room.deliveries(ident=ident)
    if not found:
        return _gone(room, ident)
    delivery = Delivery.from_row(found[0])
    if delivery.state not in (ASK, WAITING, FAILED):
        return Outcome(delivery, "taken", error=f"it is {delivery.state}")
    sender = sender_for(delivery.channel, senders)
    return _record(room, delivery, sender, Sent("marked as sent"), (ASK, WAITING, FAILED))


def drop(room: Room, ident: str) -> Outcome:
    """Someone chose to send nothing: the delivery is dropped, nothing is recorded."""
    found = room.deliveries(ident=ident)
    if not found:
        return _gone(room, ident)
    delivery = Delivery.from_row(found[0])
    if not room.set_delivery(ident, (ASK, WAITING, FAILED), state=DROPPED):
        return Outcome(delivery, "taken", error=f"it is {delivery.state}")
    return Outcome(delivery, DROPPED)


def pending(room: Room, incident: str | None = None) -> list[Delivery]:
    """Deliveries not settled yet (waiting, being sent, asking), oldest first."""
    return [Delivery.from_row(row) for row in room.deliveries(PENDING, incident)]


def find(room: Room, ref: str) -> Delivery:
    """A delivery by its id or a unique prefix of it."""
    ref = ref.strip().lower()
    found = [d for d in (Delivery.from_row(row) for row in room.deliveries()) if d.id.startswith(ref)] if ref else []
    if len(found) != 1:
        raise WarroomError(f"no delivery {ref!r}" if not found else f"{ref!r} matches several deliveries")
    return found[0]


def waiting_line(room: Room) -> str | None:
    """What quitting says when posts still wait, else None."""
    count, _ = room.delivery_counts(PENDING)
    asking = len(room.deliveries((ASK,)))
    if not count:
        return None
    line = f"warroom: {count} post{'s' if count != 1 else ''} or page{'s' if count != 1 else ''} waiting to send"
    if asking:
        line += f" ({asking} asking whether to send again: the comms pane, or `warroom post --waiting`)"
    return line + "; kept in the local log, the next start (or `warroom post --retry`) resumes them"


# -- inside ----------------------------------------------------------------------------------
def _lease(ident: str, room: Room, senders) -> int:
    found = room.deliveries(ident=ident)
    if not found:
        return DEFAULT_LEASE_MS
    try:
        return sender_for(found[0][2], senders).lease_ms()
    except WarroomError:
        return DEFAULT_LEASE_MS


def _gone(room: Room, ident: str) -> Outcome:
    found = room.deliveries(ident=ident)
    if not found:
        raise WarroomError(f"no delivery {ident!r}")
    delivery = Delivery.from_row(found[0])
    return Outcome(delivery, "taken", error=f"it is {delivery.state}")


def _leave(room: Room, delivery: Delivery, state: str, reason: str, keep_time: bool = False) -> Outcome:
    reason = safe_line(redact(reason))[:500]  # a service's reply: shown on terminals, one line
    changes = {"state": state, "last_error": reason}
    if not keep_time:
        changes["next_try_ms"] = room.clock() + backoff_ms(delivery.attempts)
    room.set_delivery(delivery.id, (SENDING,), **changes)
    return Outcome(delivery, state, error=reason)


def _record(room: Room, delivery: Delivery, sender: Sender, sent: Sent, from_states: tuple[str, ...]) -> Outcome:
    try:
        room.finish_delivery(delivery.id, from_states, sender.items(room, delivery, sent))
    except DeliveryTaken:
        return Outcome(delivery, "taken", sent, "another process recorded it first")
    except WarroomError as exc:
        if from_states != (SENDING,):
            raise  # marking by hand: nothing went out, the caller says why
        # it went out, but the log would not take the record: never send it again by itself
        return _leave(room, delivery, ASK, f"sent, but not recorded ({exc}): mark it sent", keep_time=True)
    return Outcome(delivery, SENT, sent)
