"""The diagnostic table: rows drawn one Strip each, the columns that matter kept in view.

A pane may be 24 cells wide or 120. The diagnostic says which columns matter
(:class:`~warroom.diagnostics.base.ColumnLayout`); :func:`fit_columns` keeps those in view,
cutting the ones allowed to be cut, least important first, and lets the other columns give
way: they wait to the right, where ← → scroll a column at a time while the first stays pinned.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...diagnostics.base import BAD, ColumnLayout, DIM, OK, Row, Snapshot, WARN
from ...model.safe_text import strip_controls

LEVEL_STYLES = {OK: Style(color="green"), WARN: Style(color="yellow"), BAD: Style(color="red", bold=True),
                DIM: Style(color="grey50"), "": Style()}
HEADER = Style(bold=True, underline=True)
CURSOR = Style(reverse=True)
CURSOR_FOCUSED = Style(reverse=True, bold=True)
MAX_WIDTH = 60
NO_STYLE = Style()
GAP = 2  # cells after each column
PLUGIN_CUT = 10  # a plugin that names no layout: its first column may be cut to this


def cut_cell(text: str, width: int, middle: bool = False) -> str:
    """``text`` in exactly ``width`` cells: padded, or cut with an ellipsis that says so, at a
    word when one ends in the second half ("OOMKilled…"), or in the middle (``middle``) where
    the end tells rows apart ("api-7…0001")."""
    n = len(text) if text.isascii() else cell_len(text)
    if n <= width:
        return text + " " * (width - n)
    first = text.split(" ", 1)[0]
    if not middle and (cell_len(first) == width or (width < 3 and cell_len(first) < width)):
        return set_cell_size(first, width)  # a whole first word says more than its cut: "4", not "…"
    if width <= 1:
        return "…"[:width]
    room = width - 1
    if middle:
        if "://" in text[:9]:  # a URL cut short says more without its scheme
            return cut_cell(text.split("://", 1)[1], width, middle)
        head, tail = (room + 1) // 2, room // 2
        end, taken = len(text), 0
        while end > 0 and taken + cell_len(text[end - 1]) <= tail:
            end -= 1
            taken += cell_len(text[end])
        return set_cell_size(set_cell_size(text, head) + "…" + text[end:], width)
    cut = set_cell_size(text, room)
    if not (cut.endswith(" ") or text[len(cut):len(cut) + 1] == " "):  # it ends inside a word
        space = cut.rfind(" ")
        if space >= room // 2:
            cut = cut[:space]
    return set_cell_size(cut.rstrip() + "…", width)


@dataclass(frozen=True)
class ColumnFit:
    order: tuple[int, ...]  # the snapshot's column indexes, in the order shown
    widths: tuple[int, ...]  # the width of each, in that order
    middle: tuple[bool, ...]  # cut in the middle rather than at the end
    in_view: int  # how many of them are in view without scrolling

    @property
    def total(self) -> int:
        return sum(w + GAP for w in self.widths)


def fit_columns(columns: tuple[str, ...], natural: list[int], layout: ColumnLayout, width: int) -> ColumnFit:
    """Which columns a table ``width`` cells wide shows, in what order and how wide.

    The kept columns come first, cut down to their least (the least important first) before
    one of them goes out of view; the others follow only while they fit whole, and give way
    before anything kept is cut. A column out of view keeps its width, up to what fits beside
    the pinned first one, so scrolling to it shows it whole."""
    index = {c: i for i, c in enumerate(columns)}
    keep = [index[c] for c in layout.keep if c in index]
    cut = {index[c]: n for c, n in layout.cut if c in index}
    if not keep and columns:
        keep, cut = [0], {0: PLUGIN_CUT}
    named = [index[c] for c in layout.rest if c in index and index[c] not in keep]
    order = keep + named + [i for i in range(len(columns)) if i not in keep and i not in named]
    w = {i: natural[i] if i < len(natural) else cell_len(columns[i]) for i in order}
    least = {i: min(w[i], cut.get(i, w[i])) for i in order}

    def need(cols: list[int], widths: dict[int, int]) -> int:
        return sum(widths[i] for i in cols) + GAP * (len(cols) - 1)

    kept = list(keep)
    while len(kept) > 1 and need(kept, least) > width:
        kept.pop()  # even cut to its least it does not fit: it waits to the right
    excess = need(kept, w) - width
    for i in cut:  # in the order the layout lists them
        if excess <= 0:
            break
        if i in kept:
            take = min(excess, w[i] - least[i])
            w[i] -= take
            excess -= take
    if excess > 0:
        w[kept[0]] = max(1, w[kept[0]] - excess)
    waiting = [least[i] for i in keep if i not in kept]
    if waiting:  # the pinned column leaves room to scroll a kept one beside it, cut to its least
        w[kept[0]] = max(least[kept[0]], min(w[kept[0]], width - GAP - max(waiting)))
    used, in_view = need(kept, w), len(kept)
    for i in order[len(kept):]:
        if used + GAP + w[i] > width:
            break
        used += GAP + w[i]
        in_view += 1
    beside = max(1, width - w[order[0]] - GAP) if order else width
    widths = tuple(w[i] if n < in_view or n == 0 else min(w[i], beside) for n, i in enumerate(order))
    middle = tuple(columns[i] in layout.middle or (not layout.keep and n == 0) for n, i in enumerate(order))
    return ColumnFit(tuple(order), widths, middle, in_view)


class RowTable(ScrollView, can_focus=True):
    """A table that draws only the lines on screen, one Strip per row, from plain segments.

    Textual's DataTable re-renders every visible cell through Rich after any change (≈ 80 ms
    for a screenful on a 2-core machine); a pods pane under a busy watch changes every second,
    so that cost lands on keystrokes. Here a line is a handful of segments: a frame of 50 rows
    costs about a millisecond. Rows arrive already sorted and measured (in the refresh thread);
    the columns are fitted to the width here, again only when the width or the columns change.
    """

    DEFAULT_CSS = """
    RowTable { height: 1fr; scrollbar-size-horizontal: 0; scrollbar-size-vertical: 1; }
    """
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "Top", show=False),
        Binding("end", "jump(-1)", "Bottom", show=False),
        Binding("left", "column(-1)", "Columns left", show=False, id="diag.left"),
        Binding("right", "column(1)", "Columns right", show=False, id="diag.right"),
        Binding("enter", "select", "Select", show=False),
    ]

    @dataclass
    class Selected(Message):
        table: "RowTable"
        key: str

    @dataclass
    class Overflowed(Message):
        """Whether some columns are out of view (the pane says so, and that ← → reach them)."""

        table: "RowTable"
        hidden: tuple[str, ...]

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns: tuple[str, ...] = ()
        self.rows: list[Row] = []
        self.widths: list[int] = []
        self.index: dict[str, int] = {}
        self.column_layout = ColumnLayout()
        self.fit = ColumnFit((), (), (), 0)
        self.cursor = 0
        self._strips: dict[str, tuple] = {}
        self._fitted_for: tuple | None = None
        self._hidden: tuple[str, ...] = ()

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def keys(self) -> list[str]:
        return [r.key for r in self.rows]

    def row(self, key: str) -> Row:
        return self.rows[self.index[key]]

    @property
    def cursor_key(self) -> str | None:
        return self.rows[self.cursor].key if self.rows else None

    def set_rows(self, columns: tuple[str, ...], rows: list[Row], widths: list[int],
                 index: dict[str, int], layout: ColumnLayout | None = None) -> None:
        """Swap in a new, prepared set of rows; the cursor stays on the same row key."""
        keep, old_rows, old_cursor = self.cursor_key, self.rows, self.cursor
        same_shape = columns == self.columns and widths == self.widths and len(rows) == len(old_rows)
        self.columns, self.rows, self.widths, self.index = columns, rows, widths, index
        if layout is not None:
            self.column_layout = layout
        if keep is not None and keep in index:
            self.cursor = index[keep]
        self.cursor = max(0, min(self.cursor, len(rows) - 1))
        if not self._refit() and same_shape:
            # Repaint only the lines on screen whose row changed (or the cursor moved to or from).
            top = int(self.scroll_y)
            for i in range(top, min(len(rows), top + self.size.height)):
                if old_rows[i] is not rows[i] or i in (old_cursor, self.cursor):
                    self.refresh_line(i + 1)
            return
        self._strips.clear()
        self.virtual_size = Size(self.fit.total, len(rows) + 1)
        self.refresh()

    def _width(self) -> int:
        """The cells a line has (the vertical scrollbar takes its own)."""
        return self.scrollable_content_region.width

    def _refit(self) -> bool:
        """Fit the columns to the width in view; True when the fit changed."""
        width = self._width()
        key = (self.columns, tuple(self.widths), self.column_layout, width)
        if key == self._fitted_for:
            return False
        self._fitted_for = key
        self.fit = fit_columns(self.columns, self.widths, self.column_layout, width if width > 0 else 1 << 20)
        self._strips.clear()
        hidden = tuple(self.columns[i] for i in self.fit.order[self.fit.in_view:])
        if hidden != self._hidden:
            self._hidden = hidden
            self.post_message(self.Overflowed(self, hidden))
        return True

    def on_resize(self) -> None:
        if self._refit():
            self.virtual_size = Size(self.fit.total, len(self.rows) + 1)
            self.refresh()

    @property
    def hidden_columns(self) -> tuple[str, ...]:
        """The columns out of view until the table scrolls (← →)."""
        return self._hidden

    def visible_text(self) -> list[str]:
        """The lines as they are on screen now, header first (what a test or a bug report reads)."""
        return ["".join(s.text for s in self.render_line(y)) for y in range(min(self.size.height,
                                                                                 len(self.rows) + 1))]

    def move_cursor(self, row: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(row, len(self.rows) - 1))
        visible = max(1, self.size.height - 1)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor + direction * max(1, self.size.height - 2))

    def action_jump(self, where: int) -> None:
        self.move_cursor(len(self.rows) - 1 if where < 0 else 0)

    def action_column(self, step: int) -> None:
        """Scroll a whole column right or left; the first column stays where it is."""
        starts, x = [0], 0
        for w in self.fit.widths[1:-1]:
            x += w + GAP
            starts.append(x)
        now = int(self.scroll_x)
        if step > 0:
            target = next((s for s in starts if s > now), now)
        else:
            target = next((s for s in reversed(starts) if s < now), 0)
        self.scroll_to(x=min(target, self.max_scroll_x), animate=False)
        self.refresh()

    def action_select(self) -> None:
        if self.rows:
            self.post_message(self.Selected(self, self.rows[self.cursor].key))

    def _segments(self, cells: tuple[str, ...], styles) -> list[Segment]:
        fit = self.fit
        return [Segment(cut_cell(cells[i] if i < len(cells) else "", w, middle) + "  ", styles(i))
                for i, w, middle in zip(fit.order, fit.widths, fit.middle)]

    def _line(self, segments: list[Segment], scroll_x: int, width: int) -> Strip:
        """The first column where it is, the others scrolled by ``scroll_x``."""
        if not segments:
            return Strip.blank(width)
        pinned = segments[0]
        rest = Strip(segments[1:]).crop_extend(scroll_x, scroll_x + max(0, width - pinned.cell_length), None)
        return Strip([pinned, *rest]).crop_extend(0, width, None)

    def render_line(self, y: int) -> Strip:
        width = self._width()
        scroll_x = int(self.scroll_x)
        if y == 0:
            fit = self.fit
            header = [Segment(cut_cell(self.columns[i], w) + "  ", HEADER) for i, w in zip(fit.order, fit.widths)]
            return self._line(header, scroll_x, width)
        i = int(self.scroll_y) + y - 1
        if i >= len(self.rows):
            return Strip.blank(width)
        row = self.rows[i]
        cursor = i == self.cursor
        focused = cursor and self.has_focus
        hit = self._strips.get(row.key)
        if hit is not None and hit[0] is row and hit[1] == (cursor, focused, scroll_x, width):
            return hit[2]
        levels = dict(row.cell_levels)
        extra = (CURSOR_FOCUSED if focused else CURSOR) if cursor else None

        def style(c: int) -> Style:
            base = LEVEL_STYLES.get(levels.get(c) or row.level, NO_STYLE)
            return base + extra if extra is not None else base

        strip = self._line(self._segments(row.cells, style), scroll_x, width)
        if len(self._strips) > 4 * max(100, self.size.height):
            self._strips.clear()
        self._strips[row.key] = (row, (cursor, focused, scroll_x, width), strip)
        return strip


class RowPrep:
    """Sorts, cleans and measures rows in the refresh thread, remembering rows it has seen.

    A row object seen before (diagnostics reuse unchanged rows) is neither cleaned nor
    measured again, so a 5,000-row refresh with a few dozen changes costs a few ms. Column
    widths only grow until the columns change.
    """

    def __init__(self) -> None:
        self.columns: tuple[str, ...] = ()
        self.widths: list[int] = []
        self.seen: dict[str, tuple[Row, Row]] = {}

    def __call__(self, snap: Snapshot, unhealthy_first: bool) -> tuple[list[Row], list[int], dict[str, int]]:
        if snap.columns != self.columns:
            self.columns, self.seen = snap.columns, {}
            self.widths = [cell_len(c) for c in snap.columns]
        widths, seen, n = self.widths, self.seen, len(self.widths)
        rows = []
        for r in snap.rows:
            hit = seen.get(r.key)
            if hit is not None and hit[0] is r:
                rows.append(hit[1])
                continue
            joined = "".join(r.cells)
            clean_row = r if strip_controls(joined) == joined else \
                Row(r.key, tuple(strip_controls(c) for c in r.cells), r.level, r.cell_levels)
            for i, c in enumerate(clean_row.cells[:n]):
                w = len(c) if c.isascii() else cell_len(c)
                if w > widths[i]:
                    widths[i] = min(MAX_WIDTH, w)
            seen[r.key] = (r, clean_row)
            rows.append(clean_row)
        if len(seen) > 2 * len(rows) + 100:
            self.seen = {r.key: seen[r.key] for r in snap.rows if r.key in seen}
        if not (unhealthy_first and snap.ranked):
            rows.sort(key=(lambda r: (r.rank, r.key)) if unhealthy_first else (lambda r: r.key))
        return rows, list(widths), {r.key: i for i, r in enumerate(rows)}


def prepare(snap: Snapshot, unhealthy_first: bool) -> tuple[list[Row], list[int], dict[str, int]]:
    """One-off preparation of a snapshot's rows (see :class:`RowPrep`)."""
    return RowPrep()(snap, unhealthy_first)
