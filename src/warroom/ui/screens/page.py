"""Paging from the console: the page dialog (``p``) and the worker that keeps paging going.

The dialog pages a person, team or schedule of the contacts file for the shown incident. It
says whom, through which provider, and that everyone sees it (from a drill: that the page is
a dry run), and Enter pages. The target's phone and chat handle are on screen the moment
Enter is pressed, before any provider is asked: when the provider is what is down, they are
what the room acts on.

:class:`Pager` is the console's side of ``warroom.paging``. On a timer of its own (the app's
``_paging_tick``) it sends the pages waiting in the outbox, pages the escalation steps that
came due (once for the room: the sync engine's claim), reads acknowledgements back and reads
who is on call, in one thread worker at a time, since each may wait on a provider. Without a
contacts file or a provider in the environment it starts no thread at all. What a worker read
comes back in one message and lands in the roster.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Callable, NamedTuple

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ... import config
from ...errors import WarroomError
from ...model.safe_text import strip_controls
from ...model.times import hhmm
from ..widgets.entry_line import SafeInput
from .dialogs import FormScreen

# Due escalation steps and waiting pages are looked at on every tick of the app's paging timer
# (a step pages within seconds of coming due; a waiting page keeps the outbox's own backoff).
ACKS_EVERY_MS = 15_000  # an ack on a phone reaches the roster within 15 s, at 4 reads a minute per open page
ON_CALL_EVERY_MS = 300_000  # shifts change at hand-overs: read every 5 min, and the cache says its age between
# A provider set in the environment is worth a worker even before a contacts file exists: the
# acknowledgements of pages made from other terminals are read back here too.
PAGING_ENV = ("WARROOM_PAGERDUTY_API_TOKEN", "WARROOM_ONCALL_API_URL", "WARROOM_ONCALL_API_TOKEN")
PROVIDER_NAMES = {"pagerduty": "PagerDuty", "oncall": "Grafana OnCall"}
Route = Callable[[object], tuple[str, str]]  # contact -> (provider shown, why it cannot page)


def _reach(contact) -> str:
    return ", ".join(v for v in (contact.phone, contact.chat) if v)


def _plain(text: object) -> str:
    return strip_controls(" ".join(str(text).split()))


class Report(NamedTuple):
    """What one paging worker read and did."""

    tick: bool  # the timer's worker (else a page asked for in the dialog)
    contacts: object = None  # the contacts file as read, None when it could not be
    problems: tuple = ()  # (job, line): the contacts file or config.toml ("setup"), a provider ("acks", "oncall")
    steps: tuple = ()  # (DuePage, PageResult | str): escalation steps that paged, or could not
    retried: tuple = ()  # outbox Outcomes of pages tried again
    asked: tuple | None = None  # (incident, target, PageResult | str): the dialog's page
    on_call: object = None  # the OnCallView, None when the contacts file names no schedule
    live: bool = False  # who is on call was just read from every configured provider
    waiting: tuple = ()  # (incident, target, provider, why): pages in the outbox
    ran: frozenset = frozenset()  # the jobs this worker ran: their problems replace what they had


class PagingChecked(Message, bubble=False):
    """A paging worker is done: the app hands its report to its :class:`Pager`."""

    def __init__(self, report: Report) -> None:
        super().__init__()
        self.report = report


class Pager:
    """The console's paging: the dialog's pages, and the timer's worker (see the module's notes)."""

    def __init__(self, app) -> None:
        self.app = app
        self.busy = False  # the timer's worker runs: the next tick waits for it
        self.contacts = None
        self._due: dict[str, int] = {}  # job -> when it is next due, on the app's clock
        self._sending: dict[tuple[str, str], tuple[str, str, str]] = {}
        self._waiting: tuple = ()
        self._on_call: tuple[str, tuple] = ("", ())
        self._live = False
        self._told: set[tuple[str, str]] = set()  # what an escalation step could not do, told once
        self._problems: dict[str, set[str]] = {}  # job -> its problems, told once while they last

    @staticmethod
    def configured() -> bool:
        """Anything to page or read: a contacts file, or a provider in the environment."""
        return config.contacts_path().is_file() or any(os.environ.get(var) for var in PAGING_ENV)

    # -- the timer ---------------------------------------------------------------------------
    def tick(self) -> None:
        if self.busy or not self.configured():
            return
        now = self.app.clock()
        # the first pass tries every page left waiting by the last session at once (and before
        # this, the comms outbox runner may have met them with no page sender registered yet)
        jobs = {"steps"} if self._due else {"steps", "resume"}
        for job, every in (("acks", ACKS_EVERY_MS), ("oncall", ON_CALL_EVERY_MS)):
            due = self._due.get(job)
            if due is None or now >= due or due - now > every:  # (a clock set back)
                jobs.add(job)
                self._due[job] = now + every
        self.busy = True
        self.app.run_worker(partial(self._run, frozenset(jobs)), name="paging", group="paging", thread=True,
                            exit_on_error=False)

    def _run(self, jobs: frozenset[str]) -> None:
        """In a worker thread: what the tick asked for; the report goes back as a message
        (dropped if the console is closing)."""
        try:
            report = self._work(jobs)
        except Exception as exc:  # a bug must not stop paging for the rest of the session
            report = Report(True, problems=(("setup", f"paging: {type(exc).__name__}: {exc}"),),
                            ran=frozenset({"setup"}))
        self.app.post_message(PagingChecked(report))

    def _work(self, jobs: frozenset[str]) -> Report:
        from ...comms.settings import ConfigError
        from ...paging import escalation
        from ...paging import page as pg  # registers the outbox's page:* senders
        from ...paging.contacts import Contacts, ContactsError, load_contacts
        from ...paging.settings import load_paging_settings, PagingSettings

        room, problems = self.app.room, []
        try:
            contacts = load_contacts()
        except ContactsError as exc:
            contacts = None
            problems.append(("setup", str(exc)))
        try:
            settings = load_paging_settings()
        except ConfigError as exc:
            settings = PagingSettings()  # no provider configured: none is asked
            problems.append(("setup", str(exc)))
        book = contacts if contacts is not None else Contacts("")
        claim = self.app.sync.claim if self.app.sync is not None else None
        retried, steps = pg.retry_pages(room, everything="resume" in jobs), []
        if book.entries:
            steps = escalation.run_due(room, claim=claim, contacts=book, settings=settings)
        if "acks" in jobs and (settings.configured("pagerduty") or settings.configured("oncall")):
            problems += [("acks", line) for line in pg.poll_acks(room, claim=claim, settings=settings,
                                                                  contacts=book)[1]]
        view, live = None, False
        if book.schedules:
            if "oncall" in jobs:
                view = pg.refresh_on_call(room, settings=settings, contacts=book)
                problems += [("oncall", line) for line in view.problems]
                live = view.live
            else:
                view = pg.on_call(room, book)
        return Report(True, contacts, tuple(problems), tuple(steps), tuple(retried), on_call=view,
                      live=live or (self._live and "oncall" not in jobs), waiting=_waiting(room),
                      ran=frozenset(jobs & {"acks", "oncall"}) | {"setup"})

    # -- the dialog ----------------------------------------------------------------------------
    def open_dialog(self, incident_id: str) -> None:
        """The page dialog over the console; a contacts file that is missing or cannot be read
        is one line instead."""
        from ...comms.settings import ConfigError
        from ...paging import page as pg
        from ...paging.contacts import ContactsError, load_contacts
        from ...paging.settings import load_paging_settings

        try:
            contacts = load_contacts()
            if not contacts.entries and config.contacts_path().is_file():
                raise ContactsError(f"{contacts.source}: no [[people]], [[teams]] or [[schedules]] in it")
            if not contacts.entries:
                contacts.get("")  # says where the file should be
        except ContactsError as exc:
            self.app.notify(str(exc), title="Cannot page", severity="error", timeout=20, markup=False)
            return
        try:
            settings, unset = load_paging_settings(), ""
        except ConfigError as exc:
            settings, unset = None, str(exc)

        def route(contact) -> tuple[str, str]:
            able = contact.providers()
            shown = PROVIDER_NAMES.get(able[0], able[0]) if able else "no provider"
            if unset:
                return shown, unset
            try:
                chosen = pg.choose_provider(contact, settings)
            except (ContactsError, ConfigError) as exc:
                return shown, str(exc)
            return PROVIDER_NAMES.get(chosen, chosen), ""

        state = self.app.room.state(incident_id, wait=False)
        self.app.push_screen(PageScreen(contacts, incident_id, bool(state.drill), route),
                             lambda answer: answer and self.page(incident_id, answer, contacts))

    def page(self, incident_id: str, answer: dict, contacts) -> None:
        """Enter in the dialog: the phone and chat handle at once, the page in a worker."""
        contact = contacts.find(answer["target"])
        if contact is None:
            return
        self.contacts = contacts
        drill = bool(self.app.room.state(incident_id, wait=False).drill)
        if not drill:
            reach = _reach(contact) or "no phone or chat handle in the contacts file"
            self.app.notify(f"{contact.name}: {reach}", title=f"Paging {contact.name} via {answer['provider']}",
                            timeout=30, markup=False)
            self._sending[(incident_id, contact.name.lower())] = (incident_id, contact.name, answer["provider"])
            self.show()
        self.app.run_worker(partial(self._run_page, incident_id, contact.name, answer["reason"], contacts),
                            name="page", group="page", thread=True, exit_on_error=False)

    def _run_page(self, incident_id: str, target: str, reason: str, contacts) -> None:
        from ...paging import page as pg

        try:
            result = pg.page(self.app.room, incident_id, target, reason, contacts=contacts)
        except WarroomError as exc:
            result = str(exc)
        except Exception as exc:  # a bug: said, not raised in a thread nobody watches
            result = f"{type(exc).__name__}: {exc}"
        self.app.post_message(PagingChecked(Report(False, contacts, asked=(incident_id, target, result),
                                                   waiting=_waiting(self.app.room))))

    # -- a worker's report -----------------------------------------------------------------------
    def checked(self, report: Report) -> None:
        if report.tick:
            self.busy = False
        if report.contacts is not None:
            self.contacts = report.contacts
        self._waiting = report.waiting
        if report.tick:
            self._live = report.live
            self._on_call = _on_call(report.on_call, report.live) if report.on_call is not None else ("", ())
        if report.asked is not None:
            incident_id, target, result = report.asked
            self._sending.pop((incident_id, target.lower()), None)
            self._tell_page(result, f"Page to {target}")
        for due, result in report.steps:
            self._tell_step(due, result)
        for outcome in report.retried:
            target = outcome.delivery.target
            if outcome.ok:
                self.app.notify(f"page to {target} sent: it waited in the outbox", title="Page sent",
                                markup=False)
            elif outcome.state == "failed":
                self.app.notify(f"page to {target} failed: {outcome.error}; call {self._reach(target)}",
                                title="Page failed", severity="error", timeout=30, markup=False)
        for job in report.ran:
            lines = {line for each, line in report.problems if each == job}
            told = set().union(*(v for k, v in self._problems.items() if k != job))
            for line in sorted(lines - self._problems.get(job, set()) - told):
                self.app.notify(line, title="Paging", severity="warning", timeout=20, markup=False)
            self._problems[job] = lines
        self.show()

    def _reach(self, target: str) -> str:
        found = self.contacts.find(target) if self.contacts is not None else None
        return (_reach(found) if found is not None else "") or "no phone or chat handle in the contacts file"

    def _tell_page(self, result, title: str) -> None:
        if isinstance(result, str):
            self.app.notify(result, title=f"{title}: not paged", severity="error", timeout=20, markup=False)
            return
        line = result.line
        if result.state == "sent":
            line += f"; call {self._reach(result.contact.name)} if no one answers"
        severity = {"sent": "information", "dry_run": "information", "already": "information",
                    "waiting": "warning", "queued": "warning"}.get(result.state, "error")
        self.app.notify(line, title=title, severity=severity, timeout=30, markup=False)

    def _tell_step(self, due, result) -> None:
        if isinstance(result, str):
            if (due.incident_id + due.step, result) not in self._told:
                self._told.add((due.incident_id + due.step, result))
                self.app.notify(f"{due.step} ({due.notify}): {result}", title="Escalation step did not page",
                                severity="error", timeout=30, markup=False)
            return
        if result.state in ("queued", "already"):  # told when it first waited
            return
        self._tell_page(result, f"Escalation: {due.notify}")

    # -- the roster ------------------------------------------------------------------------------
    def show(self) -> None:
        from ..widgets.panels import PagingFacts, Roster

        contacts = self.contacts
        reach = {c.name.lower(): _reach(c) for c in contacts.entries} if contacts is not None else {}
        title, rows = self._on_call
        facts = PagingFacts(reach, self._waiting, tuple(self._sending.values()), title, rows)
        try:
            self.app.screen_stack[0].query_one(Roster).show_paging(facts)
        except (NoMatches, IndexError):  # the console is closing
            pass


def _waiting(room) -> tuple:
    """The pages in the outbox for the roster: (incident, target, provider, why it waits)."""
    from ...paging import page as pg

    out = []
    for d in pg.waiting_pages(room):
        provider = d.request.get("provider", "")
        why = _plain(d.last_error)
        why = f"retried: {why[:77] + '…' if len(why) > 78 else why}" if why else "being sent"
        out.append((d.incident, d.target, PROVIDER_NAMES.get(provider, provider), why))
    return tuple(out)


def _on_call(view, live: bool) -> tuple[str, tuple]:
    """The roster's on-call heading and rows (schedule, person, until, reach)."""
    if live:
        title = "now"
    elif view.as_of_ms is None:
        title = "unknown: no provider reached yet, nothing cached"
    else:
        title = f"as of {hhmm(view.as_of_ms)} UTC (cached: providers unreachable)"
    rows = tuple((row.schedule, row.person or "nobody", f"until {hhmm(row.until_ms)}" if row.until_ms else "",
                  ", ".join(v for v in (row.phone, row.chat) if v)) for row in view.rows)
    return title, rows


class PageScreen(FormScreen):
    """Page someone for the incident: a target of the contacts file, narrowed as you type, and
    a reason (required); what Enter does is said before it does it. ↑↓ pick from the filter,
    Tab goes on to the reason, Enter pages (from the filter, on to the reason first)."""

    def __init__(self, contacts, incident_id: str, drill: bool, route: Route) -> None:
        super().__init__()
        self.contacts, self.incident_id, self.drill, self.route = contacts, incident_id, drill, route
        self.matches: list = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(f"Page someone for {self.incident_id}{' (DRILL)' if self.drill else ''}"),
                        classes="dialog-title")
            yield SafeInput(placeholder="type to filter: a person, team or schedule", id="page-filter")
            targets = OptionList(id="page-target")
            targets.can_focus = False  # picked from the filter: Tab goes on to the reason
            yield targets
            yield SafeInput(placeholder="Reason (required): what the page says", id="page-reason")
            yield Static("", id="statement")
            yield Static("", id="error", classes="dialog-error dialog-keys")
            yield Static("↑↓ pick · Tab: the reason · Enter pages · Esc cancels", id="hint",
                         classes="dialog-hint dialog-keys")

    def on_mount(self) -> None:
        self._list("")
        self.query_one("#page-filter", Input).focus()

    @property
    def chosen(self):
        targets = self.query_one("#page-target", OptionList)
        if targets.highlighted is None or not self.matches:
            return None
        return self.matches[targets.highlighted]

    def _list(self, text: str) -> None:
        text = text.strip().lower()
        self.matches = [c for c in self.contacts.entries if text in c.name.lower() or text == c.kind]
        targets = self.query_one("#page-target", OptionList)
        targets.clear_options()
        targets.add_options([Option(Text(f"{c.name:<30} {c.kind:<9} {_reach(c)}"), id=c.name)
                             for c in self.matches])
        targets.highlighted = 0 if self.matches else None
        self._describe()

    @on(Input.Changed, "#page-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._list(event.value)

    @on(Input.Changed, "#page-reason")
    @on(OptionList.OptionHighlighted)
    def _describe(self) -> None:
        contact = self.chosen
        if contact is None:
            statement = "No one in the contacts file matches."
        else:
            provider, problem = self.route(contact)
            reach = _reach(contact) or "no phone or chat handle in the contacts file"
            if self.drill:
                statement = (f"DRILL: a dry run — {contact.name} is not paged (a real incident would page via "
                             f"{provider}); the dry run is recorded for everyone in {self.incident_id}")
            elif problem:
                statement = f"{contact.name} cannot be paged from here: {problem}\ncall {reach}"
            else:
                statement = (f"Page {contact.name} via {provider} for {self.incident_id} — everyone sees it\n"
                             f"{contact.name}: {reach}")
        self.query_one("#statement", Static).update(Text(statement))

    @on(OptionList.OptionSelected)
    def _picked(self) -> None:  # a click on a target
        self.query_one("#page-reason", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "in_list":  # the list moves from the filter (it never takes the focus)
            return getattr(self.focused, "id", None) == "page-filter" and parameters[0] in (
                "cursor_up", "cursor_down", "page_up", "page_down")
        return super().check_action(action, parameters)

    def action_in_list(self, action: str) -> None:
        getattr(self.query_one("#page-target", OptionList), f"action_{action}")()

    async def action_enter(self) -> None:
        await self.settled()
        reason_field, error = self.query_one("#page-reason", Input), self.query_one("#error", Static)
        contact = self.chosen
        if contact is None:
            error.update(Text("Pick someone to page: no one matches the filter."))
            return
        if self.focused is not reason_field and not reason_field.value.strip():
            reason_field.focus()
            return
        reason = reason_field.value.strip()
        if not reason:
            error.update(Text("A page needs a reason."))
            reason_field.focus()
            return
        provider, problem = self.route(contact)
        if problem and not self.drill:
            error.update(Text(problem))
            return
        self.dismiss({"target": contact.name, "reason": reason, "provider": provider})
