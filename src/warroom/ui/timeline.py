"""The timeline: a virtualised view that renders only the lines on screen.

A DataTable append is O(n) (≈370 ms a row at 100k rows); here a row is a plain tuple kept in
sorted order and a screen line is built from segments only when it becomes visible, with an
LRU of rendered strips. Text is never parsed as markup: segments carry it literally.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..times import stamp

# Row: (occurred_ms, hlc, origin, event_id, label, author, role, summary, recorded_ms)
OCCURRED, HLC, ORIGIN, EVENT_ID, LABEL, AUTHOR, ROLE, SUMMARY, RECORDED = range(9)
BACKDATED_MS = 60_000
_CACHE_SIZE = 512

KIND_STYLES = {
    "note": Style(),
    "decision": Style(color="magenta", bold=True),
    "action": Style(color="cyan", bold=True),
    "hypothesis": Style(color="yellow"),
    "observation": Style(color="blue", bold=True),
    "evidence": Style(color="green"),
}
_SYSTEM = Style(color="bright_black")
_DIM = Style(dim=True)
_WHO = Style(color="white", bold=True)
_PLAIN = Style()


def _key(row: tuple) -> tuple:
    return (row[OCCURRED], row[HLC], row[ORIGIN], row[EVENT_ID])


class TimelineView(ScrollView, can_focus=True):
    """Every entry of one incident with its full UTC time, author and role."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor(-20)", "Page up", show=False),
        Binding("pagedown", "cursor(20)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Latest", show=False),
        Binding("enter", "open", "Details", show=False),
    ]
    COMPONENT_CLASSES = {"timeline--cursor"}
    cursor = reactive(-1, repaint=False)

    class Opened(Message):
        def __init__(self, event_id: str) -> None:
            super().__init__()
            self.event_id = event_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[tuple] = []
        self._keys: list[tuple] = []
        self._ids: set[str] = set()
        self._view: list[int] | None = None  # indices of rows passing the filter; None: all
        self._kinds: frozenset[str] | None = None
        self._text = ""
        self._strips: OrderedDict[str, Strip] = OrderedDict()
        self._follow = True

    # -- data ------------------------------------------------------------------------
    def set_rows(self, rows: list[tuple]) -> None:
        self._rows = list(rows)
        self._keys = [_key(r) for r in self._rows]
        self._ids = {r[EVENT_ID] for r in self._rows}
        self._strips.clear()
        self._refilter()
        self.cursor = -1
        self._follow = True
        self._resize()
        self.scroll_end(animate=False, immediate=True)

    def add_rows(self, rows: list[tuple]) -> None:
        at_end = self._follow or self.scroll_y >= self.max_scroll_y
        for row in rows:
            if row[EVENT_ID] in self._ids:
                continue
            self._ids.add(row[EVENT_ID])
            key = _key(row)
            index = bisect_right(self._keys, key)
            self._keys.insert(index, key)
            self._rows.insert(index, row)
            if self._view is not None:
                self._refilter()
            elif self.cursor >= index:
                self.cursor += 1
        self._resize()
        if at_end:
            self.scroll_end(animate=False, immediate=True)
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def visible_count(self) -> int:
        return len(self._rows) if self._view is None else len(self._view)

    def visible_rows(self) -> list[tuple]:
        """The rows passing the filter, in order (for tests and exports)."""
        return self._rows if self._view is None else [self._rows[i] for i in self._view]

    # -- filtering --------------------------------------------------------------------
    def set_filter(self, kinds: frozenset[str] | None = None, text: str = "") -> None:
        self._kinds, self._text = kinds, text.lower()
        self._refilter()
        self.cursor = -1
        self._resize()
        self.scroll_end(animate=False, immediate=True)
        self.refresh()

    @property
    def filter_text(self) -> str:
        return self._text

    @property
    def filter_kinds(self) -> frozenset[str] | None:
        return self._kinds

    def _refilter(self) -> None:
        if self._kinds is None and not self._text:
            self._view = None
            return
        kinds, text = self._kinds, self._text
        self._view = [
            i for i, r in enumerate(self._rows)
            if (kinds is None or r[LABEL] in kinds)
            and (not text or text in r[SUMMARY].lower() or text in r[AUTHOR].lower())
        ]

    # -- rendering --------------------------------------------------------------------
    def _resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.visible_count)

    def on_resize(self) -> None:
        self._resize()

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.size.width
        if index >= self.visible_count:
            return Strip.blank(width, self.rich_style)
        row = self._rows[index if self._view is None else self._view[index]]
        if index == self.cursor:
            style = self.get_component_rich_style("timeline--cursor")
            return Strip([Segment(seg.text, style) for seg in self._strip(row)]).crop_extend(0, width, style)
        return self._strip(row).crop_extend(0, width, self.rich_style)

    def _strip(self, row: tuple) -> Strip:
        event_id = row[EVENT_ID]
        strip = self._strips.get(event_id)
        if strip is not None:
            self._strips.move_to_end(event_id)
            return strip
        label = row[LABEL]
        kind_style = KIND_STYLES.get(label, _SYSTEM)
        backdated = row[RECORDED] - row[OCCURRED] > BACKDATED_MS
        who = row[AUTHOR] + (f" ({row[ROLE]})" if row[ROLE] else "")
        strip = Strip([
            Segment(stamp(row[OCCURRED]), _DIM),
            Segment(" ↶ " if backdated else "   ", _DIM),
            Segment(f"{label.upper()[:11]:<12}", kind_style),
            Segment(f"{who[:22]:<23}", _WHO),
            Segment(row[SUMMARY], kind_style if label in KIND_STYLES else _SYSTEM),
        ])
        self._strips[event_id] = strip
        if len(self._strips) > _CACHE_SIZE:
            self._strips.popitem(last=False)
        return strip

    # -- cursor -------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        if not self.visible_count:
            return
        start = self.visible_count if self.cursor < 0 else self.cursor
        self.cursor = max(0, min(self.visible_count - 1, start + delta))
        self._follow = self.cursor == self.visible_count - 1
        self.scroll_to_region_if_needed()

    def action_jump(self, where: int) -> None:
        if not self.visible_count:
            return
        self.cursor = 0 if where == 0 else self.visible_count - 1
        self._follow = where != 0
        self.scroll_to_region_if_needed()

    def scroll_to_region_if_needed(self) -> None:
        top = self.scroll_offset.y
        height = self.size.height or 1
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def selected(self) -> tuple | None:
        if 0 <= self.cursor < self.visible_count:
            return self.visible_rows()[self.cursor] if self._view is not None else self._rows[self.cursor]
        return None

    def action_open(self) -> None:
        row = self.selected()
        if row is not None:
            self.post_message(self.Opened(row[EVENT_ID]))
