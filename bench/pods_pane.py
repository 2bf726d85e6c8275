"""Key-to-screen latency with a pods pane of 5,000 pods and a watch delivering 50 changes/s.

The Kubernetes API is the loopback test server (real paths, chunked ``watch=true``), run in a
child process as a real API server would be, which also makes the changes; the pane
is the real ``DiagPane`` over ``PodsDiagnostic`` (list, then watch in a thread), refreshing
every second. Latency is timed in-process: a key event is posted to the app, and the clock
stops in a ``call_after_refresh`` callback after the key's action changed a widget (Pilot's
press/pause has a ~108 ms floor, so it is not used as the measure). The floor is the same app
with no pane, measured in the same run.

    .venv/bin/python -m bench.pods_pane [--pods 5000] [--rate 50] [--keys 300] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.services.kube_api import KubeApiServer, oom_killed, pod, running, waiting
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from warroom.diagnostics.pods import PodsDiagnostic
from warroom.ui.widgets.diag_pane import DiagPane

from .common import arguments, pct, Report, ROOT


class ProbeApp(App):
    BINDINGS = [Binding("p", "probe", priority=True)]

    def __init__(self, pane: DiagPane | None = None) -> None:
        super().__init__()
        self.pane = pane
        self.t0 = 0.0
        self.n = 0
        self.done = asyncio.Event()
        self.samples: list[float] = []

    def compose(self) -> ComposeResult:
        yield Static("probe", id="probe")
        if self.pane is not None:
            yield self.pane

    def action_probe(self) -> None:
        self.n += 1
        self.query_one("#probe", Static).update(f"probe {self.n}")
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        self.samples.append(time.perf_counter() - self.t0)
        self.done.set()


async def measure(app: ProbeApp, keys: int, ready) -> list[float]:
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(pilot)
        rng = random.Random(7)
        for _ in range(keys):
            app.done.clear()
            app.t0 = time.perf_counter()
            app.post_message(events.Key("p", "p"))
            await asyncio.wait_for(app.done.wait(), 10)
            await asyncio.sleep(rng.uniform(0.01, 0.06))
    return app.samples


def churn(server: KubeApiServer, names: list[str], rate: float, stop: threading.Event) -> None:
    rng = random.Random(3)
    period = 1 / rate
    next_t = time.perf_counter()
    while not stop.is_set():
        name = rng.choice(names)
        if rng.random() < 0.5:
            crashing = waiting("app", "CrashLoopBackOff", rng.randint(1, 9), oom_killed())
            server.state.put(pod(name, containers=[crashing]))
        else:
            server.state.put(pod(name, containers=[running("app")]))
        next_t += period
        stop.wait(max(0.0, next_t - time.perf_counter()))


def serve(pods: int, rate: float) -> None:
    """Child process: the API server; prints its port, churns after a line on stdin, stops at EOF."""
    server = KubeApiServer().start()
    names = [f"api-{i:05d}" for i in range(pods)]
    for name in names:
        server.state.put(pod(name))
    print(server.port, flush=True)
    sys.stdin.readline()
    stop = threading.Event()
    threading.Thread(target=churn, args=(server, names, rate, stop), daemon=True).start()
    sys.stdin.read()
    stop.set()
    server.stop()


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--pods", type=int, default=5000)
    ap.add_argument("--rate", type=float, default=50)
    ap.add_argument("--keys", type=int, default=300)
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        return serve(args.pods, args.rate)
    report = Report("pods_pane", args.json, pods=args.pods, rate=args.rate, keys=args.keys)

    async def nothing(pilot):
        await pilot.pause(0.2)

    idle = asyncio.run(measure(ProbeApp(), args.keys, nothing))

    child = subprocess.Popen([sys.executable, "-m", "bench.pods_pane", "--serve", "--pods", str(args.pods),
                              "--rate", str(args.rate)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    port = int(child.stdout.readline())
    cfg = Path("/tmp") / f"bench-kubeconfig-{port}"
    server = KubeApiServer.__new__(KubeApiServer)
    server.port = port
    server.kubeconfig(cfg)
    diag = PodsDiagnostic("test/shop", kubeconfig=str(cfg), watch=True, timeout=30)
    pane = DiagPane(diag, interval=1)
    loaded_at = {}

    async def filled(pilot):
        t = time.perf_counter()
        while pane.table.row_count < args.pods:
            await pilot.pause(0.05)
        loaded_at["first_full"] = time.perf_counter() - t
        pane.table.focus()
        child.stdin.write("go\n")
        child.stdin.flush()
        await pilot.pause(2.5)

    try:
        loaded = asyncio.run(measure(ProbeApp(pane), args.keys, filled))
    finally:
        diag.close()
        child.stdin.close()
        child.wait(10)
        cfg.unlink(missing_ok=True)

    report.line(f"key-to-screen, {args.keys} keys each (in-process, call_after_refresh), ms")
    report.line(f"{'console':<44} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}")
    for label, s in (("idle console (floor)", idle),
                     (f"pods pane: {args.pods} pods, watch {args.rate:g} changes/s", loaded)):
        report.figure(label, [x * 1000 for x in s],
                      text=f"{label:<44} {statistics.median(s) * 1000:>7.2f} {pct(s, 90) * 1000:>7.2f} "
                           f"{pct(s, 99) * 1000:>7.2f} {max(s) * 1000:>7.2f}")
    ratio = pct(loaded, 99) / pct(idle, 99)
    report.ratio("loaded / idle, p99", ratio)
    report.target("loaded / idle, p99", ratio, 1.5)
    report.value("changes applied by the watch", diag.changes, "changes")
    report.value("re-lists", diag.relists, "lists")
    report.value("first full table", loaded_at.get("first_full", 0), "s",
                 f"p99 ratio loaded/idle: {ratio:.2f} (target <= 1.5)  changes applied by the watch: {diag.changes}; "
                 f"re-lists: {diag.relists}; first full table after {loaded_at.get('first_full', 0):.2f}s")
    report.done()


if __name__ == "__main__":
    main()
