"""The timeline: a virtualised view that renders only the lines on screen.

A DataTable append is O(n) (≈370 ms a row at 100k rows), and loading 100k rows into memory
costs most of a second. Here the log itself is the list: the view knows only how many rows
pass the filter and fetches the page it shows (``LIMIT``/``OFFSET`` on the ordering index),
with an LRU of rendered strips. Entries typed here show at once, marked ``…`` until their
commit lands (see write_behind.py). Text is never parsed as markup: segments carry it literally.
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

from ...model.times import to_datetime
from ...store.log import timeline_row

# Row: (occurred_ms, hlc, origin, event_id, label, author, role, summary, recorded_ms)
OCCURRED, HLC, ORIGIN, EVENT_ID, LABEL, AUTHOR, ROLE, SUMMARY, RECORDED = range(9)
BACKDATED_MS = 60_000
PAGE = 64
_PAGES = 8
_STRIPS = 512
PAGE_TURN_AFTER = 0.05  # s

KIND_STYLES = {
    "note": Style(),
    "decision": Style(color="magenta", bold=True),
    "action": Style(color="cyan", bold=True),
    "hypothesis": Style(color="yellow"),
    "observation": Style(color="blue", bold=True),
    "evidence": Style(color="green"),
}
# Kinds in five cells, so the text starts in the same column on every row.
KIND_TAGS = {
    "note": "NOTE", "decision": "DECIS", "action": "ACTN", "hypothesis": "HYPO", "observation": "OBS",
    "evidence": "EVID", "declared": "DECL", "severity": "SEV", "status": "STAT", "role": "ROLE",
    "task": "TASK", "ack": "ACK", "update_posted": "UPDT", "field": "FIELD", "runbook": "RUNBK",
    "diag_action": "DIAG", "action_item": "ITEM", "criterion": "CRIT", "override": "OVRD",
    "milestone": "MILE", "decision_tree": "TREE",
}
TIME_CELLS, MARK_CELLS, KIND_CELLS = 8, 3, 6
AUTHOR_CELLS = 18  # at most a quarter of what the time and kind leave: the rest is the text's,
TEXT_CELLS = 24  # and the author column goes before the text has fewer than this
_SYSTEM = Style(color="bright_black")
_DIM = Style(dim=True)
_WHO = Style(color="white", bold=True)


def day(ms: int) -> str:
    return to_datetime(ms).strftime("%Y-%m-%d")


class TimelineView(ScrollView, can_focus=True):
    """Every entry of one incident: UTC time of day, kind, author and role, and the text,
    which is the last column to give up width (the date is in the border)."""

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
        self._pending: list[tuple] = []  # typed here, shown after the last row until committed
        self._strips: OrderedDict[str, Strip] = OrderedDict()
        self._follow = True
        self._floor = 0  # following after a page turn, the pane scrolls to here, blank below
        self._subtitle = ""
        self._frame = (0, Style(), 0)  # (first row on screen, base style, width) while painting
        self._who_width = AUTHOR_CELLS  # the author column for the width the strips were made for
        self._title = self.border_title = "timeline"

    # -- data ------------------------------------------------------------------------
    def show(self, log, incident_id: str | None) -> None:
        """Show one incident's timeline from the log (None: nothing)."""
        self._log, self._incident = log, incident_id
        self._strips.clear()
        self._reload()
        self.cursor = -1
        self._follow = True
        self._to_end()
        self.refresh()

    def changed(self) -> None:
        """Rows were added to the log: count only the new ones (a range scan on seq, not a
        scan of the incident), and stay on the latest if we were there.

        Following the latest, rows that land below the last one are painted where they fall
        and nothing else moves (a tail that shifted every line on every entry would make the
        room lose its place, and repaint the whole pane). When the last line is used the
        pane turns a page in the next frame, so the entry after it again costs one line."""
        if self._log is None or self._incident is None:
            return
        following = self._follow or self.scroll_offset.y >= self.max_scroll_y
        before, shown = self._count, self.visible_count
        upto = self._log.last_seq()
        new = self._log.timeline_count(self._incident, after_seq=self._seq, upto_seq=upto)
        if new:
            self._total += new
            self._count += new if not self._filtered else self._log.timeline_count(
                self._incident, self._kinds, self._text, after_seq=self._seq, upto_seq=upto)
        self._seq = upto
        if self._pending:  # rows drafted here that are counted now stop being pending
            landed = self._log.landed([row[EVENT_ID] for row in self._pending], upto)
            self._pending = [row for row in self._pending if row[EVENT_ID] not in landed]
        if self._count == before and self.visible_count == shown:
            self._show_position()
            return
        self._grown(before, following, self._take_tail(before) if self._count > before else True)

    def add_pending(self, event) -> bool:
        """Show an entry typed here before its commit lands (write-behind), marked as not yet
        on disk. Only a row that goes at the end of an unfiltered, followed timeline is shown
        early; any other lands with its commit."""
        if self._log is None or event.incident_id != self._incident or self._filtered:
            return False
        following = self._follow or self.scroll_offset.y >= self.max_scroll_y
        row = timeline_row(event)
        last = self.row(self.visible_count - 1)
        if not following or (last is not None and row[:EVENT_ID + 1] <= last[:EVENT_ID + 1]):
            return False
        self._pending.append(row)
        self._grown(self.visible_count - 1, following, True)
        return True

    def drop_pending(self, event_ids: set[str]) -> None:
        """Entries whose commit failed leave the timeline (the console gives their text back)."""
        kept = [row for row in self._pending if row[EVENT_ID] not in event_ids]
        if len(kept) != len(self._pending):
            self._pending = kept
            self._resize()
            self.refresh()

    def _grown(self, first: int, following: bool, appended: bool) -> None:
        """Rows from index ``first`` on are new or changed: repaint them, or turn a page."""
        shown = self.visible_count
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        self._follow = following
        if following and height and shown > top + height:  # a burst outran the free lines
            self._turn_page()
            return
        self._resize()
        if following and appended:
            self.refresh_lines(first, shown - first)
        else:  # scrolled back, or a backdated entry sorted in above the last row
            self.refresh()
        if following and height and shown == top + height:
            # The last line is used: turn the page a moment after this frame, which Textual's
            # output thread must first get to write; the turn repaints the whole pane.
            self.set_timer(PAGE_TURN_AFTER, self._turn_page)

    def make_room(self) -> None:
        """About to take entries: following a pane whose last line is in use, turn the page
        now, so the first entry costs one line rather than a repaint of the pane."""
        height = self.scrollable_content_region.height
        if self._follow and height and self.visible_count >= self.scroll_offset.y + height:
            self._turn_page()

    def _turn_page(self) -> None:
        """Keep the newest half of the pane on top and free the rest for what comes next."""
        height = self.scrollable_content_region.height
        if not self._follow or self.visible_count < self.scroll_offset.y + height:
            return  # scrolled away meanwhile, or a resize made room
        self._floor = self.visible_count - max(1, height // 2) + height
        self._resize()
        self._to_end()
        self.refresh()

    def _take_tail(self, before: int) -> bool:
        """Fetch the newest rows; when they all sort after the previous last row, add them to
        the cached pages and say so. Otherwise something landed in the middle: drop the pages."""
        last = self.row(before - 1)
        tail = self._log.timeline(self._incident, 0, self._count - before, self._kinds, self._text,
                                  from_end=True)
        if last is not None and tail and tail[0][:EVENT_ID + 1] <= last[:EVENT_ID + 1]:
            self._pages.clear()
            return False
        for index, row in enumerate(tail, before):
            number, offset = divmod(index, PAGE)
            page = self._pages.get(number)
            if page is not None and len(page) == offset:
                page.append(row)
            elif offset == 0:
                self._keep_page(number, [row])
            else:  # that page is not cached (or not up to here): it is fetched when shown
                self._pages.pop(number, None)
        return True

    def _keep_page(self, number: int, page: list[tuple]) -> None:
        self._pages[number] = page
        if len(self._pages) > _PAGES:
            self._pages.popitem(last=False)

    def _to_end(self) -> None:
        # Forced: until the next layout Textual still thinks a pane that just outgrew its
        # height cannot scroll, and the latest must show in this frame.
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)

    @property
    def _filtered(self) -> bool:
        return self._kinds is not None or bool(self._text)

    def _reload(self) -> None:
        self._pages.clear()
        self._pending = []  # a filtered or another incident's view shows them once they land
        self._floor = 0
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
        return self._total + len(self._pending)

    @property
    def visible_count(self) -> int:
        return self._count + len(self._pending)

    def visible_rows(self) -> list[tuple]:
        """All rows passing the filter, in order, pending ones last (for tests and exports)."""
        if self._log is None or self._incident is None:
            return []
        rows = self._log.timeline(self._incident, kinds=self._kinds, text=self._text)
        landed = {row[EVENT_ID] for row in rows} if self._pending else set()
        return rows + [row for row in self._pending if row[EVENT_ID] not in landed]

    def row(self, index: int) -> tuple | None:
        if index >= self._count and index - self._count < len(self._pending):
            return self._pending[index - self._count]
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
            self._keep_page(number, page)
        else:
            self._pages.move_to_end(number)
        return page[offset] if offset < len(page) else None

    # -- filtering --------------------------------------------------------------------
    def set_filter(self, kinds: frozenset[str] | None = None, text: str = "") -> None:
        self._kinds, self._text = kinds, text
        self._reload()
        self.cursor = -1
        self._follow = True
        self._to_end()
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
        size = Size(0, max(self.visible_count, self._floor))
        height = self.scrollable_content_region.height
        old = self.virtual_size
        if old != size and height and (old.height > height) == (size.height > height):
            # The scrollbars stay as they were, so no relayout of the screen (which the
            # reactive would ask for on every new entry).
            self.set_reactive(ScrollView.virtual_size, size)
        else:
            self.virtual_size = size
        self._show_position()

    def on_resize(self) -> None:
        if self._follow:  # the first size is known: put the scroll position on the latest too
            self._floor = 0
            self._resize()
            self._to_end()
        self._show_position()

    def _show_position(self) -> None:
        """Where the view is, in the border (the scrollbar is hidden: it repaints with every
        row). Following the latest it stays the same, so a new row repaints only its line;
        the number of entries is on the status line."""
        count = self.visible_count
        filtered = f"filter matches {count:,} of {self._total:,}" if self._filtered else ""
        if self._follow or count <= self.scrollable_content_region.height:
            where = "latest"
        else:
            top = self.scroll_offset.y
            where = f"{top + 1:,}–{min(count, top + self.scrollable_content_region.height):,} of {count:,}"
        subtitle = f"{where} · {filtered}" if filtered else where
        if subtitle != self._subtitle:  # setting the subtitle repaints the whole pane
            self._subtitle = self.border_subtitle = subtitle
        self._show_title()

    def _show_title(self) -> None:
        """Rows carry the time of day; the border says the day of the rows on screen (both
        ends' days when they differ), and a row that starts a new day shows its date."""
        top = max(0, self.scroll_offset.y)
        bottom = min(self.visible_count, top + max(1, self.scrollable_content_region.height)) - 1
        first, last = self.row(top), self.row(bottom)
        days = [day(row[OCCURRED]) for row in (first, last) if row is not None]
        title = "timeline"
        if days:
            title += f" · {days[0]}" + (f" – {days[-1][5:]}" if days[-1] != days[0] else "")
        if title != self._title:
            self._title = self.border_title = title

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        if new_value < old_value and round(new_value) < round(self.max_scroll_y):
            self._follow = False  # the user scrolled back
        elif round(new_value) >= round(self.max_scroll_y):
            self._follow = True
        super().watch_scroll_y(old_value, new_value)
        self._show_position()

    def render_lines(self, crop):
        # Worked out once a frame, not once a line: a new entry repaints every line on screen.
        width = self.size.width
        free = width - TIME_CELLS - MARK_CELLS - KIND_CELLS
        who = max(0, min(AUTHOR_CELLS, free // 4, free - TEXT_CELLS))
        if who != self._who_width:  # the columns moved: the rendered rows are stale
            self._who_width = who
            self._strips.clear()
        self._frame = (self.scroll_offset.y, self.rich_style, width)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        top, base, width = self._frame
        index = top + y
        row = self.row(index) if index < self.visible_count else None
        if row is None:
            return Strip.blank(width, base)
        strip = self._strip(row, index, pending=index >= self._count)
        if index == self.cursor:
            style = self.get_component_rich_style("timeline--cursor")
            return Strip([Segment(seg.text, style) for seg in strip]).crop_extend(0, width, style)
        return strip.crop_extend(0, width, base)

    def _strip(self, row: tuple, index: int, pending: bool = False) -> Strip:
        event_id = row[EVENT_ID]
        strip = None if pending else self._strips.get(event_id)
        if strip is not None:
            self._strips.move_to_end(event_id)
            return strip
        label = row[LABEL]
        kind_style = KIND_STYLES.get(label, _SYSTEM)
        mark = " … " if pending else " ↶ " if row[RECORDED] - row[OCCURRED] > BACKDATED_MS else "   "
        who = row[AUTHOR] + (f" ({row[ROLE]})" if row[ROLE] else "")
        room = self._who_width - 1
        who = "" if room <= 0 else who if len(who) <= room else who[:room - 1] + "…"
        tag = KIND_TAGS.get(label, label.upper()[:KIND_CELLS - 1])
        before = self.row(index - 1) if index > 0 else None
        text = row[SUMMARY]
        if before is not None and day(before[OCCURRED]) != day(row[OCCURRED]):
            text = f"[{day(row[OCCURRED])}] {text}"  # the first row of a new day says which
        segments = [
            Segment(to_datetime(row[OCCURRED]).strftime("%H:%M:%S"), _DIM),
            Segment(mark, _DIM),
            Segment(f"{tag:<{KIND_CELLS}}", kind_style),
        ]
        if self._who_width:
            segments.append(Segment(f"{who:<{self._who_width}}", _WHO))
        segments.append(Segment(text, kind_style if label in KIND_STYLES else _SYSTEM))
        strip = Strip(segments)
        if not pending:  # a pending row is drawn again, without its mark, once it lands
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
        top = self.scroll_offset.y
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
            self._to_end()
        self.scroll_to_region_if_needed()

    def scroll_to_region_if_needed(self) -> None:
        top = self.scroll_offset.y
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
