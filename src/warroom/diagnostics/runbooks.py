"""Runbooks are files: a scenario's key binding, the panes it opens, its checks and resolution paths.

Shipped runbooks live in ``runbooks/*.toml`` and a user's in ``locations.user_runbook_dir()``
(same id: the user's wins). Sub-folders (``policies/``, ``drills/``) are not runbooks. A bad
file is reported with file, field and reason and the others still load, so one typo never
takes every runbook away in the middle of an incident.

Shell commands in a runbook are shown and only run after a confirmation; they come from these
local files only, never from an event another terminal synced.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path

from ..config import data_dir, user_runbook_dir
from ..errors import WarroomError
from ..model import tomlfile
from ..model.safe_text import clean

_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
KEY_RE = re.compile(r"^((ctrl|alt|shift)\+)*([a-z0-9]|f[1-9]|f1[0-9]|f2[0-4])$")


class RunbookError(WarroomError, ValueError):
    def __init__(self, file: Path | str, field: str, reason: str) -> None:
        self.file, self.field, self.reason = str(file), field, reason
        super().__init__(f"{Path(file).name}: {field}: {reason}" if field else f"{Path(file).name}: {reason}")


@dataclass(frozen=True)
class PaneSpec:
    diagnostic: str
    target: str = ""
    interval: float | None = None
    title: str = ""

    def resolved_target(self, env: dict[str, str] | None = None) -> str:
        """The target with ``${VAR}`` and ``${VAR:-default}`` expanded, so secrets stay out of files."""
        env = os.environ if env is None else env
        return _VAR.sub(lambda m: env.get(m["name"]) or (m["default"] or ""), self.target)

    def unset(self, env: dict[str, str] | None = None) -> list[str]:
        """The ``${VAR}`` of the target that are unset (or empty) and give no ``:-default``:
        expanded to nothing, the client would quietly connect to its own default instead."""
        env = os.environ if env is None else env
        return [m["name"] for m in _VAR.finditer(self.target) if not env.get(m["name"]) and m["default"] is None]

    def unset_reason(self, book_path: str, env: dict[str, str] | None = None) -> str:
        """What a pane says instead of connecting: "DATABASE_URL is not set: set it or edit
        runbooks/x.toml"; empty when every variable is set."""
        names = self.unset(env)
        if not names:
            return ""
        path = Path(book_path)
        where = f"{path.parent.name}/{path.name}" if path.parent.name else path.name
        one = len(names) == 1
        return f"{', '.join(names)} {'is' if one else 'are'} not set: set {'it' if one else 'them'} or edit {where}"


@dataclass(frozen=True)
class Step:
    text: str
    command: str = ""
    pane: str = ""


@dataclass(frozen=True)
class Resolution:
    when: str
    then: str
    command: str = ""


@dataclass(frozen=True)
class Runbook:
    id: str
    title: str
    key: str
    path: str
    playbook: str = ""
    symptoms: str = ""
    panes: tuple[PaneSpec, ...] = ()
    steps: tuple[Step, ...] = ()
    resolutions: tuple[Resolution, ...] = ()

    def commands(self) -> list[str]:
        return [c for c in [s.command for s in self.steps] + [r.command for r in self.resolutions] if c]


def _str(data: dict, name: str, where: str, path: Path, required: bool = False, default: str = "") -> str:
    if name not in data:
        if required:
            raise RunbookError(path, f"{where}{name}", "required, missing")
        return default
    value = data[name]
    if not isinstance(value, str):
        raise RunbookError(path, f"{where}{name}", f"should be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise RunbookError(path, f"{where}{name}", "must not be empty")
    return value


def _tables(data: dict, name: str, path: Path) -> list[dict]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RunbookError(path, name, f"should be an array of tables ([[{name}]])")
    return value


def parse(data: dict, path: Path, diagnostics: Container[str] | None = None) -> Runbook:
    """Check one runbook's data; raise RunbookError naming the field."""
    known = {"id", "title", "key", "playbook", "symptoms", "panes", "steps", "resolutions"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise RunbookError(path, unknown[0], f"unknown field (expected one of: {', '.join(sorted(known))})")
    title = _str(data, "title", "", path, required=True)
    key = _str(data, "key", "", path, required=True).strip().lower()
    if not KEY_RE.match(key):
        raise RunbookError(path, "key", f"{key!r} is not a key name like f5, ctrl+r or 7")
    panes = []
    for i, p in enumerate(_tables(data, "panes", path)):
        where = f"panes[{i}]."
        extra = sorted(set(p) - {"diagnostic", "target", "interval", "title"})
        if extra:
            raise RunbookError(path, where + extra[0], "unknown field")
        diag = _str(p, "diagnostic", where, path, required=True)
        if diagnostics is not None and diag not in diagnostics:
            raise RunbookError(path, where + "diagnostic",
                               f"unknown diagnostic {diag!r} (installed: {', '.join(sorted(diagnostics))})")
        interval = p.get("interval")
        if interval is not None and (isinstance(interval, bool) or not isinstance(interval, (int, float))
                                     or interval <= 0):
            raise RunbookError(path, where + "interval", "should be a positive number of seconds")
        panes.append(PaneSpec(diag, _str(p, "target", where, path), interval, _str(p, "title", where, path)))
    pane_names = {p.diagnostic for p in panes}
    steps = []
    for i, s in enumerate(_tables(data, "steps", path)):
        where = f"steps[{i}]."
        pane = _str(s, "pane", where, path)
        if pane and pane not in pane_names:
            raise RunbookError(path, where + "pane", f"{pane!r} is not one of this runbook's panes")
        steps.append(Step(_str(s, "text", where, path, required=True), _str(s, "command", where, path), pane))
    resolutions = []
    for i, r in enumerate(_tables(data, "resolutions", path)):
        where = f"resolutions[{i}]."
        resolutions.append(Resolution(_str(r, "when", where, path, required=True),
                                      _str(r, "then", where, path, required=True),
                                      _str(r, "command", where, path)))
    return Runbook(_str(data, "id", "", path, default=path.stem), title, key, str(path),
                   _str(data, "playbook", "", path), _str(data, "symptoms", "", path),
                   tuple(panes), tuple(steps), tuple(resolutions))


def runbook_dirs() -> list[Path]:
    return [data_dir("runbooks"), user_runbook_dir()]


def load_file(path: Path, diagnostics: Container[str] | None = None) -> Runbook:
    try:
        data = tomlfile.load(path)
    except tomlfile.TomlFileError as exc:
        raise RunbookError(path, "", exc.reason) from None
    return parse(data, path, diagnostics)


def load_runbooks(dirs: list[Path] | None = None,
                  diagnostics: Container[str] | None = None) -> tuple[list[Runbook], list[RunbookError]]:
    """Every runbook that loads, and an error for each file that does not."""
    if diagnostics is None:
        from . import Installed

        diagnostics = Installed()
    by_id: dict[str, Runbook] = {}
    errors: list[RunbookError] = []
    for folder in dirs if dirs is not None else runbook_dirs():
        for path in sorted(Path(folder).glob("*.toml")) if Path(folder).is_dir() else []:
            try:
                book = load_file(path, diagnostics)
            except RunbookError as exc:
                errors.append(exc)
                continue
            by_id[book.id] = book
    keys: dict[str, Runbook] = {}
    books = []
    for book in by_id.values():
        if book.key in keys:
            errors.append(RunbookError(book.path, "key", f"{book.key!r} is already bound to {keys[book.key].id}"))
            continue
        keys[book.key] = book
        books.append(book)
    return books, errors


def start(room, incident_id: str, book: Runbook, at: int | None = None):
    """Record in the timeline that a runbook was started and which panes it opened."""
    panes = ", ".join(f"{p.diagnostic}" for p in book.panes)
    return room.record(incident_id, "runbook", {"runbook": book.id, "title": book.title, "panes": panes}, at)


def run_shell(command: str, timeout: float = 60.0) -> tuple[int | None, str]:
    """Run a runbook command once confirmed: (exit status or None on timeout, cleaned output tail)."""
    try:
        proc = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or "") if isinstance(exc.stdout, str) else (exc.stdout or b"").decode("utf-8", "replace")
        return None, clean(out)[-4000:] + f"\n(timed out after {timeout:g}s)"
    return proc.returncode, clean(proc.stdout + proc.stderr)[-4000:]
