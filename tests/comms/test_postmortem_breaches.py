"""The postmortem lists SLA breaches in its timeline, at their due time, and counts them under
the summary: an acknowledgement at the due second is none, one second later is a breach of 1 s."""

from __future__ import annotations

import pytest

from warroom.comms import postmortem

LATE_ACK = "- 14:05 - SLA breach: acknowledgement due 14:05, acknowledged 14:05 (1s late)"


def acked_after(make_room, clock, policy: str, seconds: int) -> str:
    room = make_room("alice", policy=policy)
    state = room.declare("Checkout API 5xx", "SEV2", service="checkout-api")  # 14:00
    clock.advance(seconds=seconds)
    room.acknowledge(state.id)
    clock.advance(minutes=5)
    return postmortem.render_for(room, state.id)


@pytest.mark.parametrize("policy", ["sre-team", "cygni"])
def test_ack_at_the_due_second_is_no_breach(make_room, clock, policy):
    assert "SLA breach" not in acked_after(make_room, clock, policy, 5 * 60)


def test_ack_one_second_late_is_a_breach_of_one_second(make_room, clock):
    lines = acked_after(make_room, clock, "sre-team", 5 * 60 + 1).splitlines()
    assert "1 SLA breach: acknowledgement 1s late." in lines
    # at its due second, before the acknowledgement that came one second later
    assert lines.index(LATE_ACK) < lines.index("- 14:05 - Acknowledged by alice")


def test_a_late_response_and_each_overdue_update_are_listed_in_order(make_room, clock):
    room = make_room("alice", policy="cygni")
    state = room.declare("Checkout API 5xx", "SEV1")  # respond by 14:05, an update every 15 min
    clock.advance(minutes=7)
    room.acknowledge(state.id)
    clock.advance(minutes=9)  # 14:16
    room.update_posted(state.id, "first", "slack")
    clock.advance(minutes=24)  # 14:40: the next update was due 14:31
    text = postmortem.render_for(room, state.id)
    assert [line for line in text.splitlines() if "SLA breach" in line] == [
        "3 SLA breaches: response 2m late, status update 1m late, status update 9m late.",
        "- 14:05 - SLA breach: response due 14:05, acknowledged 14:07 (2m late)",
        "- 14:15 - SLA breach: status update due 14:15, posted 14:16 (1m late)",
        "- 14:31 - SLA breach: status update due 14:31, not posted (9m late)",
    ]
