"""The contacts file: who can be paged, and how to reach them when paging cannot.

``<config_dir>/contacts.toml`` (``WARROOM_CONFIG_DIR`` moves it with the rest of the config;
``runbooks/contacts/contacts.example.toml`` is a starting point). People, teams and schedules, each by
the ``name`` people type (``warroom page dana``), with the phone number and chat handle the
room is shown at once, and their ids in the paging providers. These are contact data, not
secrets: API tokens stay in the environment or config.toml (``paging/settings.py``).

Nothing in the file is trusted: every field is checked, an unknown one refused (a typo would
otherwise page nobody), and a problem is one line naming the file and the field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

from .. import config
from ..errors import WarroomError
from ..model import tomlfile

PROVIDERS = ("pagerduty", "oncall")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PHONE = re.compile(r"\+?[0-9 ()./-]{3,40}")
_CHAT = re.compile(r"[^\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]{1,80}")
# the fields each table takes: anything else is refused
_COMMON = ("name", "phone", "chat", "provider", "pagerduty_service")
_FIELDS = {
    "people": _COMMON + ("pagerduty_user", "oncall_user"),
    "teams": _COMMON + ("pagerduty_escalation_policy", "oncall_team"),
    "schedules": _COMMON + ("pagerduty_schedule", "pagerduty_escalation_policy", "oncall_schedule"),
}
_KIND = {"people": "person", "teams": "team", "schedules": "schedule"}


class ContactsError(WarroomError, ValueError):
    """A contacts file that cannot be used, or a name it does not hold; one line."""


class Contact(NamedTuple):
    kind: str  # "person", "team" or "schedule"
    name: str
    phone: str = ""
    chat: str = ""
    provider: str = ""  # the provider to page through when it has more than one
    pagerduty_service: str = ""
    pagerduty_user: str = ""
    pagerduty_escalation_policy: str = ""
    pagerduty_schedule: str = ""
    oncall_user: str = ""
    oncall_team: str = ""
    oncall_schedule: str = ""

    def providers(self) -> tuple[str, ...]:
        """The providers that can page this target, the preferred first. PagerDuty pages a
        user or an escalation policy (a schedule through its policy); OnCall a user, a team,
        or whoever a schedule has on call."""
        found = []
        if self.pagerduty_user or self.pagerduty_escalation_policy:
            found.append("pagerduty")
        if self.oncall_user or self.oncall_team or self.oncall_schedule:
            found.append("oncall")
        if self.provider in found:
            found.remove(self.provider)
            found.insert(0, self.provider)
        return tuple(found)

    @property
    def reach(self) -> str:
        """How to reach the target by hand: "+46 70 123 45 67, @dana"."""
        return ", ".join(v for v in (self.phone, self.chat) if v) or "no phone or chat handle in the contacts file"


class Contacts(NamedTuple):
    source: str
    entries: tuple[Contact, ...] = ()

    def find(self, name: str) -> Contact | None:
        key = name.strip().lower()
        return next((c for c in self.entries if c.name.lower() == key), None)

    def get(self, name: str) -> Contact:
        found = self.find(name)
        if found is not None:
            return found
        if not self.entries:
            raise ContactsError(f"{self.source}: no contacts file there "
                                "(start from runbooks/contacts/contacts.example.toml)")
        known = ", ".join(c.name for c in self.entries)
        raise ContactsError(f"no one named {name.strip()[:64]!r} in {self.source} (known: {known})")

    @property
    def schedules(self) -> tuple[Contact, ...]:
        return tuple(c for c in self.entries if c.kind == "schedule")

    def by_user(self, provider: str, user_id: str) -> Contact | None:
        """The person a provider's user id belongs to (who acknowledged a page)."""
        field = "pagerduty_user" if provider == "pagerduty" else "oncall_user"
        return next((c for c in self.entries if user_id and getattr(c, field) == user_id), None)


def load_contacts(path: str | Path | None = None) -> Contacts:
    """The contacts file at ``path`` (default: in the config directory); none there is an
    empty book, so paging says where the file should be."""
    path = Path(path) if path is not None else config.contacts_path()
    try:
        if not path.is_file():
            return Contacts(str(path))
        data = tomlfile.load(path)
    except tomlfile.TomlFileError as exc:
        raise ContactsError(str(exc)) from None
    except OSError as exc:
        raise ContactsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_contacts(data, str(path))


def parse_contacts(data: dict, source: str) -> Contacts:
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise ContactsError(f"{source}: {unknown[0]}: unknown table (known: {', '.join(_FIELDS)})")
    entries: list[Contact] = []
    seen: dict[str, str] = {}
    for table, fields in _FIELDS.items():
        rows = data.get(table, [])
        if not isinstance(rows, list):
            raise ContactsError(f"{source}: {table}: expected an array of tables ([[{table}]]), "
                                f"got {tomlfile.shown(rows)}")
        for i, row in enumerate(rows):
            where = f"{source}: {table}[{i}]"
            if not isinstance(row, dict):
                raise ContactsError(f"{where}: expected a table, got {tomlfile.shown(row)}")
            contact = _contact(row, fields, _KIND[table], where)
            key = contact.name.lower()
            if key in seen:
                raise ContactsError(f"{where}.name: expected a name used once, got {contact.name!r} "
                                    f"(also {seen[key]})")
            seen[key] = f"{table}[{i}]"
            entries.append(contact)
    return Contacts(source, tuple(entries))


def _contact(row: dict[str, Any], fields: tuple[str, ...], kind: str, where: str) -> Contact:
    extra = sorted(set(row) - set(fields))
    if extra:
        raise ContactsError(f"{where}.{extra[0]}: unknown field (known: {', '.join(fields)})")
    values = {}
    for name in fields:
        if name not in row:
            continue
        value = row[name]
        if not isinstance(value, str):
            raise ContactsError(f"{where}.{name}: expected a string, got {tomlfile.shown(value)}")
        value = value.strip()
        expected = _check(name, value)
        if expected:
            raise ContactsError(f"{where}.{name}: expected {expected}, got {tomlfile.shown(value)}")
        values[name] = value
    if not values.get("name"):
        raise ContactsError(f"{where}.name: expected a name, it is missing")
    contact = Contact(kind, **values)
    if contact.provider and contact.provider not in contact.providers():
        raise ContactsError(f"{where}.provider: expected a provider it has ids for "
                            f"({', '.join(contact.providers()) or 'none'}), got {contact.provider!r}")
    return contact


def _check(name: str, value: str) -> str:
    """What ``value`` should have been for field ``name``; "" when it is fine."""
    if name == "name":
        return "" if _NAME.fullmatch(value) else "a name of letters, digits, . _ - (at most 64)"
    if name == "phone":
        ok = _PHONE.fullmatch(value) and sum(ch.isdigit() for ch in value) >= 3
        return "" if ok else "a phone number (digits, spaces, + ( ) . / -)"
    if name == "chat":
        return "" if _CHAT.fullmatch(value) else "a chat handle of at most 80 characters, no control characters"
    if name == "provider":
        return "" if value in PROVIDERS else f"one of {', '.join(PROVIDERS)}"
    return "" if _ID.fullmatch(value) else "a provider id (letters, digits, _ -, at most 64)"
