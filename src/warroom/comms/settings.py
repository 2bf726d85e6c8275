"""Where posting targets and their secrets come from: the environment, then config.toml.

Secrets live only here and in the HTTP requests; ``Settings`` never shows them in its repr,
so a stray log line or traceback cannot leak a webhook URL or a key. Base URLs are settings
too, for proxies, on-prem installs and the loopback servers of the tests.

``<config_dir>/config.toml``::

    [slack]
    webhook_url = "https://hooks.slack.com/services/..."
    [statuspage]
    api_key = "..."
    page_id = "..."
    components = ["component-id"]        # set to the incident's impact while it is open
    base_url = "https://api.statuspage.io/v1"
    [pagerduty]
    routing_key = "..."
    base_url = "https://events.pagerduty.com"
    [http]
    timeout = 10          # seconds to wait for a reply (above 0, at most 300)
    retries = 3           # extra attempts on 429/5xx or a failed connection (0 to 10)
    max_retry_wait = 30   # longest Retry-After honoured, in seconds (above 0, at most 600)

A broken file or an unusable value stops posting with one line naming the file (or the
variable) and the field; the console's ``[keys]`` table, read elsewhere, is skipped instead.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Mapping

from .. import config
from ..errors import WarroomError
from ..model import tomlfile

_ENV = {
    "slack_webhook": "WARROOM_SLACK_WEBHOOK_URL",
    "statuspage_key": "WARROOM_STATUSPAGE_API_KEY",
    "statuspage_page": "WARROOM_STATUSPAGE_PAGE_ID",
    "statuspage_url": "WARROOM_STATUSPAGE_URL",
    "statuspage_components": "WARROOM_STATUSPAGE_COMPONENTS",
    "pagerduty_key": "WARROOM_PAGERDUTY_ROUTING_KEY",
    "pagerduty_url": "WARROOM_PAGERDUTY_URL",
    "timeout": "WARROOM_HTTP_TIMEOUT",
    "retries": "WARROOM_HTTP_RETRIES",
    "max_wait": "WARROOM_HTTP_MAX_RETRY_WAIT",
}
_TOML = {
    "slack_webhook": ("slack", "webhook_url"),
    "statuspage_key": ("statuspage", "api_key"),
    "statuspage_page": ("statuspage", "page_id"),
    "statuspage_url": ("statuspage", "base_url"),
    "statuspage_components": ("statuspage", "components"),
    "pagerduty_key": ("pagerduty", "routing_key"),
    "pagerduty_url": ("pagerduty", "base_url"),
    "timeout": ("http", "timeout"),
    "retries": ("http", "retries"),
    "max_wait": ("http", "max_retry_wait"),
}
SECRET = ("slack_webhook", "statuspage_key", "pagerduty_key")
# Upper bounds: a wait the person at the keyboard would sit through, not an accident of typing.
_SECONDS = {"timeout": 300.0, "max_wait": 600.0}
MAX_RETRIES = 10


class ConfigError(WarroomError, ValueError):
    """A config file or variable that cannot be used; names the file/variable and field."""


@dataclass(frozen=True)
class Settings:
    slack_webhook: str = ""
    statuspage_key: str = ""
    statuspage_page: str = ""
    statuspage_url: str = "https://api.statuspage.io/v1"
    statuspage_components: tuple[str, ...] = ()
    pagerduty_key: str = ""
    pagerduty_url: str = "https://events.pagerduty.com"
    timeout: float = 10.0
    retries: int = 3
    max_wait: float = 30.0

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={'***' if f.name in SECRET and getattr(self, f.name) else getattr(self, f.name)!r}"
                          for f in fields(self))
        return f"Settings({shown})"

    def secrets(self) -> list[str]:
        """Every secret value, longest first; a webhook's path is a secret on its own."""
        from urllib.parse import urlsplit

        found = [v for v in (getattr(self, name) for name in SECRET) if v]
        if self.slack_webhook:
            path = urlsplit(self.slack_webhook).path.strip("/")
            found += [p for p in (path, path.rsplit("/", 1)[-1]) if len(p) >= 8]
        return sorted(set(found), key=len, reverse=True)

    def configured(self) -> dict[str, bool]:
        return {"slack": bool(self.slack_webhook),
                "statuspage": bool(self.statuspage_key and self.statuspage_page),
                "pagerduty": bool(self.pagerduty_key)}


def _convert(name: str, value, where: str):
    default = getattr(Settings, name)
    if name in _SECONDS:
        expected = f"a number of seconds above 0 and at most {_SECONDS[name]:g}"
    elif name == "retries":
        expected = f"a whole number from 0 to {MAX_RETRIES}"
    else:
        expected = "a list of strings" if isinstance(default, tuple) else "a string"
    try:
        if isinstance(value, bool):
            raise ValueError
        if name == "statuspage_components":
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return tuple(value)
            raise ValueError
        if name in _SECONDS:
            number = float(value.strip() if isinstance(value, str) else value)
            if not (math.isfinite(number) and 0 < number <= _SECONDS[name]):
                raise ValueError
            return number
        if name == "retries":
            number = int(value.strip() if isinstance(value, str) else value)
            if isinstance(value, float) or not 0 <= number <= MAX_RETRIES:
                raise ValueError
            return number
        if not isinstance(value, str):
            raise ValueError
        return value.strip()
    except (TypeError, ValueError, OverflowError):
        shown = "***" if name in SECRET else tomlfile.shown(value)
        raise ConfigError(f"{where}: expected {expected}, got {shown}") from None


def config_path() -> Path:
    return config.config_dir() / "config.toml"


def load_settings(env: Mapping[str, str] | None = None, path: Path | None = None) -> Settings:
    """Settings from the config file, overridden by environment variables."""
    env = os.environ if env is None else env
    path = path or config_path()
    values: dict = {}
    try:
        data = tomlfile.load(path) if path.is_file() else {}
    except tomlfile.TomlFileError as exc:
        raise ConfigError(str(exc)) from None
    except OSError as exc:  # is_file() on a folder that cannot be searched
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    for name, (table, key) in _TOML.items():
        section = data.get(table)
        if isinstance(section, dict) and key in section:
            values[name] = _convert(name, section[key], f"{path}: {table}.{key}")
    for name, var in _ENV.items():
        if env.get(var):
            values[name] = _convert(name, env[var], var)
    return Settings(**values)
