"""Which clock rings now, once: the console's alerts, apart from the console that tells them.

An alert rings once: when an incident's status update falls overdue, when its response or
acknowledgement deadline passes unmet, when an escalation step arrives, when the customer
email falls due unsent (playbook 001: SEV1/SEV2 after 30 min), and when recovery monitoring
after the resolution ends (a step, a deadline or an end further back than ``ALERT_WINDOW_MS``
is not rung: a console started an hour into an incident does not ring for everything it
missed). Nothing here reads the time or draws anything: ``now`` is passed in, and what comes
back is what to tell.
"""

# Annotations are not postponed here: typing compiles each string annotation of a
# NamedTuple when the module is imported, and this loads as the console starts.
import heapq
from typing import Callable, NamedTuple, Optional

from . import clocks
from .events import Event
from .policy import Policy
from .public import customer_email_due, customer_email_prompt
from .state import IncidentState
from .times import hhmm

ALERT_WINDOW_MS = 90_000
TOLD_ONE_BY_ONE = 3  # more alerts than this at once are told (and rung) as one


class Alert(NamedTuple):
    kind: str  # "update", "deadline", "escalation", "customer-email" or "recovery"
    incident: str  # the incident's title
    title: str
    message: str
    severity: str  # a notification's: "error", "warning" or "information"


class Notice(NamedTuple):
    """One notification to show; ``bell`` rings the terminal's bell with it."""
    title: str
    message: str
    severity: str = "information"
    bell: bool = False
    timeout: Optional[float] = None  # None: the console's default


# What the watch needs of an incident: its state and policy, or None once it is not open.
Lookup = Callable[[str], Optional[tuple[IncidentState, Policy]]]


class AlertWatch:
    """The alerts due across the open incidents, each rung once.

    Only incidents whose next alert moment has come are looked at: each check leaves the
    moment of its incident's next alert, and a change to an incident asks for a check of its
    own (:meth:`watch`), so an idle tick costs the same at 5,000 incidents as at one."""

    def __init__(self) -> None:
        self._rung: set[tuple] = set()
        self._due: list[tuple[int, str]] = []  # heap: (when an alert can next ring, incident)
        self._due_at: dict[str, int] = {}  # incident -> the moment of its live heap entry
        self._email_ahead: set[str] = set()  # incidents seen while their customer email was not yet overdue

    def watch(self, incident_id: str, when: int) -> None:
        """Look at an incident again at ``when`` (its clocks may have moved)."""
        self._due_at[incident_id] = when
        heapq.heappush(self._due, (when, incident_id))
        if len(self._due) > 2 * len(self._due_at) + 64:  # mostly replaced entries: drop them
            self._due = [(at, i) for i, at in self._due_at.items()]
            heapq.heapify(self._due)

    def due(self, now: int, lookup: Lookup) -> list[Alert]:
        """The alerts that ring at ``now``, in the order their incidents fell due."""
        alerts: list[Alert] = []
        while self._due and self._due[0][0] <= now:
            when, incident_id = heapq.heappop(self._due)
            if self._due_at.get(incident_id) != when:
                continue  # a later watch of the same incident took its place
            del self._due_at[incident_id]
            found = lookup(incident_id)
            if found is not None:
                nxt = self.check(*found, now, alerts)
                if nxt is not None:
                    self.watch(incident_id, nxt)
        return alerts

    def check(self, state: IncidentState, policy: Policy, now: int, alerts: list[Alert]) -> Optional[int]:
        """Add the alerts due in one incident; return when its next one can be due, if ever."""
        if clocks.is_resolved(state, policy):
            return None
        moments = []
        update = clocks.next_update(state, policy)
        if update and (state.id, "update", update.due_ms) not in self._rung:
            if update.overdue(now):
                self._rung.add((state.id, "update", update.due_ms))
                alerts.append(Alert("update", state.title, "Update overdue",
                                    f"{state.severity} {state.title}: status update overdue since "
                                    f"{hhmm(update.due_ms)} UTC — m to draft it, u once it is out", "error"))
            else:
                moments.append(update.due_ms + 1)
        for clock, deadline in (("ack", clocks.ack_deadline(state, policy)),
                                ("response", clocks.response_deadline(state, policy))):
            if deadline is None or deadline.met_ms is not None or (state.id, clock, deadline.due_ms) in self._rung:
                continue
            if not deadline.overdue(now):
                moments.append(deadline.due_ms + 1)
                continue
            self._rung.add((state.id, clock, deadline.due_ms))
            if now - deadline.due_ms <= ALERT_WINDOW_MS:
                what = "acknowledgement" if clock == "ack" else "response"
                alerts.append(Alert("deadline", state.title, "Not acknowledged",
                                    f"{state.severity} {state.title}: {what} deadline {hhmm(deadline.due_ms)} UTC "
                                    "passed, not acknowledged — K to acknowledge", "error"))
        email = self._customer_email(state, policy, now, alerts)
        if email is not None:
            moments.append(email)
        fell_due = []  # steps a severity change or a reopen made due at once: told together
        for step in clocks.escalation_steps(state, policy):  # in time order
            if step.at_ms > now:
                moments.append(step.at_ms)
                break
            key = (state.id, "escalation", step.track, step.after_minutes, step.at_ms)
            # a first step (after 0) is the declaration's own: rung only when a change made it due
            if key not in self._rung and now - step.at_ms <= ALERT_WINDOW_MS and (step.after_minutes or step.cause):
                self._rung.add(key)
                if step.cause:
                    fell_due.append(step)
                else:
                    alerts.append(Alert("escalation", state.title, "Escalate",
                                        f"{state.title}: engage {step.notify} now ({step.track})", "warning"))
        if fell_due:
            why = {"severity": f"now {state.severity}", "reopen": "reopened"}.get(fell_due[0].cause, fell_due[0].cause)
            steps = "; ".join(f"{s.notify} ({s.track}, due {hhmm(s.due_ms or s.at_ms)})" for s in fell_due)
            alerts.append(Alert("escalation", state.title, "Escalate now",
                                f"{state.title} {why}: engage now {steps}", "warning"))
        return min(moments, default=None)

    def _customer_email(self, state: IncidentState, policy: Policy, now: int, alerts: list[Alert]) -> Optional[int]:
        """The customer email's prompt, once, when it falls due and none was sent; return when
        to look again. One owed at once by a change this watch saw (a severity raised an hour
        in, a reopen) rings too: the window spares only a console started after it fell due."""
        if policy.customer_email is None:
            return None
        deadline = customer_email_due(state, policy)
        if deadline is None or (deadline.met_ms is None and not deadline.overdue(now)):
            self._email_ahead.add(state.id)  # not owed (yet): a severity change asks for a look
            return None if deadline is None else deadline.due_ms + 1
        seen_ahead = state.id in self._email_ahead
        self._email_ahead.discard(state.id)
        key = (state.id, "customer-email", deadline.due_ms)
        if deadline.met_ms is not None or key in self._rung:
            return None
        self._rung.add(key)
        if seen_ahead or now - deadline.due_ms <= ALERT_WINDOW_MS:
            alerts.append(Alert("customer-email", state.title, "Customer email due", customer_email_prompt(state),
                                "warning"))
        return None

    def recovery(self, state: IncidentState, policy: Policy, now: int) -> list[Alert]:
        """The end of recovery monitoring, once: the prompt to post the all-clear. Asked of the
        incident on screen, whose clocks panel counts the window down."""
        window = clocks.recovery_window(state, policy)
        if window is None or now < window[1] or (state.id, "recovery", window[1]) in self._rung:
            return []
        self._rung.add((state.id, "recovery", window[1]))
        if now - window[1] > ALERT_WINDOW_MS:
            return []
        return [Alert("recovery", state.title, "Recovery monitoring ended",
                      f"{state.severity} {state.title}: no recurrence in the {policy.recovery_monitor_minutes} min "
                      f"since the resolution at {hhmm(window[0])} UTC — post the all-clear (m)", "information")]


def notices(alerts: list[Alert], declared: list[Event]) -> list[Notice]:
    """What to tell for one tick's alerts and the incidents declared elsewhere since the last:
    one by one when they are few, else summed up in one notification (and one bell), so a
    catch-up of thousands of incidents is not thousands of notifications."""
    out = []
    if len(alerts) <= TOLD_ONE_BY_ONE:
        out += [Notice(a.title, a.message, a.severity, bell=True, timeout=15) for a in alerts]
    else:
        lines = []
        for kind, what in (("update", "status updates overdue"), ("deadline", "deadlines passed unacknowledged"),
                           ("escalation", "escalation steps due"), ("customer-email", "customer emails due"),
                           ("recovery", "recovery monitoring ended")):
            names = [a.incident for a in alerts if a.kind == kind]
            if names:
                lines.append(f"{what}: {len(names)} ({some(names)})")
        out.append(Notice(f"{len(alerts)} alerts", "\n".join(lines) + "\nx to switch",
                          "error" if any(a.kind in ("update", "deadline") for a in alerts) else "warning",
                          bell=True, timeout=15))
    if 0 < len(declared) <= TOLD_ONE_BY_ONE:
        out += [Notice("New incident", f"{e.payload['severity']} {e.payload['title']} declared by "
                                       f"{e.author} — x to switch") for e in declared]
    elif declared:
        out.append(Notice("New incidents", f"{len(declared)} incidents declared elsewhere "
                                           f"({some([e.payload['title'] for e in declared])}) — x to switch"))
    return out


def some(names: list[str], shown: int = 3) -> str:
    """A few names of a long list: "a, b, c and 7 more"."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more
