from warroom.model import clocks


def test_declare_then_state(room, clock):
    state = room.declare("API down", "SEV1")
    clock.advance(minutes=1)
    room.note(state.id, "hello")
    state = room.state(state.id)
    assert state.severity == "SEV1" and state.entry_count == 1
    update = clocks.next_update(state, room.policy_for(state))
    assert update.due_ms == state.declared_ms + 15 * 60_000
