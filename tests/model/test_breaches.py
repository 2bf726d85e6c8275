"""SLA breaches as facts: a late acknowledgement, a late response and each overdue status
update, with how late, at their boundaries (met at the due second: no breach; one second
late: a breach of one second), from the model and from ``show --json --at``."""

from __future__ import annotations

from warroom.model import clocks
from warroom.model.clocks import Breach
from warroom.model.report import as_text
from warroom.model.state import fold
from warroom.model.times import iso

from .test_engine_clocks import cli, Incident, MIN, MON, SEC, t  # noqa: F401 (cli: the fixture)


def found(inc: Incident, now: int, *only: str) -> list[tuple[str, int, int | None, int]]:
    """The breaches as of ``now`` (of the clocks named in ``only``, if any)."""
    return [tuple(b) for b in clocks.breaches(inc.state(now), inc.policy, now) if not only or b.clock in only]


DEADLINES = ("ack", "response")


def posted(inc: Incident, at: int) -> None:
    inc.add("update_posted", {"text": "update", "channel": "slack"}, at)


# -- acknowledgement and response (playbook 000: ack in 5 min, SEV2 response 30 min) ---------

def test_ack_met_at_the_due_second_is_no_breach_one_second_later_is():
    on_time = Incident("sre-team")
    on_time.ack(t("10:05"))
    assert found(on_time, t("11:00"), *DEADLINES) == []
    late = Incident("sre-team")
    late.ack(t("10:05:01"))
    assert found(late, t("11:00"), *DEADLINES) == [("ack", t("10:05"), t("10:05:01"), SEC)]
    assert late.show(t("10:10"))["breaches"] == [
        {"clock": "ack", "due": iso(t("10:05")), "met_at": iso(t("10:05:01")), "late_by_s": 1}]


def test_unmet_ack_is_a_breach_only_past_its_due_second_and_grows():
    inc = Incident("sre-team")
    assert found(inc, t("10:05")) == []
    assert found(inc, t("10:05:01")) == [("ack", t("10:05"), None, SEC)]
    assert inc.show(t("10:06"))["breaches"] == [
        {"clock": "ack", "due": iso(t("10:05")), "met_at": None, "late_by_s": 60}]


def test_late_response_is_its_own_breach():
    at_due = Incident("sre-team")
    at_due.ack(t("10:30"))
    assert found(at_due, t("11:00"), *DEADLINES) == [("ack", t("10:05"), t("10:30"), 25 * MIN)]
    late = Incident("sre-team")
    late.ack(t("10:30:01"))
    assert found(late, t("10:31"), *DEADLINES) == [("ack", t("10:05"), t("10:30:01"), 25 * MIN + SEC),
                                       ("response", t("10:30"), t("10:30:01"), SEC)]


def test_a_resolution_stops_an_unmet_deadline_growing():
    inc = Incident("sre-team")
    inc.status("Resolved", t("10:10"))
    assert found(inc, t("12:00"), *DEADLINES) == [("ack", t("10:05"), None, 5 * MIN)]


def test_a_deadline_missed_before_an_upgrade_stays_a_breach():
    inc = Incident("sre-team")  # SEV2: respond by 10:30
    inc.severity("SEV1", t("10:40"))  # from the upgrade: by 10:55
    inc.ack(t("10:50"))
    assert clocks.response_deadline(inc.state(), inc.policy) == clocks.Deadline(t("10:55"), t("10:50"))
    assert found(inc, t("11:00"), *DEADLINES) == [("ack", t("10:05"), t("10:50"), 45 * MIN),
                                      ("response", t("10:30"), t("10:50"), 20 * MIN)]


def test_a_downgrade_keeps_a_missed_response():
    inc = Incident("cygni", "SEV1")  # respond by 10:05
    inc.severity("SEV3", t("10:10"))
    inc.ack(t("10:12"))
    assert found(inc, t("10:20"), *DEADLINES) == [("response", t("10:05"), t("10:12"), 7 * MIN)]


def test_a_reopen_keeps_the_breaches_before_it_and_starts_fresh_clocks():
    inc = Incident("sre-team")
    inc.ack(t("10:07"))  # 2 min late
    inc.status("Resolved", t("10:20"))
    inc.status("Investigating", t("11:00"))  # acknowledge again by 11:05
    assert found(inc, t("11:05"), *DEADLINES) == [("ack", t("10:05"), t("10:07"), 2 * MIN)]
    assert found(inc, t("11:05:01"), *DEADLINES) == [("ack", t("10:05"), t("10:07"), 2 * MIN),
                                                  ("ack", t("11:05"), None, SEC)]
    inc.ack(t("11:05"))
    assert found(inc, t("11:30"), *DEADLINES) == [("ack", t("10:05"), t("10:07"), 2 * MIN)]


def test_a_reopen_keeps_an_unmet_ack_missed_before_the_resolution():
    inc = Incident("sre-team")
    inc.status("Resolved", t("10:20"))
    inc.status("Investigating", t("11:00"))
    inc.ack(t("11:01"))
    assert found(inc, t("11:30"), *DEADLINES) == [("ack", t("10:05"), None, 15 * MIN)]


# -- status updates (cygni: SEV1 every 15 min, SEV3 every 60) ---------------------------------

def test_each_update_at_its_due_second_is_on_time_one_second_later_is_a_breach():
    inc = Incident("cygni", "SEV1")
    inc.ack(t("10:01"))
    posted(inc, t("10:15"))  # due 10:15: on time
    posted(inc, t("10:30:01"))  # due 10:30: 1 s late
    late = ("update", t("10:30"), t("10:30:01"), SEC)
    assert found(inc, t("10:45:01")) == [late]  # the next one is due 15 min after the late one
    assert found(inc, t("10:45:02")) == [late, ("update", t("10:45:01"), None, SEC)]
    assert clocks.update_compliance(inc.state(), inc.policy, t("10:45")) == (1, 2)


def test_unposted_update_is_a_breach_past_due_as_next_update_says():
    inc = Incident("cygni", "SEV1")
    for now in (t("10:15"), t("10:15:01"), t("10:20")):
        state = inc.state(now)
        overdue = clocks.next_update(state, inc.policy).overdue(now)
        assert any(b[0] == "update" for b in found(inc, now)) == overdue
    assert found(inc, t("10:20"), "update") == [("update", t("10:15"), None, 5 * MIN)]
    assert inc.show(t("10:20"))["breaches"] == [
        {"clock": "response", "due": iso(t("10:05")), "met_at": None, "late_by_s": 15 * 60},
        {"clock": "update", "due": iso(t("10:15")), "met_at": None, "late_by_s": 5 * 60}]


def test_a_downgrade_keeps_an_overdue_update_and_a_later_miss_is_a_new_breach():
    inc = Incident("cygni", "SEV1")
    inc.ack(t("10:01"))
    inc.severity("SEV3", t("10:20"))  # every 60 min from the declaration: due 11:00
    assert found(inc, t("10:40")) == [("update", t("10:15"), None, 5 * MIN)]
    assert found(inc, t("11:00")) == [("update", t("10:15"), None, 5 * MIN)]
    assert found(inc, t("11:00:01")) == [("update", t("10:15"), None, 5 * MIN), ("update", t("11:00"), None, SEC)]


def test_resolution_closes_an_overdue_update_and_as_needed_has_none():
    inc = Incident("cygni", "SEV1")
    inc.ack(t("10:01"))
    inc.status("Resolved", t("10:25"))
    assert found(inc, t("13:00")) == [("update", t("10:15"), None, 10 * MIN)]
    sev4 = Incident("cygni", "SEV4")
    sev4.ack(t("10:01"))
    assert found(sev4, t("23:00")) == []


def test_breaches_are_folded_from_events_so_the_order_they_arrive_in_does_not_matter():
    inc = Incident("sre-team")
    inc.ack(t("10:06"))
    posted(inc, t("10:31"))
    posted(inc, t("11:01"))

    forward = fold("inc-1", inc.events)
    backward = fold("inc-1", list(reversed(inc.events)))
    now = t("11:10")
    assert clocks.breaches(forward, inc.policy, now) == clocks.breaches(backward, inc.policy, now) == [
        Breach("ack", t("10:05"), t("10:06"), MIN), Breach("update", t("10:30"), t("10:31"), MIN)]


def test_show_text_lists_the_breaches():
    inc = Incident("sre-team")
    inc.ack(t("10:07"))
    text = as_text(inc.state(), inc.policy, MON + 10 * MIN)
    assert "SLA breach: ack due 10:05 UTC, met 10:07 UTC — 2m late" in text


def test_cli_show_json_at_lists_the_breaches(cli):  # noqa: F811 (the fixture imported above)
    cli("--policy", "sre-team", "declare", "API down", "--severity", "SEV2", "--at", "10:00")
    cli("ack", "--at", "10:05:01")
    cli("update-posted", "--at", "10:30")
    assert cli("show", "--json", "--at", "10:05")["breaches"] == []
    late_ack = {"clock": "ack", "due": "2026-11-23T10:05:00Z", "met_at": "2026-11-23T10:05:01Z", "late_by_s": 1}
    assert cli("show", "--json", "--at", "11:00")["breaches"] == [late_ack]
    assert cli("show", "--json", "--at", "11:00:01")["breaches"] == [
        late_ack, {"clock": "update", "due": "2026-11-23T11:00:00Z", "met_at": None, "late_by_s": 1}]
    assert "SLA breach: update due 11:00 UTC, not met — 1s late" in cli("show", "--at", "11:00:01")
