"""Paging across the room: terminals sharing one real redis-server. A step that pages is paged
once for the whole room (a ``SET NX`` claim), and an acknowledgement read back by one terminal
reaches every terminal, recorded once."""

from __future__ import annotations

import threading

from warroom.paging import escalation
from warroom.paging import page as pg

from ..waiting import wait_until


def _kinds(room, incident_id: str, kind: str) -> list:
    return [e for e in room.log.events(incident_id) if e.kind == kind]


def _together(*calls) -> list:
    """Run the calls at the same moment, each on a thread of its own; their results in order."""
    results: list = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i, call):
        start.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_terminals_reach_a_paging_step_and_exactly_one_page_is_sent(terminal, paging, clock):
    pd_api, _ = paging
    (a, a_sync), (b, b_sync) = terminal("alice"), terminal("bob")
    incident = a.declare("API down", "SEV2")
    wait_until(lambda: b.incident_ids() == [incident.id], what="the incident in bob's terminal")
    clock.advance(seconds=30)
    done_a, done_b = _together(lambda: escalation.run_due(a, claim=a_sync.claim),
                               lambda: escalation.run_due(b, claim=b_sync.claim))
    assert len(done_a) + len(done_b) == 1  # the other terminal did not even try
    assert len(pd_api.requests("POST", "/incidents")) == 1
    for room in (a, b):
        wait_until(lambda: len(_kinds(room, incident.id, "paged")) == 1, what=f"the page in {room.user}'s log")
    # once the page is in every log, no terminal pages the step again, claim or not
    assert escalation.run_due(a, claim=a_sync.claim) == escalation.run_due(b) == []
    assert len(pd_api.requests("POST", "/incidents")) == 1


def test_an_ack_on_the_server_becomes_page_acked_in_every_terminal_once(terminal, paging, clock):
    pd_api, _ = paging
    (a, a_sync), (b, b_sync) = terminal("alice"), terminal("bob")
    incident = a.declare("Checkout 5xx", "SEV1")
    assert pg.page(a, incident.id, "dana", "checkout down").state == "sent"
    wait_until(lambda: b.state(incident.id).page("dana") is not None, what="the page in bob's terminal")
    clock.advance(minutes=2)
    pd_api.acknowledge("PINC001", "PUSER01", "2026-11-22T14:01:30Z")
    acks_a, acks_b = _together(lambda: pg.poll_acks(a, claim=a_sync.claim)[0],
                               lambda: pg.poll_acks(b, claim=b_sync.claim)[0])
    assert len(acks_a) + len(acks_b) == 1
    for room in (a, b):
        wait_until(lambda: room.state(incident.id).page("dana").acked_ms is not None,
                   what=f"the acknowledgement in {room.user}'s terminal")
        page = room.state(incident.id).page("dana")
        assert (page.acked_by, page.acked_ms) == ("Dana Lund", clock.ms - 30_000)
        assert len(_kinds(room, incident.id, "page_acked")) == 1


def test_a_drill_pages_nobody_from_any_terminal(terminal, paging, clock):
    pd_api, oncall_api = paging
    (a, a_sync), (b, b_sync) = terminal("alice"), terminal("bob")
    incident = a.declare("Cache collapse", "SEV2", drill=True, scenario="cache-collapse")
    wait_until(lambda: b.incident_ids() == [incident.id], what="the drill in bob's terminal")
    clock.advance(minutes=16)  # the SEV2 matrix's +0 and +15 steps are due
    escalation.run_due(a, claim=a_sync.claim)
    escalation.run_due(b, claim=b_sync.claim)
    assert pg.page(b, incident.id, "dana", "rehearsal").state == "dry_run"
    assert pd_api.seen == [] and oncall_api.seen == []
    wait_until(lambda: len(_kinds(a, incident.id, "paged")) == 3, what="three dry runs in alice's log")
    pages = a.state(incident.id).pages()
    assert [p.target for p in pages] == ["cygni-primary-oncall", "cygni-management-escalation", "dana"]
    assert all(p.dry_run for p in pages)
    shown = [row[7] for row in a.timeline(incident.id) if row[4] == "paged"]
    assert len(shown) == 3 and all(line.startswith("DRILL dry run, nobody paged: ") for line in shown)
