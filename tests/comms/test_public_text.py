"""Public text never comes from internal notes: the status page and customer email state only
the customer fields or the playbook's sentences, follow the severity and the status, and say
which fields fell back; internal templates list actions and observations, never hypotheses."""

from __future__ import annotations

import pytest

from warroom.cli import main
from warroom.comms import templates
from warroom.comms.templates import TemplateError
from warroom.followup import resolution
from warroom.model.policy import load_policy, PolicyError
from warroom.model.public import customer_email_due, customer_email_line

HYPOTHESIS = "deploy 4711 at 09:55 suspected"
HOSTILE = [  # (kind, text): what the timeline holds, none of it for the public
    ("hypothesis", HYPOTHESIS),
    ("hypothesis", "[@click=app.quit]quit[/] the cache \x1b]8;;http://evil\x07 is poisoned"),
    ("observation", "p99 at 4s on /pay \x1b[2J\x9b31m"),
    ("action", "restarting payments-gateway pods"),
    ("decision", "roll back to v41 [bold]now[/]"),
    ("note", "bob is on the bridge"),
]
INTERNAL_FIELDS = {"impact": "Under assessment", "root_cause": "TLS client misconfigured by the 4711 deploy",
                   "what_we_know": "pool exhausted on db-2", "current_actions": "failover to db-3",
                   "workaround": "internal: flip flag pay_v2", "eta": "15:30", "resolution": "reverted 4711"}
LEAKS = ("4711", "suspected", "poisoned", "p99", "restarting", "roll back", "bob", "db-2", "db-3", "pay_v2",
         "TLS", "Under assessment", "Under investigation", "not yet restored", "[@click", "\x1b", "\x9b", "{")


def incident_in(room, clock, status: str, severity: str = "SEV1"):
    """A SEV1 whose title and internal fields name the suspected deploy, with every kind of
    hostile entry, moved to ``status`` (Resolved through the resolution, with an override)."""
    state = room.declare("Checkout 5xx since deploy 4711", severity, service="checkout",
                         impact="Under assessment")
    for kind, text in HOSTILE:
        room.note(state.id, text, kind=kind)
    room.record(state.id, "evidence", {"pane": "pods", "target": "prod/app=pay",
                                       "text": "3/5 pods CrashLoopBackOff after 4711"})
    for name, value in INTERNAL_FIELDS.items():
        room.set_field(state.id, name, value)
    clock.advance(minutes=40)
    policy = room.policy_for(room.state(state.id))
    if policy.status(status).resolved:
        resolution.resolve(room, state.id, override_reason="test")
    elif status != policy.initial_status.name:
        room.set_status(state.id, status)
    clock.advance(minutes=1)
    return room.state(state.id)


def statuses(policy_name):
    return [s.name for s in load_policy(policy_name).statuses]


CASES = [(p, s) for p in ("cygni", "sre-team") for s in statuses(p)]


@pytest.mark.parametrize("policy, status", CASES)
def test_public_templates_state_nothing_internal_in_any_status(make_room, clock, policy, status):
    room = make_room("alice", policy=policy)
    state = incident_in(room, clock, status)
    pol = room.policy_for(state)
    public = [name for name in templates.names(policy) if templates.is_public(name, pol)]
    assert set(public) == {"status-page", "customer-email"}
    resolved = pol.status(status).resolved
    for name in public:
        draft = templates.draft_for(room, state.id, name)
        assert draft.public
        for leak in LEAKS:
            assert leak not in draft.text, (name, leak)
        assert "checkout" in draft.text and draft.text.strip()
        if resolved:
            assert "We are currently experiencing" not in draft.text and "Workaround" not in draft.text
            assert "Next update" not in draft.text
        if name == "customer-email":
            assert "Service restored" not in draft.text or resolved
            assert ("- 2026-11-22 14:40 UTC - Service restored" in draft.text) == (resolved and policy == "sre-team")
    page = templates.render_for(room, state.id, "status-page")
    assert page.startswith(f"Title: {pol.public.title('SEV1')}\nStatus: {status}\n\n"
                           f"{pol.public.sentence(pol.status(status)).replace('{service}', 'checkout')}\n")


@pytest.mark.parametrize("policy, status", CASES)
def test_no_template_of_either_playbook_shows_a_hypothesis(make_room, clock, policy, status):
    room = make_room("alice", policy=policy)
    state = incident_in(room, clock, status)
    for name in ("what_we_know", "current_actions"):
        room.set_field(state.id, name, "")  # the entries, not the fields, fill them now
    for name in templates.names(policy):
        text = templates.render_for(room, state.id, name)
        assert HYPOTHESIS not in text and "poisoned" not in text, name
        assert "\x1b" not in text and "\x9b" not in text


@pytest.mark.parametrize("policy, title", [("cygni", ["Major Service Disruption", "Partial Service Disruption",
                                                      "Degraded Performance", "Minor Service Issue"]),
                                           ("sre-team", ["Service Outage", "Service Degradation",
                                                         "Minor Service Issue", "Minor Issue"])])
def test_the_status_page_title_follows_the_severity(make_room, policy, title):
    room = make_room("alice", policy=policy)
    state = room.declare("x", "SEV4", service="search")
    for severity, expected in zip(["SEV1", "SEV2", "SEV3", "SEV4"], title):
        room.set_severity(state.id, severity)
        assert templates.render_for(room, state.id, "status-page").splitlines()[0] == f"Title: {expected}"


def test_cygni_status_page_before_and_after_resolution(make_room, clock):
    room = make_room("alice", policy="cygni")
    state = room.declare("Checkout 5xx", "SEV1", service="checkout")
    room.set_status(state.id, "Identified")
    assert templates.render_for(room, state.id, "status-page") == (
        "Title: Major Service Disruption\n"
        "Status: Identified\n\n"
        "We are currently experiencing a service disruption affecting checkout. Our engineering team has "
        "identified the issue and is working on a resolution.\n\n"
        "Impact: Disruption to checkout for some customers.\n"
        "Workaround: No workaround is available at this time.\n\n"
        "Next update in 15 minutes.\n")
    clock.advance(minutes=50)
    resolution.resolve(room, state.id, override_reason="test")
    assert templates.render_for(room, state.id, "status-page") == (
        "Title: Major Service Disruption\n"
        "Status: Resolved\n\n"
        "The service disruption affecting checkout has been resolved, and the service is operating normally.\n\n"
        "Impact: Disruption to checkout for some customers.\n")


def test_sre_team_customer_email_while_open_and_after(make_room, clock):
    room = make_room("alice", policy="sre-team")
    state = room.declare("Checkout 5xx", "SEV2", service="checkout", impact="Under assessment")
    room.set_field(state.id, "root_cause", "TLS settings of deploy 4711")
    room.set_field(state.id, "customer_impact", "Card payments failed for some EU customers.")
    email = templates.draft_for(room, state.id, "customer-email")
    assert "affecting Under assessment" not in email.text and "not yet restored" not in email.text
    assert "Timeline:\n- 2026-11-22 14:00 UTC - Issue began\n- 2026-11-22 14:00 UTC - Issue detected\n\n" in email.text
    assert "We are currently experiencing a service disruption affecting checkout and are investigating." in email.text
    assert email.unfilled == ("customer message: playbook sentence (not filled)",
                              "customer root cause: playbook sentence (not filled)")
    clock.advance(minutes=65)
    resolution.resolve(room, state.id, override_reason="test")
    room.set_field(state.id, "customer_root_cause", "A configuration change to our payment provider connection.")
    email = templates.draft_for(room, state.id, "customer-email")
    assert email.text.startswith("Subject: checkout Service Disruption - 2026-11-22\n\n"
                                 "We experienced a service disruption affecting checkout. Service has been restored.\n")
    assert "- 2026-11-22 15:05 UTC - Service restored\n" in email.text
    assert "Root cause: A configuration change to our payment provider connection.\n" in email.text
    assert "TLS" not in email.text and "4711" not in email.text


def test_a_customer_message_written_before_the_status_changed_gives_way_to_its_sentence(make_room, clock):
    room = make_room("alice", policy="cygni")
    state = room.declare("Checkout 5xx", "SEV1", service="checkout")
    room.set_field(state.id, "customer_message", "We are currently experiencing failed card payments.")
    page = templates.draft_for(room, state.id, "status-page")
    assert "We are currently experiencing failed card payments.\n" in page.text
    assert not any(line.startswith("customer message") for line in page.unfilled)
    clock.advance(minutes=45)
    resolution.resolve(room, state.id, override_reason="test")
    page = templates.draft_for(room, state.id, "status-page")
    assert "We are currently experiencing" not in page.text
    assert "The service disruption affecting checkout has been resolved" in page.text
    assert "customer message: playbook sentence (written before the status became Resolved)" in page.unfilled
    room.set_field(state.id, "customer_message", "All card payments work again.")
    assert "All card payments work again.\n" in templates.render_for(room, state.id, "status-page")


def test_the_preview_says_which_customer_fields_fell_back(make_room):
    room = make_room("alice", policy="cygni")
    state = room.declare("Checkout 5xx", "SEV1", service="checkout")
    policy = room.policy_for(state)
    assert templates.unfilled_public("status-page", room.state(state.id), policy, room.events(state.id), 0) == [
        "customer message: playbook sentence (not filled)", "customer impact: playbook sentence (not filled)",
        "customer workaround: playbook sentence (not filled)"]
    # the cygni email names no workaround: it is not reported for it
    assert templates.draft_for(room, state.id, "customer-email").unfilled == (
        "customer message: playbook sentence (not filled)", "customer impact: playbook sentence (not filled)")
    for name in ("customer_message", "customer_impact", "customer_workaround"):
        room.set_field(state.id, name, f"{name} text")
    assert templates.draft_for(room, state.id, "status-page").unfilled == ()
    assert templates.draft_for(room, state.id, "update").unfilled == ()  # internal: nothing to say


@pytest.mark.parametrize("name, line", [("status-page.txt", "Known: {what_we_know}\n"),
                                        ("customer-email.txt", "Subject: {title}\n"),
                                        ("customer-email.txt", "Root cause: {root_cause}\n")])
def test_a_public_template_naming_an_internal_value_is_refused(tmp_path, monkeypatch, clock, capsys, name, line):
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "cfg"))
    folder = tmp_path / "cfg" / "templates" / "cygni"
    folder.mkdir(parents=True)
    (folder / name).write_text("Status: {status}\n" + line)
    placeholder = line.split("{")[1].split("}")[0]
    with pytest.raises(TemplateError, match=rf"{name}:2: \{{{placeholder}\}} is internal, and "
                                             rf"{name[:-4]} is a public template"):
        templates.load(name[:-4], load_policy("cygni"))
    db = str(tmp_path / "t.db")
    run = lambda *a: main(["--db", db, "--as", "alice", *a], clock=clock)  # noqa: E731
    assert run("declare", "Checkout 5xx", "--severity", "SEV1") == 0
    capsys.readouterr()
    assert run("template", name[:-4]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{name}:2: {{{placeholder}}} is internal" in err and "Traceback" not in err
    (folder / "update.txt").write_text("{what_we_know} {title}\n")  # internal: allowed
    assert run("template", "update") == 0


def test_internal_lists_actions_since_the_status_change_and_what_was_seen(make_room, clock):
    room = make_room("alice", policy="sre-team")
    state = room.declare("Checkout slow", "SEV2", service="checkout")
    room.note(state.id, "scaled api to 12 pods", kind="action")  # before the status change: not listed
    room.note(state.id, "the pool is too small", kind="hypothesis")
    for n in range(4):
        clock.advance(minutes=1)
        room.note(state.id, f"seen {n}", kind="observation")
    clock.advance(minutes=1)
    room.set_status(state.id, "Identified")
    room.note(state.id, "raise the pool to 50", kind="decision")
    clock.advance(minutes=1)
    room.record(state.id, "evidence", {"pane": "postgres", "target": "db", "text": "92 of 100 connections\nidle 3"})
    room.note(state.id, "deploying the pool change", kind="action")
    room.note(state.id, "restarted db proxy", kind="action", at=clock() - 30 * 60_000)  # dated before the change
    text = templates.render_for(room, state.id, "update")
    assert ("What we know:\n- postgres: 92 of 100 connections idle 3\n- seen 3\n- seen 2\n"
            "Current actions:\n- deploying the pool change\n- raise the pool to 50\nETA: TBD\n") in text
    assert "pool is too small" not in text and "scaled api" not in text and "seen 1" not in text
    room.set_field(state.id, "current_actions", "- one\n- two")
    room.set_field(state.id, "what_we_know", "connection leak in the proxy")
    text = templates.render_for(room, state.id, "update")
    assert "What we know: connection leak in the proxy\nCurrent actions:\n- one\n- two\n" in text


@pytest.mark.parametrize("policy", ["cygni", "sre-team"])
def test_the_exec_summary_gives_conditions_actions_and_needs(make_room, clock, policy):
    room = make_room("alice", policy=policy)
    state = room.declare("Checkout 5xx", "SEV1", service="checkout", impact="EU card payments")
    room.note(state.id, "deploy 4711 suspected", kind="hypothesis")
    room.note(state.id, "error rate 31%", kind="observation")
    room.note(state.id, "rolling back 4711", kind="action")
    room.set_field(state.id, "needs", "a payments engineer\nsign-off to fail over")
    clock.advance(minutes=20)
    draft = templates.draft_for(room, state.id, "exec-summary")
    assert not draft.public
    sections = draft.text.split("\n\n")
    assert [s.splitlines()[0] for s in sections[1:4]] == ["Conditions", "Actions", "Needs"]
    assert sections[1] == "Conditions\nImpact: EU card payments\nWhat we know: error rate 31%\nETA: TBD"
    assert sections[2] == "Actions\nrolling back 4711"
    assert sections[3].startswith("Needs\n- a payments engineer\n- sign-off to fail over")
    assert "suspected" not in draft.text and "20 minutes" in draft.text


def test_the_pagerduty_summary_names_the_incident(make_room):
    room = make_room("alice", policy="cygni")
    state = room.declare("Checkout 5xx", "SEV1", service="checkout")
    assert templates.pagerduty_summary(room.state(state.id)) == "[SEV1] Checkout 5xx — checkout"
    bare = room.declare("API\ndown", "SEV2")  # no service, a line break typed in the title
    assert templates.pagerduty_summary(room.state(bare.id)) == "[SEV2] API down"
    long = room.declare("t" * 2000, "SEV3", service="search")
    summary = templates.pagerduty_summary(room.state(long.id))
    assert len(summary) == 1024 and summary.startswith("[SEV3] ttt") and summary.endswith("…")


def test_the_customer_email_falls_due_after_30_minutes_for_sev1_and_sev2(make_room, clock):
    room = make_room("alice", policy="cygni")
    policy = room.policy
    state = room.declare("Checkout 5xx", "SEV2", service="checkout")  # 14:00
    due = lambda: customer_email_due(room.state(state.id), policy, now=clock())  # noqa: E731
    assert due() == (clock() + 30 * 60_000, None)
    assert customer_email_line(room.state(state.id), policy, clock()) == (
        "customer email due 14:30 UTC (in 30:00)", "ok")
    clock.advance(minutes=31)
    text, level = customer_email_line(room.state(state.id), policy, clock())
    assert level == "alert" and text.startswith("customer email due since 14:30 UTC")
    room.update_posted(state.id, "Subject: ...", "dry-run:email")  # a drill's dry run is not one
    room.update_posted(state.id, "UPDATE ...", "slack")
    assert due().met_ms is None
    room.update_posted(state.id, "Subject: ...", "email:customers")
    assert due().met_ms == clock() and customer_email_line(room.state(state.id), policy, clock()) is None
    events = room.events(state.id)
    assert customer_email_due(room.state(state.id), policy, events, now=clock() - 1).met_ms is None  # as of before

    low = room.declare("Search slow", "SEV3")  # 14:31
    assert customer_email_due(room.state(low.id), policy) is None
    clock.advance(minutes=60)
    room.set_severity(low.id, "SEV1")  # an hour in: due at once
    assert customer_email_due(room.state(low.id), policy).overdue(clock())

    quick = room.declare("Blip", "SEV1")
    clock.advance(minutes=20)
    resolution.resolve(room, quick.id, override_reason="test")
    assert customer_email_due(room.state(quick.id), policy) is None  # over before it fell due
    assert customer_email_due(room.state(quick.id), load_policy("sre-team")) is None  # playbook 000: no rule


@pytest.mark.parametrize("old, new, message", [
    ('SEV1 = "Major Service Disruption"', 'SEV9 = "x"', "public.titles.SEV9: expected one of the policy's severities"),
    ('Monitoring = "A fix', 'Watching = "A fix', "public.status.Watching: expected one of the policy's statuses"),
    ('customer_root_cause = "We', 'customer_root_cause = "{title} We',
     "public.unset.customer_root_cause: expected a text naming no placeholder but {service}, got '{title}'"),
    ('templates = ["status-page"', 'templatez = ["status-page"', "public.templatez: expected one of templates"),
    ('severities = ["SEV1", "SEV2"]\nafter = 30', 'severities = ["SEV7"]\nafter = 30',
     "customer_email.severities: expected severities from"),
    ('severities = ["SEV1", "SEV2"]\nafter = 30', 'severities = ["SEV1"]\nafter = "soon"',
     "customer_email.after: expected a whole number of minutes, got 'soon'"),
])
def test_malformed_public_policy_data_names_the_file_and_field(tmp_path, old, new, message):
    shipped = load_policy("cygni").source
    text = open(shipped, encoding="utf-8").read()
    assert old in text
    bad = tmp_path / "mine.toml"
    bad.write_text(text.replace(old, new, 1))
    with pytest.raises(PolicyError) as caught:
        load_policy(str(bad))
    assert str(caught.value).startswith(f"{bad}: {message}")
