"""The timeline: a virtualised view that renders only the lines on screen.

A DataTable append is O(n) (≈370 ms a row at 100k rows), and loading 100k rows into memory
costs most of a second. Here the log itself is the list: the view knows only how many rows
pass the filter and fetches the page it shows (``LIMIT``/``OFFSET`` on the ordering index),
with an LRU of rendered strips. Text is never parsed as markup: segments carry it literally.
"""

from __future__ import annotations

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
PAGE = 64
_PAGES = 8
_STRIPS = 512

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
        self._log = None
        self._incident: str | None = None
        self._kinds: frozenset[str] | None = None
        self._text = ""
        self._count = 0
        self._total = 0
        self._seq = 0  # the log's last seq when we last counted
        self._pages: OrderedDict[int, list[tuple]] = OrderedDict()
        self._strips: OrderedDict[str, Strip] = OrderedDict()
        self._follow = True
        self._frame = (0, Style(), 0)  # (first row on screen, base style, width) while painting
        self.border_title = "timeline"

    # -- data ------------------------------------------------------------------------
    def show(self, log, incident_id: str | None) -> None:
        """Show one incident's timeline from the log (None: nothing)."""
        self._log, self._incident = log, incident_id
        self._strips.clear()
        self._reload()
        self.cursor = -1
        self._follow = True
        self.scroll_end(animate=False, immediate=True)

    def changed(self) -> None:
        """Rows were added to the log: count only the new ones (a range scan on seq, not a
        scan of the incident), and stay on the latest if we were there."""
        if self._log is None or self._incident is None:
            return
        at_end = self._follow or self.scroll_y >= self.max_scroll_y
        upto = self._log.last_seq()
        new = self._log.timeline_count(self._incident, after_seq=self._seq, upto_seq=upto)
        if new:
            self._total += new
            self._count += new if not self._filtered else self._log.timeline_count(
                self._incident, self._kinds, self._text, after_seq=self._seq, upto_seq=upto)
            self._pages.clear()
            self._resize()
        self._seq = upto
        if at_end:
            self.scroll_end(animate=False, immediate=True)
        self.refresh()

    @property
    def _filtered(self) -> bool:
        return self._kinds is not None or bool(self._text)

    def _reload(self) -> None:
        self._pages.clear()
        if self._log is None or self._incident is None:
            self._count = self._total = self._seq = 0
        else:
            self._seq = self._log.last_seq()
            self._total = self._log.timeline_count(self._incident, upto_seq=self._seq)
            self._count = (self._log.timeline_count(self._incident, self._kinds, self._text, upto_seq=self._seq)
                           if self._filtered else self._total)
        self._resize()

    @property
    def row_count(self) -> int:
        return self._total

    @property
    def visible_count(self) -> int:
        return self._count

    def visible_rows(self) -> list[tuple]:
        """All rows passing the filter, in order (for tests and exports)."""
        if self._log is None or self._incident is None:
            return []
        return self._log.timeline(self._incident, kinds=self._kinds, text=self._text)

    def row(self, index: int) -> tuple | None:
        if not 0 <= index < self._count:
            return None
        number, offset = divmod(index, PAGE)
        page = self._pages.get(number)
        if page is None:
            start = number * PAGE
            size = min(PAGE, self._count - start)
            if start > self._count // 2:  # nearer the end: walk the index backwards
                page = self._log.timeline(self._incident, self._count - start - size, size,
                                          self._kinds, self._text, from_end=True)
            else:
                page = self._log.timeline(self._incident, start, size, self._kinds, self._text)
            self._pages[number] = page
            if len(self._pages) > _PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        return page[offset] if offset < len(page) else None

    # -- filtering --------------------------------------------------------------------
    def set_filter(self, kinds: frozenset[str] | None = None, text: str = "") -> None:
        self._kinds, self._text = kinds, text
        self._reload()
        self.cursor = -1
        self.scroll_end(animate=False, immediate=True)
        self.refresh()

    @property
    def filter_text(self) -> str:
        return self._text

    @property
    def filter_kinds(self) -> frozenset[str] | None:
        return self._kinds

    # -- rendering --------------------------------------------------------------------
    def _resize(self) -> None:
        # Rows never scroll sideways, so the virtual width stays 0: a resize of the terminal
        # then changes nothing here, and costs no second layout.
        size = Size(0, self.visible_count)
        height = self.scrollable_content_region.height
        old = self.virtual_size
        if old != size and height and (old.height > height) == (size.height > height):
            # The scrollbars stay as they were, so no relayout of the screen (which the
            # reactive would ask for on every new entry): the rows just repaint.
            self.set_reactive(ScrollView.virtual_size, size)
            self.refresh()
        else:
            self.virtual_size = size
        self._show_position()

    def on_resize(self) -> None:
        if self._follow:  # the first size is known: put the scroll position on the latest too
            self.scroll_end(animate=False, immediate=True)
        self._show_position()

    def _show_position(self) -> None:
        """Where the view is, in the border (the scrollbar is hidden: it repaints with every row)."""
        count = self._count
        filtered = f" · filter matches {count:,} of {self._total:,}" if self._filtered else ""
        if self._follow or count <= self.scrollable_content_region.height:
            where = f"{count:,} entries · latest"
        else:
            top = self._top()
            where = f"{top + 1:,}–{min(count, top + self.scrollable_content_region.height):,} of {count:,}"
        self.border_subtitle = where + filtered

    def _top(self) -> int:
        """First row on screen. Following the latest, the view is anchored to the bottom
        (like ``tail -f``), so a new row shows in the very next frame instead of waiting
        for a relayout and then a scroll."""
        if self._follow:
            return max(0, self._count - self.scrollable_content_region.height)
        return self.scroll_offset.y

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        if new_value < old_value and round(new_value) < round(self.max_scroll_y):
            self._follow = False  # the user scrolled back
        super().watch_scroll_y(old_value, new_value)
        self._show_position()

    def render_lines(self, crop):
        # Worked out once a frame, not once a line: a new entry repaints every line on screen.
        self._frame = (self._top(), self.rich_style, self.size.width)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        top, base, width = self._frame
        index = top + y
        row = self.row(index) if index < self.visible_count else None
        if row is None:
            return Strip.blank(width, base)
        if index == self.cursor:
            style = self.get_component_rich_style("timeline--cursor")
            return Strip([Segment(seg.text, style) for seg in self._strip(row)]).crop_extend(0, width, style)
        return self._strip(row).crop_extend(0, width, base)

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
        if len(self._strips) > _STRIPS:
            self._strips.popitem(last=False)
        return strip

    # -- cursor -------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        if not self.visible_count:
            return
        start = self.visible_count if self.cursor < 0 else self.cursor
        top = self._top()
        self.cursor = max(0, min(self.visible_count - 1, start + delta))
        self._follow = self.cursor == self.visible_count - 1
        if not self._follow:
            self.scroll_to(y=top, animate=False, immediate=True)
        self.scroll_to_region_if_needed()

    def action_jump(self, where: int) -> None:
        if not self.visible_count:
            return
        self.cursor = 0 if where == 0 else self.visible_count - 1
        self._follow = where != 0
        if self._follow:
            self.scroll_end(animate=False)
        self.scroll_to_region_if_needed()

    def scroll_to_region_if_needed(self) -> None:
        top = self._top()
        height = self.scrollable_content_region.height or 1
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)
        self._show_position()

    def selected(self) -> tuple | None:
        return self.row(self.cursor)

    def action_open(self) -> None:
        row = self.selected()
        if row is not None:
            self.post_message(self.Opened(row[EVENT_ID]))
