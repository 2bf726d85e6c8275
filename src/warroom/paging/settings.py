"""Where the paging providers are and their tokens: the environment, then config.toml ``[paging]``.

Tokens live only here and in the HTTP requests: ``PagingSettings`` never shows them in its repr
and every message the providers produce is scrubbed of them; no event ever holds one.

``<config_dir>/config.toml``::

    [paging]
    pagerduty_api_url = "https://api.pagerduty.com"   # WARROOM_PAGERDUTY_API_URL
    pagerduty_api_token = "..."                       # WARROOM_PAGERDUTY_API_TOKEN
    pagerduty_from = "oncall-bot@example.com"         # WARROOM_PAGERDUTY_FROM: the From PagerDuty requires
    pagerduty_service = "PSERVICE"                    # WARROOM_PAGERDUTY_SERVICE: where incidents are opened
    oncall_api_url = "https://oncall.example.com"     # WARROOM_ONCALL_API_URL (Grafana OnCall / IRM)
    oncall_api_token = "..."                          # WARROOM_ONCALL_API_TOKEN
    oncall_grafana_url = "https://stack.grafana.net"  # WARROOM_ONCALL_GRAFANA_URL: with a service account token
    ca_file = "/etc/ssl/internal-ca.pem"              # WARROOM_PAGING_CA_FILE: a private CA for either
    timeout = 10                                      # WARROOM_PAGING_TIMEOUT: seconds per request

A provider URL must be https (plain http only to this machine's loopback, where no token
crosses a network); a bad value is refused with one line naming the file or variable and field.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from ..comms.settings import config_path, ConfigError
from ..model import tomlfile

_FIELDS = {
    "pagerduty_url": ("WARROOM_PAGERDUTY_API_URL", "pagerduty_api_url"),
    "pagerduty_token": ("WARROOM_PAGERDUTY_API_TOKEN", "pagerduty_api_token"),
    "pagerduty_from": ("WARROOM_PAGERDUTY_FROM", "pagerduty_from"),
    "pagerduty_service": ("WARROOM_PAGERDUTY_SERVICE", "pagerduty_service"),
    "oncall_url": ("WARROOM_ONCALL_API_URL", "oncall_api_url"),
    "oncall_token": ("WARROOM_ONCALL_API_TOKEN", "oncall_api_token"),
    "oncall_grafana_url": ("WARROOM_ONCALL_GRAFANA_URL", "oncall_grafana_url"),
    "ca_file": ("WARROOM_PAGING_CA_FILE", "ca_file"),
    "timeout": ("WARROOM_PAGING_TIMEOUT", "timeout"),
}
SECRET = ("pagerduty_token", "oncall_token")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_TIMEOUT = 300.0


@dataclass(frozen=True)
class PagingSettings:
    pagerduty_url: str = "https://api.pagerduty.com"
    pagerduty_token: str = ""
    pagerduty_from: str = ""
    pagerduty_service: str = ""
    oncall_url: str = ""
    oncall_token: str = ""
    oncall_grafana_url: str = ""
    ca_file: str = ""
    timeout: float = 10.0

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={'***' if f.name in SECRET and getattr(self, f.name) else getattr(self, f.name)!r}"
                          for f in fields(self))
        return f"PagingSettings({shown})"

    def secrets(self) -> list[str]:
        return sorted({v for v in (self.pagerduty_token, self.oncall_token) if v}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """``text`` (a provider's reply, an error) with no token and no control character left."""
        from ..model.safe_text import clean

        for secret in self.secrets():
            text = text.replace(secret, "***")
        return clean(text)

    def configured(self, provider: str) -> bool:
        if provider == "pagerduty":
            return bool(self.pagerduty_token and self.pagerduty_from)
        return bool(self.oncall_url and self.oncall_token)

    def missing(self, provider: str) -> str:
        """What is missing to page through ``provider``, as a hint to the user."""
        if provider == "pagerduty":
            return ("PagerDuty is not set up: WARROOM_PAGERDUTY_API_TOKEN and WARROOM_PAGERDUTY_FROM "
                    "(or [paging] pagerduty_api_token and pagerduty_from in config.toml)")
        return ("Grafana OnCall is not set up: WARROOM_ONCALL_API_URL and WARROOM_ONCALL_API_TOKEN "
                "(or [paging] oncall_api_url and oncall_api_token in config.toml)")

    @property
    def verify(self):
        """What the HTTP clients check a provider's certificate against."""
        if not self.ca_file:
            return True
        import ssl

        return ssl.create_default_context(cafile=self.ca_file)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _convert(name: str, value, where: str):
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError(f"{where}: expected {'a number' if name == 'timeout' else 'a string'}, "
                          f"got {'***' if name in SECRET else tomlfile.shown(value)}")
    if name == "timeout":
        try:
            return tomlfile.seconds(value, MAX_TIMEOUT)
        except (ValueError, OverflowError):
            raise ConfigError(f"{where}: expected a number of seconds above 0 and at most {MAX_TIMEOUT:g}, "
                              f"got {tomlfile.shown(value)}") from None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {'***' if name in SECRET else tomlfile.shown(value)}")
    value = value.strip()
    if name in SECRET:
        if any(ch.isspace() or ord(ch) < 32 for ch in value):
            raise ConfigError(f"{where}: expected a token without spaces or control characters, got ***")
        return value
    if name.endswith("_url"):
        parts = urlsplit(value)
        https = name == "pagerduty_url" or parts.scheme == "https" or not _loopback(parts.hostname or "")
        if parts.scheme not in ("https", "http") or not parts.hostname or (https and parts.scheme != "https") \
                or parts.username or parts.query or parts.fragment:
            rule = ("an https:// URL" if name == "pagerduty_url"
                    else "an https:// URL (http:// only to 127.0.0.1 or localhost)")
            raise ConfigError(f"{where}: expected {rule} without credentials or query, got {tomlfile.shown(value)}")
        return value.rstrip("/")
    if name == "pagerduty_from" and not _EMAIL.fullmatch(value):
        raise ConfigError(f"{where}: expected the e-mail address of a PagerDuty user, got {tomlfile.shown(value)}")
    if name == "pagerduty_service" and not _ID.fullmatch(value):
        raise ConfigError(f"{where}: expected a PagerDuty service id, got {tomlfile.shown(value)}")
    if name == "ca_file" and not Path(value).expanduser().is_file():
        raise ConfigError(f"{where}: expected a CA bundle file, got {tomlfile.shown(value)} (no such file)")
    return str(Path(value).expanduser()) if name == "ca_file" else value


def load_paging_settings(env: Mapping[str, str] | None = None, path: Path | None = None) -> PagingSettings:
    """Settings from config.toml ``[paging]``, overridden by environment variables."""
    env = os.environ if env is None else env
    path = path or config_path()
    try:
        data = tomlfile.load(path) if path.is_file() else {}
    except tomlfile.TomlFileError as exc:
        raise ConfigError(str(exc)) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    section = data.get("paging", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: paging: expected a table, got {tomlfile.shown(section)}")
    known = {key for _, key in _FIELDS.values()}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(f"{path}: paging.{unknown[0]}: unknown setting (known: {', '.join(sorted(known))})")
    values: dict = {}
    for name, (var, key) in _FIELDS.items():
        if key in section:
            values[name] = _convert(name, section[key], f"{path}: paging.{key}")
        if env.get(var):
            values[name] = _convert(name, env[var], var)
    return PagingSettings(**values)
