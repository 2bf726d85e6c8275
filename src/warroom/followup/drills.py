"""Drills: synthetic incidents the team rehearses on (playbook 001: monthly, rotating IC).

A drill is a real incident in the log, declared with ``drill = true`` (so reports and metrics
leave it out) and the scenario's name; while it runs, every pane is fed by
:class:`~warroom.diagnostics.simulated.SimulatedDiagnostic` instead of a real source.
Scenario files live in ``runbooks/drills/*.toml`` and the user's ``runbooks/drills``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..config import data_dir, user_runbook_dir
from ..diagnostics.runbooks import RunbookError
from ..model import tomlfile

PANE_TABLES = ("pods", "postgres", "redis", "http")


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    severity: str
    path: str
    description: str = ""
    service: str = ""
    impact: str = ""
    runbook: str = ""
    panes: dict[str, dict[str, Any]] = field(default_factory=dict)


def scenario_dirs() -> list[Path]:
    return [data_dir("runbooks") / "drills", user_runbook_dir() / "drills"]


def parse_scenario(data: dict, path: Path) -> Scenario:
    for name in ("title", "severity"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise RunbookError(path, name, "required string missing")
    for name in ("description", "service", "impact", "runbook"):
        if not isinstance(data.get(name, ""), str):
            raise RunbookError(path, name, f"should be a string, got {type(data[name]).__name__}")
    panes = {}
    for name in PANE_TABLES:
        spec = data.get(name)
        if spec is None:
            continue
        if not isinstance(spec, dict):
            raise RunbookError(path, name, "should be a table")
        frames = spec.get("at", [])
        if not isinstance(frames, list) or not all(isinstance(f, dict) for f in frames):
            raise RunbookError(path, f"{name}.at", "should be an array of tables ([[{name}.at]])")
        for i, frame in enumerate(frames):
            for key, value in frame.items():
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise RunbookError(path, f"{name}.at[{i}].{key}", "should be a number")
        panes[name] = spec
    if not panes:
        raise RunbookError(path, "", f"a scenario needs at least one of: {', '.join(PANE_TABLES)}")
    return Scenario(path.stem, data["title"], data["severity"], str(path), data.get("description", ""),
                    data.get("service", ""), data.get("impact", ""), data.get("runbook", ""), panes)


def load_scenarios() -> tuple[dict[str, Scenario], list[RunbookError]]:
    found: dict[str, Scenario] = {}
    errors: list[RunbookError] = []
    for folder in scenario_dirs():
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            try:
                found[path.stem] = parse_scenario(tomlfile.load(path), path)
            except tomlfile.TomlFileError as exc:
                errors.append(RunbookError(path, "", exc.reason))
            except RunbookError as exc:
                errors.append(exc)
    return found, errors


def load_scenario(name: str) -> Scenario:
    found, errors = load_scenarios()
    if name in found:
        return found[name]
    bad = [e for e in errors if Path(e.file).stem == name]
    if bad:
        raise bad[0]
    raise LookupError(f"no drill scenario {name!r} (available: {', '.join(sorted(found)) or 'none'})")


class Drill:
    """A running drill: its incident, its scenario, and the simulated source of each pane."""

    def __init__(self, scenario: Scenario, incident_id: str, started_ms: int, clock: Callable[[], int]) -> None:
        self.scenario, self.incident_id, self.started_ms, self.clock = scenario, incident_id, started_ms, clock

    def diagnostic(self, name: str, target: str = "", **options: Any):
        """The simulated stand-in for pane ``name`` (any target is ignored: nothing real is touched)."""
        from ..diagnostics.simulated import SimulatedDiagnostic

        spec = self.scenario.panes.get(name, {})
        return SimulatedDiagnostic(target, self.clock, kind=name, spec=spec, started_ms=self.started_ms, **options)


def start_drill(room, scenario: Scenario | str, at: int | None = None) -> Drill:
    """Declare the drill incident (marked as a drill) and return the running drill."""
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    state = room.declare(f"DRILL: {scenario.title}", scenario.severity, scenario.service,
                         scenario.impact, at=at, drill=True, scenario=scenario.id)
    return Drill(scenario, state.id, state.declared_ms, room.clock)


def resume_drill(room, incident_id: str) -> Drill | None:
    """The drill behind an incident declared as one, or None for a real incident."""
    state = room.state(incident_id)
    if not state.drill or not state.scenario:
        return None
    return Drill(load_scenario(state.scenario), incident_id, state.declared_ms, room.clock)
