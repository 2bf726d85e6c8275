"""Make text safe to keep and to show.

Text typed in another terminal reaches ours through the log and the store, so it is
treated as hostile: control characters are stripped (an OSC or CSI sequence would pass
through Rich straight to the terminal), so are the bidi controls that reorder a row, and
credentials are masked before any event is made, because events are permanent and shared.
Masking runs on a whole value: cut first, and half a URL or a key escapes its pattern.

The token shapes follow the plugins of detect-secrets (Yelp), copied as patterns rather
than imported: the library loads requests and its plugin registry (about 100 ms) and scans
line by line, so a private key spread over lines is reported by its first line only.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any, Callable

# C0 controls except tab and newline, DEL, the C1 range (CSI U+009B, OSC U+009D, ...), and
# the bidi marks, embeddings, overrides and isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# What breaks a line or a cell besides newline: tab, CR, VT, FF, the file/group/record/unit
# separators, NEL and the Unicode line and paragraph separators.
_BREAK = re.compile("[\t\n\x0b\x0c\r\x1c-\x1f\x85\u2028\u2029]")

MASK = "***"

# Names that hold a secret, prefixed or not (PGPASSWORD, DB_PASSWORD, MYSQL_PWD, client_secret,
# aws_secret_access_key); the short words only as a word of their own, so "author" and
# "bypass" are left alone. A suffix follows a separator ("secret_access_key", not "tokens").
_LONG_NAMES = (r"password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
               r"account[_-]?key|private[_-]?key|client[_-]?key|auth[_-]?key")
_SECRET_NAME = (r"(?:[\w.-]{0,40}?(?:%s)|(?:[\w.-]{0,40}[_.-])?"
                r"(?:pass|auth|sig|signature|credentials?|routing[_-]?key|integration[_-]?key))"
                r"(?:[_.-][\w.-]{0,40})?" % _LONG_NAMES)


@cache
def _key_blocks() -> tuple[tuple[re.Pattern, Callable], ...]:
    """Private keys, tried only on a text that names one (the line scan is the costly one)."""
    return (
        # A private key block, to its END line or, cut short, to the end of the text.
        (re.compile(r"(?P<head>-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)(?P<secret>.*?)"
                    r"(?P<tail>-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)", re.S),
         lambda m: m["head"] + MASK + m["tail"]),
        # The body lines of a key whose BEGIN line was cut away (a log tail).
        (re.compile(r"(?:^[ \t]*[A-Za-z0-9+/=]{16,}[ \t]*\n){1,200}(?=[ \t]*-----END[A-Z0-9 ]*PRIVATE KEY)", re.M),
         lambda m: MASK + "\n"),
    )


@cache
def _secrets() -> tuple[tuple[re.Pattern, Callable], ...]:
    """The credential patterns and what each match becomes, in the order they apply.

    Compiled on first use (a few ms, most of this module's import): the console does it
    after its first frame, not before. Every repetition that could rescan the rest of the
    text from each start is bounded: a peer's 64 KiB entry must not cost seconds to mask."""
    head = lambda m: m["head"] + MASK  # noqa: E731
    # a quoted value, also with escaped quotes (a JSON string holding password=\"...\")
    quoted = r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|\\"[^"\n]*?\\"|\\'[^'\n]*?\\'"""

    def value(m: re.Match) -> str:
        """``head`` then the masked value, its quotes kept."""
        secret = m["secret"]
        if secret[:1] == "\\":
            return m["head"] + secret[:2] + MASK + secret[:2]
        if secret[:1] in "'\"":
            q = secret[0]
            return m["head"] + q + MASK + (q if len(secret) > 1 and secret.endswith(q) else "")
        return m["head"] + MASK

    return (
        # Webhook URLs whose path is the secret (Slack, Discord, Teams-style).
        (re.compile(r"(?P<head>https?://(?:hooks\.slack\.com/(?:services|workflows|triggers)|"
                    r"discord(?:app)?\.com/api/webhooks|[\w.-]+\.webhook\.office\.com/webhookb2)/)(?P<secret>[^\s]+)",
                    re.I), head),
        # scheme://user:password@host -> scheme://user:***@host; the password runs to the last
        # "@" of the authority, so one holding a raw "@" is masked whole.
        (re.compile(r"(?P<head>\b[a-z][a-z0-9+.\-]{0,30}://[^\s/:@]*:)(?P<secret>[^\s/?#]+)(?=@)", re.I), head),
        # SQL: CREATE/ALTER ROLE ... PASSWORD 'secret' (in pg_stat_activity and pg_stat_statements)
        (re.compile(r"(?P<head>\bPASSWORD\s+)(?P<secret>'(?:[^']|'')*')", re.I), lambda m: m["head"] + f"'{MASK}'"),
        # Passwords given as command-line arguments.
        (re.compile(r"(?P<head>\bsshpass\s+(?:-\S+\s+){0,8}?-p[ \t]*)(?P<secret>%s|[^\s'\"]+)" % quoted), value),
        (re.compile(r"(?P<head>\b(?i:mysql(?:dump|admin|sh)?)\b[^\n|;&]{0,200}?\s-p)(?P<secret>%s|[^\s'\"]+)" % quoted),
         value),
        (re.compile(r"(?P<head>\bredis-cli\b[^\n|;&]{0,200}?\s-a[ \t]+)(?P<secret>%s|[^\s'\"]+)" % quoted), value),
        (re.compile(r"(?P<head>(?<![\w-])--(?:\w+[-_])*(?:%s)[ \t]+)(?P<secret>%s|(?!-)[^\s'\"]+)"
                    % (_LONG_NAMES, quoted), re.I), value),
        # name=value and "name": "value" where the name holds a secret.
        (re.compile(r"(?P<head>(?<![\w.-])%s[\"']?[ \t]*(?:=>|:=|=|:)[ \t]*)(?P<secret>%s|['\"]?[^\s&;,'\"\\]+)"
                    % (_SECRET_NAME, quoted), re.I), value),
        (re.compile(r"(?P<head>\bbearer\s+)(?P<secret>[A-Za-z0-9._~+/=\-]{8,})", re.I), head),
        # "basic"/"token" then a word: masked when it looks like a credential (a digit, a
        # symbol, or mixed case), so "token expiration" stays readable.
        (re.compile(r"(?P<head>\b(?:basic|token)\s+)(?P<secret>(?=[A-Za-z0-9._~+/=\-]*(?:[0-9._~+/=\-]|"
                    r"(?-i:[a-z][A-Z])))[A-Za-z0-9._~+/=\-]{8,})", re.I), head),
        # Well-known token shapes (after detect-secrets' plugins, and the providers' docs).
        (re.compile(r"(?<![A-Za-z0-9_])(?:"
                    r"xox[abposr]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,}|"  # Slack
                    r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{22,}|"  # GitHub
                    r"(?:glpat|gldt|glft|glsoat|glrt|glcbt|glimt|glptt|glagent|gloas)-[A-Za-z0-9_\-]{20,}|"
                    r"GR1348941[A-Za-z0-9_\-]{20,}|"  # GitLab
                    r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}|"  # AWS access key id
                    r"[rs]k_(?:live|test)_[0-9a-zA-Z]{24,}|"  # Stripe
                    r"AIza[0-9A-Za-z_\-]{35}|"  # Google API key
                    r"sk-(?=[A-Za-z0-9_\-]{20})(?=[A-Za-z0-9_\-]{0,200}?[0-9])[A-Za-z0-9_\-]+|"  # OpenAI, Anthropic
                    r"SG\.[\w-]{22}\.[\w-]{43}|"  # SendGrid
                    r"npm_[A-Za-z0-9]{36}|pypi-AgEIcHlwaS5vcmc[\w-]{50,}|"  # npm, PyPI
                    r"sq0(?:atp|csp)-[0-9A-Za-z_\-]{22,}|"  # Square
                    r"[0-9a-f]{32}-us[0-9]{1,2}|"  # Mailchimp
                    r"SK[0-9a-fA-F]{32}|"  # Twilio API key
                    r"[MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27}|"  # Discord bot
                    r"\d{8,10}:[0-9A-Za-z_-]{35}|"  # Telegram bot
                    r"hf_[A-Za-z0-9]{30,}|AKC[a-zA-Z0-9]{10,}|"  # Hugging Face, Artifactory
                    r"eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]+)"),  # JWT
         lambda m: MASK),
    )


def compile_patterns() -> None:
    """Compile the credential patterns now, ahead of the first text that needs them."""
    _key_blocks()
    _secrets()


def strip_controls(text: str) -> str:
    """Remove what could drive the terminal or reorder a row; keep tab and newline."""
    return _CONTROL.sub("", text)


def safe_line(text: str) -> str:
    """Text for a one-line input: every line break and tab a space, no control or bidi
    character; spacing otherwise kept (the user is typing it)."""
    return _CONTROL.sub("", _BREAK.sub(" ", text))


def redact(text: str) -> str:
    """Mask credentials: URL passwords, key=value secrets, bearer tokens, webhook paths,
    private keys and the well-known token shapes.

    >>> redact("postgresql://app:hunter2@db:5432/x")
    'postgresql://app:***@db:5432/x'
    >>> redact("see https://hooks.slack.com/services/T0/B0/abc")
    'see https://hooks.slack.com/services/***'
    """
    for pattern, masked in (_key_blocks() if "PRIVATE KEY" in text else ()) + _secrets():
        text = pattern.sub(masked, text)
    return text


def clean(text: str) -> str:
    """What every piece of free text goes through before it enters an event."""
    return redact(strip_controls(text))


def clean_name(text: str) -> str:
    """A one-line field (author, person, role, origin, an id): what :func:`clean` does, with
    every line break, tab and run of spaces made one space, and no space at either end.

    Masked before the lines are joined (a private key's lines) and after (a value that
    followed its name on the next line). A short plain name ("alice", "bob.smith") can hold
    no credential — every pattern needs a separator or a token of 13 characters or more —
    so it skips the patterns: the console names its user before the first frame, and they cost 4 ms to compile."""
    if _PLAIN_NAME.fullmatch(text):
        return text
    return redact(" ".join(_CONTROL.sub("", " ".join(redact(text).split())).split()))


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.-]{1,12}")  # the shortest token shape (AKC…) is 13


@cache
def _secret_key() -> re.Pattern:
    return re.compile(_SECRET_NAME, re.I)


def _redact_json(value: Any) -> Any:
    """Every string masked, and a string under a key that names a secret masked whole."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_json(v) for v in value]
    if isinstance(value, dict):
        return {redact(k): MASK if isinstance(v, str) and v and _secret_key().fullmatch(k) else _redact_json(v)
                for k, v in value.items()}
    return value


def redact_bytes(raw: bytes) -> bytes:
    """A masked copy of bytes that may hold credentials (what the quarantine keeps).

    Read as UTF-8 (bad bytes become U+FFFD). JSON is masked string by string, so an escaped
    quote or newline inside a value cannot hide a secret, and re-encoded only when something
    was masked; anything else is masked as text."""
    text = raw.decode("utf-8", "replace")
    try:
        data = json.loads(text)
        masked = _redact_json(data)
    except (ValueError, RecursionError):  # not JSON, or poison JSON nested past any use
        return redact(text).encode("utf-8")
    return raw if masked == data else json.dumps(masked, ensure_ascii=False).encode("utf-8")


def one_line(text: str) -> str:
    """First line of a text, marking that more follows."""
    head, sep, _ = text.partition("\n")
    return head + (" …" if sep else "")
