"""The playbook engine's clocks, exactly, for both shipped policies: each rule at its
boundaries (one second before the due second, the second itself, one second after), as the
pure model computes it and as ``warroom show --json --at TIME`` shows it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from warroom.model import clocks
from warroom.model.alerts import AlertWatch
from warroom.model.events import Event
from warroom.model.ids import format_hlc, uuid7
from warroom.model.policy import load_policy, Policy, PolicyError
from warroom.model.report import as_dict, as_text
from warroom.model.state import fold
from warroom.model.times import iso, next_business_day, parse_time

SEC, MIN = 1000, 60_000
POLICIES_DIR = Path(__file__).resolve().parents[2] / "runbooks" / "policies"
POLICIES = {name: load_policy(name) for name in ("cygni", "sre-team")}


def t(clock: str, date: str = "2026-11-23") -> int:
    """A moment in UTC; 2026-11-23 is a Monday."""
    return parse_time(f"{date}T{clock}Z", 0)


MON = t("10:00")


def around(due: int) -> tuple[int, int, int]:
    return due - SEC, due, due + SEC


class Incident:
    """One incident's events, written as a room writes them, folded as ``show --at`` folds."""

    def __init__(self, policy: str | Policy = "cygni", severity: str = "SEV2", at: int = MON) -> None:
        self.policy = POLICIES[policy] if isinstance(policy, str) else policy
        self.events: list[Event] = []
        self.add("declared", {"title": "API down", "severity": severity, "status": "Investigating",
                              "policy": self.policy.name, "slug": "incident-api-down"}, at)

    def add(self, kind: str, payload: dict, at: int) -> Event:
        event = Event(uuid7(at), "inc-1", kind, payload, "alice", "IC", at, at,
                      format_hlc(at, len(self.events)), "here")
        self.events.append(event)
        return event

    def entry(self, kind: str, at: int) -> Event:
        return self.add("entry", {"kind": kind, "text": f"a {kind}"}, at)

    def status(self, name: str, at: int) -> Event:
        return self.add("status", {"status": name}, at)

    def severity(self, sev: str, at: int) -> Event:
        return self.add("severity", {"severity": sev}, at)

    def ack(self, at: int) -> Event:
        return self.add("ack", {}, at)

    def state(self, until: int | None = None):
        return fold("inc-1", [e for e in self.events if until is None or e.occurred_ms <= until])

    def show(self, now: int) -> dict:
        """``show --json --at now``: the events up to then, the clocks as of then."""
        return as_dict(self.state(now), self.policy, now)

    def engaged(self, now: int) -> list[tuple[str, int]]:
        return [(e.notify, e.at_ms) for e in clocks.engaged(self.state(now), self.policy, now)]


def policy_from(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Policy:
    text = (POLICIES_DIR / f"{name}.toml").read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / f"{name}-variant.toml"
    path.write_text(text)
    return load_policy(str(path))


L1, L2, L3, L4 = ("Level 1: On-call engineer", "Level 2: Team lead / Senior engineer",
                  "Level 3: Engineering manager", "Level 4: VP Engineering")
BUSINESS_NOW = "Engineering Manager, Product Manager, Customer Success (if customer-facing)"


# -- A. response and acknowledgement are two clocks ----------------------------------------

RESPONSE_MINUTES = {  # None: the next business day's start
    "sre-team": {"SEV1": 15, "SEV2": 30, "SEV3": 120, "SEV4": None},
    "cygni": {"SEV1": 5, "SEV2": 15, "SEV3": 60, "SEV4": None},
}


@pytest.mark.parametrize("name,sev", [(p, s) for p in RESPONSE_MINUTES for s in RESPONSE_MINUTES[p]])
def test_response_due_follows_the_severity(name, sev):
    inc = Incident(name, sev)
    minutes = RESPONSE_MINUTES[name][sev]
    # declared Monday 10:00 UTC, inside business hours: SEV4 is due Tuesday's start
    due = MON + minutes * MIN if minutes else t("09:00", "2026-11-24")
    assert clocks.response_deadline(inc.state(), inc.policy).due_ms == due
    before, at, after = around(due)
    assert [inc.show(x)["response_overdue"] for x in (before, at, after)] == [False, False, True]
    assert inc.show(before)["response_due"] == iso(due)


@pytest.mark.parametrize("sev", ["SEV1", "SEV2", "SEV3", "SEV4"])
def test_sre_team_acknowledgement_is_its_own_clock_for_every_severity(sev):
    inc = Incident("sre-team", sev)
    due = MON + 5 * MIN
    before, at, after = around(due)
    assert [inc.show(x)["ack_due"] for x in (before, at, after)] == [
        {"due": iso(due), "met_at": None, "overdue": False},
        {"due": iso(due), "met_at": None, "overdue": False},
        {"due": iso(due), "met_at": None, "overdue": True}]
    # the response clock is the severity's, not folded in with the 5 minutes
    assert inc.show(after)["response_due"] != iso(due) and inc.show(after)["response_overdue"] is False
    inc.ack(at)  # acknowledged on the due second: met, on time
    ack = clocks.ack_deadline(inc.state(), inc.policy)
    assert (ack.due_ms, ack.met_ms, ack.overdue(after + MIN)) == (due, at, False)
    assert clocks.response_deadline(inc.state(), inc.policy).met_ms == at


def test_sre_team_late_acknowledgement_is_met_late_not_on_time():
    inc = Incident("sre-team", "SEV2")
    inc.ack(MON + 5 * MIN + SEC)
    assert inc.show(MON + 6 * MIN)["ack_due"] == {"due": iso(MON + 5 * MIN), "met_at": iso(MON + 5 * MIN + SEC),
                                                  "overdue": False}


@pytest.mark.parametrize("sev", ["SEV1", "SEV4"])
def test_cygni_has_no_acknowledgement_clock(sev):
    inc = Incident("cygni", sev)
    assert clocks.ack_deadline(inc.state(), inc.policy) is None
    assert inc.show(MON + 6 * MIN)["ack_due"] is None


# -- B. "next business day" in the policy's hours and time zone ----------------------------

@pytest.mark.parametrize("name", ["cygni", "sre-team"])
@pytest.mark.parametrize("declared,due", [
    ("2026-11-23T08:59:59", "2026-11-23T09:00:00Z"),  # Monday before opening: the same day
    ("2026-11-23T09:00:00", "2026-11-24T09:00:00Z"),  # opening second, inside hours: next day
    ("2026-11-23T09:00:01", "2026-11-24T09:00:00Z"),
    ("2026-11-27T16:59:59", "2026-11-30T09:00:00Z"),  # Friday: Monday
    ("2026-11-27T18:00:00", "2026-11-30T09:00:00Z"),
    ("2026-11-28T12:00:00", "2026-11-30T09:00:00Z"),  # Saturday
    ("2026-11-29T23:59:59", "2026-11-30T09:00:00Z"),  # Sunday's last second
])
def test_sev4_next_business_day_in_utc_for_both_shipped_policies(name, declared, due):
    at = parse_time(declared + "Z", 0)
    inc = Incident(name, "SEV4", at=at)
    assert inc.show(at)["response_due"] == due


@pytest.mark.parametrize("declared,due", [
    # winter: Stockholm is UTC+1
    ("2026-11-23T07:00:00Z", "2026-11-23T08:00:00Z"),  # Monday 08:00 local -> Monday 09:00 local
    ("2026-11-23T07:59:59Z", "2026-11-23T08:00:00Z"),
    ("2026-11-23T08:00:00Z", "2026-11-24T08:00:00Z"),  # 09:00 local, inside hours: Tuesday 09:00
    ("2026-11-23T08:00:01Z", "2026-11-24T08:00:00Z"),
    ("2026-11-27T17:00:00Z", "2026-11-30T08:00:00Z"),  # Friday 18:00 local -> Monday 09:00 local
    ("2026-11-29T22:59:59Z", "2026-11-30T08:00:00Z"),  # Sunday 23:59:59 local
    ("2026-11-29T23:00:00Z", "2026-11-30T08:00:00Z"),  # Monday 00:00 local: that morning
    # summer: UTC+2
    ("2026-06-05T16:00:00Z", "2026-06-08T07:00:00Z"),  # Friday 18:00 CEST -> Monday 09:00 CEST
    # the night summer time ends (Sunday 25 October 2026): Monday opens at 09:00 CET
    ("2026-10-24T12:00:00Z", "2026-10-26T08:00:00Z"),
])
def test_next_business_day_in_the_policys_time_zone(tmp_path, declared, due):
    policy = policy_from(tmp_path, "sre-team", ('timezone = "UTC"', 'timezone = "Europe/Stockholm"'))
    assert (policy.timezone, policy.business_day_start, policy.business_day_end) == ("Europe/Stockholm", "09:00",
                                                                                   "17:00")
    at = parse_time(declared, 0)
    inc = Incident(policy, "SEV4", at=at)
    assert iso(clocks.response_deadline(inc.state(), policy).due_ms) == due


def test_business_hours_default_to_utc_nine_to_five_and_business_day_start_still_works(tmp_path):
    bare = policy_from(tmp_path, "cygni", ('business_day_start = "09:00"', ""), ('timezone = "UTC"', ""))
    assert (bare.business_day_start, bare.business_day_end, bare.timezone) == ("09:00", "17:00", "UTC")
    early = policy_from(tmp_path, "cygni", ('business_day_start = "09:00"', 'business_day_start = "08:30"'))
    assert iso(clocks.response_deadline(Incident(early, "SEV4", at=t("08:00")).state(), early).due_ms) == \
        "2026-11-23T08:30:00Z"
    hours = policy_from(tmp_path, "sre-team", ('business_hours = "09:00-17:00"', 'business_hours = "07:30-15:00"'))
    assert (hours.business_day_start, hours.business_day_end) == ("07:30", "15:00")
    assert iso(next_business_day(t("07:29:59"), "07:30", "UTC")) == "2026-11-23T07:30:00Z"


@pytest.mark.parametrize("name,old,new,message", [
    ("sre-team", 'timezone = "UTC"', 'timezone = "Mars/Olympus"',
     "timezone: expected an IANA time zone such as \"Europe/Stockholm\", got 'Mars/Olympus'"),
    ("sre-team", 'timezone = "UTC"', 'timezone = "../../etc/passwd"', "timezone: expected an IANA time zone"),
    ("sre-team", 'timezone = "UTC"', "timezone = 1", "timezone: expected a string, got 1"),
    ("sre-team", 'business_hours = "09:00-17:00"', 'business_hours = "9-5"',
     "business_hours: expected opening and closing times \"HH:MM-HH:MM\", got '9-5'"),
    ("sre-team", 'business_hours = "09:00-17:00"', 'business_hours = "17:00-09:00"',
     "business_hours: expected the opening before the closing, got '17:00-09:00'"),
    ("cygni", 'business_day_start = "09:00"', 'business_day_start = "09:00"\nbusiness_hours = "09:00-17:00"',
     "business_hours: expected either business_hours or business_day_start, got both"),
])
def test_business_hours_and_time_zone_are_validated_at_load(tmp_path, name, old, new, message):
    with pytest.raises(PolicyError) as err:
        policy_from(tmp_path, name, (old, new))
    assert str(err.value).startswith(str(tmp_path / f"{name}-variant.toml") + ": ")
    assert message in str(err.value)


def test_time_zones_resolve_without_the_systems_zone_files(tmp_path):
    """tzdata is a dependency: a host without /usr/share/zoneinfo still knows Stockholm."""
    code = ("from warroom.model.times import next_business_day, iso, parse_time; "
            "print(iso(next_business_day(parse_time('2026-11-27T17:00:00Z', 0), '09:00', 'Europe/Stockholm')))")
    env = {**os.environ, "PYTHONTZPATH": str(tmp_path / "no-zone-files")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "2026-11-30T08:00:00Z"


# -- C. "no progress" means no progress ------------------------------------------------------

def test_both_ladders_keep_todays_numbers_without_progress():
    inc = Incident("sre-team", "SEV2")
    for level, minutes in ((L2, 15), (L3, 30), (L4, 60)):
        before, at, after = around(MON + minutes * MIN)
        assert [(level, MON + minutes * MIN) in inc.engaged(x) for x in (before, at, after)] == [False, True, True]
    cygni = Incident("cygni", "SEV1")
    for notify, minutes in (("+ Engineering Manager", 5), ("+ VP Engineering", 15), ("+ CTO", 30), ("+ CEO", 60)):
        before, at, after = around(MON + minutes * MIN)
        assert [(notify, MON + minutes * MIN) in cygni.engaged(x) for x in (before, at, after)] == [False, True, True]


def test_sre_team_an_observation_is_not_progress_an_action_is():
    """The issue's case: status at 10:20, an observation at 10:40 and an action at 10:45; L3 was
    due at 10:50 (30 min after the status change) and must not be."""
    inc = Incident("sre-team", "SEV2")
    inc.status("Identified", t("10:20"))
    inc.entry("observation", t("10:40"))
    action = inc.entry("action", t("10:45"))
    assert (L3, t("10:50")) not in inc.engaged(t("10:50:01"))
    nxt = clocks.next_escalation(inc.state(), inc.policy, t("10:50"))
    assert (nxt.notify, nxt.at_ms) == (L3, t("11:15"))
    before, at, after = around(t("11:15"))
    assert [(L3, t("11:15")) in inc.engaged(x) for x in (before, at, after)] == [False, True, True]
    # what was engaged before the progress stays engaged, at the time it was engaged
    assert inc.engaged(t("11:00")) == [(L1, MON), (L2, t("10:15"))]
    assert inc.show(t("11:00"))["ladder_reset"] == {"at": iso(t("10:45")), "by_event": action.event_id,
                                                    "kind": "action"}


@pytest.mark.parametrize("kind,payload,progress", [
    ("status", {"status": "Identified"}, True),
    ("entry", {"kind": "decision", "text": "roll back"}, True),
    ("entry", {"kind": "action", "text": "rolled back"}, True),
    ("milestone", {"name": "mitigated"}, True),
    ("milestone", {"name": "resolved"}, True),
    ("evidence", {"pane": "pods", "target": "api", "text": "3 restarts"}, True),
    ("entry", {"kind": "observation", "text": "5xx up"}, False),
    ("entry", {"kind": "hypothesis", "text": "the deploy?"}, False),
    ("entry", {"kind": "note", "text": "joined"}, False),
    ("milestone", {"name": "detected"}, False),
    ("severity", {"severity": "SEV3"}, False),
    ("role", {"role": "TL", "person": "bob"}, False),
    ("update_posted", {"text": "still on it"}, False),
])
def test_sre_team_which_events_are_progress(kind, payload, progress):
    inc = Incident("sre-team", "SEV2")
    event = inc.add(kind, payload, t("10:10"))
    due = t("10:25") if progress else t("10:15")  # L2: 15 min after the last progress
    nxt = clocks.next_escalation(inc.state(), inc.policy, t("10:10"))
    assert (nxt.notify, nxt.at_ms) == (L2, due)
    before, at, after = around(due)
    assert [(L2, due) in inc.engaged(x) for x in (before, at, after)] == [False, True, True]
    reset = inc.show(t("10:10"))["ladder_reset"]
    label = payload["kind"] if kind == "entry" else f"milestone:{payload['name']}" if kind == "milestone" else kind
    assert reset == ({"at": iso(t("10:10")), "by_event": event.event_id, "kind": label} if progress else
                     {"at": iso(MON), "by_event": inc.events[0].event_id, "kind": "declared"})


def test_sre_team_a_level_once_engaged_stays_engaged_and_rings_once():
    inc = Incident("sre-team", "SEV2")
    watch, rung = AlertWatch(), []

    def ring(now: int) -> None:
        alerts = []
        watch.check(inc.state(now), inc.policy, now, alerts)
        rung.extend((a.message, now) for a in alerts if a.kind == "escalation")
    ring(t("10:15"))
    inc.status("Identified", t("10:20"))  # progress: the ladder continues from L2
    for now in (t("10:20"), t("10:21"), t("10:35"), t("10:49:59"), t("10:50"), t("10:51")):
        ring(now)
    assert [now for _, now in rung] == [t("10:15"), t("10:50")]
    assert L2 in rung[0][0] and L3 in rung[1][0]
    steps = clocks.escalation_steps(inc.state(), inc.policy)
    assert [s.notify for s in steps].count(L2) == 1
    assert inc.engaged(t("10:50")) == [(L1, MON), (L2, t("10:15")), (L3, t("10:50"))]


def test_cygni_matrix_counts_from_the_declaration_whatever_happens():
    inc = Incident("cygni", "SEV1")
    inc.entry("action", t("10:03"))
    inc.status("Identified", t("10:04"))
    before, at, after = around(t("10:05"))
    assert [("+ Engineering Manager", t("10:05")) in inc.engaged(x) for x in (before, at, after)] == [
        False, True, True]
    assert inc.show(t("10:05"))["ladder_reset"] is None  # no ladder in the cygni playbook


def test_steps_measured_from_the_previous_step(tmp_path):
    policy = policy_from(tmp_path, "sre-team", ('steps_from = "progress"', 'steps_from = "previous"'))
    assert policy.escalation[0].steps_from == "previous"
    inc = Incident(policy, "SEV2")
    for level, due in ((L2, t("10:15")), (L3, t("10:45")), (L4, t("11:45"))):  # 15, +30, +60
        before, at, after = around(due)
        assert [(level, due) in inc.engaged(x) for x in (before, at, after)] == [False, True, True]
    inc.entry("decision", t("10:20"))  # L2 reached: L3 30 min after the progress, L4 60 after L3
    nxt = clocks.next_escalation(inc.state(), policy, t("10:20"))
    assert (nxt.notify, nxt.at_ms) == (L3, t("10:50"))
    assert inc.engaged(t("11:50")) == [(L1, MON), (L2, t("10:15")), (L3, t("10:50")), (L4, t("11:50"))]


def test_reset_true_starts_the_ladder_again(tmp_path):
    policy = policy_from(tmp_path, "sre-team", ('reset = false', 'reset = true'))
    inc = Incident(policy, "SEV2")
    inc.status("Identified", t("10:20"))  # after L2 at 10:15: from Level 1 again
    before, at, after = around(t("10:35"))
    assert [(L2, t("10:35")) in inc.engaged(x) for x in (before, at, after)] == [False, True, True]
    assert inc.engaged(t("10:35")) == [(L1, MON), (L2, t("10:15")), (L1, t("10:20")), (L2, t("10:35"))]


@pytest.mark.parametrize("old,new,message", [
    ('progress = ["status",', 'progress = ["gossip", "status",', "escalation[0].progress: expected event kinds"),
    ('progress = ["status",', 'progress = ["milestone:done", "status",',
     "escalation[0].progress: expected event kinds"),
    ('progress = ["status",', 'progress = [1, "status",', "escalation[0].progress: expected a list of strings"),
    ('steps_from = "progress"', 'steps_from = "last"',
     "escalation[0].steps_from: expected \"progress\" or \"previous\", got 'last'"),
    ('reset = false', 'reset = "yes"', "escalation[0].reset: expected true or false"),
    ('clock = "declared"', 'clock = "declared"\nreset = true',
     'escalation[1].reset: expected only on a clock = "progress" track'),
])
def test_ladder_fields_are_validated_at_load(tmp_path, old, new, message):
    with pytest.raises(PolicyError) as err:
        policy_from(tmp_path, "sre-team", (old, new))
    assert message in str(err.value)


def test_sre_team_progress_is_policy_data():
    track = POLICIES["sre-team"].escalation[0]
    assert (track.progress, track.steps_from, track.reset) == (
        ("status", "decision", "action", "milestone:mitigated", "milestone:resolved", "evidence"), "progress", False)


# -- D. severity changes ------------------------------------------------------------------------

def test_cygni_upgrade_counts_the_response_from_the_upgrade_and_rings_what_fell_due():
    inc = Incident("cygni", "SEV2")
    inc.severity("SEV1", t("10:20"))
    # as of one second before the upgrade: the SEV2 deadline, missed at 10:15
    assert (inc.show(t("10:19:59"))["response_due"], inc.show(t("10:19:59"))["response_overdue"]) == (
        iso(t("10:15")), True)
    before, at, after = around(t("10:25"))  # SEV1: 5 min, from the upgrade
    assert [inc.show(x)["response_overdue"] for x in (before, at, after)] == [False, False, True]
    assert inc.show(at)["response_due"] == iso(t("10:25"))
    # SEV1's matrix: On-call and the EM were engaged under SEV2; the VP (due 10:15) rings now
    assert inc.show(t("10:19:59"))["due_now"] == []
    for now in (t("10:20"), t("10:20:01")):
        assert inc.show(now)["due_now"] == [{"at": iso(t("10:20")), "due": iso(t("10:15")),
                                             "notify": "+ VP Engineering", "track": "Escalation matrix"}]
    assert inc.engaged(t("10:20")) == [("On-call", MON), ("+ Engineering Manager", t("10:15")),
                                       ("+ VP Engineering", t("10:20"))]
    nxt = clocks.next_escalation(inc.state(), inc.policy, t("10:20"))
    assert (nxt.notify, nxt.at_ms) == ("+ CTO", t("10:30"))


def test_sre_team_upgrade_counts_the_response_from_the_upgrade_and_rings_the_business_escalation():
    inc = Incident("sre-team", "SEV2")
    inc.severity("SEV1", t("10:20"))
    before, at, after = around(t("10:35"))  # SEV1: 15 min, from the upgrade
    assert [inc.show(x)["response_overdue"] for x in (before, at, after)] == [False, False, True]
    assert inc.show(at)["ack_due"]["due"] == iso(t("10:05"))  # the page's 5 minutes do not move
    assert inc.show(t("10:20"))["due_now"] == [{"at": iso(t("10:20")), "due": iso(MON), "notify": BUSINESS_NOW,
                                                "track": "Business escalation"}]
    # the technical ladder does not care about severity: L2 engaged at 10:15, L3 at 10:30
    assert inc.engaged(t("10:30")) == [(L1, MON), (L2, t("10:15")), (BUSINESS_NOW, t("10:20")), (L3, t("10:30"))]


def test_an_upgrade_after_the_response_was_met_keeps_the_met_deadline():
    inc = Incident("cygni", "SEV2")
    inc.ack(t("10:10"))
    inc.severity("SEV1", t("10:20"))
    deadline = clocks.response_deadline(inc.state(), inc.policy)
    assert (deadline.due_ms, deadline.met_ms) == (t("10:15"), t("10:10"))


def test_cygni_downgrade_keeps_what_was_engaged_and_what_was_breached():
    inc = Incident("cygni", "SEV1")
    inc.severity("SEV2", t("10:10"))
    view = inc.show(t("10:10"))
    assert (view["response_due"], view["response_overdue"]) == (iso(t("10:05")), True)  # missed at 10:05, still
    assert inc.engaged(t("10:10")) == [("On-call", MON), ("+ Engineering Manager", t("10:05"))]
    # SEV2's EM (due 10:15) was engaged already: not listed nor rung again; its next step is the Sr. Eng.
    before, at, after = around(t("10:30"))
    assert inc.engaged(after) == inc.engaged(at) == [("On-call", MON), ("+ Engineering Manager", t("10:05")),
                                                     ("+ Senior Engineer", t("10:30"))]
    assert inc.engaged(before) == [("On-call", MON), ("+ Engineering Manager", t("10:05"))]
    assert inc.show(t("10:10"))["due_now"] == []


def test_a_downgrade_before_the_deadline_gives_the_lower_severitys_time():
    inc = Incident("cygni", "SEV1")
    inc.severity("SEV2", t("10:03"))
    before, at, after = around(t("10:15"))  # SEV2: 15 min from the declaration
    assert [inc.show(x)["response_overdue"] for x in (before, at, after)] == [False, False, True]


def test_sre_team_downgrade_keeps_the_business_escalation_and_the_breach():
    inc = Incident("sre-team", "SEV1")
    inc.severity("SEV2", t("10:20"))
    view = inc.show(t("10:20"))
    assert (view["response_due"], view["response_overdue"]) == (iso(t("10:15")), True)
    assert (BUSINESS_NOW, MON) in inc.engaged(t("11:30"))
    assert "Executive team (if prolonged outage)" not in [n for n, _ in inc.engaged(t("11:30"))]


# -- E. reopen, and elapsed ----------------------------------------------------------------------

@pytest.mark.parametrize("name,cadence,response", [("cygni", 30, 15), ("sre-team", 30, 30)])
def test_reopen_starts_a_fresh_update_cadence_and_response_clock(name, cadence, response):
    inc = Incident(name, "SEV2")
    inc.ack(t("10:02"))
    inc.add("update_posted", {"text": "on it"}, t("10:10"))
    inc.status("Resolved", t("10:30"))
    inc.status("Investigating", t("12:00"))
    due = t("12:00") + cadence * MIN
    before, at, after = around(due)
    assert [inc.show(x)["update_overdue"] for x in (before, at, after)] == [False, False, True]
    assert inc.show(t("12:00"))["next_update_due"] == iso(due)
    respond = t("12:00") + response * MIN  # the 10:02 acknowledgement was for the first time round
    before, at, after = around(respond)
    assert [inc.show(x)["response_overdue"] for x in (before, at, after)] == [False, False, True]
    inc.ack(t("12:04"))
    assert clocks.response_deadline(inc.state(), inc.policy) == (respond, t("12:04"))
    if name == "sre-team":
        assert clocks.ack_deadline(inc.state(), inc.policy) == (t("12:05"), t("12:04"))


def test_cygni_matrix_steps_that_fell_due_while_resolved_ring_at_the_reopen():
    inc = Incident("cygni", "SEV2")
    inc.status("Resolved", t("10:20"))
    inc.status("Investigating", t("12:00"))
    assert inc.show(t("12:00"))["due_now"] == [
        {"at": iso(t("12:00")), "due": iso(t("10:30")), "notify": "+ Senior Engineer", "track": "Escalation matrix"},
        {"at": iso(t("12:00")), "due": iso(t("11:00")), "notify": "+ VP Engineering", "track": "Escalation matrix"}]


@pytest.mark.parametrize("name", ["cygni", "sre-team"])
def test_elapsed_stops_at_resolution(name):
    inc = Incident(name, "SEV2")
    inc.status("Resolved", t("10:30"))
    before, at, after = around(t("10:30"))
    assert [inc.show(x)["elapsed_s"] for x in (before, at, after, t("11:00"))] == [1799, 1800, 1800, 1800]
    assert "elapsed 30:00" in as_text(inc.state(), inc.policy, t("11:00"))
    assert clocks.elapsed_ms(inc.state(), inc.policy, t("11:00")) == 30 * MIN
    inc.status("Investigating", t("12:00"))  # reopened: counting again, from the declaration
    assert inc.show(t("12:10"))["elapsed_s"] == 2 * 3600 + 10 * 60


# -- show --json --at TIME, from the command line ----------------------------------------------

@pytest.fixture
def cli(tmp_path, monkeypatch, clock, capsys):
    monkeypatch.setenv("WARROOM_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("WARROOM_USER", "alice")
    clock.ms = t("13:00")
    from warroom.cli import main

    def run(*argv) -> dict | str:
        code = main(list(argv), clock=clock)
        out, err = capsys.readouterr()
        assert code == 0, err
        return json.loads(out) if "--json" in argv else out.strip()
    return run


def test_cli_show_ack_due(cli):
    cli("--policy", "sre-team", "declare", "API down", "--severity", "SEV3", "--at", "10:00")
    assert [cli("show", "--json", "--at", x)["ack_due"]["overdue"] for x in ("10:04:59", "10:05", "10:05:01")] == [
        False, False, True]
    view = cli("show", "--json", "--at", "10:05:01")
    assert (view["ack_due"]["due"], view["response_due"]) == ("2026-11-23T10:05:00Z", "2026-11-23T12:00:00Z")
    cli("ack", "--at", "10:06")
    assert cli("show", "--json", "--at", "10:07")["ack_due"]["met_at"] == "2026-11-23T10:06:00Z"


def test_cli_show_due_now_after_an_upgrade(cli):
    cli("declare", "API down", "--severity", "SEV2", "--at", "10:00")
    cli("severity", "SEV1", "--at", "10:20")
    assert cli("show", "--json", "--at", "10:19:59")["due_now"] == []
    view = cli("show", "--json", "--at", "10:20")
    assert [(d["notify"], d["due"]) for d in view["due_now"]] == [("+ VP Engineering", "2026-11-23T10:15:00Z")]
    assert view["response_due"] == "2026-11-23T10:25:00Z"


def test_cli_show_ladder_reset(cli):
    cli("--policy", "sre-team", "declare", "API down", "--severity", "SEV2", "--at", "10:00")
    cli("status", "Identified", "--at", "10:20")
    cli("note", "5xx on checkout", "--kind", "observation", "--at", "10:40")
    cli("note", "rolled back", "--kind", "action", "--at", "10:45")
    assert cli("show", "--json", "--at", "10:19:59")["ladder_reset"]["kind"] == "declared"
    assert cli("show", "--json", "--at", "10:44:59")["ladder_reset"]["kind"] == "status"
    view = cli("show", "--json", "--at", "10:45")
    assert (view["ladder_reset"]["at"], view["ladder_reset"]["kind"]) == ("2026-11-23T10:45:00Z", "action")
    assert view["next_escalation"]["at"] == "2026-11-23T11:15:00Z"  # L3: 30 min after the action
    # the live state (no --at) counts the action too, though it loads without timeline entries
    assert cli("show", "--json")["ladder_reset"]["kind"] == "action"


def test_cli_show_elapsed_s(cli):
    incident = cli("declare", "API down", "--severity", "SEV2", "--at", "10:00")
    cli("status", "Resolved", "--incident", incident, "--at", "10:30")
    assert [cli("show", incident, "--json", "--at", x)["elapsed_s"] for x in ("10:29:59", "10:30", "10:30:01")] == [
        1799, 1800, 1800]
    assert cli("show", incident, "--json")["elapsed_s"] == 1800


async def test_the_console_header_stops_elapsed_at_resolution(room, clock, console):
    from warroom.ui.widgets.panels import IncidentHeader

    state = room.declare("API down", "SEV2")
    async with console() as pilot:
        header = pilot.app.query_one(IncidentHeader)
        clock.advance(minutes=30)
        room.set_status(state.id, "Resolved")
        clock.advance(minutes=30)
        pilot.app.tick()
        await pilot.pause()
        assert header._right[0].plain == "elapsed 30:00"


def test_progress_knows_every_milestone_warroom_marks():
    from warroom.followup.resolution import MILESTONES
    from warroom.model.policy import MILESTONE_NAMES

    assert MILESTONE_NAMES == MILESTONES


def test_a_rooms_live_state_counts_entries_as_progress(make_room, clock):
    room = make_room(policy="sre-team")
    state = room.declare("API down", "SEV2")
    clock.advance(minutes=10)
    room.note(state.id, "rolled back", "action")
    live = room.state(state.id)
    nxt = clocks.next_escalation(live, room.policy_for(live), clock())
    assert (nxt.notify, nxt.at_ms) == (L2, clock() + 15 * MIN)
    assert clocks.ladder_reset(live, room.policy_for(live)).kind == "action"
