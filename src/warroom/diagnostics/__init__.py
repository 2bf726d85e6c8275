"""Diagnostics are plugins: listed from the ``warroom.diagnostics`` entry points, imported when opened.

Listing reads package metadata only, so opening the console never pays for a client library
(importing ``kubernetes`` alone costs a few hundred ms). A third party ships a diagnostic by
declaring an entry point in the same group; built-ins are declared the same way.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import Diagnostic

GROUP = "warroom.diagnostics"


class DiagnosticNotFound(LookupError):
    """No diagnostic of that name is installed; the message lists the installed ones."""


def available() -> dict[str, EntryPoint]:
    """Installed diagnostics by name, without importing any of them."""
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        found.setdefault(ep.name, ep)
    return dict(sorted(found.items()))


def load(name: str) -> type["Diagnostic"]:
    """Import one diagnostic class by entry-point name."""
    eps = available()
    ep = eps.get(name)
    if ep is None:
        installed = ", ".join(eps) or "none"
        raise DiagnosticNotFound(f"no diagnostic named {name!r} (installed: {installed})")
    cls = ep.load()
    cls.name = getattr(cls, "name", "") or name
    return cls


def create(name: str, target: str = "", **options) -> "Diagnostic":
    """Load and instantiate a diagnostic for a target."""
    return load(name)(target, **options)
