"""Make text safe to keep and to show.

Text typed in another terminal reaches ours through the log and the store, so it is
treated as hostile: control characters are stripped (an OSC or CSI sequence would pass
through Rich straight to the terminal) and credentials are masked before any event is
made, because events are permanent and shared.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and the C1 range.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# scheme://user:password@host  ->  scheme://user:***@host  (also scheme://:password@host)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.\-]*://[^\s/:@]*:)(?P<secret>[^\s/@]+)(?=@)", re.I)
# key=value secrets in query strings and DSN keyword form (password=..., token=...)
_KEY_VALUE = re.compile(
    r"(?P<head>\b(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?token|auth|"
    r"routing[_-]?key|integration[_-]?key|sig|signature)\s*[=:]\s*)(?P<secret>[^\s&;,'\"]+)",
    re.I,
)
# SQL: CREATE/ALTER ROLE ... PASSWORD 'secret' (shows up in pg_stat_activity and pg_stat_statements)
_SQL_PASSWORD = re.compile(r"(?P<head>\bPASSWORD\s+)(?P<secret>'(?:[^']|'')*')", re.I)
_BEARER = re.compile(r"(?P<head>\b(?:bearer|basic|token)\s+)(?P<secret>[A-Za-z0-9._~+/=\-]{8,})", re.I)
# Webhook URLs whose path is the secret (Slack, Discord, Teams-style).
_WEBHOOK = re.compile(
    r"(?P<head>https?://(?:hooks\.slack\.com/(?:services|workflows|triggers)|"
    r"discord(?:app)?\.com/api/webhooks|[\w.-]+\.webhook\.office\.com/webhookb2)/)(?P<secret>[^\s]+)",
    re.I,
)
# Well-known token shapes.
_TOKENS = re.compile(
    r"\b(?:xox[abprs]-[A-Za-z0-9-]{10,}|gh[pousr]_[A-Za-z0-9]{20,}|glpat-[A-Za-z0-9_\-]{20,}|"
    r"AKIA[0-9A-Z]{16}|sk-[A-Za-z0-9]{20,}|eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]+)"
)

MASK = "***"


def strip_controls(text: str) -> str:
    """Remove control characters that could drive the terminal; keep tab and newline."""
    return _CONTROL.sub("", text)


def redact(text: str) -> str:
    """Mask credentials: URL passwords, key=value secrets, bearer tokens, webhook paths.

    >>> redact("postgresql://app:hunter2@db:5432/x")
    'postgresql://app:***@db:5432/x'
    >>> redact("see https://hooks.slack.com/services/T0/B0/abc")
    'see https://hooks.slack.com/services/***'
    """
    text = _WEBHOOK.sub(lambda m: m["head"] + MASK, text)
    text = _URL_PASSWORD.sub(lambda m: m["head"] + MASK, text)
    text = _SQL_PASSWORD.sub(lambda m: m["head"] + f"'{MASK}'", text)
    text = _KEY_VALUE.sub(lambda m: m["head"] + MASK, text)
    text = _BEARER.sub(lambda m: m["head"] + MASK, text)
    return _TOKENS.sub(MASK, text)


def clean(text: str) -> str:
    """What every piece of free text goes through before it enters an event."""
    return redact(strip_controls(text))


def one_line(text: str) -> str:
    """First line of a text, marking that more follows."""
    head, sep, _ = text.partition("\n")
    return head + (" …" if sep else "")
