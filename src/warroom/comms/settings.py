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
    [smtp]                # the credentials only from WARROOM_SMTP_USER / WARROOM_SMTP_PASSWORD
    host = "smtp.example.com"
    port = 587            # STARTTLS is always asked for; no mail goes in clear
    from = "incidents@example.com"
    ca_file = ""          # a CA bundle to trust instead of the system's (a private relay)

    # Named audiences: each a Slack webhook, the status page, PagerDuty or e-mail addresses.
    # "{slug}" in a name or channel is the incident's slug ("#{slug}" is its own channel).
    [[audiences]]
    name = "#incidents"
    slack_webhook_env = "WARROOM_SLACK_INCIDENTS"   # the webhook, from this variable
    [[audiences]]
    name = "customers"
    email = ["status-list@example.com"]
    [audience_defaults]   # which audiences the comms pane and `post defaults` offer first
    cygni = ["#incidents", "#{slug}", "#engineering", "#customer-success"]

    # A drill posts to these only; with none for a target, a drill's post there is a dry run.
    [drill]
    slack_webhook = "https://hooks.slack.com/services/..."   # or slack_webhook_env = "..."
    statuspage_page_id = "..."     # a page of its own (api_key: [statuspage]'s, or here)
    pagerduty_routing_key = "..."  # a service that pages nobody
    email = ["drill@example.com"]

A broken file or an unusable value stops posting with one line naming the file (or the
variable) and the field; the console's ``[keys]`` table, read elsewhere, is skipped instead.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Mapping

from .. import config
from ..errors import WarroomError
from ..model import tomlfile
from ..model.safe_text import safe_line, strip_controls

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
    "smtp_host": "WARROOM_SMTP_HOST",
    "smtp_port": "WARROOM_SMTP_PORT",
    "smtp_user": "WARROOM_SMTP_USER",
    "smtp_password": "WARROOM_SMTP_PASSWORD",
    "smtp_from": "WARROOM_SMTP_FROM",
    "smtp_ca_file": "WARROOM_SMTP_CA_FILE",
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
    "smtp_host": ("smtp", "host"),
    "smtp_port": ("smtp", "port"),
    "smtp_from": ("smtp", "from"),
    "smtp_ca_file": ("smtp", "ca_file"),
}
SECRET = ("slack_webhook", "statuspage_key", "pagerduty_key", "smtp_password")
AUDIENCE_KINDS = ("slack", "statuspage", "pagerduty", "email")
# The playbooks' audiences, by policy: 001 (cygni) names its Slack channels, 000 (sre-team)
# the incident channel, the status page and the customers. config.toml's [audience_defaults]
# replaces a policy's list.
DEFAULT_AUDIENCES = {
    "cygni": ("#incidents", "#{slug}", "#engineering", "#customer-success"),
    "sre-team": ("#incidents", "status page", "customers"),
}
# The targets that need no [[audiences]] entry: [slack], [statuspage], [pagerduty].
BUILT_IN = {"slack": "slack", "statuspage": "statuspage", "pagerduty": "pagerduty"}
_ADDRESS = re.compile(r"[^@\s<>\"',;:()\[\]\\]+@[^@\s<>\"',;:()\[\]\\]+\.[^@\s<>\"',;:()\[\]\\]+")
_NAME_MAX = 80
# Upper bounds: a wait the person at the keyboard would sit through, not an accident of typing.
_SECONDS = {"timeout": 300.0, "max_wait": 600.0}
MAX_RETRIES = 10


class ConfigError(WarroomError, ValueError):
    """A config file or variable that cannot be used; names the file/variable and field."""


def audience_key(name: str) -> str:
    """How audience names are matched: "Status page", "status-page" and "statuspage" are one."""
    return re.sub(r"[\s_-]+", "", name.strip().lower())


@dataclass(frozen=True)
class Audience:
    """A named audience and where its posts go: exactly one of a Slack webhook, the status
    page, PagerDuty, or e-mail addresses."""

    name: str
    kind: str
    slack_webhook: str = ""  # a secret: never shown, never in an event
    webhook_env: str = ""  # the variable it was read from, if any (shown instead)
    channel: str = ""
    emails: tuple[str, ...] = ()

    def __repr__(self) -> str:
        where = {"slack": f"webhook={'***' if self.slack_webhook else 'unset'}",
                 "email": f"email={list(self.emails)!r}"}.get(self.kind, "")
        return f"Audience({self.name!r}, {self.kind}{', ' + where if where else ''})"

    def named(self, slug: str) -> str:
        return self.name.replace("{slug}", slug)

    def where(self) -> str:
        """Where it goes, said without secrets."""
        if self.kind == "slack":
            source = f"${self.webhook_env}" if self.webhook_env else "config.toml"
            return f"Slack webhook from {source}" + ("" if self.slack_webhook else " (not set)")
        if self.kind == "email":
            return "e-mail to " + ", ".join(self.emails)
        return {"statuspage": "the status page", "pagerduty": "PagerDuty"}[self.kind]


@dataclass(frozen=True)
class DrillTargets:
    """Where a drill may post: a Slack webhook, a status page and a PagerDuty service of its
    own, e-mail addresses. A target left empty makes a drill's post there a dry run."""

    slack_webhook: str = ""
    statuspage_page: str = ""
    statuspage_key: str = ""
    pagerduty_key: str = ""
    emails: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"DrillTargets({', '.join(self.kinds()) or 'none'})"

    def kinds(self) -> list[str]:
        have = {"slack": self.slack_webhook, "statuspage": self.statuspage_page,
                "pagerduty": self.pagerduty_key, "email": self.emails}
        return [kind for kind in AUDIENCE_KINDS if have[kind]]


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
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    smtp_ca_file: str = ""
    # component id -> name, from [statuspage] components as a table (a list gives ids only)
    statuspage_names: tuple[tuple[str, str], ...] = ()
    audiences: tuple[Audience, ...] = ()
    audience_defaults: dict[str, tuple[str, ...]] = field(default_factory=dict)
    drill: DrillTargets = DrillTargets()

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={'***' if f.name in SECRET and getattr(self, f.name) else getattr(self, f.name)!r}"
                          for f in fields(self))
        return f"Settings({shown})"

    def secrets(self) -> list[str]:
        """Every secret value, longest first; a webhook's path is a secret on its own."""
        from urllib.parse import urlsplit

        found = [v for v in (getattr(self, name) for name in SECRET) if v]
        found += [v for v in (self.drill.slack_webhook, self.drill.statuspage_key, self.drill.pagerduty_key) if v]
        hooks = [self.slack_webhook, self.drill.slack_webhook, *(a.slack_webhook for a in self.audiences)]
        for hook in filter(None, hooks):
            found.append(hook)
            path = urlsplit(hook).path.strip("/")
            found += [p for p in (path, path.rsplit("/", 1)[-1]) if len(p) >= 8]
        return sorted(set(found), key=len, reverse=True)

    def configured(self) -> dict[str, bool]:
        return {"slack": bool(self.slack_webhook),
                "statuspage": bool(self.statuspage_key and self.statuspage_page),
                "pagerduty": bool(self.pagerduty_key),
                "email": bool(self.smtp_host and self.smtp_from)}

    def component_name(self, component_id: str) -> str:
        return dict(self.statuspage_names).get(component_id, component_id)

    def defaults_for(self, policy: str) -> tuple[str, ...]:
        """The audiences a policy's posts go to first ([audience_defaults], else the playbook's)."""
        return self.audience_defaults.get(policy, DEFAULT_AUDIENCES.get(policy, ()))

    def audience(self, name: str, slug: str = "") -> Audience | None:
        """A configured audience by name ("{slug}" filled in for the incident), else a built-in
        target (slack, statuspage, pagerduty); None if neither."""
        key = audience_key(name)
        for audience in self.audiences:
            if key in (audience_key(audience.name), audience_key(audience.named(slug))):
                return audience
        kind = BUILT_IN.get(key)
        return Audience(kind, kind) if kind else None

    def audience_names(self, policy: str) -> list[str]:
        """Every audience a post can name: the policy's defaults, the other configured ones,
        then the built-in targets."""
        names = list(self.defaults_for(policy))
        keys = {audience_key(n) for n in names}
        for audience in self.audiences:
            if audience_key(audience.name) not in keys:
                names.append(audience.name)
                keys.add(audience_key(audience.name))
        return names + [kind for kind in BUILT_IN if kind not in keys]


def _convert(name: str, value, where: str):
    default = getattr(Settings, name)
    if name in _SECONDS:
        expected = f"a number of seconds above 0 and at most {_SECONDS[name]:g}"
    elif name == "retries":
        expected = f"a whole number from 0 to {MAX_RETRIES}"
    elif name == "smtp_port":
        expected = "a port number from 1 to 65535"
    elif name == "smtp_from":
        expected = "an e-mail address"
    elif name == "statuspage_components":
        expected = "a list of component ids, or a table of id = name"
    else:
        expected = "a list of strings" if isinstance(default, tuple) else "a string"
    try:
        if isinstance(value, bool):
            raise ValueError
        if name == "statuspage_components":
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
                return tuple(v.strip() for v in value)
            if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
                return tuple(k.strip() for k in value)
            raise ValueError
        if name == "smtp_port":
            number = int(value.strip() if isinstance(value, str) else value)
            if isinstance(value, float) or not 0 < number < 65536:
                raise ValueError
            return number
        if name == "smtp_from":
            if not isinstance(value, str) or not _ADDRESS.fullmatch(value.strip()):
                raise ValueError
            return value.strip()
        if name in _SECONDS:
            return tomlfile.seconds(value, _SECONDS[name])
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
    comps = (data.get("statuspage") or {}).get("components") if isinstance(data.get("statuspage"), dict) else None
    if isinstance(comps, dict) and "statuspage_components" in values:
        values["statuspage_names"] = tuple((k.strip(), v.strip()) for k, v in comps.items())
    values["audiences"] = _audiences(data.get("audiences"), env, path)
    values["audience_defaults"] = _audience_defaults(data.get("audience_defaults"), path)
    values["drill"] = _drill(data.get("drill"), env, path)
    return Settings(**values)


def _address_list(value, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: expected a list of e-mail addresses, got {tomlfile.shown(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not _ADDRESS.fullmatch(item.strip()):
            raise ConfigError(f"{where}[{i}]: expected an e-mail address, got {tomlfile.shown(item)}")
    return tuple(item.strip() for item in value)


def _webhook(value, where: str, secret_shown: bool = False) -> str:
    from urllib.parse import urlsplit

    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a webhook URL, got {'***' if secret_shown else tomlfile.shown(value)}")
    value = value.strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ConfigError(f"{where}: expected an https:// webhook URL, got ***")
    return value


def _env_name(value, where: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value.strip()):
        raise ConfigError(f"{where}: expected the name of an environment variable, got {tomlfile.shown(value)}")
    return value.strip()


def _audiences(value, env: Mapping[str, str], path: Path) -> tuple[Audience, ...]:
    """``[[audiences]]``: each names one place its posts go. Unknown fields are refused: a
    typo there would send an update nowhere, or somewhere else."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{path}: audiences: expected [[audiences]] tables, got {tomlfile.shown(value)}")
    found: list[Audience] = []
    keys: set[str] = set()
    known = {"name", "slack_webhook", "slack_webhook_env", "channel", "statuspage", "pagerduty", "email"}
    for i, item in enumerate(value):
        at = f"{path}: audiences[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{at}: expected a table, got {tomlfile.shown(item)}")
        unknown = sorted(set(item) - known)
        if unknown:
            raise ConfigError(f"{at}.{unknown[0]}: unknown field (known: {', '.join(sorted(known))})")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > _NAME_MAX \
                or strip_controls(safe_line(name)) != name:
            raise ConfigError(f"{at}.name: expected a name of 1 to {_NAME_MAX} printable characters, "
                              f"got {tomlfile.shown(name)}")
        name = name.strip()
        if audience_key(name) in keys:  # a built-in name is taken over: "status page" in sre-team's list
            raise ConfigError(f"{at}.name: {name!r} is already an audience")
        keys.add(audience_key(name))
        for flag in ("statuspage", "pagerduty"):
            if flag in item and not isinstance(item[flag], bool):
                raise ConfigError(f"{at}.{flag}: expected true or false, got {tomlfile.shown(item[flag])}")
        kinds = [k for k, on in (("slack", "slack_webhook" in item or "slack_webhook_env" in item),
                                 ("statuspage", item.get("statuspage") is True),
                                 ("pagerduty", item.get("pagerduty") is True), ("email", "email" in item)) if on]
        if len(kinds) != 1:
            raise ConfigError(f"{at}: expected one of slack_webhook_env (or slack_webhook), statuspage = true, "
                              f"pagerduty = true or email = [...], got {' and '.join(kinds) or 'none'}")
        kind, hook, var, emails = kinds[0], "", "", ()
        if "slack_webhook" in item and "slack_webhook_env" in item:
            raise ConfigError(f"{at}: slack_webhook and slack_webhook_env both set: keep one")
        if "slack_webhook_env" in item:
            var = _env_name(item["slack_webhook_env"], f"{at}.slack_webhook_env")
            hook = _webhook(env.get(var, ""), var, secret_shown=True)
        elif "slack_webhook" in item:
            hook = _webhook(item["slack_webhook"], f"{at}.slack_webhook", secret_shown=True)
        if kind == "email":
            emails = _address_list(item["email"], f"{at}.email")
        channel = item.get("channel", "")
        if not isinstance(channel, str) or (channel and kind != "slack"):
            raise ConfigError(f"{at}.channel: expected a Slack channel name (a Slack audience only), "
                              f"got {tomlfile.shown(channel)}")
        found.append(Audience(name, kind, hook, var, channel.strip(), emails))
    return tuple(found)


def _audience_defaults(value, path: Path) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: audience_defaults: expected a table of policy = [audience names], "
                          f"got {tomlfile.shown(value)}")
    out = {}
    for policy, names in value.items():
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            raise ConfigError(f"{path}: audience_defaults.{policy}: expected a list of audience names, "
                              f"got {tomlfile.shown(names)}")
        out[policy] = tuple(n.strip() for n in names)
    return out


_DRILL_ENV = {"slack_webhook": "WARROOM_DRILL_SLACK_WEBHOOK_URL", "statuspage_page": "WARROOM_DRILL_STATUSPAGE_PAGE_ID",
              "pagerduty_key": "WARROOM_DRILL_PAGERDUTY_ROUTING_KEY"}


def _drill(value, env: Mapping[str, str], path: Path) -> DrillTargets:
    """``[drill]``: where a drill may post; nothing set means every drill post is a dry run."""
    if value is not None and not isinstance(value, dict):
        raise ConfigError(f"{path}: drill: expected a table, got {tomlfile.shown(value)}")
    value = value or {}
    known = {"slack_webhook", "slack_webhook_env", "statuspage_page_id", "statuspage_api_key",
             "pagerduty_routing_key", "email"}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ConfigError(f"{path}: drill.{unknown[0]}: unknown field (known: {', '.join(sorted(known))})")
    out: dict = {}
    if "slack_webhook_env" in value:
        var = _env_name(value["slack_webhook_env"], f"{path}: drill.slack_webhook_env")
        out["slack_webhook"] = _webhook(env.get(var, ""), var, secret_shown=True)
    if "slack_webhook" in value:
        out["slack_webhook"] = _webhook(value["slack_webhook"], f"{path}: drill.slack_webhook", secret_shown=True)
    for name, key in (("statuspage_page", "statuspage_page_id"), ("statuspage_key", "statuspage_api_key"),
                      ("pagerduty_key", "pagerduty_routing_key")):
        if key in value:
            if not isinstance(value[key], str):
                shown = "***" if key != "statuspage_page_id" else tomlfile.shown(value[key])
                raise ConfigError(f"{path}: drill.{key}: expected a string, got {shown}")
            out[name] = value[key].strip()
    if "email" in value:
        out["emails"] = _address_list(value["email"], f"{path}: drill.email")
    for name, var in _DRILL_ENV.items():
        if env.get(var):
            out[name] = _webhook(env[var], var, True) if name == "slack_webhook" else env[var].strip()
    return DrillTargets(**out)
