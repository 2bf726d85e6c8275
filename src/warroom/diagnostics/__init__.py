"""Diagnostics are plugins, imported only when a pane opens (``kubernetes`` alone costs a few
hundred ms to import).

The built-ins are named here; a third party ships a diagnostic by declaring an entry point in
the ``warroom.diagnostics`` group. Package metadata is read only when a name is not built in,
so checking the shipped runbooks at start-up never pays for it.
"""

from __future__ import annotations

from typing import Iterator, TYPE_CHECKING

from ..errors import WarroomError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from .base import Diagnostic

GROUP = "warroom.diagnostics"
BUILTIN = {
    "pods": "warroom.diagnostics.pods:PodsDiagnostic",
    "postgres": "warroom.diagnostics.postgres:PostgresDiagnostic",
    "redis": "warroom.diagnostics.redis_stats:RedisDiagnostic",
    "http": "warroom.diagnostics.http_health:HttpDiagnostic",
}


class DiagnosticNotFound(WarroomError, LookupError):
    """No diagnostic of that name is installed; the message lists the installed ones."""


def available() -> dict[str, "EntryPoint"]:
    """Installed diagnostics by name, without importing any of them."""
    from importlib.metadata import entry_points, EntryPoint

    found = {name: EntryPoint(name, value, GROUP) for name, value in BUILTIN.items()}
    for ep in entry_points(group=GROUP):
        found.setdefault(ep.name, ep)
    return dict(sorted(found.items()))


class Installed:
    """The installed diagnostics' names as a container: built-ins answer without metadata."""

    def __contains__(self, name: object) -> bool:
        return name in BUILTIN or name in available()

    def __iter__(self) -> Iterator[str]:
        return iter(available())


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
