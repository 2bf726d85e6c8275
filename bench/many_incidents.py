"""The console at the sync follower's cap of 5,000 incidents, against the same console
following one incident (the floor), on a real pty.

The big log holds 5,000 declared incidents, ``open`` of them (300 unless given) still open,
declared over the last two hours, so updates are overdue and escalation steps come due as a
real console would meet them. For each console it measures:

- first frame: launch to the key bar out of the pty (one sample: bench.startup times it well);
- idle CPU: the share of one core the console takes doing nothing, over a few seconds;
- entry: a timeline entry typed, Enter, until its text is back out of the pty (as
  bench.keys does: the console not taking its turn is stopped with SIGSTOP);
- switcher: ``x`` until the switcher's first incident is on screen, and the last letter of a
  filter until the narrowed list is (then Esc).

    .venv/bin/python -m bench.many_incidents [rounds] [open] [--json]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.services.terminal import Terminal

from warroom.model.events import Event
from warroom.model.ids import format_hlc, uuid7
from warroom.model.times import now_ms
from warroom.store.log import LocalLog

from .common import arguments, console_env, pct, Report

INCIDENTS = 5_000
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")

READ_S = 0.5  # a person reading the switcher before typing: longer than the console's prose gap


def make_many_db(path: Path, incidents: int, open_: int) -> None:
    """``incidents`` declared over the last two hours, the newest ``open_`` still open."""
    log = LocalLog(path)
    origin, now = "benchorigin", now_ms()
    step = 7_200_000 // max(incidents, 1)
    events = []
    for i in range(incidents):
        at = now - 7_200_000 + i * step
        incident = f"bench-{i:05d}"
        declared = uuid7(at)
        events.append(Event(declared, incident, "declared", {
            "title": f"service {i} degraded", "severity": SEVERITIES[i % 4], "status": "Investigating",
            "policy": "cygni", "slug": f"incident-bench-{i:05d}", "service": f"svc-{i}", "impact": ""},
            "bench", "IC", at, at, format_hlc(at, 0), origin))
        if i < incidents - open_:
            events.append(Event(uuid7(at + 1), incident, "status", {"status": "Resolved", "supersedes": declared},
                                "bench", "IC", at + 1, at + 1, format_hlc(at + 1, 0), origin))
    log.append(events, outbox=False)
    log.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (/proc/PID/stat, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Console:
    def __init__(self, argv: list[str], env: dict) -> None:
        start = time.perf_counter()
        self.term = Terminal(argv=argv, env=env)
        self.pid = self.term.pid
        self.first_frame = (self.term.read_until(b"Quit", timeout=60) - start) * 1000
        self.term.drain(0.5, limit=5.0)
        self._keys(b"i")  # the entry line, where the entries are typed
        self.pause()

    def resume(self) -> None:
        self.term.resume()

    def pause(self) -> None:
        self.term.pause()

    def idle_cpu(self, seconds: float) -> float:
        """Percent of one core used while idle (the screen is read, never typed at)."""
        self.resume()
        self.term.drain(0.3, limit=2.0)
        before, start = cpu_seconds(self.pid), time.perf_counter()
        end = start + seconds
        while time.perf_counter() < end:
            self.term.drain(0.2, limit=end - time.perf_counter())
        used = cpu_seconds(self.pid) - before
        self.pause()
        return 100 * used / (time.perf_counter() - start)

    def entry(self, i: int) -> float:
        self.resume()
        marker = f"zq{i:05d}x".encode()
        self.term.type(marker)
        self.term.drain(0.1)
        start = time.perf_counter()
        self.term.type(b"\r")
        taken = (self.term.read_until(marker, timeout=10) - start) * 1000
        self.term.drain(0.03)
        self.pause()
        return taken

    def switcher(self, needle: bytes, narrowed: bytes) -> tuple[float, float]:
        """ms from ``x`` until ``needle`` (an incident in the list) is on screen, and from the
        last letter of the filter ``bench-00001`` until ``narrowed`` (the hint it leads to) is."""
        self.resume()
        self._keys(b"\x1b")  # from the entry line back to the timeline
        start = time.perf_counter()
        self.term.type(b"x")
        opened = (self.term.read_until(b"Switch incident", needle, timeout=10) - start) * 1000
        time.sleep(READ_S)  # read, as a person does: a key at once after x is the start of a sentence
        self._keys(b"bench-0000")
        start = time.perf_counter()
        self.term.type(b"1")
        filtered = (self.term.read_until(narrowed, timeout=10) - start) * 1000
        self._keys(b"\x1b", b"i")  # close the switcher, back to the entry line
        self.pause()
        return opened, filtered

    def _keys(self, *keys: bytes) -> None:
        """Each key on its own, once the last one's frame is out: a lone Esc is taken for a
        key only when no byte follows it at once, and a focus moves in a later turn."""
        for key in keys:
            self.term.type(key)
            self.term.drain(0.25)

    def close(self) -> None:
        self.resume()
        self.term.type(b"\x11")
        self.term.drain(0.2, limit=2.0)
        self.term.stop()


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("rounds", nargs="?", type=int, default=200, help="entries per console")
    parser.add_argument("open", nargs="?", type=int, default=300, help="incidents of the many still open")
    args = parser.parse_args()
    rounds, open_ = args.rounds, args.open
    report = Report("many_incidents", args.json, rounds=rounds, open=open_, incidents=INCIDENTS)
    env = console_env()
    names = {"floor": "1 incident", "many": f"{INCIDENTS:,} incidents, {open_} open"}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"floor": Path(tmp) / "one.db", "many": Path(tmp) / "many.db"}
        make_many_db(paths["floor"], 1, 1)
        make_many_db(paths["many"], INCIDENTS, open_)
        # the newest incident is shown and comes first in the switcher; the filter bench-00001
        # keeps one incident of the many, none of the floor's one (bench-00000)
        newest = {"floor": 0, "many": INCIDENTS - 1}
        narrowed = {"floor": b"no incident matches", "many": f"1 of {INCIDENTS:,} incidents".encode()}
        consoles = {key: Console([sys.executable, "-m", "warroom", "--db", str(path)], env)
                    for key, path in paths.items()}
        results: dict[str, dict[str, list[float]]] = {k: {"first frame": [c.first_frame], "idle cpu %": [],
                                                          "entry": [], "switcher open": [],
                                                          "switcher filter": []}
                                                      for k, c in consoles.items()}
        try:
            for key, console in consoles.items():
                results[key]["idle cpu %"].append(console.idle_cpu(5.0))
            for i in range(rounds):
                for key, console in consoles.items():
                    results[key]["entry"].append(console.entry(i))
                if i % 10 == 0:
                    for key, console in consoles.items():
                        n = newest[key]
                        opened, filtered = console.switcher(f"service {n} degraded".encode(), narrowed[key])
                        results[key]["switcher open"].append(opened)
                        results[key]["switcher filter"].append(filtered)
            for key, console in consoles.items():
                results[key]["idle cpu %"].append(console.idle_cpu(5.0))
        finally:
            for console in consoles.values():
                console.close()
    for key, measures in results.items():
        for what, values in measures.items():
            report.figure(f"{names[key]}: {what}", values, "%" if what.endswith("%") else "ms")
    for what in results["floor"]:
        floor, many = results["floor"][what], results["many"][what]
        median = statistics.median(many) / max(statistics.median(floor), 1e-9)
        p99 = pct(many, 99) / max(pct(floor, 99), 1e-9)
        report.ratio(f"{what}, many / floor, median", median)
        report.ratio(f"{what}, many / floor, p99", p99,
                     f"ratio {what:<16} {names['many']} / {names['floor']}: median {median:6.2f}x   p99 {p99:6.2f}x")
    report.done()


if __name__ == "__main__":
    main()
