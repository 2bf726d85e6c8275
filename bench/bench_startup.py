"""Cold start to first frame: warroom on a log of 1,000 and 100,000 events vs a bare Textual app.

Each run is a fresh interpreter that notes the moment its first frame is rendered (headless),
then exits: the figure runs from launching the interpreter to that frame, so imports, opening
the log, folding state and the first layout are all in, and what runs after the frame (the
runbooks are bound then) and the exit are not. The whole run to exit is printed beside it.
Targets: 1k events ≤ 1.3× the bare app; 100k events first frame within 1 s.

    .venv/bin/python bench/bench_startup.py [runs]
"""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import describe, make_incident_db

# The first frame's moment goes to stderr on the monotonic clock the parent also reads.
FIRST = "import sys, time; first = lambda app: (print(time.perf_counter(), file=sys.stderr), app.exit())\n"

BARE = FIRST + """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("hello")
    def on_mount(self):
        self.call_after_refresh(first, self)
Bare().run(headless=True, size=(160, 48))
"""

WARROOM = FIRST + """
from warroom.app import WarroomApp
from warroom.local_log import LocalLog
from warroom.room import Room
from warroom.policy import load_policy
class First(WarroomApp):
    def on_mount(self):  # Textual also runs WarroomApp.on_mount (handlers run up the MRO)
        self.call_after_refresh(first, self)
app = First(Room(LocalLog(sys.argv[1]), "bench", load_policy("cygni")), keymap={})
app.run(headless=True, size=(160, 48))
"""


# Any value of PYTHONDONTWRITEBYTECODE (even "0") stops bytecode caching; an installed
# package has its bytecode compiled, so both apps run from cached bytecode here.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(code: str, *args: str) -> tuple[float, float]:
    """(ms to the first frame, ms to exit) of one fresh interpreter."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args], check=True, env=ENV,
                          stderr=subprocess.PIPE, text=True)
    end = time.perf_counter()
    return (float(done.stderr.split()[-1]) - start) * 1000, (end - start) * 1000


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    with tempfile.TemporaryDirectory() as tmp:
        dbs = {n: Path(tmp) / f"{n}.db" for n in (1_000, 100_000)}
        for n, path in dbs.items():
            make_incident_db(path, n)
        compileall.compile_dir(Path(__file__).resolve().parents[1] / "src", quiet=1)
        run(BARE)  # warm the page cache
        run(WARROOM, str(dbs[1_000]))
        variants = {"bare textual app": (BARE,), "warroom 1k events": (WARROOM, str(dbs[1_000])),
                    "warroom 100k events": (WARROOM, str(dbs[100_000]))}
        first: dict[str, list[float]] = {name: [] for name in variants}
        whole: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(runs):  # interleaved so drift hits every variant alike
            for name, argv in variants.items():
                to_frame, to_exit = run(*argv)
                first[name].append(to_frame)
                whole[name].append(to_exit)
    for name in variants:
        print(describe(f"{name}: first frame", first[name]))
    for name in variants:
        print(describe(f"{name}: to exit", whole[name]))
    for label, samples in (("first frame", first), ("to exit", whole)):
        bare = statistics.median(samples["bare textual app"])
        for name in ("warroom 1k events", "warroom 100k events"):
            print(f"ratio {name} / bare, {label} (medians): {statistics.median(samples[name]) / bare:.2f}x")


if __name__ == "__main__":
    main()
