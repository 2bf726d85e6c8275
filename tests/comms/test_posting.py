"""Posting against real HTTP servers on loopback: payloads, auth, retries, lost replies."""

from __future__ import annotations

import socket
import time

import pytest

from warroom.comms.post import dedup_key, deliver, Poster, PostError
from warroom.comms.settings import ConfigError, load_settings, Settings
from warroom.model import clocks

from ..services.http import statuspage_routes

HOOK_PATH = "/services/T000/B000/s3cr3tWebhookPath"
SP_KEY, PD_KEY = "sp-key-0123456789", "pd-routing-0123456789"




def make_poster(stub, client, sleeps, **over):
    settings = Settings(slack_webhook=stub.url + HOOK_PATH, statuspage_key=SP_KEY, statuspage_page="pg1",
                        statuspage_url=stub.url + "/v1", statuspage_components=("cmp1",),
                        pagerduty_key=PD_KEY, pagerduty_url=stub.url, timeout=2.0, retries=3,
                        max_wait=5.0, **over)
    return Poster(settings, client, sleep=sleeps.append)


def no_secret_in_log(room, incident_id):
    blob = "\n".join(e.to_json() for e in room.log.events(incident_id))
    for secret in ("s3cr3tWebhookPath", SP_KEY, PD_KEY):
        assert secret not in blob


def test_slack_payload_and_update_clock(stub, client, room, clock):
    stub.routes[("POST", HOOK_PATH)] = lambda req: (200, {}, b"ok")
    state = room.declare("API down", "SEV1")
    clock.advance(minutes=10)
    sleeps = []
    result = deliver(room, state.id, "slack", "UPDATE 14:10\nStatus: Investigating",
                     make_poster(stub, client, sleeps))
    assert result.detail == "posted" and sleeps == []
    [req] = stub.seen
    assert req.method == "POST" and req.path == HOOK_PATH
    assert req.headers["content-type"] == "application/json"
    body = req.json()
    assert body["text"] == "UPDATE 14:10\nStatus: Investigating"
    assert body["blocks"][-1] == {"type": "section", "text": {"type": "mrkdwn", "text": body["text"]}}
    state = room.state(state.id)
    posted = [e for e in room.log.events(state.id) if e.kind == "update_posted"]
    assert [(e.payload["channel"], e.payload["text"]) for e in posted] == [("slack", body["text"])]
    update = clocks.next_update(state, room.policy_for(state))
    assert update.due_ms == clock() + 15 * 60_000
    no_secret_in_log(room, state.id)


@pytest.mark.parametrize("first", [(429, {"Retry-After": "2"}, b"rate_limited"),
                                   (503, {"Retry-After": "1"}, b"busy")])
def test_slack_retries_honour_retry_after(stub, client, first):
    stub.routes[("POST", HOOK_PATH)] = lambda req: (200, {}, b"ok")
    stub.script = [first]
    sleeps = []
    result = make_poster(stub, client, sleeps).slack("hello")
    assert len(stub.seen) == 2 and result.attempts == 2
    assert sleeps == [float(first[1]["Retry-After"])]


def test_retry_after_really_waits(stub, client):
    stub.routes[("POST", HOOK_PATH)] = lambda req: (200, {}, b"ok")
    stub.script = [(429, {"Retry-After": "1"}, b"")]
    poster = make_poster(stub, client, [])
    poster.sleep = time.sleep
    start = time.monotonic()
    poster.slack("hello")
    assert 1.0 <= time.monotonic() - start < 3.0 and len(stub.seen) == 2


def test_5xx_without_retry_after_backs_off_then_gives_up(stub, client):
    stub.routes[("POST", HOOK_PATH)] = lambda req: (500, {}, b"boom")
    sleeps = []
    with pytest.raises(PostError) as err:
        make_poster(stub, client, sleeps).slack("hello")
    assert "HTTP 500" in err.value.reason and "4 attempts" in err.value.reason
    assert len(stub.seen) == 4 and sleeps == [0.5, 1.0, 2.0]


def test_retry_after_longer_than_cap_fails_fast(stub, client):
    stub.script = [(429, {"Retry-After": "3600"}, b"")]
    with pytest.raises(PostError, match="3600"):
        make_poster(stub, client, []).slack("hello")
    assert len(stub.seen) == 1


def test_slack_lost_reply_is_not_replayed(stub, client, room):
    stub.routes[("POST", HOOK_PATH)] = lambda req: (200, {}, b"ok")
    stub.script = ["drop-after"]
    state = room.declare("API down", "SEV1")
    with pytest.raises(PostError) as err:
        deliver(room, state.id, "slack", "hello", make_poster(stub, client, []))
    assert err.value.maybe_sent and "may have been posted" in err.value.reason
    assert len(stub.seen) == 1
    assert not [e for e in room.log.events(state.id) if e.kind == "update_posted"]


def test_client_error_is_reported_with_reason_and_scrubbed(stub, client):
    stub.routes[("POST", HOOK_PATH)] = lambda req: (403, {}, b"invalid_token for " + req.path.encode())
    with pytest.raises(PostError) as err:
        make_poster(stub, client, []).slack("hello")
    assert "HTTP 403" in str(err.value) and "invalid_token" in str(err.value)
    assert "s3cr3tWebhookPath" not in str(err.value)
    assert len(stub.seen) == 1


def test_timeout_is_reported_not_hung(stub, client):
    stub.script = ["hang"]
    poster = make_poster(stub, client, [], )
    poster.settings = Settings(**{**poster.settings.__dict__, "timeout": 0.5})
    start = time.monotonic()
    with pytest.raises(PostError, match=r"no reply within 0.5 s"):
        poster.slack("hello")
    assert time.monotonic() - start < 3.0 and len(stub.seen) == 1


def test_connection_refused_retries_then_fails(client):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = []
    poster = Poster(Settings(slack_webhook=f"http://127.0.0.1:{port}{HOOK_PATH}", retries=2),
                    client, sleep=sleeps.append)
    with pytest.raises(PostError) as err:
        poster.slack("hello")
    assert "cannot connect" in err.value.reason and not err.value.maybe_sent
    assert len(sleeps) == 2 and "s3cr3tWebhookPath" not in str(err.value)


def test_statuspage_create_then_update(stub, client, room):
    routes, incidents = statuspage_routes("pg1")
    stub.routes.update(routes)
    state = room.declare("Checkout down", "SEV1", service="checkout")
    poster = make_poster(stub, client, [])
    text = "Title: Major Service Disruption\nStatus: Investigating\n\nWe are looking into it."
    result = deliver(room, state.id, "statuspage", text, poster)
    assert result.remote_id == "sp1"
    get, post = stub.seen
    assert (get.method, get.path) == ("GET", "/v1/pages/pg1/incidents/unresolved")
    assert post.headers["authorization"] == f"OAuth {SP_KEY}"
    inc = post.json()["incident"]
    assert inc["name"] == "Major Service Disruption" and inc["status"] == "investigating"
    assert inc["body"] == "We are looking into it."
    assert inc["components"] == {"cmp1": "major_outage"} and inc["component_ids"] == ["cmp1"]
    assert inc["metadata"] == {"warroom": {"incident_id": state.id}}
    assert room.state(state.id).get("statuspage_incident") == "sp1"

    room.set_status(state.id, "Identified")
    deliver(room, state.id, "statuspage", "Title: x\n\nFound it.", poster)
    patch = stub.seen[-1]
    assert (patch.method, patch.path) == ("PATCH", "/v1/pages/pg1/incidents/sp1")
    assert patch.json()["incident"]["status"] == "identified"
    room.set_status(state.id, "Resolved")
    deliver(room, state.id, "statuspage", "All clear.", poster)
    assert incidents["sp1"]["status"] == "resolved"
    assert incidents["sp1"]["components"] == {"cmp1": "operational"}
    assert [s.method for s in stub.seen] == ["GET", "POST", "PATCH", "PATCH"]
    no_secret_in_log(room, state.id)


def test_statuspage_lost_create_reply_finds_instead_of_duplicating(stub, client, room):
    routes, incidents = statuspage_routes("pg1")
    stub.routes.update(routes)
    stub.script = [None, "drop-after"]
    state = room.declare("Checkout down", "SEV2")
    result = deliver(room, state.id, "statuspage", "Title: T\n\nBody", make_poster(stub, client, []))
    assert result.remote_id == "sp1" and len(incidents) == 1
    assert [s.method for s in stub.seen] == ["GET", "POST", "GET"]
    assert room.state(state.id).get("statuspage_incident") == "sp1"


def test_pagerduty_dedup_key_survives_a_lost_reply(stub, client, room):
    accepted = []

    def enqueue(req):
        accepted.append(req.json())
        return 202, {}, {"status": "success", "dedup_key": req.json()["dedup_key"]}

    stub.routes[("POST", "/v2/enqueue")] = enqueue
    stub.script = ["drop-after"]
    state = room.declare("DB down", "SEV1")
    sleeps = []
    poster = make_poster(stub, client, sleeps)
    result = deliver(room, state.id, "pagerduty", "DB down\nmore", poster)
    assert result.attempts == 2 and len(sleeps) == 1
    first, second = accepted
    assert first == second  # the replay is the same event: PagerDuty de-duplicates it
    assert first["dedup_key"] == dedup_key(state.id) == result.remote_id
    assert first["routing_key"] == PD_KEY and first["event_action"] == "trigger"
    # the summary names the incident (templates.pagerduty_summary), not the text's first line
    assert first["payload"]["severity"] == "critical" and first["payload"]["summary"] == "[SEV1] DB down"
    deliver(room, state.id, "pagerduty", "", poster, action="acknowledge")
    room.set_status(state.id, "Resolved")
    deliver(room, state.id, "pagerduty", "", poster)
    assert [a["event_action"] for a in accepted[2:]] == ["acknowledge", "resolve"]
    assert all(a["dedup_key"] == dedup_key(state.id) for a in accepted)
    assert "payload" not in accepted[-1]
    no_secret_in_log(room, state.id)


def test_missing_configuration_says_how_to_fix(client):
    with pytest.raises(PostError, match="WARROOM_SLACK_WEBHOOK_URL"):
        Poster(Settings(), client).slack("x")
    with pytest.raises(PostError, match="WARROOM_PAGERDUTY_ROUTING_KEY"):
        Poster(Settings(), client).pagerduty("i", "trigger", "x")


def test_settings_from_file_and_env(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[slack]\nwebhook_url = "https://hooks.example/abc"\n'
                    '[pagerduty]\nrouting_key = "file-key"\nbase_url = "http://127.0.0.1:9"\n'
                    '[http]\ntimeout = 3\n')
    settings = load_settings({"WARROOM_PAGERDUTY_ROUTING_KEY": "env-key"}, path)
    assert settings.slack_webhook == "https://hooks.example/abc" and settings.pagerduty_key == "env-key"
    assert settings.pagerduty_url == "http://127.0.0.1:9" and settings.timeout == 3.0
    assert "env-key" not in repr(settings) and "abc" not in repr(settings)
    path.write_text('[http]\nretries = "many"\n')
    with pytest.raises(ConfigError, match=r"http.retries"):
        load_settings({}, path)
