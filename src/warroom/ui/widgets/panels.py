"""The always-visible panels: header, clocks, roster, follow-up and status bar. They only
render what they are given; the app decides when (once a second, and when an event lands)."""

import os

# Annotations are not postponed here: typing compiles each string annotation of a
# NamedTuple when the module is imported, and these load as the console starts.
from typing import NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.renderables.digits import Digits as DigitsRenderable
from textual.strip import Strip
from textual.widget import Widget

from ...model import clocks
from ...model.alerts import ALERT_WINDOW_MS
from ...model.policy import Policy
from ...model.safe_text import strip_controls
from ...model.state import IncidentState
from ...model.times import duration, hhmm, humanize, to_datetime
from ...sync.status import SyncStatus

SEVERITY_CLASSES = ("sev1", "sev2", "sev3", "sev4")


def compact(widget: Widget) -> bool:
    """Whether the console is laid out in one column (a narrow or short terminal), where the
    panels on the right take a line or two each instead of a column."""
    screen = widget.screen if widget.is_attached else None
    return screen is not None and (screen.has_class("-narrow") or screen.has_class("-short"))


class TextLines(Widget):
    """Lines of Rich text painted straight to strips, repainting only the cells that change.

    The clocks change every second and the status line with every entry. A Static would take
    each change through its content pipeline and repaint all of itself; here a change dirties
    only the changed lines, from their first changed cell on, so the frame it costs stays
    small, and so does the wait of an entry typed while it is painted. Segments carry the text
    literally: nothing here is ever parsed as markup."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._source: list[Text] = []
        self._lines: list[Text] = []
        self._laid_for = -1  # the content width self._lines were laid out for
        self._strips: dict[int, Strip] = {}
        self._painted_for: tuple[int, Style] | None = None

    def show_lines(self, texts: list[Text]) -> None:
        if texts != self._source:
            self._source = texts
            self.changed()

    def lay_out(self, width: int) -> list[Text]:
        """The lines to show at a content width: those given, a long one wrapped (a line that
        must not wrap says so with ``no_wrap`` and its ``overflow``)."""
        if width <= 0 or all(line.cell_len <= width for line in self._source):
            return self._source
        return [part for line in self._source for part in self.fit(line, width)]

    def fit(self, text: Text, width: int) -> list[Text]:
        """``text`` as lines of at most ``width`` cells (before the first layout: as given)."""
        if width <= 0 or ("\n" not in text.plain and text.cell_len <= width):
            return list(text.split("\n"))
        return list(text.wrap(self.app.console, width))

    def lines(self, width: int) -> list[Text]:
        if width != self._laid_for:
            self._lines, self._laid_for = self.lay_out(width), width
            self._strips.clear()
        return self._lines

    def changed(self) -> None:
        """What the panel shows may have changed: repaint what did, and ask for a layout of
        the screen only when an auto-sized panel gained or lost a line."""
        width = self.content_size.width
        old, new = self._lines, self.lay_out(width)
        if new == old and width == self._laid_for:
            return
        self._lines, self._laid_for = new, width
        if len(new) != len(old) or not width:
            self._strips.clear()
            height = self.styles.height
            self.refresh(layout=len(new) != len(old) and (height is None or height.is_auto))
            return
        dirty = []
        for y, (before, after) in enumerate(zip(old, new)):
            if before != after:
                self._strips.pop(y, None)
                x = first_difference(before, after)
                dirty.append(Region(x, y, width - x, 1))
        if dirty:
            self.refresh(*dirty)

    def render(self) -> Text:
        return Text("\n").join(self.lines(self.content_size.width))

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.lines(width))

    def render_lines(self, crop):
        # The base style walks the ancestors' backgrounds: once a frame, not once a line.
        painted_for = (self.content_size.width, self.rich_style)
        if painted_for != self._painted_for:
            self._painted_for = painted_for
            self._strips.clear()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        strip = self._strips.get(y)
        if strip is None:
            width, base = self._painted_for or (self.content_size.width, self.rich_style)
            lines = self.lines(width)
            line = lines[y] if y < len(lines) else None
            if line is None:
                segments = []
            elif line.style and not line.spans:  # Text.render drops the style of a line without spans
                segments = [Segment(line.plain, self.app.console.get_style(line.style))]
            else:
                segments = line.render(self.app.console)
            strip = Strip(segments).apply_style(base).crop_extend(0, width, base)
            self._strips[y] = strip
        return strip


def first_difference(before: Text, after: Text) -> int:
    """The first cell where two lines differ: the end of their common text, or 0 when their
    styles differ (a change of colour may be anywhere)."""
    if before.spans != after.spans or before.style != after.style:
        return 0
    return cell_len(os.path.commonprefix([before.plain, after.plain]))


class IncidentHeader(TextLines):
    """Incident, severity badge, status and lifecycle phase; at the right end, time since the
    declaration and the UTC clock. Only the right end changes every second, and only its
    cells are repainted: the corner above the clocks panel, away from the timeline."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._left: list[Text] = [Text(), Text()]
        self._right: list[Text] = [Text(), Text()]

    def show(self, state: IncidentState | None, policy: Policy | None) -> None:
        """What changes when events land."""
        if state is None or policy is None:
            left = [Text.assemble((" warroom ", "bold reverse"), ("  no incident — press D to declare", "dim")),
                    Text()]
        else:
            sev = state.severity.lower()
            for cls in SEVERITY_CLASSES:
                self.set_class(cls == sev, f"-{cls}")
            badge = {"sev1": "bold white on red", "sev2": "bold black on dark_orange",
                     "sev3": "bold black on yellow", "sev4": "bold black on grey70"}.get(sev, "reverse")
            title = Text()
            if state.drill:
                title.append(" DRILL ", "bold black on cyan")
                title.append(" ")
            title.append(f" {state.severity} ", badge)
            title.append(f" {state.title} ", "bold")
            title.append(f" {state.id} · {state.slug}", "dim")
            resolved = clocks.is_resolved(state, policy)
            status = Text.assemble((f" {state.status} ", "bold black on green" if resolved else "bold reverse"),
                                   f"  phase: {clocks.phase(state, policy)}")
            left = [title, status]
        if left != self._left:
            self._left = left
            self.changed()

    def show_time(self, state: IncidentState | None, now: int, policy: Policy | None) -> None:
        """What changes every second (elapsed stops at the resolution)."""
        spent = clocks.elapsed_ms(state, policy, now) if state is not None and policy is not None else None
        elapsed = Text(f"elapsed {duration(spent)}") if spent is not None else Text()
        right = [elapsed, Text(to_datetime(now).strftime("%Y-%m-%d %H:%M:%S UTC"), "bold")]
        if right != self._right:
            self._right = right
            self.changed()

    def lay_out(self, width: int) -> list[Text]:
        lines = []
        for left, right in zip(self._left, self._right):
            line = left.copy()
            room = max(0, width - right.cell_len - 2)
            if width > 0 and line.cell_len > room:
                line.truncate(room, overflow="ellipsis")
            line.append(" " * max(2, width - line.cell_len - right.cell_len))
            line.append_text(right)
            lines.append(line)
        return lines


class ClockFace(NamedTuple):
    """What the clocks panel shows; it repaints only when this changes. The first clock is
    the next status update, or recovery monitoring once resolved; the second the next
    escalation, or how long the incident ran once resolved. An overdue clock is red: its
    title, digits and the lines that say why."""

    update: str = "--:--"
    update_detail: str = ""
    escalation: str = "--:--"
    escalation_detail: str = ""
    response_detail: str = ""
    update_overdue: bool = False
    response_overdue: bool = False
    # why the escalation clock is red: a deadline passed unacknowledged, a step due now
    escalation_alert: str = ""
    update_title: tuple[str, str] = ("NEXT STATUS UPDATE", "UPDATE")  # wide and compact
    escalation_title: tuple[str, str] = ("NEXT ESCALATION", "ESC")
    update_prompt: bool = False  # the detail asks for something to be done (the all-clear)

    @property
    def escalation_overdue(self) -> bool:
        return bool(self.escalation_alert)


def clock_face(state: IncidentState | None, policy: Policy | None, now: int) -> ClockFace:
    if state is None or policy is None:
        return ClockFace()
    if clocks.is_resolved(state, policy):
        return _resolved_face(state, policy, now)
    update = clocks.next_update(state, policy)
    if update:
        left = update.remaining(now)
        digits = ("+" if left < 0 else "") + duration(abs(left))
        when = f"OVERDUE by {humanize(-left)}" if left < 0 else f"due {hhmm(update.due_ms)} UTC"
        detail = f"{when} · every {update.cadence_minutes} min ({state.severity})"
    else:
        digits, detail = "--:--", "as needed"

    engaged = clocks.engaged(state, policy, now)
    nxt = clocks.next_escalation(state, policy, now)
    if nxt:
        esc = duration(nxt.at_ms - now)
        now_line = f"\nengaged: {engaged[-1].notify}" if engaged else ""
        esc_detail = f"{nxt.notify} at {hhmm(nxt.at_ms)} UTC{now_line}"
    else:
        last = engaged[-1].notify if engaged else ""
        esc, esc_detail = "--:--", f"all steps reached · {last}" if last else ""
    notes = _escalation_notes(state, policy)
    if len(engaged) <= 1:  # at declaration: who the playbook says to tell, beside the matrix
        notes += _notify_note(policy, state.severity)
    esc_detail = "\n".join(filter(None, [esc_detail, *notes]))

    # Response (by severity) and acknowledgement (where the policy has a deadline) are two clocks,
    # both met by the acknowledgement: a line each, a late one saying how late. One passed unmet
    # turns the escalation clock red, as does a step to act on now.
    lines, late, alarms = [], False, []
    for what, deadline in (("acknowledge", clocks.ack_deadline(state, policy)),
                           ("respond", clocks.response_deadline(state, policy))):
        if deadline is None:
            continue
        if deadline.overdue(now):
            late = True
            alarms.append(f"OVERDUE: {what} by {hhmm(deadline.due_ms)} UTC (K)")
        lines.append(_deadline_line(what, deadline, now))
    alarms += _steps_due(engaged, now)
    if breach := _breach_line(state, policy, now):
        lines.append(breach)
    return ClockFace(digits, detail, esc, esc_detail, "\n".join(lines), bool(update and update.overdue(now)), late,
                     "\n".join(alarms))


def _breach_line(state: IncidentState, policy: Policy, now: int) -> str:
    """Breaches are facts that outlive their clocks (a met deadline, a later update, the
    resolution): one compact line, the first few by due time."""
    breaches = clocks.breaches(state, policy, now)
    if not breaches:
        return ""
    parts = [f"{b.clock} {humanize(b.late_by_ms)} late" for b in breaches[:3]]
    more = f", +{len(breaches) - 3} more" if len(breaches) > 3 else ""
    return f"{len(breaches)} SLA breach{'es' if len(breaches) != 1 else ''}: {', '.join(parts)}{more}"


def _steps_due(engaged: list[clocks.Escalation], now: int) -> list[str]:
    """The escalation steps to act on now: those that arrived within the alert window, as the
    bell rings for them (a first step, after 0, is the page that started the incident)."""
    due = []
    for step in engaged:
        if now - step.at_ms > ALERT_WINDOW_MS or not (step.after_minutes or step.cause):
            continue
        if step.due_ms is not None and step.due_ms < step.at_ms:  # fell due at a change: late already
            due.append(f"OVERDUE since {hhmm(step.due_ms)} UTC: engage {step.notify}")
        else:
            due.append(f"DUE NOW: engage {step.notify}")
    return due


def _resolved_face(state: IncidentState, policy: Policy, now: int) -> ClockFace:
    """Resolved: recovery monitoring counts down to the all-clear (where the policy watches
    for a recurrence), and the time the incident ran stands still at its resolution."""
    spent = clocks.elapsed_ms(state, policy, now) or 0
    face = ClockFace(update_detail="resolved", escalation=duration(spent), escalation_title=("RESOLVED", "RESOLVED"),
                     escalation_detail=f"at {hhmm((state.declared_ms or 0) + spent)} UTC · "
                                       f"{humanize(spent)} after the declaration",
                     response_detail=_breach_line(state, policy, now))
    window = clocks.recovery_window(state, policy)
    if window is None:
        return face
    end, title = window[1], ("RECOVERY MONITORING", "RECOVERY")
    if now < end:
        return face._replace(update=duration(end - now), update_title=title,
                             update_detail=f"until {hhmm(end)} UTC · watching for a recurrence (O re-opens)")
    # Over: the all-clear is the next thing to say, until an update after the end says it.
    posted = [ms for ms in state.updates if ms >= end]
    if posted:
        return face._replace(update="00:00", update_title=title,
                             update_detail=f"ended {hhmm(end)} UTC · all-clear sent {hhmm(min(posted))}")
    return face._replace(update="00:00", update_title=title, update_prompt=True,
                         update_detail=f"ended {hhmm(end)} UTC · post the all-clear (m)")


def _escalation_notes(state: IncidentState, policy: Policy) -> list[str]:
    """Where a "no progress" ladder applies, when its clock last reset and why; and where the
    ack-aware steps stand ("no response in 15m")."""
    notes = []
    reset = clocks.ladder_reset(state, policy)
    if reset is not None:
        why = "declared" if reset.kind == "declared" else reset.kind.replace(":", " ")
        notes.append(f"no-progress clock since {hhmm(reset.at_ms)} UTC ({why})")
    return notes + _ack_step_notes(state, policy)


def _ack_step_notes(state: IncidentState, policy: Policy) -> list[str]:
    """A line per ack-aware step: what it pages, and when, unless the earlier page is answered."""
    tracks = [t for t in policy.tracks_for(state.severity) if t.ack_steps]
    if not tracks:
        return []
    if not state.pages():  # nothing paged yet: every such step waits, no need for the paging module
        return [f"pages {s.page} if {s.unacked} is not acked in {s.after_minutes} min"
                for t in tracks for s in t.ack_steps if s.page]
    from ...paging.escalation import ack_steps

    notes = []
    for ack in ack_steps(state, policy):
        step = ack.step
        if not step.page:
            continue
        if ack.state == "waiting":
            notes.append(f"pages {step.page} if {step.unacked} is not acked in {step.after_minutes} min")
        elif ack.state == "counting":
            notes.append(f"pages {step.page} at {hhmm(ack.due_ms)} UTC unless {step.unacked} acks")
        elif ack.state == "answered":
            notes.append(f"{step.unacked} acked in time: {step.page} not paged")
        else:
            notes.append(f"{step.page} paged: {step.unacked} had not acked in {step.after_minutes} min")
    return notes


def _notify_note(policy: Policy, severity: str) -> list[str]:
    """The severity's notification list in one line, saying the clock follows the matrix
    where the two name different people (the full matrix is in the declare dialog)."""
    lines = notify_lines(policy, severity)
    if not lines:
        return []
    return [lines[0] + (" · the clock follows the matrix" if len(lines) > 1 else "")]


def _mentions(item: str, step: str) -> bool:
    """Whether a notification-list item and a matrix step name the same people: every word of
    one appears in the other ("VP" in "+ VP Engineering")."""
    a = set(item.lower().replace("+", " ").split())
    b = set(step.lower().replace("+", " ").replace(":", " ").split())
    return bool(a) and bool(b) and (a <= b or b <= a)


def notify_lines(policy: Policy, severity: str) -> list[str]:
    """The severity's notification list, and when the escalation matrix names other people,
    the matrix too and which of them the clock follows."""
    sev = policy.find_severity(severity)
    notify = list(sev.notify) if sev is not None else []
    steps = [step.notify.lstrip("+ ").strip() for track in policy.tracks_for(severity)
             if track.clock == "declared" for step in track.steps]
    if not notify:
        return []
    line = f"notify ({severity}): {', '.join(notify)}"
    agree = all(any(_mentions(n, s) for s in steps) for n in notify) and \
        all(any(_mentions(n, s) for n in notify) for s in steps)
    if not steps or agree:
        return [line]
    return [line, f"matrix: {', '.join(steps)} — the clock follows the matrix"]


def _deadline_line(what: str, deadline: clocks.Deadline, now: int) -> str:
    head = f"{what} by {hhmm(deadline.due_ms)} UTC"
    if deadline.met_ms is not None:
        late_by = deadline.met_ms - deadline.due_ms
        met = f"acknowledged {hhmm(deadline.met_ms)}"
        return f"{head} — {met}, {humanize(late_by)} late" if late_by > 0 else f"{head} — {met} ✓"
    if deadline.overdue(now):
        return f"{head} — NOT ACKNOWLEDGED (K)"
    return f"{head} — in {duration(deadline.due_ms - now)} (K to ack)"


class ClocksPanel(TextLines):
    """The two clocks the room watches, in big digits: next status update and next escalation;
    once resolved, recovery monitoring and how long the incident ran. An overdue clock's
    title, digits and reasons are red, in the wide form and the compact one alike."""

    COMPONENT_CLASSES = {"clocks--title", "clocks--detail", "clocks--alert", "clocks--prompt"}
    face: ClockFace = ClockFace()
    _styles: tuple[Style, Style, Style, Style] | None = None  # title, detail, alert, prompt

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._parts: dict[tuple, list[Text]] = {}  # the lines of one part, by what they show

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._parts.clear()
        self._laid_for = -1

    def show(self, state: IncidentState | None, policy: Policy | None, now: int) -> None:
        face = clock_face(state, policy, now)
        if face != self.face:
            self.face = face
            self.set_class(face.update_overdue, "-update-overdue")
            self.set_class(face.response_overdue, "-response-overdue")
            self.set_class(face.escalation_overdue, "-escalation-overdue")
            self.changed()

    def lay_out(self, width: int) -> list[Text]:
        face = self.face
        if self._styles is None:  # worked out from the CSS once, not every second
            self._styles = tuple(self._component_style(f"clocks--{name}") for name in ("title", "detail", "alert",
                                                                                      "prompt"))
        title, detail, alert, prompt = self._styles
        # what colours a clock whole: red when overdue, the prompt's colour when it asks for the all-clear
        update = alert if face.update_overdue else prompt if face.update_prompt else Style()
        escalation = alert if face.escalation_overdue else Style()
        if compact(self):
            return self._compact(width, title, detail, alert, update, escalation)
        lines = [Text(face.update_title[0], title + update), *self._part(face.update, update, None),
                 *self._part(face.update_detail, detail + update, width), Text(),
                 Text(face.escalation_title[0], title + escalation), *self._part(face.escalation, escalation, None)]
        if face.escalation_alert:
            lines += self._part(face.escalation_alert, alert, width)
        lines += [*self._part(face.escalation_detail, detail, width), Text()]
        if face.response_detail:
            lines += self._part(face.response_detail, alert if face.response_overdue else detail, width)
        return lines

    def _compact(self, width: int, title: Style, detail: Style, alert: Style, update: Style,
                 escalation: Style) -> list[Text]:
        """One line for both clocks where it fits, else one each. An overdue escalation clock
        shows why in place of its detail. The details are cut before the digits."""
        face = self.face
        first = lambda text: text.split("\n", 1)[0]  # noqa: E731
        why = (first(face.escalation_alert), alert) if face.escalation_alert else \
            (first(face.escalation_detail), detail)
        parts = [Text.assemble((f"{face.update_title[1]} ", title + update), (face.update, Style(bold=True) + update),
                               (f" {first(face.update_detail)}", detail + update)),
                 Text.assemble((f"{face.escalation_title[1]} ", title + escalation),
                               (face.escalation, Style(bold=True) + escalation), (f" {why[0]}", why[1]))]
        joined = Text(" · ").join(parts)
        lines = [joined] if width <= 0 or joined.cell_len <= width else parts
        for line in lines:
            line.no_wrap, line.overflow = True, "ellipsis"
            if width > 0:
                line.truncate(width, overflow="ellipsis")
        return lines

    def _component_style(self, name: str) -> Style:
        """A component's text style with its colour as painted (a muted colour is blended with
        the background), and no background of its own: the panel's shows through, overdue or not."""
        painted = self.get_component_rich_style(name)
        return self.get_component_rich_style(name, partial=True).without_color + Style(color=painted.color)

    def _part(self, value: str, style: Style, width: int | None) -> list[Text]:
        """Big digits (no ``width``) or text wrapped to ``width``; most parts stay the same
        from one second to the next, so each is laid out once."""
        key = (value, style, width)
        lines = self._parts.get(key)
        if lines is None:
            if width is None:
                rows = "".join(seg.text for seg in DigitsRenderable(value).render(style)).splitlines()
                lines = [Text(row, style) for row in rows]
            else:
                lines = self.fit(Text(value, style), width)
            if len(self._parts) > 64:
                self._parts.clear()
            self._parts[key] = lines
        return lines


class PagingFacts(NamedTuple):
    """What the roster shows of paging beyond the incident's own ``paged``/``page_acked``
    events (those are in its state): read from the contacts file, the outbox and the on-call
    cache by the console's paging worker (screens/page.py)."""

    reach: dict | None = None  # lower-case target name -> "phone, chat" from the contacts file
    waiting: tuple = ()  # (incident, target, provider, why): pages in the outbox, not sent yet, and why
    sending: tuple = ()  # (incident, target, provider): asked for here, the provider not answered yet
    on_call_title: str = ""  # "" when the contacts file names no schedule
    on_call: tuple = ()  # (schedule, person, until, reach)


def _shown(text: str) -> str:
    """Contact data and provider replies, checked where they came in, once more here: nothing
    from outside drives the terminal."""
    return strip_controls(" ".join(str(text).split()))


def paging_lines(state: IncidentState, facts: PagingFacts) -> list[Text]:
    """The incident's pages (paged → acked, per target; waiting ones with the phone to call),
    then who is on call now with their phones."""
    reach = facts.reach or {}
    lines: list[Text] = []
    paged = set()
    for page in state.pages():
        paged.add(page.target.lower())
        target, via = _shown(page.target), _shown(page.provider)
        call = _shown(reach.get(page.target.lower(), ""))
        if page.dry_run:
            lines.append(Text.assemble(("DRILL ", "bold cyan"), (target, "bold"),
                                       f" dry run {hhmm(page.paged_ms)}, nobody paged"))
            continue
        if page.acked_ms is not None:
            who = f" by {_shown(page.acked_by)}" if page.acked_by else ""
            lines.append(Text.assemble(("✓ ", "green"), (target, "bold"), f" paged {hhmm(page.paged_ms)} → ",
                                       (f"acked{who} {hhmm(page.acked_ms)}", "green")))
        else:
            lines.append(Text.assemble(("● ", "yellow"), (target, "bold"), f" paged {hhmm(page.paged_ms)}",
                                       (" · not acked", "yellow")))
        lines.append(Text(f"  via {via}{' · ' + call if call else ''}", "dim"))
    asked = [(t, p, "") for i, t, p in facts.sending if i == state.id]
    asked += [(t, p, why) for i, t, p, why in facts.waiting if i == state.id]
    seen = set()
    for target, provider, why in asked:
        key = target.lower()
        if key in paged or key in seen:
            continue
        seen.add(key)
        what = f" WAITING via {_shown(provider)}" if why else f" paging via {_shown(provider)}…"
        lines.append(Text.assemble(("! ", "bold yellow"), (_shown(target), "bold"), (what, "bold yellow")))
        call = _shown(reach.get(key, ""))
        lines.append(Text(f"  call {call}" if call else "  no phone or chat handle in the contacts file", "bold"))
        if why:
            lines.append(Text(f"  {_shown(why)}", "dim"))
    if lines:
        lines.insert(0, Text("PAGES", "bold"))
    if facts.on_call_title:
        if lines:
            lines.append(Text())
        lines.append(Text.assemble(("ON CALL ", "bold"), (_shown(facts.on_call_title), "dim")))
        for schedule, person, until, call in facts.on_call:
            lines.append(Text.assemble((_shown(schedule), "bold"), f" {_shown(person)}",
                                       (f" {_shown(until)}" if until else "", "dim")))
            if call:
                lines.append(Text(f"  {_shown(call)}", "dim"))
    return lines


def _paging_line(state: IncidentState, facts: PagingFacts) -> Text:
    """The compact form: each target and where its page stands, on one line."""
    line = Text("PAGES ", "bold", no_wrap=True, overflow="ellipsis")
    parts = []
    paged = {p.target.lower() for p in state.pages()}
    for page in state.pages():
        if page.dry_run:
            parts.append(Text(f"{_shown(page.target)} DRILL"))
        elif page.acked_ms is not None:
            parts.append(Text(f"{_shown(page.target)} ✓ {_shown(page.acked_by)}".rstrip(), "green"))
        else:
            parts.append(Text(f"{_shown(page.target)} not acked", "yellow"))
    reach = facts.reach or {}
    for incident, target, _, why in facts.waiting:
        if incident == state.id and target.lower() not in paged:
            paged.add(target.lower())
            call = _shown(reach.get(target.lower(), ""))
            parts.append(Text(f"{_shown(target)} WAITING{' call ' + call if call else ''}", "bold yellow"))
    if not parts:
        return Text()
    return line.append_text(Text(" · ").join(parts))


class Roster(TextLines):
    """Who holds which role, and how far each role's checklist has got; the incident's pages
    (paged → acked, a waiting one with the phone to call) and who is on call (one line each,
    cut with …, when the console is compact)."""

    _line: Text = Text()
    _paging: Text = Text()
    _state: IncidentState | None = None
    _policy: Policy | None = None
    facts: PagingFacts = PagingFacts()

    def show(self, state: IncidentState | None, policy: Policy | None) -> None:
        self._state, self._policy = state, policy
        if state is None or policy is None:
            self._line = self._paging = Text()
            self.show_lines([])
            return
        lines = [Text("ROLES", "bold")]
        line = Text("ROLES ", "bold", no_wrap=True, overflow="ellipsis")
        for role in policy.roles:
            holder = state.roles.get(role.id)
            row = Text.assemble((f"{role.id:<7}", "bold"),
                                (holder or "— unassigned", "" if holder else "dim italic"))
            if len(line) > len("ROLES "):
                line.append(" · ", "dim")
            line.append_text(Text.assemble((f"{role.id} ", "bold"), (holder or "—", "" if holder else "dim")))
            if role.tasks:
                done = len(state.done_tasks(role.id))
                row.append(f"  {done}/{len(role.tasks)}", "green" if done == len(role.tasks) else "dim")
            lines.append(row)
        self._line = line
        for conflict in state.conflicts[-3:]:
            lines.append(Text(f"⚠ concurrent {conflict.field}: {conflict.lost_by} set {conflict.lost!r}, "
                              f"kept {conflict.kept!r}", "yellow"))
        paging = paging_lines(state, self.facts)
        if paging:
            lines += [Text(), *paging]
        self._paging = _paging_line(state, self.facts)
        self.show_lines([*lines, Text()])  # the one-line form changes with these

    def show_paging(self, facts: PagingFacts) -> None:
        """What the paging worker read (contacts, outbox, on-call cache): shown with the state."""
        if facts != self.facts:
            self.facts = facts
            self.show(self._state, self._policy)

    def lay_out(self, width: int) -> list[Text]:
        if not compact(self):
            return super().lay_out(width)
        out = []
        for line in (self._line, self._paging):
            if line.plain:
                line = line.copy()
                if width > 0:
                    line.truncate(width, overflow="ellipsis")
                out.append(line)
        return out


class FollowUpPanel(TextLines):
    """Recovery monitoring, follow-up deadlines and overdue action items, when there are any."""

    LEVELS = {"ok": "green", "warn": "yellow", "alert": "bold red"}

    def show(self, lines: list[tuple[str, str]]) -> None:
        self.visible = bool(lines)  # hidden, it still holds its grid cell: the cells after it stay put
        self.show_lines([Text("FOLLOW-UP", "bold"), *(Text(line, self.LEVELS.get(level, ""))
                                                     for line, level in lines), Text()])


class StatusBar(TextLines):
    """Bottom line: who you are, your role, the entries of this incident, the filter, the
    store when synced, the posts waiting out an outage, and the log file."""

    _shown: tuple | None = None
    _waiting: tuple[int, int] = (0, 0)

    def show(self, user: str, role: str, db: str, entries: int | None, filter_text: str,
             sync_text: Text | None) -> None:
        self._shown = (user, role, db, entries, filter_text, sync_text)
        # One line, cut with … when long: the log's path, which matters least, goes last.
        line = Text.assemble((f" {user}", "bold"), (f" ({role})" if role else " (no role)", "dim"),
                             no_wrap=True, overflow="ellipsis")
        if entries is not None:
            line.append(f"  ·  {entries:,} {'entry' if entries == 1 else 'entries'}", "dim")
        if filter_text:
            line.append(f"  ·  filter: {filter_text}", "yellow")
        if sync_text is not None:
            line.append("  ·  ")
            line.append_text(sync_text)
        waiting, asking = self._waiting
        if waiting:
            # posts and pages alike: the outbox holds both
            line.append(f"  ·  {waiting} waiting to send", "bold yellow")
            if asking:
                line.append(f" ({asking} asking)", "bold yellow")
        line.append(f"  ·  log {db}", "dim")
        self.show_lines([line])

    def show_waiting(self, waiting: int, asking: int = 0) -> None:
        """How many posts wait out an outage (comms/outbox.py), and how many ask first."""
        if (waiting, asking) != self._waiting:
            self._waiting = (waiting, asking)
            if self._shown is not None:
                self.show(*self._shown)


_SYNC_MARKS = {"live": "●", "catching up": "◐", "reconnecting": "◌", "offline": "○"}
_SYNC_STYLES = {"live": "green", "catching up": "yellow", "reconnecting": "yellow", "offline": "bold red"}


def sync_status_text(status: SyncStatus, max_peers: int = 3) -> Text:
    """The status bar's store segment: peers' names are never markup."""
    text = Text(f"{_SYNC_MARKS.get(status.state, '·')} {status.text}", style=_SYNC_STYLES.get(status.state, ""))
    if status.skew_warning:
        text.append(f" · ⚠ {status.skew_warning}", style="bold yellow")
    if status.peers:
        names = [f"{p.user}·{p.role}" if p.role else p.user for p in status.peers[:max_peers]]
        more = len(status.peers) - max_peers
        text.append(" · with " + ", ".join(names) + (f" +{more}" if more > 0 else ""))
    return text
