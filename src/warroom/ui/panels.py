"""The always-visible panels: header, clocks, roster and status bar. They only render what
they are given; the app decides when (once a second, and when an event lands)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Digits, Static

from .. import clocks
from ..policy import Policy
from ..state import IncidentState
from ..times import duration, hhmm, humanize, to_datetime

SEVERITY_CLASSES = ("sev1", "sev2", "sev3", "sev4")


def put(widget: Static | Digits, content) -> None:
    """Update a widget only when what it shows changes: a repaint (and, for auto-sized
    widgets, a relayout) on every event and every tick is what makes a console feel slow."""
    if getattr(widget, "_shown", None) != content:
        widget._shown = content
        widget.update(content)


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


class ClocksPanel(Vertical):
    """The two clocks the room watches, big: next status update and next escalation."""

    def compose(self) -> ComposeResult:
        yield Static("NEXT STATUS UPDATE", classes="clock-title", id="update-title")
        yield Digits("--:--", id="update-digits")
        yield Static("", id="update-detail", classes="clock-detail")
        yield Static("NEXT ESCALATION", classes="clock-title", id="escalation-title")
        yield Digits("--:--", id="escalation-digits")
        yield Static("", id="escalation-detail", classes="clock-detail")
        yield Static("", id="response-detail", classes="clock-detail")

    def show(self, state: IncidentState | None, policy: Policy | None, now: int) -> None:
        update = clocks.next_update(state, policy) if state and policy else None
        digits = self.query_one("#update-digits", Digits)
        detail = self.query_one("#update-detail", Static)
        overdue = bool(update and update.overdue(now))
        self.set_class(overdue, "-update-overdue")
        if update:
            left = update.remaining(now)
            put(digits, ("+" if left < 0 else "") + duration(abs(left)))
            state_text = f"OVERDUE by {humanize(-left)}" if left < 0 else f"due {hhmm(update.due_ms)} UTC"
            put(detail, Text(f"{state_text} · every {update.cadence_minutes} min ({state.severity})"))
        else:
            put(digits, "--:--")
            resolved = state is not None and policy is not None and clocks.is_resolved(state, policy)
            put(detail, "resolved" if resolved else ("as needed" if state else ""))

        nxt = clocks.next_escalation(state, policy, now) if state and policy else None
        esc_digits = self.query_one("#escalation-digits", Digits)
        esc_detail = self.query_one("#escalation-detail", Static)
        if nxt:
            put(esc_digits, duration(nxt.at_ms - now))
            engaged = clocks.engaged(state, policy, now)
            now_line = f"\nengaged: {engaged[-1].notify}" if engaged else ""
            put(esc_detail, Text(f"{nxt.notify} at {hhmm(nxt.at_ms)} UTC{now_line}"))
        else:
            put(esc_digits, "--:--")
            engaged = clocks.engaged(state, policy, now) if state and policy else []
            last = engaged[-1].notify if engaged and not clocks.is_resolved(state, policy) else ""
            put(esc_detail, Text(f"all steps reached · {last}" if last else ""))

        response = self.query_one("#response-detail", Static)
        deadline = clocks.response_deadline(state, policy) if state and policy else None
        self.set_class(bool(deadline and deadline.overdue(now)), "-response-overdue")
        if deadline is None or clocks.is_resolved(state, policy):
            put(response, "")
        elif deadline.met_ms is not None:
            put(response, Text(f"respond by {hhmm(deadline.due_ms)} UTC — acknowledged {hhmm(deadline.met_ms)} ✓"))
        elif deadline.overdue(now):
            put(response, Text(f"respond by {hhmm(deadline.due_ms)} UTC — NOT ACKNOWLEDGED (K)"))
        else:
            put(response, Text(f"respond by {hhmm(deadline.due_ms)} UTC — in {duration(deadline.due_ms - now)} (K to ack)"))


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


class StatusBar(Static):
    """Bottom line: who you are, your role, the log, the filter, and the store when synced."""

    def show(self, user: str, role: str, db: str, filter_text: str, sync_text: Text | None) -> None:
        line = Text(f" {user}", "bold")
        line.append(f" ({role})" if role else " (no role)", "dim")
        line.append(f"  ·  log {db}", "dim")
        if filter_text:
            line.append(f"  ·  filter: {filter_text}", "yellow")
        if sync_text is not None:
            line.append("  ·  ")
            line.append_text(sync_text)
        put(self, line)
