"""One factory starts every console: ``warroom`` and ``warroom drill`` get the same tuning,
and both print what the disk refused as they closed, and exit 2 for it."""

from __future__ import annotations

import json
import os
import re
import textwrap
import time

from warroom.room import Room
from warroom.store.log import LocalLog

from ..services.terminal import Terminal
from ..test_console_edges import FULL, refuse_all

# Run in the console's own interpreter at exit: the settings it ran with.
REPORT_TUNING = """
import atexit, json, os, sys

def _report():
    constants = sys.modules.get("textual.constants")
    with open(os.environ["WARROOM_TEST_TUNING"], "w") as out:
        json.dump({"switch_interval": sys.getswitchinterval(),
                   "fps": getattr(constants, "MAX_FPS", None)}, out)

atexit.register(_report)
"""


def console_env(tmp_path) -> dict[str, str]:
    hooks = tmp_path / "hooks"
    hooks.mkdir(parents=True)
    (hooks / "sitecustomize.py").write_text(textwrap.dedent(REPORT_TUNING))
    path = os.pathsep.join(p for p in (str(hooks), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "TERM": "xterm-256color", "WARROOM_USER": "tomas", "PYTHONPATH": path,
            "WARROOM_CONFIG_DIR": str(tmp_path / "config"), "WARROOM_STORE": "",
            "WARROOM_TEST_TUNING": str(tmp_path / "tuning.json")}


UNSAVED = re.compile(rb"warroom: entry not saved: (.+?) \(occurred \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)")


def unsaved_printed(seen: bytes) -> list[bytes]:
    """The entries printed at quit as not saved, each with its time."""
    return UNSAVED.findall(seen)


def quit_with_an_entry_refused(term: Terminal, *ready: bytes) -> int:
    term.read_until(*ready)
    term.type("i")
    time.sleep(0.5)  # a person takes longer than this to start typing after i
    term.type("words one\r")
    term.read_until(FULL.encode())
    term.type("\x11")  # ctrl+q
    return term.exit_status()


def test_the_drill_console_prints_an_entry_refused_at_quit_and_exits_2(tmp_path):
    db = tmp_path / "room.db"
    room = Room(LocalLog(db), "tomas")
    refuse_all(room.log.conn, "words %")
    room.close()
    term = Terminal("--db", str(db), "drill", "oom-cascade", env=console_env(tmp_path))
    try:
        # the drill opens with its runbook's checklist and panes: typed once they are up
        assert quit_with_an_entry_refused(term, b"DRILL: ", b"Check if pods are running") == 2
    finally:
        term.stop()
    assert unsaved_printed(term.seen) == [b"words one"]


def test_the_drill_console_and_the_console_run_with_the_same_tuning(tmp_path):
    db = tmp_path / "room.db"
    room = Room(LocalLog(db), "tomas")
    room.declare("Checkout 5xx", "SEV1")
    room.close()
    tunings = []
    for args, ready in ((("--db", str(db)), b"Checkout 5xx"), (("--db", str(db), "drill", "oom-cascade"), b"DRILL: ")):
        env = console_env(tmp_path / str(len(tunings)))
        term = Terminal(*args, env=env)
        try:
            term.read_until(ready, b"Help")  # the key bar: the whole first frame is out
            term.type("\x11")
            assert term.exit_status() == 0
        finally:
            term.stop()
        with open(env["WARROOM_TEST_TUNING"]) as f:
            tunings.append(json.load(f))
    assert tunings[0] == tunings[1] == {"switch_interval": 0.001, "fps": 1000}, tunings

