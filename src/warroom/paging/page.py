"""Paging people: a page, its acknowledgement read back, and who is on call, even offline.

- :func:`page` pages a person, team or schedule of the contacts file for an incident. The page
  goes through the outbox (``comms/outbox.py``, channels ``page:pagerduty`` and ``page:oncall``):
  sent at once when the provider answers, else kept in the local log and retried, and recorded
  as ``paged`` in the same transaction that marks it sent, so exactly once. Its dedup key is the
  provider's ``incident_key`` (``warroom-<incident>-<target>``): one page per target and
  incident, however many times it is asked for, from however many terminals. A DRILL pages
  nobody: the page is recorded as a dry run.
- :func:`poll_acks` asks the providers about the pages still unacknowledged and records what
  they report as ``page_acked`` (who, when), once for the room when a claim is given.
- :func:`refresh_on_call` reads who is on call from every configured provider into the local
  log's ``oncall`` table; :func:`on_call` reads that cache back with its age, which is what
  the room sees while the providers cannot be reached.

For the console: :func:`page` (the page dialog), :func:`waiting_pages` and :func:`retry_pages`
(pages waiting out an outage), :func:`poll_acks` and :func:`refresh_on_call` (in a worker, on a
timer), :func:`on_call` (the escalation panel's on-call rows with phones, offline too), and
``escalation.run_due`` for the steps that page.
"""

from __future__ import annotations

import json
from typing import Callable, NamedTuple, TYPE_CHECKING

from ..comms import outbox
from ..comms.settings import ConfigError
from ..errors import WarroomError
from ..model.safe_text import clean
from ..model.times import hhmm
from .base import PagingError, ProviderDown, ProviderRefused
from .contacts import Contact, Contacts, ContactsError, load_contacts
from .settings import load_paging_settings, PagingSettings

if TYPE_CHECKING:
    from ..model.events import Event
    from ..room import Room

CHANNELS = {"pagerduty": "page:pagerduty", "oncall": "page:oncall"}
LEASE_MS = 120_000  # one send: a look-up, a schedule read and the page itself, each within the timeout
ACK_CLAIM_S = 300.0
Claim = Callable[[str, float], bool]  # SyncEngine.claim: True when this terminal holds the key


class PageResult(NamedTuple):
    """What became of a page: ``state`` is "sent", "waiting" (the provider did not answer: kept
    in the outbox), "failed" (refused), "dry_run" (a drill), "already" (paged before) or
    "queued" (a page for it waits already)."""

    contact: Contact
    state: str
    provider: str = ""
    remote_id: str = ""
    error: str = ""

    @property
    def line(self) -> str:
        """One line saying what happened, for the CLI and the console."""
        who = self.contact.name
        match self.state:
            case "sent":
                return f"paged {who} via {self.provider} ({self.remote_id})"
            case "dry_run":
                return f"DRILL: {who} not paged (dry run recorded); would have paged via {self.provider}"
            case "already":
                return f"{who} was paged already in this incident ({self.provider} {self.remote_id})".rstrip()
            case "queued" | "waiting":
                return (f"{self.provider} unreachable: the page to {who} waits in the outbox and is retried "
                        f"({self.error}); call {self.contact.reach}")
        return f"page to {who} failed: {self.error}; call {self.contact.reach}"


def incident_key(incident_id: str, target: str) -> str:
    """Stable per warroom incident and target: the provider's de-duplication key."""
    return f"warroom-{incident_id}-{target.lower()}"


def choose_provider(contact: Contact, settings: PagingSettings, wanted: str = "") -> str:
    """The provider to page ``contact`` through: the one asked for, else the first it has ids
    for that is configured."""
    able = contact.providers()
    if not able:
        raise ContactsError(f"{contact.name} has no PagerDuty or OnCall id in the contacts file: "
                            f"call {contact.reach}")
    if wanted:
        if wanted not in able:
            raise ContactsError(f"{contact.name} has no {wanted} id in the contacts file "
                                f"(it has: {', '.join(able)})")
        able = (wanted,)
    ready = [p for p in able if settings.configured(p)]
    if not ready:
        raise ConfigError(settings.missing(able[0]))
    return ready[0]


def page(room: Room, incident_id: str, target: str, reason: str, *, provider: str = "", step: str = "",
         contacts: Contacts | None = None, settings: PagingSettings | None = None) -> PageResult:
    """Page ``target`` for the incident (see the module's notes). Raises ContactsError for a
    name the contacts file lacks and ConfigError when no provider is set up; a provider that
    fails is a result, not an error: the page waits (or failed) and the caller shows the phone."""
    contacts = contacts if contacts is not None else load_contacts()
    contact = contacts.get(target)
    reason = " ".join(clean(reason).split())
    if not reason:
        raise WarroomError("a page needs a reason (--reason TEXT)")
    state = room.state(incident_id)
    if not state.declared:
        raise WarroomError(f"no such incident: {incident_id!r}")
    earlier = state.page(contact.name)
    if earlier is not None:
        return PageResult(contact, "already", earlier.provider, earlier.remote_id)
    key = incident_key(incident_id, contact.name)
    queued = [d for d in outbox.pending(room, incident_id) if d.dedup_key == key]
    if queued:
        return PageResult(contact, "queued", queued[0].request.get("provider", ""), error=queued[0].last_error
                          or "queued")
    if state.drill:  # a rehearsal reaches nobody: the page is recorded as what it would have been
        would = (contact.providers() or ("none",))[0]
        payload = {"target": contact.name, "provider": would, "reason": reason, "dry_run": True}
        room.record(incident_id, "paged", {**payload, **({"step": step} if step else {})})
        return PageResult(contact, "dry_run", would)
    settings = settings or load_paging_settings()
    chosen = choose_provider(contact, settings, provider)
    request = _request(room, incident_id, contact, chosen, reason, key, step)
    delivery = outbox.queue(room, incident_id, CHANNELS[chosen], contact.name, request, key)
    outcome = outbox.attempt(room, delivery)
    if outcome.ok:
        return PageResult(contact, "sent", chosen, outcome.sent.remote_id if outcome.sent else "")
    return PageResult(contact, "waiting" if outcome.state in (outbox.WAITING, outbox.SENDING) else "failed",
                      chosen, error=outcome.error)


def _request(room: Room, incident_id: str, contact: Contact, provider: str, reason: str, key: str,
             step: str) -> dict:
    """What the sender needs, kept in the outbox: ids and text, never a token."""
    state = room.state(incident_id)
    title = f"{state.severity} {state.title}: {reason}"
    details = "\n".join([reason, f"warroom incident {incident_id} ({state.slug}), {state.severity} {state.status}",
                         f"paged by {room.user}" + (f" ({step})" if step else "")])
    request = {"provider": provider, "incident_id": incident_id, "target": contact.name, "kind": contact.kind,
               "title": title, "details": details, "reason": reason, "incident_key": key, "step": step}
    if provider == "pagerduty":
        request.update(pagerduty_user=contact.pagerduty_user, pagerduty_service=contact.pagerduty_service,
                       pagerduty_escalation_policy=contact.pagerduty_escalation_policy)
    else:
        request.update(oncall_user=contact.oncall_user, oncall_team=contact.oncall_team,
                       oncall_schedule=contact.oncall_schedule)
    return request


# -- the outbox's senders ------------------------------------------------------------------
_PROVIDERS: dict[tuple, object] = {}


def provider_for(name: str, settings: PagingSettings | None = None, contacts: Contacts | None = None):
    """The process's client for a provider, made on first use (and again when settings change)."""
    settings = settings or load_paging_settings()
    if not settings.configured(name):
        raise ConfigError(settings.missing(name))
    key = (name, settings)
    if key not in _PROVIDERS:
        if name == "pagerduty":
            from .pagerduty import PagerDuty

            _PROVIDERS[key] = PagerDuty(settings)
        else:
            from .oncall import OnCall

            _PROVIDERS[key] = OnCall(settings)
    found = _PROVIDERS[key]
    if name == "oncall":
        found.contacts = contacts if contacts is not None else _contacts_or_none()
    return found


def _contacts_or_none() -> Contacts | None:
    try:
        return load_contacts()
    except ContactsError:
        return None


def _send(room: Room, delivery: outbox.Delivery) -> outbox.Sent:
    request = delivery.request
    try:
        sent = provider_for(request["provider"]).page(request, attempt=delivery.attempts)
    except ProviderDown as exc:
        raise outbox.DeliveryError(delivery.target, exc.reason, transient=True) from None
    except ProviderRefused as exc:
        raise outbox.DeliveryError(delivery.target, exc.reason) from None
    return outbox.Sent(sent.detail, sent.remote_id, delivery.attempts)


def _items(room: Room, delivery: outbox.Delivery, sent: outbox.Sent) -> list:
    request = delivery.request
    payload = {"target": request["target"], "provider": request["provider"], "reason": request["reason"],
               "remote_id": sent.remote_id}
    if request.get("step"):
        payload["step"] = request["step"]
    return [(delivery.incident, "paged", payload, None)]


# A replay is safe: each provider looks the key up before sending again.
_SENDER = outbox.Sender(_send, _items, replay_safe=lambda delivery: True, lease_ms=lambda: LEASE_MS)
for _channel in CHANNELS.values():
    outbox.register(_channel, _SENDER)


def waiting_pages(room: Room, incident_id: str | None = None) -> list[outbox.Delivery]:
    """Pages not sent yet (waiting out an outage, or being sent), oldest first."""
    return [d for d in outbox.pending(room, incident_id) if d.channel in CHANNELS.values()]


def retry_pages(room: Room, everything: bool = False) -> list[outbox.Outcome]:
    """Send the waiting pages that are due (``everything``: due or not); posts are left to
    their own retries."""
    ids = [d.id for d in waiting_pages(room) if d.state in (outbox.WAITING, outbox.SENDING)]
    if not ids:
        return []
    now = room.clock()
    rows = room.claim_deliveries(now, LEASE_MS, (outbox.WAITING, outbox.SENDING), ids=ids,
                                 due_only=not everything, limit=len(ids))
    return [outbox.attempt(room, outbox.Delivery.from_row((*row[:6], row[6] + 1, row[7], outbox.SENDING, *row[9:])))
            for row in rows]


# -- acknowledgements -------------------------------------------------------------------------
def poll_acks(room: Room, claim: Claim | None = None, settings: PagingSettings | None = None,
              contacts: Contacts | None = None) -> tuple[list[Event], list[str]]:
    """Ask the providers about every open incident's pages not acknowledged yet; record each
    answered one as ``page_acked``. With ``claim`` (a shared store) one terminal records it for
    the room. Returns (events recorded, problems met: one line each)."""
    settings = settings or load_paging_settings()
    recorded, problems = [], []
    for incident_id in room.open_ids():
        state = room.state(incident_id)
        for found in state.pages():
            if found.dry_run or found.acked_ms is not None or not found.remote_id \
                    or not settings.configured(found.provider):
                continue
            try:
                ack = provider_for(found.provider, settings, contacts).status(found.remote_id)
            except PagingError as exc:
                problems.append(str(exc))
                continue
            if not ack.answered:
                continue
            if claim is not None and not holds(claim, f"ack:{incident_id}:{found.target.lower()}", ACK_CLAIM_S):
                continue
            now = room.clock()
            at = min(ack.at_ms or now, now)
            payload = {"target": found.target, "provider": found.provider, "by": ack.by, "acked_ms": at,
                       "remote_id": found.remote_id}
            recorded.append(room.record(incident_id, "page_acked", payload, at=max(at, found.paged_ms)))
    return recorded, problems


def holds(claim: Claim, key: str, ttl: float) -> bool:
    """Whether this terminal holds ``key``; a store that cannot be asked does not stop paging
    (the providers' keys de-duplicate what two terminals might both send)."""
    try:
        return claim(key, ttl)
    except WarroomError:
        return True


# -- who is on call ----------------------------------------------------------------------------
class OnCallRow(NamedTuple):
    schedule: str
    provider: str
    person: str
    until_ms: int | None
    fetched_ms: int
    phone: str = ""  # the person's, from the contacts file, else the schedule's
    chat: str = ""


class OnCallView(NamedTuple):
    rows: list[OnCallRow]
    live: bool  # every configured provider answered just now
    problems: list[str]

    @property
    def as_of_ms(self) -> int | None:
        """When the oldest row shown was read: what "as of HH:MM" says offline."""
        return min((r.fetched_ms for r in self.rows), default=None)

    def heading(self) -> str:
        if self.live:
            return "on call now"
        if self.as_of_ms is None:
            return "on call: unknown (no provider reached yet, nothing cached)"
        return f"on call as of {hhmm(self.as_of_ms)} UTC (cached: providers unreachable)"


def refresh_on_call(room: Room, settings: PagingSettings | None = None,
                    contacts: Contacts | None = None) -> OnCallView:
    """Read who is on call for the contacts file's schedules from each configured provider, keep
    it in the local log, and return the cache (live when every provider answered)."""
    settings = settings or load_paging_settings()
    contacts = contacts if contacts is not None else load_contacts()
    schedules = list(contacts.schedules)
    problems, asked = [], 0
    for name in ("pagerduty", "oncall"):
        wanted = [c for c in schedules if (c.pagerduty_schedule if name == "pagerduty" else c.oncall_schedule)]
        if not wanted or not settings.configured(name):
            continue
        asked += 1
        provider = provider_for(name, settings, contacts)
        try:
            shifts = provider.on_call(wanted) if name == "pagerduty" else provider.on_call(wanted, room.clock())
        except PagingError as exc:
            problems.append(str(exc))
            continue
        _store(room, name, [c.name for c in wanted], shifts)
    view = on_call(room, contacts)
    return view._replace(live=asked > 0 and not problems, problems=problems)


def _store(room: Room, provider: str, schedules: list[str], shifts: list) -> None:
    """Replace the cache rows of ``schedules`` for one provider, on the writer."""
    now = room.clock()
    room.writer_log().replace_on_call(
        provider, schedules,
        [(s.schedule, s.person, s.until_ms, now, json.dumps({"person_id": s.person_id})) for s in shifts])


def on_call(room: Room, contacts: Contacts | None = None) -> OnCallView:
    """Who is on call as last read, from the local log, with the phone and chat handle of the
    person (or of the schedule) from the contacts file. Reads on the reader connection."""
    if contacts is None:
        contacts = _contacts_or_none() or Contacts("")
    out = []
    for schedule, provider, person, until_ms, fetched_ms, payload in room.on_call_rows():
        try:
            person_id = str(json.loads(payload).get("person_id") or "")
        except (ValueError, AttributeError):
            person_id = ""
        who = contacts.by_user(provider, person_id) or contacts.find(person)
        where = contacts.find(schedule)
        phone = (who.phone if who else "") or (where.phone if where else "")
        chat = (who.chat if who else "") or (where.chat if where else "")
        out.append(OnCallRow(schedule, provider, person, until_ms, fetched_ms, phone, chat))
    return OnCallView(out, False, [])
