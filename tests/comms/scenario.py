"""One realistic incident, built on a frozen clock, shared by the template and postmortem tests."""

from __future__ import annotations

from warroom.followup import actions, resolution, rollback


def run_incident(room, clock, policy_name: str):
    """Declared 14:00 (typed 14:03), severity raised, IC handed over, rollback, resolved 15:05."""
    clock.advance(minutes=3)
    state = room.declare("Checkout API 5xx", "SEV2", service="checkout-api",
                         impact="Card payments failing for ~30% of EU users", at=clock() - 3 * 60_000)
    iid = state.id
    resolution.mark(room, iid, "started", at=clock() - 8 * 60_000)  # 13:55
    resolution.mark(room, iid, "detected", at=clock() - 3 * 60_000)  # 14:00
    room.assign(iid, "IC", "alice")
    room.note(iid, "alert fired: 5xx > 5% on checkout", kind="observation", at=clock() - 3 * 60_000)
    clock.advance(minutes=2)  # 14:05
    room.acknowledge(iid)
    resolution.mark(room, iid, "acknowledged")
    room.note(iid, "deploy 4711 went out at 13:50", kind="observation", at=clock() - 15 * 60_000)
    clock.advance(minutes=10)  # 14:15
    room.set_severity(iid, "SEV1")
    room.note(iid, "error rate 31%, all EU card payments", kind="observation")
    room.update_posted(iid, "UPDATE 14:15 ...", "slack")
    clock.advance(minutes=5)  # 14:20
    room.assign(iid, "IC", "bob", briefing="rollback of 4711 is the plan; alice stays on comms")
    rollback.record(room, iid, [True, True])
    room.note(iid, "roll back deploy 4711", kind="decision")
    clock.advance(minutes=10)  # 14:30
    room.set_status(iid, room.policy_for(room.state(iid)).statuses[1].name)
    resolution.mark(room, iid, "mitigated")
    room.set_field(iid, "root_cause", "Deploy 4711 changed the payment client's TLS settings.")
    room.set_field(iid, "contributing_factors", "No canary for the payment client\nAlert threshold too high")
    room.set_field(iid, "what_went_well", "Rollback took 4 minutes")
    room.set_field(iid, "what_went_wrong", "Detection took 5 minutes\nStatus page lagged | twice")
    room.set_field(iid, "resolution", "Rolled back deploy 4711.")
    room.set_field(iid, "lessons", "Canary every client library change.")
    actions.save_action(room, iid, description="Add canary stage for payment client", owner="carol",
                         due="2026-11-29", priority="P0")
    actions.save_action(room, iid, description="Lower 5xx alert threshold to 2%", owner="dave",
                         due="2026-11-20", priority="P1")
    for criterion in room.policy_for(room.state(iid)).resolution_criteria:
        resolution.tick(room, iid, criterion, True)
    clock.advance(minutes=35)  # 15:05
    resolution.resolve(room, iid)
    return room.state(iid)
