"""Hostile text: nothing that drives or reorders the terminal reaches it, no credential reaches an event."""

from __future__ import annotations

import json
import os

import pytest
from textual import events

from warroom.diagnostics.base import describe_error, render_text, Row, Snapshot
from warroom.model.safe_text import clean, clean_name, redact, redact_bytes, strip_controls
from warroom.room import Room
from warroom.store.log import LocalLog

from .services.terminal import Terminal

PEM = ("-----BEGIN RSA PRIVATE KEY-----\n"
       "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
       "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
       "-----END RSA PRIVATE KEY-----")

# (text, what it must become)
SECRETS = [
    # a password holding "@": the last "@" before the host ends it
    ("postgresql://app:p@ss@db/x", "postgresql://app:***@db/x"),
    ("redis://user:s3cret@127.0.0.1:6379/0", "redis://user:***@127.0.0.1:6379/0"),
    ("redis://:only-pass@cache:6379", "redis://:***@cache:6379"),
    ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key=***"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = ***"),
    ("pushed with github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS",
     "pushed with ***"),
    ("PGPASSWORD=hunter2 psql -h db", "PGPASSWORD=*** psql -h db"),
    ("DB_PASSWORD=Tr0ub4dor3 ./migrate", "DB_PASSWORD=*** ./migrate"),
    ("MYSQL_PWD=s3cr3t mysql -u root", "MYSQL_PWD=*** mysql -u root"),
    ("client_secret=8Q~xYz.abcDEF123_ghi&grant_type=client_credentials",
     "client_secret=***&grant_type=client_credentials"),
    ("export AZURE_CLIENT_SECRET='a b c'", "export AZURE_CLIENT_SECRET='***'"),
    ("charge failed with sk_live_4eC39HqLyjWDarjtT1zdp7dc", "charge failed with ***"),
    ("maps key AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY in the page", "maps key *** in the page"),
    (f"key was {PEM} oops", "key was -----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY----- oops"),
    ("password='quoted value with spaces' next", "password='***' next"),
    ('password="double quoted" next', 'password="***" next'),
    ('{"password": "s3cr3t x", "user": "app"}', '{"password": "***", "user": "app"}'),
    ("sshpass -p 'secret' ssh host", "sshpass -p '***' ssh host"),
    ("sshpass -p secret ssh host", "sshpass -p *** ssh host"),
    ("mysql -u root -pS3cret42 -h db", "mysql -u root -p*** -h db"),
    ("redis-cli -h cache -a s3cr3t ping", "redis-cli -h cache -a *** ping"),
    ("psql --password=hunter2 -h db", "psql --password=*** -h db"),
    ("vault login --token hvs.CAESIJ2f0 now", "vault login --token *** now"),
    # the shapes already caught
    ("host=db password=hunter2 user=app", "host=db password=*** user=app"),
    ("Authorization: Bearer abcdefghijklmnop", "Authorization: Bearer ***"),
    ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic ***"),
    ("https://hooks.slack.com/services/T000/B000/XXXX", "https://hooks.slack.com/services/***"),
    ("posted xoxb-1234567890-abcdefghij", "posted ***"),
    ("https://x/?a=1&token=abc&b=2", "https://x/?a=1&token=***&b=2"),
    ("https://acct.blob.core.windows.net/c?sv=2022&sig=AbC%2Fd", "https://acct.blob.core.windows.net/c?sv=2022&sig=***"),
    ("ALTER ROLE app PASSWORD 'it''s s3cret' VALID UNTIL 'x'", "ALTER ROLE app PASSWORD '***' VALID UNTIL 'x'"),
    ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "***"),
    ("AKIAIOSFODNN7EXAMPLE", "***"),
    ("glpat-abcdefghij0123456789", "***"),
    ("sk-proj-abc123DEF456ghi789JKL012mno", "***"),
    ("npm_abcdefghijklmnopqrstuvwxyz0123456789", "***"),
    ("SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "***"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "***"),
]

ORDINARY = [
    "password reset emails failing",
    "token bucket exhausted",
    "token expiration alerts firing",
    "basic authentication failing for 3 users",
    "sk-learn pinned to 1.3",
    "rolled back to 3f2c1e9a7b5d4c3e2f1a0b9c8d7e6f5a4b3c2d1e",
    "request 0192f7a4-5b6c-7d8e-9f01-23456789abcd failed",
    "since 2026-11-22T14:05:00Z",
    "author: alice",
    "tokens: 5 left",
    "bypass=true on the canary",
    "see bob@example.com, https://grafana.example.com:3000/d/abc?orgId=1",
    "host=db port=5432 user=app",
    "mysql -h db -P3306 -u app -p",
    "-----BEGIN CERTIFICATE----- is fine to share",
]


@pytest.mark.parametrize(("text", "masked"), SECRETS, ids=[s[:24] for s, _ in SECRETS])
def test_every_credential_shape_is_masked(text, masked):
    assert redact(text) == masked


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_incident_prose_is_left_alone(text):
    assert redact(text) == text


def test_a_private_key_cut_before_its_end_is_masked_to_the_end():
    assert redact("dump: " + PEM[:120]) == "dump: -----BEGIN RSA PRIVATE KEY-----***"


def test_a_private_key_tail_without_its_begin_line_is_masked():
    tail = PEM.split("\n", 2)[2]  # the last body line and the END line, as a log tail cut them
    assert "VTLw7" not in redact("log:\n" + tail)


def test_bidi_and_c1_controls_are_stripped():
    assert strip_controls("a\u202eb\u2066c\u2069d\u200ee\u200ff\u061cg\x9b31mh\x9d0;x\x07") == "abcdefg31mh0;x"
    assert clean("ok\u202e\nline\ttab") == "ok\nline\ttab"


def test_a_name_is_one_line_without_controls_or_secrets():
    assert clean_name("  eve\n14:00 NOTE\tfake\r\u2028row\u2029\x85x\u202e  ") == "eve 14:00 NOTE fake row x"
    assert clean_name("alice xoxb-1234567890-abcdefghij") == "alice ***"
    assert clean_name("a\x1b[2Jb") == "a[2Jb"


def test_quarantined_bytes_are_masked_json_or_not():
    body = json.dumps({"payload": {"text": 'PGPASSWORD=hunter2 psql; password="s3cr3t x"'},
                       "author": "x", "note": PEM}).encode()
    kept = redact_bytes(body)
    assert isinstance(kept, bytes)
    assert b"hunter2" not in kept and b"s3cr3t" not in kept and b"MIIEow" not in kept
    assert json.loads(kept)["author"] == "x"
    broken = b'\xff{"password": "s3cr3t x", "dsn": "redis://u:p@ss@h"'
    kept = redact_bytes(broken)
    assert b"s3cr3t" not in kept and b"p@ss" not in kept and kept.startswith("\ufffd".encode())
    deep = b'{"a":' * 5000 + b'"password=s3cr3t"' + b"}" * 5000  # past the recursion limit
    assert b"s3cr3t" not in redact_bytes(deep)
    clean_body = b'{"a": 1,  "b": "plain"}'
    assert redact_bytes(clean_body) == clean_body  # nothing to mask: kept as it came


def test_evidence_cells_are_masked_whole_before_they_are_cut():
    url = "postgresql://reporting_service_account:hunter2-very-long-secret@db.internal.example.com/x"
    snap = Snapshot("postgres", "db", 0, columns=("query",), rows=[Row("1", (url,))])
    text = render_text(snap)
    assert "hunter2" not in text and "reporting_service_account:***@" in text


def test_an_error_is_masked_whole_before_it_is_cut():
    exc = RuntimeError("x" * 260 + " postgresql://app:hunter2-long-secret@db/x")
    assert "hunter2" not in describe_error(exc)
    exc = ConnectionError("auth failed\n" + PEM)
    assert "MIIEow" not in describe_error(exc)


def test_the_room_keeps_names_on_one_line(tmp_path, clock):
    room = Room(LocalLog(tmp_path / "r.db"), "eve\n14:00 fake\u202e row\txoxb-1234567890-abcdefghij", clock=clock)
    assert room.user == "eve 14:00 fake row ***"
    state = room.declare("API down", "SEV2")
    event = room.assign(state.id, "IC", "bob\u2028\u202esmith\n")
    assert event.payload["person"] == "bob smith"
    assert event.author == "eve 14:00 fake row ***"
    room.close()


# -- the screen ------------------------------------------------------------------------------

async def test_pasted_controls_never_enter_the_entry_line(room, clock):
    from warroom.ui import make_app
    from warroom.ui.widgets.entry_line import QuickEntry

    room.declare("API", "SEV2")
    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("i")
        entry = app.query_one(QuickEntry)
        entry.post_message(events.Paste("a\x9b31mb\u202ec"))
        await pilot.pause()
        assert entry.value == "a31mbc"
        entry.post_message(events.Paste("\tx\x1b]0;t\x07\u2066y"))
        await pilot.pause()
        assert entry.value == "a31mbc x]0;ty"
        entry.value = "set\u202e\x9dby code"
        assert entry.value == "setby code"


async def test_pasted_controls_never_enter_a_dialog_input(room, clock):
    from textual.widgets import Input

    from warroom.ui import make_app
    from warroom.ui.screens.dialogs import PromptScreen

    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=(160, 48)) as pilot:
        app.push_screen(PromptScreen("Reason?", value="pre\u202efilled\x9b"))
        await pilot.pause()
        box = app.screen.query_one(Input)
        assert box.value == "prefilled"
        await pilot.press("end")  # the value starts selected: a paste would replace it
        box.post_message(events.Paste(" r\u2067s\x9b1\tx"))
        await pilot.pause()
        assert box.value == "prefilled rs1 x"


def test_a_hostile_name_paints_on_one_row_without_bidi(tmp_path):
    db = tmp_path / "room.db"
    room = Room(LocalLog(db), "tomas")
    state = room.declare("Checkout 5xx", "SEV1")
    room.assign(state.id, "IC", "eve\n\u202ebob")
    room.close()
    env = {**os.environ, "TERM": "xterm-256color", "WARROOM_CONFIG_DIR": str(tmp_path / "config"),
           "WARROOM_STORE": "", "WARROOM_USER": "x"}
    term = Terminal("--db", str(db), "--as", "mal\nlory\u202e\x9b2J", env=env)
    term.read_until(b"Checkout 5xx")
    term.read_until(b"eve bob")
    term.read_until(b"mal lory2J")
    term.type("\x11")
    assert term.exit_status() == 0
    assert "\u202e".encode() not in term.seen and "\x9b".encode() not in term.seen


def test_a_short_plain_name_skips_the_patterns_and_a_token_shaped_one_does_not():
    from warroom.model import safe_text

    safe_text._secrets.cache_clear()
    assert safe_text.clean_name("bob.smith") == "bob.smith"
    assert safe_text._secrets.cache_info().currsize == 0  # nothing compiled for a plain name
    assert safe_text.clean_name("AKCabcdefghij") == "***"  # 13 characters: a token shape
