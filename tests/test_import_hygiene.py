"""The headless core loads without the console's libraries or the clients' (they are imported
inside the functions that use them), and the console without the clients'.

One fresh interpreter imports every module of the package outside ``warroom.ui``, builds the
full CLI parser and lists the installed diagnostics, then imports every ``warroom.ui`` module;
``sys.modules`` says what each step pulled in. (The layers themselves are checked statically
by import-linter: ``[tool.importlinter]`` in pyproject.toml, run by tests/run.sh.)
"""

import json
import subprocess
import sys

CHECK = r"""
import importlib, json, pkgutil, sys

import warroom

CONSOLE = {"textual", "rich"}
CLIENTS = {"redis", "httpx", "kubernetes", "psycopg"}


def walk(package, skip):
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if info.name in skip:
            continue
        module = importlib.import_module(info.name)
        yield info.name
        if info.ispkg:
            yield from walk(module, skip)


def loaded(names):
    return sorted({name.split(".")[0] for name in sys.modules} & names)


core = list(walk(warroom, skip={"warroom.ui", "warroom.__main__"}))
from warroom.cli import build_parser
from warroom.diagnostics import available

build_parser()
available()
core_loaded = loaded(CONSOLE | CLIENTS)
ui = ["warroom.ui"] + list(walk(importlib.import_module("warroom.ui"), skip=set()))
print(json.dumps({"core": core, "core_loaded": core_loaded, "ui": ui, "ui_loaded": loaded(CLIENTS)}))
"""


def test_the_core_loads_no_console_and_no_client_library_and_the_console_no_client():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    for module in ("warroom.room", "warroom.config", "warroom.errors", "warroom.model.policy",
                   "warroom.store.log", "warroom.sync.engine", "warroom.comms.post", "warroom.followup.drills",
                   "warroom.diagnostics.pods", "warroom.cli.incident", "warroom.cli.console"):
        assert module in result["core"]  # the walk reached every room of the house
    assert not any(m.startswith("warroom.ui") for m in result["core"])
    assert result["core_loaded"] == []
    assert "warroom.ui.app" in result["ui"] and "warroom.ui.widgets.diag_pane" in result["ui"]
    assert result["ui_loaded"] == []


def test_no_private_name_is_imported_across_modules():
    """What a module shares, it names publicly; ``from .x import _y`` couples to its insides."""
    import ast
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src" / "warroom"
    found = []
    for path in sorted(src.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("warroom")):
                found += [f"{path.relative_to(src)}: {alias.name}" for alias in node.names
                          if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert found == []
