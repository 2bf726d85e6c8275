"""Keys to staff a war room: a cold console on a real pty declares a SEV1 with a title,
assigns four roles to four people and records the first status update. Every key sent is
counted as content (the title, the names) or as navigation/command (everything else:
command letters, Tab, the severity digit, Enter, Esc). The target is at most 12
navigation/command keys; the floor is the content itself, which no console can type for you.

The script waits for each dialog to be on screen and then for a person's reading pause
before typing into it, as someone at 3 a.m. would; what it counts does not depend on the
pace. At the end the log is read back: the run counts only if the incident is a SEV1 with
that title, the four roles are held by the four people and the update is recorded.

    .venv/bin/python -m bench.ergonomics [--json]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tests.services.terminal import Terminal

from warroom.model.policy import load_policy
from warroom.room import Room
from warroom.store.log import LocalLog

from .common import arguments, console_env, Report

TITLE = "Checkout API returning 5xx"
PEOPLE = ("dana", "erik", "fay", "gus")
READ_S = 0.5  # a person reading a dialog before typing: longer than the console's prose gap
TARGET = 12
ALT_SCREEN = b"\x1b[?1049h"


class Keys:
    """Sends keys to the console and counts them by what they are."""

    def __init__(self, term: Terminal) -> None:
        self.term, self.content, self.command, self.log = term, 0, 0, []

    def text(self, text: str) -> None:
        self.term.type(text)
        self.content += len(text)
        self.log.append(text)

    def key(self, name: str, raw: bytes) -> None:
        self.term.type(raw)
        self.command += 1
        self.log.append(f"<{name}>")

    def see(self, *needles: str, timeout: float = 15.0) -> None:
        """Wait until the screen shows one of ``needles``, then read it as a person does."""
        self.term.read_until(*(n.encode() for n in needles), timeout=timeout)
        time.sleep(READ_S)
        self.term.drain(0.05)


def staff_the_room(term: Terminal) -> Keys:
    keys = Keys(term)
    keys.key("D", b"D")
    keys.see("Declare an incident")
    keys.text(TITLE)
    keys.key("Tab", b"\t")
    keys.key("1", b"1")
    keys.key("Enter", b"\r")
    keys.see("Assign or hand over")  # declared: the roles are the next question, IC's person first
    for person in PEOPLE:
        keys.text(person)
        keys.key("Enter", b"\r")
        keys.see(f"assigned to {person}")  # on the timeline; the dialog goes on to the next role
    keys.key("Esc", b"\x1b")  # the keys are the entry line's after a dialog
    time.sleep(0.2)  # an Esc at once followed by u reads as alt+u, on any terminal
    keys.key("u", b"u")
    keys.see("Status update posted")
    keys.key("Enter", b"\r")
    keys.see("UPDT")  # the update on the timeline
    return keys


def check(db: Path) -> str | None:
    """What is wrong with the log the run left, or None."""
    room = Room(LocalLog(db), "bench", load_policy("cygni"))
    try:
        ids = room.incident_ids()
        if len(ids) != 1:
            return f"{len(ids)} incidents declared"
        state = room.state(ids[0])
        if (state.severity, state.title) != ("SEV1", TITLE):
            return f"declared {state.severity} {state.title!r}"
        if sorted(state.roles.values()) != sorted(PEOPLE):
            return f"roles {state.roles}"
        if not [e for e in room.events(ids[0], with_entries=False) if e.kind == "update_posted"]:
            return "no update recorded"
        return None
    finally:
        room.close()


def run(tmp: Path) -> tuple[Keys, str | None]:
    db = tmp / "room.db"
    env = {**console_env(), "WARROOM_USER": "ic"}
    term = Terminal(argv=[sys.executable, "-m", "warroom", "--db", str(db)], env=env)
    try:
        term.read_until(ALT_SCREEN, timeout=30)
        term.read_until(b"press D", timeout=30)  # the first frame, with nothing declared yet
        term.drain(0.3, limit=3.0)
        keys = staff_the_room(term)
        term.drain(0.2)
    finally:
        term.type(b"\x11")  # ctrl+q
        term.exit_status(10)
        term.stop()
    return keys, check(db)


def main() -> None:
    args = arguments(__doc__).parse_args()
    report = Report("ergonomics", args.json)
    with tempfile.TemporaryDirectory() as tmp:
        keys, wrong = run(Path(tmp))
    if wrong:
        raise SystemExit(f"bench.ergonomics: the run did not staff the room: {wrong}")
    total = keys.content + keys.command
    report.value("content keys", keys.content, "keys", f"content keys (title, four names)   {keys.content}")
    report.value("navigation/command keys", keys.command, "keys",
                 f"navigation/command keys            {keys.command}")
    report.value("all keys", total, "keys", f"all keys                           {total}")
    report.ratio("all keys / content keys", total / keys.content,
                 f"ratio all / content (the floor)    {total / keys.content:.2f}x")
    verdict = report.target("navigation/command keys", keys.command, TARGET)
    report.line(f"target: at most {TARGET} navigation/command keys: {verdict}")
    report.line("keys sent: " + " ".join(k if k.startswith("<") else repr(k) for k in keys.log))
    report.done()


if __name__ == "__main__":
    main()
