"""Paging through Grafana OnCall's HTTP API on loopback: direct paging of a user and of whoever a
schedule has on call, the alert group's acknowledgement read back, and what the settings refuse."""

from __future__ import annotations

import pytest

from warroom.comms.settings import ConfigError
from warroom.paging import page as pg
from warroom.paging.settings import load_paging_settings

from .conftest import all_text, ONCALL_TOKEN


def test_paging_a_person_through_oncall_and_reading_her_acknowledgement(room, paging, clock):
    pd_api, oncall_api = paging
    incident = room.declare("Search latency", "SEV2")
    result = pg.page(room, incident.id, "erik", "search p99 at 4 s")
    assert result.state == "sent" and result.provider == "oncall" and result.remote_id == "IGRP0001"
    (post,) = oncall_api.requests("POST", "/api/v1/escalation/")
    assert post.headers["authorization"] == ONCALL_TOKEN  # the token itself, as OnCall documents
    body = post.json()
    assert body["users"] == [{"id": "UERIK0001", "important": True}] and "team" not in body
    assert body["title"].endswith(f"[warroom-{incident.id}-erik]") and "search p99 at 4 s" in body["message"]
    assert pd_api.seen == []
    assert ONCALL_TOKEN not in all_text(room)

    assert pg.poll_acks(room) == ([], [])  # firing
    clock.advance(minutes=3)
    oncall_api.acknowledge("IGRP0001", "UERIK0001", "2026-11-22T14:02:30.123456Z")
    (acked,), _ = pg.poll_acks(room)
    assert acked.payload == {"target": "erik", "provider": "oncall", "by": "erik", "acked_ms": clock.ms - 29_877,
                             "remote_id": "IGRP0001"}
    assert room.state(incident.id).page("erik").acked_by == "erik"


def test_a_schedule_is_paged_to_whoever_it_has_on_call_and_a_lost_reply_is_not_paged_again(room, paging, clock):
    _, oncall_api = paging
    oncall_api.schedules["SDBONCALL01"] = {"name": "DB", "on_call_now": ["UKIM00001"], "shifts": []}
    incident = room.declare("DB failover", "SEV1")
    oncall_api.script += [None, "drop-after"]  # the schedule read answers; the page's reply is lost
    assert pg.page(room, incident.id, "db-oncall", "replica lag 40 s").state == "waiting"
    assert len(oncall_api.groups) == 1
    clock.advance(seconds=6)
    assert [o.state for o in pg.retry_pages(room)] == ["sent"]
    assert len(oncall_api.requests("POST", "/api/v1/escalation/")) == 1 and len(oncall_api.groups) == 1
    assert oncall_api.groups["IGRP0001"]["paged_users"] == ["UKIM00001"]
    assert room.state(incident.id).page("db-oncall").remote_id == "IGRP0001"
    # acknowledged by someone the contacts file does not know: named by OnCall's username
    oncall_api.acknowledge("IGRP0001", "UKIM00001", "2026-11-22T14:00:05Z")
    (acked,), _ = pg.poll_acks(room)
    assert acked.payload["by"] == "kim"


def test_a_refusal_is_not_retried_and_says_why(room, paging, clock):
    _, oncall_api = paging
    oncall_api.users.pop("UERIK0001")
    incident = room.declare("Search latency", "SEV2")
    result = pg.page(room, incident.id, "erik", "search down")
    assert result.state == "failed" and "HTTP 400" in result.error and "does not exist" in result.error
    assert "+46 70 765 43 21" in result.line
    clock.advance(minutes=10)
    assert pg.retry_pages(room) == [] and pg.waiting_pages(room) == []
    assert len(oncall_api.requests("POST", "/api/v1/escalation/")) == 1


@pytest.mark.parametrize("var, value, words", [
    ("WARROOM_ONCALL_API_URL", "http://oncall.example.com", "http:// only to 127.0.0.1"),
    ("WARROOM_PAGERDUTY_API_URL", "http://127.0.0.1:9", "an https:// URL"),
    ("WARROOM_PAGERDUTY_FROM", "not-an-address", "e-mail address"),
    ("WARROOM_PAGING_TIMEOUT", "0", "above 0"),
    ("WARROOM_PAGING_CA_FILE", "/nonexistent/ca.pem", "no such file"),
])
def test_unusable_settings_are_refused_naming_the_variable(config_dir, monkeypatch, var, value, words):
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as err:
        load_paging_settings()
    assert str(err.value).startswith(f"{var}: expected") and words in str(err.value)


def test_config_file_settings_and_a_token_never_shown(config_dir, monkeypatch):
    (config_dir / "config.toml").write_text('[paging]\npagerduty_api_token = "tok-123456789"\n'
                                            'pagerduty_from = "bot@example.com"\npagerduty_typo = 1\n')
    with pytest.raises(ConfigError) as err:
        load_paging_settings()
    assert "paging.pagerduty_typo: unknown setting" in str(err.value) and str(config_dir) in str(err.value)
    (config_dir / "config.toml").write_text('[paging]\npagerduty_api_token = "tok-123456789"\n'
                                            'pagerduty_from = "bot@example.com"\n')
    settings = load_paging_settings()
    assert settings.configured("pagerduty") and not settings.configured("oncall")
    assert "tok-123456789" not in repr(settings) and "***" in repr(settings)
