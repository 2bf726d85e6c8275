from warroom.model.safe_text import redact, strip_controls


def test_control_characters_are_stripped_but_newlines_kept():
    assert strip_controls("a\x1b]0;X\x07b\x9b31mc\x7f\nd\te") == "a]0;Xb31mc\nd\te"


def test_secrets_are_redacted():
    assert redact("redis://user:s3cret@127.0.0.1:6379/0") == "redis://user:***@127.0.0.1:6379/0"
    assert redact("host=db password=hunter2 user=app") == "host=db password=*** user=app"
    assert redact("Authorization: Bearer abcdefghijklmnop") == "Authorization: Bearer ***"
    assert redact("https://hooks.slack.com/services/T000/B000/XXXX") == "https://hooks.slack.com/services/***"
    assert "xoxb" not in redact("token xoxb-1234567890-abcdefghij")
    assert redact("https://x/?a=1&token=abc&b=2") == "https://x/?a=1&token=***&b=2"
    assert redact("ALTER ROLE app PASSWORD 'it''s s3cret' VALID UNTIL 'x'") == \
        "ALTER ROLE app PASSWORD '***' VALID UNTIL 'x'"


def test_events_made_by_the_room_are_clean(room):
    state = room.declare("x", "SEV2")
    event = room.note(state.id, "dsn postgresql://app:pw@db/x \x1b[31mred")
    assert event.payload["text"] == "dsn postgresql://app:***@db/x [31mred"
