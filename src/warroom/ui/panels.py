"""The always-visible panels: header, clocks, roster and status bar. They only render what
they are given; the app decides when (once a second, and when an event lands)."""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text
from textual.renderables.digits import Digits as DigitsRenderable
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from .. import clocks
from ..policy import Policy
from ..state import IncidentState
from ..times import duration, hhmm, humanize, to_datetime

SEVERITY_CLASSES = ("sev1", "sev2", "sev3", "sev4")


def put(widget: Static, content) -> None:
    """Update a widget only when what it shows changes: a repaint on every event and every
    tick is what makes a console feel slow. Only auto-sized widgets ask for a relayout of the
    screen; the header and the status line keep their size, so they just repaint."""
    if getattr(widget, "_shown", None) != content:
        widget._shown = content
        height = widget.styles.height
        widget.update(content, layout=height is None or height.is_auto)


class IncidentHeader(Static):
    """Incident, severity badge, status, phase, elapsed time and the UTC clock."""

    def show(self, state: IncidentState | None, policy: Policy | None, now: int) -> None:
        utc = to_datetime(now).strftime("%Y-%m-%d %H:%M:%S UTC")
        line = Text()
        if state is None or policy is None:
            line.append(" warroom ", "bold reverse")
            line.append("  no incident — press D to declare  ", "dim")
            line.append(f"  {utc}")
            put(self, line)
            return
        sev = state.severity.lower()
        for cls in SEVERITY_CLASSES:
            self.set_class(cls == sev, f"-{cls}")
        badge = {"sev1": "bold white on red", "sev2": "bold black on dark_orange",
                 "sev3": "bold black on yellow", "sev4": "bold black on grey70"}.get(sev, "reverse")
        if state.drill:
            line.append(" DRILL ", "bold black on cyan")
            line.append(" ")
        line.append(f" {state.severity} ", badge)
        line.append(f" {state.title} ", "bold")
        line.append(f" {state.id} · {state.slug}\n", "dim")
        resolved = clocks.is_resolved(state, policy)
        line.append(f" {state.status} ", "bold black on green" if resolved else "bold reverse")
        line.append(f"  phase: {clocks.phase(state, policy)}")
        if state.declared_ms is not None:
            line.append(f"  ·  elapsed {duration(now - state.declared_ms)}")
        line.append(f"  ·  {utc}", "bold")
        put(self, line)


class ClockFace(NamedTuple):
    """What the clocks panel shows; it repaints only when this changes."""

    update: str = "--:--"
    update_detail: str = ""
    escalation: str = "--:--"
    escalation_detail: str = ""
    response_detail: str = ""
    update_overdue: bool = False
    response_overdue: bool = False


def clock_face(state: IncidentState | None, policy: Policy | None, now: int) -> ClockFace:
    if state is None or policy is None:
        return ClockFace()
    resolved = clocks.is_resolved(state, policy)
    update = clocks.next_update(state, policy)
    if update:
        left = update.remaining(now)
        digits = ("+" if left < 0 else "") + duration(abs(left))
        when = f"OVERDUE by {humanize(-left)}" if left < 0 else f"due {hhmm(update.due_ms)} UTC"
        detail = f"{when} · every {update.cadence_minutes} min ({state.severity})"
    else:
        digits, detail = "--:--", "resolved" if resolved else "as needed"

    engaged = clocks.engaged(state, policy, now)
    nxt = clocks.next_escalation(state, policy, now)
    if nxt:
        esc = duration(nxt.at_ms - now)
        now_line = f"\nengaged: {engaged[-1].notify}" if engaged else ""
        esc_detail = f"{nxt.notify} at {hhmm(nxt.at_ms)} UTC{now_line}"
    else:
        last = engaged[-1].notify if engaged and not resolved else ""
        esc, esc_detail = "--:--", f"all steps reached · {last}" if last else ""

    deadline = clocks.response_deadline(state, policy)
    late = bool(deadline and deadline.overdue(now))
    if deadline is None or resolved:
        response = ""
    elif deadline.met_ms is not None:
        response = f"respond by {hhmm(deadline.due_ms)} UTC — acknowledged {hhmm(deadline.met_ms)} ✓"
    elif late:
        response = f"respond by {hhmm(deadline.due_ms)} UTC — NOT ACKNOWLEDGED (K)"
    else:
        response = f"respond by {hhmm(deadline.due_ms)} UTC — in {duration(deadline.due_ms - now)} (K to ack)"
    return ClockFace(digits, detail, esc, esc_detail, response, bool(update and update.overdue(now)), late)


class ClocksPanel(Widget):
    """The two clocks the room watches, in big digits: next status update and next escalation.

    One widget drawing a group of renderables: the clocks change every second, and a single
    repaint of one widget is the cheapest way to show that.
    """

    COMPONENT_CLASSES = {"clocks--title", "clocks--detail", "clocks--alert"}
    face: ClockFace = ClockFace()

    def show(self, state: IncidentState | None, policy: Policy | None, now: int) -> None:
        face = clock_face(state, policy, now)
        if face != self.face:
            # The digits change every second, the height seldom: relayout only when it does.
            relayout = self._height(face) != self._height(self.face)
            self.face = face
            self.set_class(face.update_overdue, "-update-overdue")
            self.set_class(face.response_overdue, "-response-overdue")
            self.refresh(layout=relayout)

    def _height(self, face: ClockFace) -> int:
        width = max(1, self.content_size.width)
        return sum(-(-cell_len(line) // width) or 1
                   for text in (face.update_detail, face.escalation_detail, face.response_detail)
                   for line in text.split("\n")) + bool(face.response_detail)

    def render(self) -> RenderableType:
        face = self.face
        title, detail, alert = (self.get_component_rich_style(f"clocks--{name}", partial=True)
                                for name in ("title", "detail", "alert"))
        update = alert if face.update_overdue else Style()
        parts: list[RenderableType] = [
            Text("NEXT STATUS UPDATE", title + update), DigitsRenderable(face.update, update),
            Text(face.update_detail, detail + update), Text(),
            Text("NEXT ESCALATION", title), DigitsRenderable(face.escalation),
            Text(face.escalation_detail, detail), Text(),
        ]
        if face.response_detail:
            parts.append(Text(face.response_detail, alert if face.response_overdue else detail))
        return Group(*parts)


class Roster(Static):
    """Who holds which role, and how far each role's checklist has got."""

    def show(self, state: IncidentState | None, policy: Policy | None) -> None:
        if state is None or policy is None:
            put(self, "")
            return
        text = Text("ROLES\n", "bold")
        for role in policy.roles:
            holder = state.roles.get(role.id)
            done = len(state.done_tasks(role.id))
            text.append(f"{role.id:<7}", "bold")
            text.append(holder or "— unassigned", "" if holder else "dim italic")
            if role.tasks:
                text.append(f"  {done}/{len(role.tasks)}", "green" if done == len(role.tasks) else "dim")
            text.append("\n")
        for conflict in state.conflicts[-3:]:
            text.append(f"⚠ concurrent {conflict.field}: {conflict.lost_by} set {conflict.lost!r}, "
                        f"kept {conflict.kept!r}\n", "yellow")
        put(self, text)


class FollowUpPanel(Static):
    """Recovery monitoring, follow-up deadlines and overdue action items, when there are any."""

    LEVELS = {"ok": "green", "warn": "yellow", "alert": "bold red"}

    def show(self, lines: list[tuple[str, str]]) -> None:
        self.display = bool(lines)
        text = Text("FOLLOW-UP\n", "bold")
        for line, level in lines:
            text.append(f"{line}\n", self.LEVELS.get(level, ""))
        put(self, text)


class StatusBar(Widget):
    """Bottom line: who you are, your role, the log and its entries for this incident, the
    filter, and the store when synced. It changes with every entry (the count), so it paints
    its one line directly rather than through a Static's content pipeline."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._line = Text()
        self._strip: Strip | None = None

    def show(self, user: str, role: str, db: str, entries: int | None, filter_text: str,
             sync_text: Text | None) -> None:
        line = Text(f" {user}", "bold")
        line.append(f" ({role})" if role else " (no role)", "dim")
        line.append(f"  ·  log {db}", "dim")
        if entries is not None:
            line.append(f"  ·  {entries:,} {'entry' if entries == 1 else 'entries'}", "dim")
        if filter_text:
            line.append(f"  ·  filter: {filter_text}", "yellow")
        if sync_text is not None:
            line.append("  ·  ")
            line.append_text(sync_text)
        if line != self._line:
            self._line, self._strip = line, None
            self.refresh()

    def render(self) -> Text:
        return self._line

    def render_line(self, y: int) -> Strip:
        base = self.rich_style
        if y:
            return Strip.blank(self.size.width, base)
        if self._strip is None:  # segments carry the text literally: never parsed as markup
            self._strip = Strip(self._line.render(self.app.console))
        return self._strip.apply_style(base).crop_extend(0, self.size.width, base)
