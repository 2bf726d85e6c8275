"""When the customers are owed an email: playbook 001's "Customer Email (SEV1/2 > 30 min)".

A pure function of the incident, like the clocks: the policy's ``[customer_email]`` rule says
for which severities and after how many minutes since the declaration; an ``update_posted``
to customers by email (``state.is_customer_email``) meets it.
"""

from __future__ import annotations

from typing import Iterable

from .clocks import Deadline, is_resolved, MINUTE
from .events import Event
from .policy import Policy
from .state import IncidentState, is_customer_email
from .times import duration, hhmm


def customer_email_due(state: IncidentState, policy: Policy, events: Iterable[Event] | None = None,
                       now: int | None = None) -> Deadline | None:
    """The customer email's deadline, met by the first email to customers; None when the policy
    asks for none, the incident's severity is not one it asks for, or the incident was resolved
    before the email fell due (it did not last that long).

    The emails are read from ``events`` when given, else from the state; with ``now``, nothing
    after it counts (the deadline as of that moment)."""
    rule = policy.customer_email
    if rule is None or state.declared_ms is None or state.severity not in rule.severities:
        return None
    due = state.declared_ms + rule.after_minutes * MINUTE
    if events is not None:
        sent = [e.occurred_ms for e in events if e.kind == "update_posted" and is_customer_email(e.payload)]
    else:
        sent = list(state.customer_emails)
    sent = sorted(ms for ms in sent if now is None or ms <= now)
    met = sent[0] if sent else None
    status = state.fields.get("status")
    resolved_ms = status.order[0] if status is not None and is_resolved(state, policy) else None
    if resolved_ms is not None and (now is None or resolved_ms <= now) and resolved_ms <= due and met is None:
        return None
    return Deadline(due, met)


def customer_email_line(state: IncidentState, policy: Policy, now: int) -> tuple[str, str] | None:
    """The customer email's clock while it is owed, as (text, level) for a panel: the time left
    at level "ok" before it is due, OVERDUE at "alert" once due; None when none is owed or one
    was sent."""
    deadline = customer_email_due(state, policy, now=now)
    if deadline is None or deadline.met_ms is not None:
        return None
    if deadline.overdue(now):
        return (f"customer email due since {hhmm(deadline.due_ms)} UTC, OVERDUE by {duration(now - deadline.due_ms)}"
                " — m, customer-email", "alert")
    return f"customer email due {hhmm(deadline.due_ms)} UTC (in {duration(deadline.due_ms - now)})", "ok"


def customer_email_prompt(state: IncidentState) -> str:
    """What the console says when the customer email falls due."""
    return (f"{state.severity} {state.title}: the customer email is due and none was sent"
            " — m, template customer-email, to draft it")
