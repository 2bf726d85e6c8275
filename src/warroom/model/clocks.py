"""The war room's clocks, as pure functions of (state, policy, now).

Nothing here reads the time: ``now`` is passed in, so "as of T" views and frozen-clock
tests are the same code as the live console.

The clocks follow the incident's history, not only where it stands: its severity and status
changes and its progress are walked in time order (:func:`_walk`, kept on the state until
the next event). The rules (the README's Policies section gives them with an example):

- Response, by the severity, from the declaration. An upgrade counts it again from the
  upgrade, unless it was met already; a downgrade never brings it earlier and never forgives
  a deadline already missed. A reopen counts it again from the reopen, met only by an
  acknowledgement after it.
- Acknowledgement (the policy's ``acknowledge_within``): its own clock, from the declaration
  or the last reopen; severity changes leave it.
- Escalation: a step is engaged at its time and stays engaged; a level once engaged is not
  engaged again (only a ``reset`` ladder goes back to its first step). A "no progress" ladder
  counts from the last event its track calls progress and goes on from the level reached.
  A step whose time passed while its track did not apply (a lower severity, or resolved) is
  engaged at once when the track applies again: it is "due now", at the change.
- Status updates: the cadence of the severity, from the last update posted, the declaration
  or the last reopen. Elapsed time stops at resolution.
- Breaches (:func:`breaches`): a deadline met after its due second, or unmet past it, and each
  stretch in which the update clock was overdue. A breach stays one after what replaced its
  deadline (an upgrade, a reopen) or its cadence (a downgrade); an unmet one grows until the
  resolution.
"""

# Annotations are not postponed here: typing compiles each string annotation of a
# NamedTuple when the module is imported, and these load as the console starts.
from typing import NamedTuple

from .events import ENTRY_KINDS
from .policy import Policy, Track
from .state import IncidentState
from .times import next_business_day

MINUTE = 60_000


class UpdateClock(NamedTuple):
    due_ms: int
    cadence_minutes: int
    since_ms: int  # last posted update, the declaration, or the last reopen

    def remaining(self, now: int) -> int:
        return self.due_ms - now

    def overdue(self, now: int) -> bool:
        return now > self.due_ms


class Escalation(NamedTuple):
    at_ms: int  # when the step is (or was) engaged
    notify: str
    track: str
    after_minutes: int
    due_ms: int | None = None  # when its own rule made it due: before at_ms when it fell due at a change
    cause: str = ""  # that change: "severity" or "reopen"


class Deadline(NamedTuple):
    due_ms: int
    met_ms: int | None

    def overdue(self, now: int) -> bool:
        return self.met_ms is None and now > self.due_ms


class Breach(NamedTuple):
    """A deadline missed: ``clock`` is "ack", "response" or "update"; ``met_ms`` None when
    what would have met it never came (still late, or the clock stopped first)."""

    clock: str
    due_ms: int
    met_ms: int | None
    late_by_ms: int


class LadderReset(NamedTuple):
    """When a "no progress" ladder's clock last started, and what started it."""

    at_ms: int
    event_id: str
    kind: str  # the progress word (``decision``, ``milestone:mitigated``…), or "declared"
    track: str


class _Walk(NamedTuple):
    steps: list[Escalation]
    changes: list[int]  # moments of a severity change or a reopen
    resets: dict[int, LadderReset]  # by the track's index in the policy
    response: Deadline | None
    ack: Deadline | None
    reopened_ms: int | None  # the last reopen
    resolved_ms: int | None  # when the current resolved status began
    # deadlines an upgrade or a reopen replaced, as (clock, due, met, until): ``until`` is when an
    # unmet one stopped counting (None: it counts on, to now or the resolution)
    replaced: tuple[tuple[str, int, int | None, int | None], ...] = ()


def is_resolved(state: IncidentState, policy: Policy) -> bool:
    status = policy.find_status(state.status)
    return status is not None and status.resolved


def next_update(state: IncidentState, policy: Policy) -> UpdateClock | None:
    """When the next status update is due: the last posted one (or the declaration, or the
    last reopen) plus the cadence of the current severity. None when resolved or the
    cadence is "as needed"."""
    if state.declared_ms is None or is_resolved(state, policy):
        return None
    sev = policy.find_severity(state.severity)
    cadence = sev.update_every_minutes if sev is not None else None
    if cadence is None:
        return None
    since = max(state.declared_ms, state.last_update_ms or state.declared_ms, _walk(state, policy).reopened_ms or 0)
    return UpdateClock(since + cadence * MINUTE, cadence, since)


def escalation_steps(state: IncidentState, policy: Policy) -> list[Escalation]:
    """Every step engaged so far and every step still to come (if nothing changes), in time order."""
    if state.declared_ms is None:
        return []
    return _walk(state, policy).steps


def next_escalation(state: IncidentState, policy: Policy, now: int) -> Escalation | None:
    """The next escalation step still to come, or None (resolved, or the ladder is done)."""
    if is_resolved(state, policy):
        return None
    return next((step for step in escalation_steps(state, policy) if step.at_ms > now), None)


def engaged(state: IncidentState, policy: Policy, now: int) -> list[Escalation]:
    """Steps whose time has come: who should be engaged by now."""
    return [step for step in escalation_steps(state, policy) if step.at_ms <= now]


def due_now(state: IncidentState, policy: Policy, now: int) -> list[Escalation]:
    """The steps the latest severity change or reopen (at or before ``now``) made due at
    once: their time had passed while their track did not apply."""
    if state.declared_ms is None or is_resolved(state, policy):
        return []
    walk = _walk(state, policy)
    last = max((at for at in walk.changes if at <= now), default=None)
    return [s for s in walk.steps if s.at_ms == last and s.due_ms is not None and s.due_ms < s.at_ms]


def ladder_reset(state: IncidentState, policy: Policy) -> LadderReset | None:
    """The last progress of the current severity's "no progress" ladder (the declaration
    before any); None when no such ladder applies."""
    if state.declared_ms is None:
        return None
    for index, track in enumerate(policy.escalation):
        if track.clock == "progress" and state.severity in track.severities:
            return _walk(state, policy).resets.get(index) or LadderReset(
                state.declared_ms, state.declared_event, "declared", track.name)
    return None


def response_deadline(state: IncidentState, policy: Policy) -> Deadline | None:
    """Response time by severity (``response``), met by the first acknowledgement."""
    if state.declared_ms is None:
        return None
    return _walk(state, policy).response


def ack_deadline(state: IncidentState, policy: Policy) -> Deadline | None:
    """The policy's acknowledgement deadline (``acknowledge_within``), if it has one."""
    if state.declared_ms is None:
        return None
    return _walk(state, policy).ack


def elapsed_ms(state: IncidentState, policy: Policy, now: int) -> int | None:
    """Time since the declaration, stopped at the resolution while resolved."""
    if state.declared_ms is None:
        return None
    end = _walk(state, policy).resolved_ms if is_resolved(state, policy) else None
    return max(0, (now if end is None else end) - state.declared_ms)


def recovery_window(state: IncidentState, policy: Policy) -> tuple[int, int] | None:
    """While resolved, when recovery monitoring (the policy's ``monitor`` minutes) began and
    ends: (resolution, end). None while open, or when the policy watches for no recurrence."""
    if state.declared_ms is None or not policy.recovery_monitor_minutes or not is_resolved(state, policy):
        return None
    start = _walk(state, policy).resolved_ms
    return None if start is None else (start, start + policy.recovery_monitor_minutes * MINUTE)


def breaches(state: IncidentState, policy: Policy, now: int) -> list[Breach]:
    """Every SLA breach as of ``now``, by due time: late or missing acknowledgements and
    responses, and each stretch the status update was overdue (see the module's rules)."""
    if state.declared_ms is None:
        return []
    walk = _walk(state, policy)
    end = min(now, walk.resolved_ms) if is_resolved(state, policy) else now
    found = []
    current = [("ack", walk.ack), ("response", walk.response)]
    for clock, due, met, until in walk.replaced + tuple((c, d.due_ms, d.met_ms, None) for c, d in current if d):
        late = (met if met is not None else (end if until is None else until)) - due
        if late > 0:
            found.append(Breach(clock, due, met, late))
    found += _updates(state, policy, now)[1]
    return sorted(found, key=lambda b: (b.due_ms, b.clock))


def update_compliance(state: IncidentState, policy: Policy, now: int) -> tuple[int, int]:
    """(updates on time, updates that were due) as of ``now``: each overdue stretch is one
    update missed or late."""
    if state.declared_ms is None:
        return 0, 0
    on_time, late = _updates(state, policy, now)
    return on_time, on_time + len(late)


def _updates(state: IncidentState, policy: Policy, now: int) -> tuple[int, list[Breach]]:
    """The update cadence walked through the history up to ``now``, as :func:`next_update`
    sees it at each moment: (updates posted on time, overdue stretches)."""
    declared = state.declared_ms
    points: dict[int, list] = {}  # moment -> [severity/status writes, an update posted]
    sev = status = ""
    for order, name, value in sorted(state.field_history):
        if order[0] <= declared:
            sev, status = (value, status) if name == "severity" else (sev, value)
        elif order[0] <= now:
            points.setdefault(order[0], [[], False])[0].append((name, value))
    for ms in state.updates:
        if declared < ms <= now:
            points.setdefault(ms, [[], False])[1] = True

    def resolved(name: str) -> bool:
        found = policy.find_status(name)
        return found is not None and found.resolved

    def due() -> int | None:
        found = policy.find_severity(sev)
        every = found.update_every_minutes if found is not None else None
        return None if down or every is None else since + every * MINUTE

    since, down, overdue_from, on_time, late = declared, resolved(status), None, 0, []
    for at in sorted(points):
        writes, update = points[at]
        current = due()
        if overdue_from is None and current is not None and current < at:
            overdue_from = current
        if update:
            if overdue_from is not None:
                late.append(Breach("update", overdue_from, at, at - overdue_from))
                overdue_from = None
            elif current is not None:
                on_time += 1
            since = at
        was_down = down
        for name, value in writes:
            sev, status = (value, status) if name == "severity" else (sev, value)
        down = resolved(status)
        if was_down and not down:
            since = max(since, at)
        current = due()
        if overdue_from is not None and (current is None or current >= at):  # resolved, or a downgrade
            late.append(Breach("update", overdue_from, None, at - overdue_from))
            overdue_from = None
    current = due()
    if overdue_from is None and current is not None and current < now:
        overdue_from = current
    if overdue_from is not None:
        late.append(Breach("update", overdue_from, None, now - overdue_from))
    return on_time, late


def progress_entry_kinds(policy: Policy) -> frozenset[str]:
    """The timeline entry kinds (decision, action…) some "no progress" ladder counts as progress:
    those a state loaded without its entries must still be told of (``mark_entries``)."""
    return frozenset(kind for track in policy.escalation if track.clock == "progress"
                     for kind in ENTRY_KINDS if track.counts_as_progress(kind))


def phase(state: IncidentState, policy: Policy) -> str:
    """The lifecycle phase: before acknowledgement the policy's detection phase, then the
    phase the current status belongs to."""
    if state.acknowledged_ms is None and not state.status_changes and not state.roles:
        return policy.unacknowledged_phase
    status = policy.find_status(state.status)
    return status.phase if status is not None else state.status


# -- the walk ---------------------------------------------------------------------------

def _walk(state: IncidentState, policy: Policy) -> _Walk:
    """The clocks of ``state`` under ``policy``, computed once per event applied."""
    key = (state.event_count, len(state.marks))
    cached = state.clock_cache
    if cached is not None and cached[0] is policy and cached[1] == key:
        return cached[2]
    walk = _compute(state, policy)
    state.clock_cache = (policy, key, walk)
    return walk


class _Run:
    """One track walked through time: the next level to reach, and what it counts from."""

    __slots__ = ("track", "index", "next", "anchor", "prev_at", "active")

    def __init__(self, track: Track, index: int, declared: int) -> None:
        self.track, self.index = track, index
        self.next, self.anchor, self.prev_at, self.active = 0, declared, None, False

    def natural(self) -> int | None:
        """When the next level falls due by the track's own rule; None when the ladder is done."""
        if self.next >= len(self.track.steps):
            return None
        base = self.anchor
        if self.track.steps_from == "previous" and self.prev_at is not None:
            base = max(base, self.prev_at)
        return base + self.track.steps[self.next].after_minutes * MINUTE


def _compute(state: IncidentState, policy: Policy) -> _Walk:
    declared = state.declared_ms
    runs = [_Run(track, i, declared) for i, track in enumerate(policy.escalation)]
    seen: dict[str, set[str]] = {}  # track name -> levels engaged (one matrix, a table per severity)
    steps: list[Escalation] = []
    changes: list[int] = []
    resets: dict[int, LadderReset] = {}
    replaced: list[tuple[str, int, int | None, int | None]] = []

    def reach(run: _Run, at: int, due: int, cause: str = "") -> None:
        step = run.track.steps[run.next]
        run.next, run.prev_at = run.next + 1, at
        names = seen.setdefault(run.track.name, set())
        if step.notify not in names:
            names.add(step.notify)
            steps.append(Escalation(at, step.notify, run.track.name, step.after_minutes, due, cause))

    def reach_until(limit: float) -> None:
        for run in runs:
            while run.active and (due := run.natural()) is not None and due <= limit:
                reach(run, due, due)

    def resolved(name: str) -> bool:
        status = policy.find_status(name)
        return status is not None and status.resolved

    # the severity and status the declaration left (backdated writes before it included)
    by_time: dict[int, list] = {}
    sev = status = ""
    for order, name, value in sorted(state.field_history):
        if order[0] <= declared:
            sev, status = (value, status) if name == "severity" else (sev, value)
        else:
            by_time.setdefault(order[0], [[], []])[0].append((name, value))
    for event_id, (ms, what) in sorted(state.marks.items()):  # one copy first: events land from other threads
        if ms > declared:  # what came before the declaration is context, not progress
            by_time.setdefault(ms, [[], []])[1].append((event_id, what))

    is_down = resolved(status)
    response = _Response(policy, sev, declared, sorted(state.acks), replaced)
    ack_from: int | None = None  # acknowledgements from then on count; None: any
    reopened = resolved_ms = None
    if is_down:
        resolved_ms = declared
    for run in runs:
        run.active = not is_down and sev in run.track.severities

    for at in sorted(by_time):
        writes, marks = by_time[at]
        reach_until(at)  # a step due at this very moment was reached: nothing came before it
        was_sev, was_down = sev, is_down
        for name, value in writes:
            sev, status = (value, status) if name == "severity" else (sev, value)
        is_down = resolved(status)
        reopen = was_down and not is_down
        down_since = resolved_ms  # before a reopen: the resolution it undoes
        if reopen:
            if policy.acknowledge_minutes is not None:  # the acknowledgement asked for before the resolution
                replaced.append(_replaced("ack", (reopened or declared) + policy.acknowledge_minutes * MINUTE,
                                          state.acks, ack_from, at, down_since))
            reopened, ack_from, resolved_ms = at, at, None
        elif is_down and not was_down:
            resolved_ms = at
        response.change(at, was_sev, sev, reopen, down_since)
        for event_id, what in marks:
            for run in runs:
                if run.track.clock == "progress" and run.track.counts_as_progress(what):
                    run.anchor = at
                    resets[run.index] = LadderReset(at, event_id, what, run.track.name)
                    if run.track.reset:
                        run.next, run.prev_at = 0, None
                        seen.get(run.track.name, set()).difference_update(s.notify for s in run.track.steps)
        if reopen or sev != was_sev:
            changes.append(at)
        for run in runs:
            applies = not is_down and sev in run.track.severities
            if applies and not run.active:  # the track applies again: what fell due meanwhile is due now
                run.active = True
                while (due := run.natural()) is not None and due < at:
                    reach(run, at, due, "reopen" if reopen else "severity")
            run.active = applies
    reach_until(float("inf"))  # the ladder from here, if nothing changes
    steps.sort(key=lambda s: (s.at_ms, s.track))

    acks = [ms for ms in sorted(state.acks) if ack_from is None or ms >= ack_from]
    met = acks[0] if acks else None
    ack = None
    if policy.acknowledge_minutes is not None:
        ack = Deadline((reopened or declared) + policy.acknowledge_minutes * MINUTE, met)
    deadline = None if response.due is None else Deadline(response.due, met)
    return _Walk(steps, changes, resets, deadline, ack, reopened, resolved_ms, tuple(replaced))


def _replaced(clock: str, due: int, acks: list[int], ack_from: int | None, reopen: int | None,
              down_since: int | None) -> tuple[str, int, int | None, int | None]:
    """A deadline replaced at a reopen (``reopen`` given) or an upgrade: met by the first
    acknowledgement that counted for it (before the reopen); unmet, it counted until the
    resolution the reopen undid, or on."""
    met = next((ms for ms in sorted(acks) if (ack_from is None or ms >= ack_from)
                and (reopen is None or ms < reopen)), None)
    return clock, due, met, down_since if reopen is not None and met is None else None


class _Response:
    """The response deadline through severity changes and reopens (see the module's rules)."""

    def __init__(self, policy: Policy, sev: str, declared: int, acks: list[int], replaced: list) -> None:
        self.policy, self.acks, self.ack_from, self.replaced = policy, acks, None, replaced
        self.anchor = declared
        self.due = self._due(sev, declared)

    def _due(self, sev: str, anchor: int) -> int | None:
        found = self.policy.find_severity(sev)
        if found is None:
            return None
        if found.response_minutes is None:
            return next_business_day(anchor, self.policy.business_day_start, self.policy.timezone)
        return anchor + found.response_minutes * MINUTE

    def _rank(self, sev: str) -> int | None:
        """Policies list severities most severe first."""
        return next((i for i, s in enumerate(self.policy.severities) if s.id.lower() == sev.strip().lower()), None)

    def change(self, at: int, was: str, sev: str, reopen: bool, down_since: int | None) -> None:
        """``down_since``: at a reopen, the resolution it undoes."""
        if reopen:
            if self.due is not None:  # what was asked before the resolution stays asked
                self.replaced.append(_replaced("response", self.due, self.acks, self.ack_from, at, down_since))
            self.anchor, self.ack_from, self.due = at, at, self._due(sev, at)
            return
        old, new = self._rank(was), self._rank(sev)
        if new is None or old == new:
            return
        if any(ms <= at and (self.ack_from is None or ms >= self.ack_from) for ms in self.acks):
            return  # met already: the deadline that was met stands
        if self.due is None or old is None or new < old:  # an upgrade: from now
            if self.due is not None and self.due < at:  # missed before the upgrade: a breach whatever follows
                self.replaced.append(_replaced("response", self.due, self.acks, self.ack_from, None, None))
            self.anchor, self.due = at, self._due(sev, at)
        elif at <= self.due:  # a downgrade before the deadline: the lower severity's time, never less
            self.due = max(self.due, self._due(sev, self.anchor) or self.due)
