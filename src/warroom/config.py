"""Every path warroom reads or writes, in one place; environment variables override them."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "warroom"
_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """A shipped folder (``styles``, ``runbooks``): inside the wheel, or the source checkout."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent.parent / name


def default_db() -> Path:
    return Path(os.environ.get("WARROOM_DB") or platformdirs.user_data_path(APP) / "warroom.db")


def config_dir() -> Path:
    return Path(os.environ.get("WARROOM_CONFIG_DIR") or platformdirs.user_config_path(APP))


def user_policy_dir() -> Path:
    return config_dir() / "policies"


def user_runbook_dir() -> Path:
    return config_dir() / "runbooks"


def contacts_path() -> Path:
    """People, teams and schedules to page (``contacts.toml``): contact data, never tokens."""
    return config_dir() / "contacts.toml"
