"""Escalation steps that act: a step with ``page`` pages its target when it comes due, once for
the whole room; an ack-aware step (``unacked``) pages when an earlier page is still
unacknowledged after its minutes. Steps without ``page`` stay reminders (``model/alerts.py``).

Once for the room: with a shared store the terminal that takes the step's claim (Redis ``SET
NX`` on incident + step, :meth:`SyncEngine.claim`) pages and the others see its ``paged``
event; with no store the terminal that is open pages. Should two terminals page all the same
(a store that cannot be asked, a claim that ran out while a page waited out an outage), the
page's ``incident_key`` makes PagerDuty keep one incident.

A step further back than ``PAGE_WINDOW_MS`` is not paged by itself: an incident left open for
days must not page its management chain when a console opens; page it by hand.

For the console: :func:`due_pages` (what is due, pure), :func:`ack_steps` (the ack-aware steps
and where each stands, for the escalation panel) and :func:`run_due` (page what is due).
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple, TYPE_CHECKING

from ..errors import WarroomError
from ..model import clocks
from ..model.policy import Policy, Step
from ..model.state import IncidentState, Page
from ..model.times import hhmm
from .contacts import Contacts, load_contacts
from .page import Claim, holds, page, PageResult
from .settings import PagingSettings

if TYPE_CHECKING:
    from ..room import Room

MINUTE = 60_000
PAGE_WINDOW_MS = 60 * MINUTE
CLAIM_TTL_S = 15 * 60.0  # long enough to page through a short outage; then another terminal may


class DuePage(NamedTuple):
    incident_id: str
    step: str  # "Escalation matrix +5m": names the step in the claim and the ``paged`` event
    target: str
    notify: str
    due_ms: int
    unacked: str = ""  # an ack-aware step: the target whose page went unanswered

    @property
    def reason(self) -> str:
        if self.unacked:
            return f"{self.notify}: the page to {self.unacked} is unacknowledged (due {hhmm(self.due_ms)} UTC)"
        return f"{self.notify} (escalation step due {hhmm(self.due_ms)} UTC)"


class AckStep(NamedTuple):
    """An ack-aware step and where it stands: ``state`` is "waiting" (its earlier page not sent
    yet), "counting" (due at ``due_ms`` unless answered), "answered" (acknowledged in time),
    "due" (its time came unanswered) or "paged"."""

    track: str
    step: Step
    state: str
    due_ms: int | None
    earlier: Page | None


def step_id(track: str, step: Step) -> str:
    return f"{track} {'ack ' if step.unacked else ''}+{step.after_minutes}m"


def _page_steps(policy: Policy, severity: str) -> dict[tuple[str, int, str], Step]:
    """The timed steps that page, of the tracks the severity follows, by (track, after, notify)."""
    return {(t.name, s.after_minutes, s.notify): s for t in policy.tracks_for(severity) for s in t.steps if s.page}


def ack_steps(state: IncidentState, policy: Policy) -> list[AckStep]:
    """Every ack-aware step of the tracks the incident's severity follows, and where it stands."""
    out = []
    for track in policy.tracks_for(state.severity):
        for step in track.ack_steps:
            earlier = state.page(step.unacked)
            if step.page and state.page(step.page) is not None:
                out.append(AckStep(track.name, step, "paged", None, earlier))
                continue
            if earlier is None:
                out.append(AckStep(track.name, step, "waiting", None, None))
                continue
            due = earlier.paged_ms + step.after_minutes * MINUTE
            answered = earlier.acked_ms is not None and earlier.acked_ms <= due
            out.append(AckStep(track.name, step, "answered" if answered else "counting", due, earlier))
    return out


def due_pages(state: IncidentState, policy: Policy, now: int) -> list[DuePage]:
    """The paging steps due at ``now`` whose target is not paged yet in this incident."""
    if state.declared_ms is None or clocks.is_resolved(state, policy):
        return []
    out: list[DuePage] = []
    paging = _page_steps(policy, state.severity)
    for engaged in clocks.engaged(state, policy, now):
        step = paging.get((engaged.track, engaged.after_minutes, engaged.notify))
        if step is None or state.page(step.page) is not None or now - engaged.at_ms > PAGE_WINDOW_MS:
            continue
        out.append(DuePage(state.id, step_id(engaged.track, step), step.page, step.notify, engaged.at_ms))
    for ack in ack_steps(state, policy):
        if ack.state == "counting" and ack.step.page and ack.due_ms <= now and now - ack.due_ms <= PAGE_WINDOW_MS:
            out.append(DuePage(state.id, step_id(ack.track, ack.step), ack.step.page, ack.step.notify, ack.due_ms,
                               ack.step.unacked))
    seen: set[str] = set()
    return [d for d in out if not (d.target.lower() in seen or seen.add(d.target.lower()))]


def claim_key(due: DuePage) -> str:
    digest = hashlib.sha256(due.step.encode()).hexdigest()[:12]
    return f"page:{due.incident_id}:{digest}"


def run_due(room: Room, now: int | None = None, claim: Claim | None = None,
            contacts: Contacts | None = None, settings: PagingSettings | None = None) -> list[tuple[DuePage, object]]:
    """Page what is due in every open incident, once for the room (see the module's notes).
    Returns (step, PageResult) for each page made, and (step, reason) for each step that could
    not page (a target missing from the contacts file, no provider set up)."""
    now = room.clock() if now is None else now
    contacts = contacts if contacts is not None else load_contacts()
    done: list[tuple[DuePage, object]] = []
    for incident_id in room.open_ids():
        state = room.state(incident_id)
        for due in due_pages(state, room.policy_for(state), now):
            if claim is not None and not holds(claim, claim_key(due), CLAIM_TTL_S):
                continue  # another terminal has the step: its ``paged`` event will come
            try:
                result: PageResult | str = page(room, incident_id, due.target, due.reason, step=due.step,
                                                contacts=contacts, settings=settings)
            except WarroomError as exc:
                result = str(exc)
            done.append((due, result))
    return done
