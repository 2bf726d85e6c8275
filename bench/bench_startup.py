"""Cold start to first frame: warroom on a log of 1,000 and 100,000 events vs a bare Textual app.

Each run is a fresh interpreter that exits right after its first frame is rendered
(headless), so imports, opening the log, folding state and the first layout are all in.
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

BARE = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("hello")
    def on_mount(self):
        self.call_after_refresh(self.exit)
Bare().run(headless=True, size=(160, 48))
"""

WARROOM = """
import sys
from warroom.app import WarroomApp
from warroom.local_log import LocalLog
from warroom.room import Room
from warroom.policy import load_policy
class First(WarroomApp):
    def on_mount(self):  # Textual also runs WarroomApp.on_mount (handlers run up the MRO)
        self.call_after_refresh(self.exit)
app = First(Room(LocalLog(sys.argv[1]), "bench", load_policy("cygni")), keymap={})
app.run(headless=True, size=(160, 48))
"""


# Any value of PYTHONDONTWRITEBYTECODE (even "0") stops bytecode caching; an installed
# package has its bytecode compiled, so both apps run from cached bytecode here.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(code: str, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], check=True, env=ENV)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    with tempfile.TemporaryDirectory() as tmp:
        dbs = {n: Path(tmp) / f"{n}.db" for n in (1_000, 100_000)}
        for n, path in dbs.items():
            make_incident_db(path, n)
        compileall.compile_dir(Path(__file__).resolve().parents[1] / "src", quiet=1)
        run(BARE)  # warm the page cache
        run(WARROOM, str(dbs[1_000]))
        samples: dict[str, list[float]] = {"bare textual app": [], "warroom 1k events": [], "warroom 100k events": []}
        for _ in range(runs):  # interleaved so drift hits every variant alike
            samples["bare textual app"].append(run(BARE))
            samples["warroom 1k events"].append(run(WARROOM, str(dbs[1_000])))
            samples["warroom 100k events"].append(run(WARROOM, str(dbs[100_000])))
    for name, values in samples.items():
        print(describe(name, values))
    bare = statistics.median(samples["bare textual app"])
    for name in ("warroom 1k events", "warroom 100k events"):
        print(f"ratio {name} / bare (medians): {statistics.median(samples[name]) / bare:.2f}x")


if __name__ == "__main__":
    main()
