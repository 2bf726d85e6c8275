"""The scribe's one-line grammar: ``[TIME] [KIND:] TEXT``.

TIME backdates the entry (``-5m``, ``14:02``, ``2026-11-22T14:02Z``); KIND is a prefix,
one letter or the whole word (``d:`` / ``decision:``). Anything else is the text, as typed.

>>> parse("14:02 o: alert fired", "note", 0)[1:]
('observation', 'alert fired')
>>> parse("d: roll back api", "note", 0)
(None, 'decision', 'roll back api')
>>> parse("ratio 3:1 seen", "note", 0)
(None, 'note', 'ratio 3:1 seen')
"""

from __future__ import annotations

import re

from .events import ENTRY_KINDS
from .times import parse_time, TimeError

PREFIXES = {kind[0]: kind for kind in ENTRY_KINDS} | {kind: kind for kind in ENTRY_KINDS}
_TIME = re.compile(r"^(-\d+\s*[smhd]|\d{1,2}:\d{2}(?::\d{2})?|\d{4}-\d{2}-\d{2}T\S+)\s+(.*)$", re.S)
_KIND = re.compile(r"^([a-z]+):\s*(.*)$", re.S | re.I)


def parse(line: str, default_kind: str, now: int) -> tuple[int | None, str, str]:
    """Split a typed line into (occurred_ms or None, kind, text); raise TimeError on a bad time."""
    text, at, kind = line.strip(), None, default_kind
    if m := _TIME.match(text):
        at, text = parse_time(m[1], now), m[2].strip()
    if (m := _KIND.match(text)) and m[1].lower() in PREFIXES:
        kind, text = PREFIXES[m[1].lower()], m[2].strip()
    return at, kind, text


__all__ = ["parse", "PREFIXES", "TimeError"]
