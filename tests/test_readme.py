"""The README's key table is the console's: every action with its key and its help, in order."""

from __future__ import annotations

import re
from pathlib import Path

from warroom.ui.keys import ACTIONS, key_label

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_key_table_lists_every_action_as_the_console_does():
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| key | action |"):]
    rows = re.findall(r"^\| `([^`]+)` \| (.+) \|$", table.split("\n\n", 1)[0], re.MULTILINE)
    assert rows == [(key_label(a.key), a.help) for a in ACTIONS]


def test_the_screenshot_is_the_console_as_its_160x48_snapshot_shows_it():
    """The README's picture is the snapshot test's own, so it cannot fall behind the console."""
    root = README.parent
    assert "![warroom console](styles/screenshot.svg)" in README.read_text(encoding="utf-8")
    snapshot = root / "tests/ui_snapshots/__snapshots__/test_snapshots/test_main_screen[160x48].svg"
    assert (root / "styles/screenshot.svg").read_bytes() == snapshot.read_bytes()
