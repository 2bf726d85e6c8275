"""The fold: order-independent, idempotent, last-writer-wins, conflicts kept."""

import random

from warroom.model.state import fold


def test_fold_is_order_independent_and_idempotent(make_room, clock):
    alice, bob = make_room("alice"), make_room("bob")
    state = alice.declare("DB down", "SEV2")
    bob.ingest(alice.log.events(state.id))
    for i in range(5):
        clock.advance(seconds=10)
        alice.set_severity(state.id, "SEV1" if i % 2 else "SEV3")
        bob.note(state.id, f"note {i}")
        bob.assign(state.id, "IC", f"person{i}")
    events = alice.log.events(state.id) + bob.log.events(state.id)
    reference = fold(state.id, events).digest()
    for seed in range(20):
        shuffled = events + events[: seed]  # duplicates too
        random.Random(seed).shuffle(shuffled)
        assert fold(state.id, shuffled).digest() == reference


def test_last_writer_wins_on_occurred_time_then_hlc(room, clock):
    state = room.declare("API", "SEV2")
    clock.advance(minutes=10)
    room.set_severity(state.id, "SEV1")
    # Backdated to before the SEV1 change: it happened earlier, so SEV1 still stands.
    room.set_severity(state.id, "SEV3", at=clock() - 5 * 60_000)
    assert room.state(state.id).severity == "SEV1"


def test_state_as_of_a_time(room, clock):
    state = room.declare("API", "SEV2")
    clock.advance(minutes=5)
    room.set_status(state.id, "Identified")
    clock.advance(minutes=5)
    room.set_status(state.id, "Monitoring")
    assert room.state(state.id, at=clock() - 7 * 60_000).status == "Investigating"
    assert room.state(state.id, at=clock() - 2 * 60_000).status == "Identified"
    assert room.state(state.id).status == "Monitoring"


def test_concurrent_writes_from_the_same_parent_are_flagged(make_room, clock):
    alice, bob = make_room("alice"), make_room("bob")
    state = alice.declare("API", "SEV2")
    bob.ingest(alice.log.events(state.id))
    alice.set_severity(state.id, "SEV1")
    clock.advance(seconds=1)
    bob.set_severity(state.id, "SEV3")  # neither saw the other's change
    alice.ingest(bob.log.events(state.id))
    bob.ingest(alice.log.events(state.id))
    a, b = alice.state(state.id), bob.state(state.id)
    assert a.digest() == b.digest()
    assert a.severity == "SEV3"
    [conflict] = a.conflicts
    assert (conflict.field, conflict.kept, conflict.lost, conflict.lost_by) == ("severity", "SEV3", "SEV1", "alice")
    # A later change that had seen both is not a conflict.
    alice.set_severity(state.id, "SEV2")
    assert len(alice.state(state.id).conflicts) == 1


def test_hybrid_clock_orders_after_what_was_seen_despite_a_slow_wall_clock(make_room, clock):
    fast = make_room("fast", clock_=lambda: clock() + 5 * 60_000)
    slow = make_room("slow")
    state = fast.declare("API", "SEV2")
    fast.set_severity(state.id, "SEV1")
    slow.ingest(fast.log.events(state.id))
    slow.set_severity(state.id, "SEV3")  # made after seeing SEV1: must win everywhere
    fast.ingest(slow.log.events(state.id))
    assert slow.state(state.id).severity == fast.state(state.id).severity == "SEV3"
