"""Paging through PagerDuty's REST API v2 on loopback: what is sent, what is recorded, and a page
that waits out an outage and goes exactly once."""

from __future__ import annotations

from warroom.paging import page as pg
from warroom.paging.contacts import load_contacts

from .conftest import all_text, PD_TOKEN


def test_paging_a_person_assigns_her_with_a_stable_key_and_records_paged(room, paging):
    pd_api, _ = paging
    incident = room.declare("Checkout 5xx", "SEV1")
    result = pg.page(room, incident.id, "Dana", "checkout down, need the DB owner")
    assert result.state == "sent" and result.remote_id == "PINC001", result
    (post,) = pd_api.requests("POST", "/incidents")
    assert post.headers["authorization"] == f"Token token={PD_TOKEN}"
    assert post.headers["from"] == "warroom-bot@example.com"
    assert post.headers["accept"] == "application/vnd.pagerduty+json;version=2"
    body = post.json()["incident"]
    assert body["type"] == "incident" and body["urgency"] == "high"
    assert body["service"] == {"id": "PSERVICE1", "type": "service_reference"}
    assert body["assignments"] == [{"assignee": {"id": "PUSER01", "type": "user_reference"}}]
    assert "escalation_policy" not in body
    assert body["incident_key"] == f"warroom-{incident.id}-dana"
    assert "Checkout 5xx" in body["title"] and "checkout down" in body["body"]["details"]

    (paged,) = [e for e in room.events(incident.id) if e.kind == "paged"]
    assert paged.payload == {"target": "dana", "provider": "pagerduty", "reason": "checkout down, need the DB owner",
                             "remote_id": "PINC001"}
    page = room.state(incident.id).page("dana")
    assert (page.remote_id, page.acked_ms, page.dry_run) == ("PINC001", None, False)
    assert PD_TOKEN not in all_text(room)

    again = pg.page(room, incident.id, "dana", "still down")
    assert again.state == "already" and len(pd_api.requests("POST", "/incidents")) == 1


def test_a_schedule_is_paged_on_its_escalation_policy(room, paging):
    pd_api, _ = paging
    incident = room.declare("API down", "SEV1")
    assert pg.page(room, incident.id, "cygni-primary-oncall", "API down").state == "sent"
    body = pd_api.requests("POST", "/incidents")[0].json()["incident"]
    assert body["escalation_policy"] == {"id": "PESCAL1", "type": "escalation_policy_reference"}
    assert "assignments" not in body


def test_provider_down_the_page_waits_and_goes_once_when_it_returns(room, paging, clock):
    pd_api, _ = paging
    incident = room.declare("Checkout 5xx", "SEV1")
    pd_api.stop()
    result = pg.page(room, incident.id, "dana", "checkout down")
    assert result.state == "waiting" and "cannot reach" in result.error
    assert "+46 70 123 45 67" in result.line and "@dana" in result.line
    assert not [e for e in room.events(incident.id) if e.kind == "paged"]
    assert [d.target for d in pg.waiting_pages(room)] == ["dana"]
    assert pg.page(room, incident.id, "dana", "asked again").state == "queued"  # never queued twice

    assert pg.retry_pages(room) == []  # not due yet: 5 s after the first failure
    clock.advance(seconds=6)
    assert [o.state for o in pg.retry_pages(room)] == ["waiting"]  # still down: waits again
    pd_api.start()
    clock.advance(seconds=30)
    assert [o.state for o in pg.retry_pages(room)] == ["sent"]
    assert pg.retry_pages(room, everything=True) == []
    assert len(pd_api.requests("POST", "/incidents")) == 1 and len(pd_api.incidents) == 1
    assert [e.payload["remote_id"] for e in room.events(incident.id) if e.kind == "paged"] == ["PINC001"]
    assert pg.waiting_pages(room) == []


def test_a_lost_reply_is_found_by_its_key_not_paged_twice(room, paging, clock):
    pd_api, _ = paging
    incident = room.declare("Checkout 5xx", "SEV1")
    pd_api.script.append("drop-after")  # PagerDuty opens the incident; its reply never arrives
    assert pg.page(room, incident.id, "dana", "checkout down").state == "waiting"
    assert len(pd_api.incidents) == 1
    clock.advance(seconds=6)
    assert [o.state for o in pg.retry_pages(room)] == ["sent"]
    assert len(pd_api.requests("POST", "/incidents")) == 1 and len(pd_api.incidents) == 1
    assert pd_api.requests("GET", "/incidents")[0].query["incident_key"] == [f"warroom-{incident.id}-dana"]
    assert room.state(incident.id).page("dana").remote_id == "PINC001"


def test_an_acknowledgement_on_pagerduty_becomes_page_acked(room, paging, clock):
    pd_api, _ = paging
    incident = room.declare("Checkout 5xx", "SEV1")
    pg.page(room, incident.id, "dana", "checkout down")
    assert pg.poll_acks(room) == ([], [])  # triggered: nothing to record
    clock.advance(minutes=4)
    pd_api.acknowledge("PINC001", "PUSER01", "2026-11-22T14:03:00Z")
    (acked,), problems = pg.poll_acks(room)
    assert problems == [] and acked.kind == "page_acked"
    assert acked.payload == {"target": "dana", "provider": "pagerduty", "by": "Dana Lund",
                             "acked_ms": clock.ms - 60_000, "remote_id": "PINC001"}
    assert "acknowledged by Dana Lund at 14:03" in room.timeline(incident.id)[-1][7]
    page = room.state(incident.id).page("dana")
    assert (page.acked_by, page.acked_ms) == ("Dana Lund", clock.ms - 60_000)
    assert pg.poll_acks(room) == ([], [])  # recorded once
    assert room.state(incident.id).acknowledged_ms is None  # not the incident's own acknowledgement


def test_who_is_on_call_is_cached_and_shown_with_its_age_offline(room, paging, clock):
    pd_api, oncall_api = paging
    oncall_api.schedules["SDBONCALL01"] = {"name": "DB", "on_call_now": ["UKIM00001"], "shifts": [
        {"user_pk": "UERIK0001", "user_email": "erik@example.com", "user_username": "erik",
         "shift_start": "2026-11-22T00:00:00Z", "shift_end": "2026-11-22T12:00:00Z"},
        {"user_pk": "UKIM00001", "user_email": "kim@example.com", "user_username": "kim",
         "shift_start": "2026-11-22T12:00:00Z", "shift_end": "2026-11-23T00:00:00Z"}]}
    pd_api.oncalls = [{"schedule": "PSCHED1", "user": "PUSER01", "start": "2026-11-22T08:00:00Z",
                       "end": "2026-11-22T20:00:00Z"},
                      {"schedule": "PSCHED3", "user": "PUSER02", "start": "2026-11-22T00:00:00Z", "end": None}]
    view = pg.refresh_on_call(room, contacts=load_contacts())
    assert view.live and view.heading() == "on call now"
    rows = {r.schedule: r for r in view.rows}
    primary = rows["cygni-primary-oncall"]
    assert (primary.person, primary.phone, primary.chat) == ("Dana Lund", "+46 70 123 45 67", "@dana")
    assert primary.until_ms == clock.ms + 6 * 3_600_000
    assert rows["cygni-management-escalation"].until_ms is None
    assert pd_api.requests("GET", "/oncalls")[0].query["schedule_ids[]"] == ["PSCHED1", "PSCHED3"]
    db = rows["db-oncall"]  # from OnCall's final shifts: the one covering now, with its end
    assert (db.provider, db.person, db.chat, db.until_ms) == ("oncall", "kim", "#db", clock.ms + 10 * 3_600_000)
    (shifts,) = oncall_api.requests("GET", "/api/v1/schedules/SDBONCALL01/final_shifts")
    assert shifts.query == {"start_date": ["2026-11-22"], "end_date": ["2026-11-23"]}

    pd_api.stop()
    clock.advance(minutes=42)
    offline = pg.refresh_on_call(room, contacts=load_contacts())
    assert not offline.live and offline.problems and "cannot reach" in offline.problems[0]
    assert offline.heading() == "on call as of 14:00 UTC (cached: providers unreachable)"
    assert [(r.person, r.fetched_ms) for r in offline.rows] == [
        ("Sam Berg", clock.ms - 42 * 60_000), ("Dana Lund", clock.ms - 42 * 60_000), ("kim", clock.ms)]
    assert pg.on_call(room).rows == offline.rows  # what a console reads without asking anyone
