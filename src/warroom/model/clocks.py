"""The war room's clocks, as pure functions of (state, policy, now).

Nothing here reads the time: ``now`` is passed in, so "as of T" views and frozen-clock
tests are the same code as the live console.
"""

# Annotations are not postponed here: typing compiles each string annotation of a
# NamedTuple when the module is imported, and these load as the console starts.
from typing import NamedTuple

from .policy import Policy, Track
from .state import IncidentState
from .times import next_business_day

MINUTE = 60_000


class UpdateClock(NamedTuple):
    due_ms: int
    cadence_minutes: int
    since_ms: int  # last posted update, or the declaration

    def remaining(self, now: int) -> int:
        return self.due_ms - now

    def overdue(self, now: int) -> bool:
        return now > self.due_ms


class Escalation(NamedTuple):
    at_ms: int
    notify: str
    track: str
    after_minutes: int


class Deadline(NamedTuple):
    due_ms: int
    met_ms: int | None

    def overdue(self, now: int) -> bool:
        return self.met_ms is None and now > self.due_ms


def is_resolved(state: IncidentState, policy: Policy) -> bool:
    try:
        return policy.status(state.status).resolved
    except KeyError:
        return False


def next_update(state: IncidentState, policy: Policy) -> UpdateClock | None:
    """When the next status update is due: the last posted one (or the declaration) plus
    the cadence of the current severity. None when resolved or the cadence is "as needed"."""
    if state.declared_ms is None or is_resolved(state, policy):
        return None
    try:
        cadence = policy.severity(state.severity).update_every_minutes
    except KeyError:
        return None
    if cadence is None:
        return None
    since = max(state.declared_ms, state.last_update_ms or state.declared_ms)
    return UpdateClock(since + cadence * MINUTE, cadence, since)


def _track_anchor(state: IncidentState, track: Track) -> int | None:
    return state.declared_ms if track.clock == "declared" else state.last_progress_ms()


def escalation_steps(state: IncidentState, policy: Policy) -> list[Escalation]:
    """Every step of every track that applies to the current severity, in time order."""
    if state.declared_ms is None:
        return []
    steps = []
    for track in policy.tracks_for(state.severity):
        anchor = _track_anchor(state, track)
        for step in track.steps:
            steps.append(Escalation(anchor + step.after_minutes * MINUTE, step.notify,
                                    track.name, step.after_minutes))
    return sorted(steps, key=lambda e: (e.at_ms, e.track))


def next_escalation(state: IncidentState, policy: Policy, now: int) -> Escalation | None:
    """The next escalation step still to come, or None (resolved, or the ladder is done)."""
    if is_resolved(state, policy):
        return None
    return next((step for step in escalation_steps(state, policy) if step.at_ms > now), None)


def engaged(state: IncidentState, policy: Policy, now: int) -> list[Escalation]:
    """Steps whose time has come: who should be engaged by now."""
    return [step for step in escalation_steps(state, policy) if step.at_ms <= now]


def response_deadline(state: IncidentState, policy: Policy) -> Deadline | None:
    """Response time by severity (``response``), met by the first acknowledgement."""
    if state.declared_ms is None:
        return None
    try:
        minutes = policy.severity(state.severity).response_minutes
    except KeyError:
        return None
    if minutes is None:
        due = next_business_day(state.declared_ms, policy.business_day_start)
    else:
        due = state.declared_ms + minutes * MINUTE
    if policy.acknowledge_minutes is not None:
        due = min(due, state.declared_ms + policy.acknowledge_minutes * MINUTE)
    return Deadline(due, state.acknowledged_ms)


def phase(state: IncidentState, policy: Policy) -> str:
    """The lifecycle phase: before acknowledgement the policy's detection phase, then the
    phase the current status belongs to."""
    if state.acknowledged_ms is None and not state.status_changes and not state.roles:
        return policy.unacknowledged_phase
    try:
        return policy.status(state.status).phase
    except KeyError:
        return state.status
