"""Make text safe to keep and to show.

Text typed in another terminal reaches ours through the log and the store, so it is
treated as hostile: control characters are stripped (an OSC or CSI sequence would pass
through Rich straight to the terminal) and credentials are masked before any event is
made, because events are permanent and shared.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Callable

# C0 controls except tab and newline, DEL, and the C1 range.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

MASK = "***"


@cache
def _secrets() -> tuple[tuple[re.Pattern, Callable], ...]:
    """The credential patterns and what each match becomes, in the order they apply.

    Compiled on first use (about 4 ms, most of this module's import): the console does it
    after its first frame, not before."""
    head = lambda m: m["head"] + MASK  # noqa: E731
    return (
        # Webhook URLs whose path is the secret (Slack, Discord, Teams-style).
        (re.compile(r"(?P<head>https?://(?:hooks\.slack\.com/(?:services|workflows|triggers)|"
                    r"discord(?:app)?\.com/api/webhooks|[\w.-]+\.webhook\.office\.com/webhookb2)/)(?P<secret>[^\s]+)",
                    re.I), head),
        # scheme://user:password@host  ->  scheme://user:***@host  (also scheme://:password@host)
        (re.compile(r"(?P<head>\b[a-z][a-z0-9+.\-]*://[^\s/:@]*:)(?P<secret>[^\s/@]+)(?=@)", re.I), head),
        # SQL: CREATE/ALTER ROLE ... PASSWORD 'secret' (in pg_stat_activity and pg_stat_statements)
        (re.compile(r"(?P<head>\bPASSWORD\s+)(?P<secret>'(?:[^']|'')*')", re.I), lambda m: m["head"] + f"'{MASK}'"),
        # key=value secrets in query strings and DSN keyword form (password=..., token=...)
        (re.compile(r"(?P<head>\b(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?token|auth|"
                    r"routing[_-]?key|integration[_-]?key|sig|signature)\s*[=:]\s*)(?P<secret>[^\s&;,'\"]+)",
                    re.I), head),
        (re.compile(r"(?P<head>\b(?:bearer|basic|token)\s+)(?P<secret>[A-Za-z0-9._~+/=\-]{8,})", re.I), head),
        # Well-known token shapes.
        (re.compile(r"\b(?:xox[abprs]-[A-Za-z0-9-]{10,}|gh[pousr]_[A-Za-z0-9]{20,}|glpat-[A-Za-z0-9_\-]{20,}|"
                    r"AKIA[0-9A-Z]{16}|sk-[A-Za-z0-9]{20,}|eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]+)"),
         lambda m: MASK),
    )


def compile_patterns() -> None:
    """Compile the credential patterns now, ahead of the first text that needs them."""
    _secrets()


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
    for pattern, masked in _secrets():
        text = pattern.sub(masked, text)
    return text


def clean(text: str) -> str:
    """What every piece of free text goes through before it enters an event."""
    return redact(strip_controls(text))


def one_line(text: str) -> str:
    """First line of a text, marking that more follows."""
    head, sep, _ = text.partition("\n")
    return head + (" …" if sep else "")
