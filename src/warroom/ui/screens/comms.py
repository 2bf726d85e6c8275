"""The communications lead's pane: a playbook template filled from live state, editable,
then sent to an audience (a Slack channel, the status page, PagerDuty, e-mail), marked as
sent, copied or saved.

Posting runs in a thread worker so a slow or hung service never freezes the console; the
post goes through the outbox (comms/outbox.py), which records it (``update_posted`` resets
the update clock) once it has gone. One that cannot go now waits there, listed here and on
the status line, and the console's tick retries it (:class:`DeliveryRunner`). One whose
reply was lost from a service that cannot de-duplicate (Slack, e-mail) asks before it is
ever sent again. From a drill the pane says so: the text goes out prefixed ``[DRILL]``,
to the drill's own targets only, and without them nothing is sent (a dry run, recorded).
A public template (status page, customer email) lists under the preview the customer fields
it states the playbook's sentence for, and sending it asks first while any is left.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Select, SelectionList, Static, TextArea

from ...errors import WarroomError
from ...model.times import hhmm
from ...room import RoomError

TARGET_KIND = {"status-page": "statuspage", "customer-email": "email"}
BUILT_IN_LABEL = {"slack": "Slack", "statuspage": "Statuspage", "pagerduty": "PagerDuty"}
CHECK_EVERY_S = 5.0  # how often the tick looks for posts due in the outbox


class CommsPane(Vertical):
    """Preview, edit and send one update."""

    DEFAULT_CSS = """
    CommsPane { height: 1fr; }
    CommsPane #comms-pick { height: auto; }
    CommsPane #comms-pick Select { width: 1fr; }
    CommsPane #comms-statuspage { height: auto; max-height: 8; display: none; }
    CommsPane #comms-statuspage.shown { display: block; }
    CommsPane #comms-components { width: 1fr; height: auto; max-height: 8; }
    CommsPane #comms-notify { width: auto; }
    CommsPane #comms-draft { height: 1fr; }
    CommsPane #comms-unfilled { height: auto; padding: 0 1; color: $warning; display: none; }
    CommsPane #comms-unfilled.shown { display: block; }
    CommsPane #comms-waiting { height: auto; padding: 0 1; color: $warning; display: none; }
    CommsPane #comms-waiting.shown { display: block; }
    CommsPane #comms-status { height: auto; min-height: 1; padding: 0 1; }
    CommsPane #comms-status.error { color: $error; }
    CommsPane #comms-status.ok { color: $success; }
    CommsPane #comms-buttons { height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "send", "Send", id="comms.send", tooltip="Post the text to the chosen audience"),
        Binding("ctrl+t", "mark_sent", "Mark sent", id="comms.mark_sent",
                tooltip="Record that this update went out (resets the update clock)"),
        Binding("ctrl+b", "copy", "Copy", id="comms.copy", tooltip="Copy the text to the clipboard (OSC 52)"),
        Binding("ctrl+o", "save", "Save", id="comms.save", tooltip="Write the text to a file"),
        Binding("f5", "refill", "Refill", id="comms.refill", tooltip="Fill the template again from live state"),
        Binding("ctrl+r", "retry", "Retry", id="comms.retry",
                tooltip="Send a waiting post now; one whose reply was lost asks first"),
    ]

    def __init__(self, room, incident_id: str, template: str = "update", poster=None,
                 out_dir: Path | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.room, self.incident_id, self.poster = room, incident_id, poster
        self.out_dir = Path(out_dir) if out_dir else Path.cwd()
        from ...comms import templates

        state = room.state(incident_id)
        self.policy = room.policy_for(state).name
        self.slug, self.drill = state.slug, bool(state.drill)
        self.names = templates.names(self.policy)
        self.template = template if template in self.names else (self.names[0] if self.names else "")
        self.settings, self.settings_error = self._settings()
        self.last = None  # the last post made here (comms.post.Posted)
        self.unfilled: tuple[str, ...] = ()  # the filled text's customer fields left to the playbook
        self.busy = False

    def _settings(self):
        from ...comms.settings import load_settings, Settings

        if self.poster is not None:
            return self.poster.settings, ""
        try:
            return load_settings(), ""
        except WarroomError as exc:  # shown; posting says it again
            return Settings(), str(exc)

    def compose(self) -> ComposeResult:
        with Horizontal(id="comms-pick"):
            yield Select([(Text(n), n) for n in self.names], value=self.template or Select.NULL,
                         allow_blank=False, id="comms-template")
            yield Select(self._audience_options(), value=self._audience_for(self.template), allow_blank=False,
                         id="comms-target")
        comps = self.settings.statuspage_components
        with Horizontal(id="comms-statuspage"):
            yield SelectionList[str](*[(Text(self._component_label(c)), c, True) for c in comps],
                                     id="comms-components")
            yield Checkbox("Notify subscribers", True, id="comms-notify")
        yield TextArea(self._fill(), id="comms-draft", soft_wrap=True)
        yield Static(id="comms-unfilled")
        yield Static(id="comms-waiting")
        yield Static(Text(self._opening_line()), id="comms-status")
        with Horizontal(id="comms-buttons"):
            yield Button("Send", id="comms-send", variant="primary")
            yield Button("Mark sent", id="comms-mark")
            yield Button("Copy", id="comms-copy")
            yield Button("Save", id="comms-save")

    def _component_label(self, component: str) -> str:
        name = self.settings.component_name(component)
        return f"{name} ({component})" if name != component else component

    def on_mount(self) -> None:
        self._show_target_options()
        self.show_unfilled()
        self.show_waiting()

    def _opening_line(self) -> str:
        keys = "ctrl+s send · ctrl+t mark sent · ctrl+b copy · ctrl+o save · f5 refill"
        if self.settings_error:
            return f"{self.settings_error} · {keys}"
        if self.drill:
            kinds = self.settings.drill.kinds()
            where = (f"only to the drill's own {', '.join(kinds)} targets ([drill]), others are dry runs"
                     if kinds else "nowhere: every post is a dry run (no [drill] targets in config.toml)")
            return f"DRILL: texts go out prefixed [DRILL], {where} · {keys}"
        return keys

    # -- audiences ---------------------------------------------------------------------------
    def _audience_options(self) -> list[tuple[Text, str]]:
        options = []
        for name in self.settings.audience_names(self.policy):
            audience = self.settings.audience(name, self.slug)
            shown = name.replace("{slug}", self.slug)
            if name in BUILT_IN_LABEL:
                label = BUILT_IN_LABEL[name]
            else:
                label = f"{shown} — {audience.kind}" if audience else f"{shown} — not set up"
            options.append((Text(label), name))  # names from config.toml: never markup
        return options

    def _kind(self, name: str) -> str:
        audience = self.settings.audience(name, self.slug)
        return audience.kind if audience else ""

    def _audience_for(self, template: str) -> str:
        """The audience a template goes to first: the policy's first default of its kind."""
        kind = TARGET_KIND.get(template, "slack")
        names = self.settings.audience_names(self.policy)
        ready = [n for n in names if self._kind(n) == kind and (kind != "slack" or n == "slack"
                                                                 or self.settings.audience(n, self.slug).slack_webhook)]
        return ready[0] if ready else "slack"

    def _show_target_options(self) -> None:
        self.query_one("#comms-statuspage").set_class(self._kind(self.target) == "statuspage", "shown")

    # -- helpers -----------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self.query_one("#comms-draft", TextArea).text

    @property
    def target(self) -> str:
        return str(self.query_one("#comms-target", Select).value)

    @property
    def components(self) -> list[str]:
        return list(self.query_one("#comms-components", SelectionList).selected)

    @property
    def notify(self) -> bool:
        return self.query_one("#comms-notify", Checkbox).value

    def _fill(self) -> str:
        from ...comms import templates

        self.unfilled = ()
        if not self.template:
            return ""
        try:
            draft = templates.draft_for(self.room, self.incident_id, self.template)
        except templates.TemplateError as exc:
            return f"(template error: {exc})"
        self.unfilled = draft.unfilled
        return draft.text

    def show_status(self, message: str, kind: str = "") -> None:
        status = self.query_one("#comms-status", Static)
        status.set_classes(kind)
        status.update(Text(message))

    def show_unfilled(self) -> None:
        """Under the preview of a public text: each customer field it states the playbook's
        sentence for ("customer impact: playbook sentence (not filled)")."""
        lines = [f"⚠ {why}" for why in self.unfilled]
        if lines:
            lines.insert(0, "Public text with the playbook's sentence where a customer field is not filled "
                            "(the fields form fills them; f5 refills):")
        unfilled = self.query_one("#comms-unfilled", Static)
        unfilled.update(Text("\n".join(lines)))
        unfilled.set_class(bool(lines), "shown")

    def show_waiting(self) -> None:
        """The posts of this incident waiting in the outbox, one line each."""
        from ...comms import outbox

        lines = []
        for d in outbox.pending(self.room, self.incident_id):
            if d.state == outbox.ASK:
                what = "may have gone (no reply): ctrl+r asks whether to send it again"
            elif d.state == outbox.SENDING:
                what = "being sent"
            else:
                what = f"next try {hhmm(d.next_try_ms)}:{d.next_try_ms // 1000 % 60:02d} UTC"
            reason = f" — {d.last_error}" if d.last_error else ""
            lines.append(f"⧗ {d.target}: {d.state}, attempt {d.attempts}, {what}{reason}")
        waiting = self.query_one("#comms-waiting", Static)
        waiting.update(Text("\n".join(lines)))
        waiting.set_class(bool(lines), "shown")

    def _refresh_count(self) -> None:
        show_count(self.app, self.room)

    # -- choices -----------------------------------------------------------------------------
    @on(Select.Changed, "#comms-template")
    def _template_changed(self, event: Select.Changed) -> None:
        if event.value == self.template or event.value is Select.NULL:
            return
        self.template = str(event.value)
        self.query_one("#comms-target", Select).value = self._audience_for(self.template)
        self.action_refill()

    @on(Select.Changed, "#comms-target")
    def _target_changed(self) -> None:
        self._show_target_options()

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {"comms-send": self.action_send, "comms-mark": self.action_mark_sent,
                   "comms-copy": self.action_copy, "comms-save": self.action_save}
        if event.button.id in actions:
            actions[event.button.id]()

    # -- actions -----------------------------------------------------------------------------
    def action_refill(self) -> None:
        self.query_one("#comms-draft", TextArea).load_text(self._fill())
        self.show_unfilled()
        self.show_status(f"{self.template}: filled from live state")

    def action_send(self) -> None:
        """Post the text; a public one with a customer field left to the playbook's sentence
        asks first, naming the fields (a deliberate step: it is what customers read)."""
        if not self.text.strip():
            self.show_status("nothing to send", "error")
            return
        if self.busy:
            self.show_status("a post is already under way")
            return
        options = {"components": self.components, "notify": self.notify} if self._kind(self.target) == \
            "statuspage" else {}
        shown = self.target.replace("{slug}", self.slug)
        send = partial(self._work, f"posting to {shown}…", partial(self._post, self.target, self.text, options))
        if not self.unfilled:
            send()
            return
        from .dialogs import ConfirmScreen

        fields = ", ".join(why.split(":", 1)[0] for why in self.unfilled)
        self.app.push_screen(ConfirmScreen(f"Public text to {shown}. Send with the playbook's sentence for: "
                                           f"{fields}?"),
                             lambda yes: send() if yes else self.show_status(
                                 "not sent: nothing sent, nothing recorded — fill the customer fields "
                                 "(fields form), f5 to refill, or send again and answer y"))

    def action_retry(self) -> None:
        """Send the last post again if it waits or failed; one that may have gone asks first."""
        from ...comms import outbox

        last = self._pending_last()
        if last is None:
            self.show_status("nothing to retry")
            return
        if last.state == outbox.ASK:
            self._ask(last)
            return
        self._work(f"sending post {last.id} to {last.target} again…", partial(self._again, last.id))

    def _pending_last(self):
        """The post ctrl+r acts on: the last one made here while it waits, asks or failed,
        else the newest of this incident's that waits or asks."""
        from ...comms import outbox

        if self.last is not None and self.last.delivery:
            found = [outbox.Delivery.from_row(row) for row in self.room.deliveries(ident=self.last.delivery)]
            if found and found[0].state in (outbox.WAITING, outbox.ASK, outbox.FAILED):
                return found[0]
        pending = [d for d in outbox.pending(self.room, self.incident_id) if d.state != outbox.SENDING]
        return pending[-1] if pending else None

    def _ask(self, delivery) -> None:
        """A post that may have gone: send it again, mark it sent, or drop it — deliberately."""
        from .dialogs import PickScreen

        options = [("again", f"Send it again to {delivery.target} (if it did go, it appears twice)"),
                   ("mark", "Mark it as sent: record it for everyone, send nothing"),
                   ("drop", "Drop it: send nothing, record nothing")]
        hint = f"No reply came ({delivery.last_error}). Check {delivery.target} first · Esc to decide later"
        self.app.push_screen(PickScreen("Send again?", options, "mark", hint),
                             lambda choice: self._decided(delivery, choice))

    def _decided(self, delivery, choice: str | None) -> None:
        from ...comms import outbox

        if choice == "again":
            self._work(f"sending post {delivery.id} to {delivery.target} again…", partial(self._again, delivery.id))
        elif choice == "mark":
            self._settle(outbox.mark_sent, delivery, "✓ marked as sent (nothing sent) — update clock reset")
        elif choice == "drop":
            self._settle(outbox.drop, delivery, "dropped: nothing sent, nothing recorded")

    def _settle(self, how, delivery, told: str) -> None:
        try:
            done = how(self.room, delivery.id)
        except WarroomError as exc:
            self.show_status(str(exc), "error")
            return
        if done.state not in ("sent", "dropped"):
            self.show_status(f"{delivery.target}: {done.error}", "error")
        else:
            self.show_status(told, "ok")
        self.show_waiting()
        self._refresh_count()

    def _work(self, saying: str, job) -> None:
        if self.busy:
            self.show_status("a post is already under way")
            return
        self.busy = True
        self.show_status(saying)
        self.run_worker(job, name="post", group="comms-post", thread=True, exclusive=True, exit_on_error=False)

    def _post(self, target: str, text: str, options: dict) -> None:
        """Runs in a worker thread: the outbox and HTTP/SMTP only; the result goes back to the UI."""
        from ...comms import post

        try:
            if self.poster is None:
                self.poster = post.Poster(self.settings) if not self.settings_error else post.Poster()
            done = post.post(self.room, self.incident_id, target, text, self.poster, **options)
        except Exception as exc:  # refused (unknown, not set up), or a bug: never the console down
            self._back(self._refused, exc)
            return
        self._back(self._done, done)

    def _again(self, ident: str) -> None:
        from ...comms import outbox, post

        try:
            senders = {post.CHANNEL: post.sender(self.poster)} if self.poster is not None else None
            done = post.posted(outbox.send_again(self.room, ident, senders))
        except Exception as exc:
            self._back(self._refused, exc)
            return
        self._back(self._done, done)

    def _back(self, fn, value) -> None:
        try:
            self.app.call_from_thread(fn, value)
        except RuntimeError:  # the console closed meanwhile: the outbox keeps the post
            pass

    def _done(self, done) -> None:
        self.busy, self.last = False, done
        shown = done.target.replace("{slug}", self.slug)
        if done.state == "sent":
            extra = f" [{done.remote_id}]" if done.remote_id else ""
            self.show_status(f"✓ {shown}: {done.detail}{extra} — update clock reset", "ok")
        elif done.state == "dry-run":
            self.show_status(f"◌ {shown}: {done.detail}", "ok")
        elif done.state == "waiting":
            self.show_status(f"✗ {shown}: {done.detail} — it waits and is retried by itself; ctrl+r to retry now",
                             "error")
        elif done.state == "ask":
            self.show_status(f"✗ {shown}: {done.detail} — it may have gone out: check, then ctrl+r to decide "
                             "(send again, mark sent, drop)", "error")
        elif done.state == "failed":
            self.show_status(f"✗ {shown}: {done.detail} — nothing recorded; ctrl+r to retry", "error")
        else:
            self.show_status(f"{shown}: {done.detail}", "error")
        if done.state not in ("sent", "dry-run"):
            self.app.bell()
        self.show_waiting()
        self._refresh_count()

    def _refused(self, exc: Exception) -> None:
        self.busy = False
        self.show_status(f"✗ {exc} — nothing sent, nothing recorded", "error")
        self.app.bell()

    def action_mark_sent(self) -> None:
        """Record that this update went out. If the last post here still waits (or may have
        gone), it is that post that is marked, and it is never sent after."""
        from ...comms import outbox

        last = self._pending_last() if self.last is not None else None
        if last is not None and last.id == self.last.delivery:
            self._settle(outbox.mark_sent, last, "✓ marked as sent (nothing sent) — update clock reset")
            return
        text = self.text
        # the customer email sent by hand is still the one playbook 001 asks for: its clock stops
        email = TARGET_KIND.get(self.template) == "email"
        try:
            self.room.update_posted(self.incident_id, text, "email:manual" if email else "manual")
        except RoomError as exc:
            self.show_status(str(exc), "error")
            return
        self.last = None
        self.show_status(f"✓ marked as sent{' (the customer email)' if email else ''} — update clock reset", "ok")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.show_status("copied to the clipboard (OSC 52)", "ok")

    def action_save(self) -> None:
        """Ask where (the incident's slug and template in the working directory by default)."""
        from .dialogs import PromptScreen

        state = self.room.state(self.incident_id)
        default = self.out_dir / f"{state.slug}-{self.template or 'update'}.txt"
        self.app.push_screen(PromptScreen("Save the text to", "a file path", str(default)),
                             lambda answer: answer and self._save(answer))

    def _save(self, answer: str) -> None:
        path = Path(answer).expanduser()
        path = path if path.is_absolute() else self.out_dir / path
        try:
            path.write_text(self.text, encoding="utf-8")
        except OSError as exc:
            self.show_status(f"cannot write {path}: {exc.strerror}", "error")
            return
        self.show_status(f"saved to {path}", "ok")


class CommsScreen(ModalScreen):
    """The pane as a full dialog; escape closes it."""

    DEFAULT_CSS = """
    CommsScreen { align: center middle; }
    CommsScreen > CommsPane { width: 90%; height: 90%; border: round $accent; background: $surface; }
    """
    BINDINGS = [Binding("escape", "app.pop_screen", "Close")]

    def __init__(self, room, incident_id: str, template: str = "update", poster=None,
                 out_dir: Path | None = None) -> None:
        super().__init__()
        self.pane_args = (room, incident_id, template, poster, out_dir)

    def compose(self) -> ComposeResult:
        yield CommsPane(*self.pane_args)


class DeliveryRunner:
    """The console's side of the outbox: from its tick, every few seconds, sends what is due
    (in a thread worker, one run at a time: a service that hangs never stalls the screen)
    and keeps the status line's "N posts waiting" true. The module is imported on the first
    tick, so it loads the templates only when the pane opens."""

    def __init__(self, app) -> None:
        self.app = app
        self.busy = False
        self._checked = float("-inf")

    def tick(self, force: bool = False) -> None:
        from ...comms import outbox

        now = time.monotonic()
        if self.busy or (not force and now - self._checked < CHECK_EVERY_S):
            return
        self._checked = now
        self.show_count()
        count, due = self.app.room.delivery_counts((outbox.WAITING, outbox.SENDING))
        if count and due is not None and due <= self.app.clock():
            self.busy = True
            self.app.run_worker(self._run, name="deliveries", group="deliveries", thread=True,
                                exit_on_error=False)

    def show_count(self) -> None:
        show_count(self.app, self.app.room)

    def _run(self) -> None:
        """In a worker thread: send what is due; the count is shown again after."""
        from ...comms import outbox

        try:
            outbox.run_due(self.app.room)
        finally:
            try:
                self.app.call_from_thread(self._ran)
            except RuntimeError:  # the console is closing: what did not go waits for the next start
                self.busy = False

    def _ran(self) -> None:
        self.busy = False
        self.show_count()
        for screen in self.app.screen_stack[1:]:
            for pane in screen.query(CommsPane):
                pane.show_waiting()


def show_count(app, room) -> None:
    """The status line's "N posts waiting", read from the outbox."""
    from ...comms import outbox
    from ..widgets.panels import StatusBar

    try:
        bar = app.screen_stack[0].query_one(StatusBar)
    except (NoMatches, IndexError):  # a pane mounted in an app of its own
        return
    waiting, _ = room.delivery_counts(outbox.PENDING)
    asking, _ = room.delivery_counts((outbox.ASK,))
    bar.show_waiting(waiting, asking)


def waiting_at_quit(room) -> Text | None:
    """What quitting says when posts still wait (the next start resumes them)."""
    from ...comms.outbox import waiting_line

    line = waiting_line(room)
    return Text(line) if line else None
