"""``paged`` and ``page_acked`` as events: checked on the way in, folded the same whatever order
they arrive in, and told on the timeline apart from the incident's own acknowledgement."""

from __future__ import annotations

import itertools

import pytest

from warroom.model.events import EventError, from_wire, summary
from warroom.model.state import fold


def _events(room):
    incident = room.declare("Checkout 5xx", "SEV1")
    paged = room.record(incident.id, "paged", {"target": "dana", "provider": "pagerduty", "reason": "db",
                                               "remote_id": "PINC001", "step": "Escalation matrix +0m"})
    again = room.record(incident.id, "paged", {"target": "DANA", "provider": "oncall", "reason": "db again",
                                               "remote_id": "IGRP0001"})
    acked = room.record(incident.id, "page_acked", {"target": "dana", "provider": "pagerduty", "by": "Dana Lund",
                                                    "acked_ms": paged.occurred_ms + 60_000, "remote_id": "PINC001"})
    return incident.id, room.events(incident.id), (paged, again, acked)


def test_pages_fold_the_same_in_any_order(room, clock):
    incident_id, events, (paged, _, acked) = _events(room)
    states = {tuple(fold(incident_id, order).pages()) for order in itertools.permutations(events)}
    assert len(states) == 1
    (page,) = states.pop()
    assert (page.target, page.provider, page.remote_id, page.paged_by) == ("dana", "pagerduty", "PINC001", "alice")
    assert (page.acked_ms, page.acked_by) == (acked.payload["acked_ms"], "Dana Lund")
    assert page.step == "Escalation matrix +0m"
    assert fold(incident_id, events).acknowledged_ms is None


def test_the_timeline_says_what_was_paged_and_who_answered(room):
    _, _, (paged, _, acked) = _events(room)
    assert summary(paged) == "paged dana via pagerduty PINC001 [Escalation matrix +0m]: db"
    assert summary(acked) == "page to dana acknowledged by Dana Lund at 14:01 (pagerduty)"


@pytest.mark.parametrize("change, words", [
    ({"acked_ms": True}, "acked_ms out of range"),
    ({"acked_ms": 10 ** 20}, "acked_ms out of range"),
    ({"acked_ms": "14:01"}, "should be int"),
    ({"token": "x"}, "unexpected field"),
])
def test_a_hostile_page_acked_from_another_terminal_is_refused(room, change, words):
    _, _, (_, _, acked) = _events(room)
    wire = acked.to_wire()
    wire["payload"] = {**wire["payload"], **change}
    with pytest.raises(EventError) as err:
        from_wire(wire)
    assert words in str(err.value)
