"""Shared-store benchmarks, each against a floor measured in the same run.

    .venv/bin/python -m bench.sync [--events 400] [--offline 10000] [--commits 1000] [--json]

1. Propagation: an event committed in terminal A (this process) until it is applied to
   terminal B's state (another process, its own Room + SyncEngine + SQLite file).
   Floor: a raw XADD here waking a raw XREAD BLOCK in another process.
   Target: p50 ≤ 5 ms, p99 ≤ 25 ms.
2. Catch-up of events written offline: A pushes them (target ≤ 1 s), B applies them
   (target ≤ 1 s). Floors: pipelined raw XADD of the same JSON; raw XRANGE of it.
3. Local commit while the store is down vs online: p99 ratio (target ≤ 1.2).
4. The audit that finds what a store lost: its cost when nothing is lost (the periodic case),
   for 100 incidents × 100 events and 1,000 × 10. Floor: one raw PING round trip.

Times between processes use the shared wall clock (``time.time_ns``) of this machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import arguments, pct, Report, ROOT


def line(name: str, values: list[float], unit: str = "ms") -> str:
    return (f"  {name:<34} p50 {pct(values, 50):7.2f} {unit}   p99 {pct(values, 99):7.2f} {unit}"
            f"   (n={len(values)})")


def figure(report: Report, name: str, values: list[float], label: str | None = None) -> None:
    """``name`` in the JSON, ``label`` (the same unless given) in the text."""
    report.figure(name, values, text=line(label or name, values))


# -- child processes --------------------------------------------------------------------
def child_floor(url: str, n: int) -> None:
    import redis

    r = redis.Redis.from_url(url, socket_timeout=10)
    cursor, lat = "0-0", []
    print("ready", flush=True)
    while len(lat) < n:
        for _, entries in r.xread({"bench:floor": cursor}, block=5000) or []:
            now = time.time_ns()
            for sid, fields in entries:
                cursor = sid
                lat.append((now - int(fields[b"t"])) / 1e6)
    print(json.dumps(lat), flush=True)


def child_terminal(url: str, db: str, n: int) -> None:
    from warroom.room import Room
    from warroom.store.log import LocalLog
    from warroom.sync.engine import SyncEngine

    room = Room(LocalLog(db), "b")
    lat = {}

    def applied(events) -> None:
        now = time.time_ns()
        for e in events:
            if e.kind == "entry":
                lat[e.event_id] = now

    room.subscribe(applied)
    engine = SyncEngine(room, url)
    engine.start()
    while engine.status.state != "live":
        time.sleep(0.01)
    print("ready", flush=True)
    while len(lat) < n:
        time.sleep(0.01)
    engine.stop()
    print(json.dumps(lat), flush=True)


def spawn(*args: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "bench.sync", *args], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)
    assert proc.stdout.readline().strip() == "ready"
    return proc


# -- the benchmarks ---------------------------------------------------------------------
def propagation(report: Report, server, tmp: Path, n: int) -> None:
    from warroom.room import Room
    from warroom.store.log import LocalLog
    from warroom.sync.engine import SyncEngine

    r = server.client()
    floor_proc = spawn("--child-floor", server.url, str(n))
    for _ in range(n):
        r.xadd("bench:floor", {"t": time.time_ns()})
        time.sleep(0.003)
    floor = json.loads(floor_proc.stdout.readline())
    floor_proc.wait()

    room = Room(LocalLog(tmp / "a.db"), "a")
    committed = {}
    # Subscribed before the engine: stamps the moment the commit returned, before the
    # pusher is even signalled.
    room.subscribe(lambda events: committed.update((e.event_id, time.time_ns()) for e in events))
    engine = SyncEngine(room, server.url)
    engine.start()
    incident = room.declare("bench", "SEV3")
    b_proc = spawn("--child-terminal", server.url, str(tmp / "b.db"), str(n))
    for i in range(n):
        room.note(incident.id, f"bench note {i}")
        time.sleep(0.003)
    applied = json.loads(b_proc.stdout.readline())
    b_proc.wait()
    got = [(t - committed[event_id]) / 1e6 for event_id, t in applied.items()]
    engine.stop()
    report.line("1. propagation A commit → applied in B's state (B in another process)")
    figure(report, "floor: raw XADD → XREAD wake", floor)
    figure(report, "warroom: commit → applied", got)
    p50, p99 = pct(got, 50), pct(got, 99)
    report.ratio("propagation / floor, p50", p50 / pct(floor, 50))
    report.ratio("propagation / floor, p99", p99 / pct(floor, 99))
    report.line(f"  ratio to floor: p50 ×{p50 / pct(floor, 50):.1f}, p99 ×{p99 / pct(floor, 99):.1f}"
                f"   targets p50 ≤ 5 ms: {report.target('propagation p50, ms', p50, 5)}, "
                f"p99 ≤ 25 ms: {report.target('propagation p99, ms', p99, 25)}")


def catch_up(report: Report, server, tmp: Path, n: int) -> None:
    from warroom.room import Room
    from warroom.store.log import LocalLog
    from warroom.sync.engine import SyncEngine

    a = Room(LocalLog(tmp / "offline-a.db"), "a")
    incident = a.declare("offline", "SEV3")
    a._commit([a._event(incident.id, "entry", {"kind": "note", "text": f"offline note {i}"}, None)
               for i in range(n - 1)])
    wire = [e.to_json().encode() for e in a.log.events(incident.id)]
    r = server.client()
    t0 = time.perf_counter()
    pipe = r.pipeline(transaction=False)
    for body in wire:
        pipe.xadd("bench:raw", {"e": body})
    pipe.execute()
    t1 = time.perf_counter()
    entries = []
    cursor = "-"
    while batch := r.xrange("bench:raw", min=cursor, count=500):
        entries += batch
        cursor = "(" + batch[-1][0].decode()
    t2 = time.perf_counter()
    assert len(entries) == n

    url = server.url + "?prefix=catchup"
    ea = SyncEngine(a, url)
    t3 = time.perf_counter()
    pushed = ea.push_once(timeout=30)
    t4 = time.perf_counter()
    b = Room(LocalLog(tmp / "offline-b.db"), "b")
    eb = SyncEngine(b, url)
    t5 = time.perf_counter()
    _, pulled = eb.sync_once(timeout=30)
    t6 = time.perf_counter()
    assert pushed == n and pulled == n, (pushed, pulled)
    push_s, pull_s = t4 - t3, t6 - t5
    report.line(f"2. catch-up of {n} events written offline")
    report.value("catch-up floor: pipelined raw XADD", t1 - t0, "s",
                 f"  floor: pipelined raw XADD          {t1 - t0:6.3f} s")
    report.value("catch-up push (outbox → store)", push_s, "s")
    report.ratio("catch-up push / floor", push_s / (t1 - t0),
                 f"  warroom push (outbox → store)      {push_s:6.3f} s   ×{push_s / (t1 - t0):.1f} floor"
                 f"   target ≤ 1 s: {report.target('catch-up push, s', push_s, 1)}")
    report.value("catch-up floor: raw XRANGE", t2 - t1, "s",
                 f"  floor: raw XRANGE                  {t2 - t1:6.3f} s")
    report.value("catch-up apply in another terminal", pull_s, "s")
    report.ratio("catch-up apply / floor", pull_s / (t2 - t1),
                 f"  warroom apply in another terminal  {pull_s:6.3f} s   ×{pull_s / (t2 - t1):.1f} floor"
                 f"   target ≤ 1 s: {report.target('catch-up apply, s', pull_s, 1)}")


def write_path(report: Report, server, tmp: Path, n: int) -> None:
    from warroom.room import Room
    from warroom.store.log import LocalLog
    from warroom.sync.engine import SyncEngine

    room = Room(LocalLog(tmp / "write.db"), "a")
    engine = SyncEngine(room, server.url)
    engine.start()
    incident = room.declare("write path", "SEV3")
    while engine.status.state != "live":
        time.sleep(0.01)

    def commits() -> list[float]:
        out = []
        for i in range(n):
            t = time.perf_counter()
            room.note(incident.id, f"typed {i}")
            out.append((time.perf_counter() - t) * 1000)
            time.sleep(0.002)  # a fast typist, not a tight loop
        return out

    online = commits()
    server.kill()
    offline = commits()
    pending = engine.status.pending
    engine.stop()
    report.line("3. local commit, store online vs down")
    figure(report, "local commit, online (pusher publishing)", online, "online (pusher publishing)")
    figure(report, "local commit, store down", offline, f"store down ({pending} waiting)")
    ratio = pct(offline, 99) / pct(online, 99)
    report.ratio("local commit down / online, p99", ratio,
                 f"  p99 ratio down/online ×{ratio:.2f}   target ≤ 1.2: "
                 f"{report.target('local commit down / online, p99', ratio, 1.2)}")


def audit(report: Report, server, tmp: Path, rounds: int = 50) -> None:
    from warroom.room import Room
    from warroom.store.log import LocalLog
    from warroom.sync.engine import SyncEngine

    client = server.client()
    report.line("4. audit of what the store holds, nothing lost (runs every 30 s and in `sync`)")
    for incidents, per in ((100, 100), (1000, 10)):
        room = Room(LocalLog(tmp / f"audit-{incidents}.db"), "a")
        engine = SyncEngine(room, server.url + f"?prefix=audit{incidents}")
        for i in range(incidents):
            state = room.declare(f"incident {i}", "SEV3")
            for j in range(per - 1):
                room.note(state.id, f"note {j}")
        engine.sync_once(timeout=30)
        floor, cost = [], []
        for _ in range(rounds):
            t = time.perf_counter()
            client.ping()
            floor.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            assert engine._audit(client) == 0
            cost.append((time.perf_counter() - t) * 1000)
        figure(report, f"raw PING (audit {incidents} × {per})", floor, "raw PING")
        figure(report, f"audit {incidents} × {per} events", cost)
        report.ratio(f"audit {incidents} × {per} / PING, p50", pct(cost, 50) / pct(floor, 50),
                     f"  ratio p50 ×{pct(cost, 50) / pct(floor, 50):.0f} the round trip")
        room.close()


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--offline", type=int, default=10_000)
    parser.add_argument("--commits", type=int, default=1000, help="per phase of benchmark 3")
    parser.add_argument("--child-floor", nargs=2)
    parser.add_argument("--child-terminal", nargs=3)
    args = parser.parse_args()
    if args.child_floor:
        return child_floor(args.child_floor[0], int(args.child_floor[1]))
    if args.child_terminal:
        return child_terminal(args.child_terminal[0], args.child_terminal[1], int(args.child_terminal[2]))

    from tests.services.redis import RedisServer

    report = Report("sync", args.json, events=args.events, offline=args.offline, commits=args.commits)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        server = RedisServer(tmp / "redis").start()
        try:
            propagation(report, server, tmp, args.events)
            catch_up(report, server, tmp, args.offline)
            write_path(report, server, tmp, args.commits)  # ends with the store killed
            server = RedisServer(tmp / "redis-audit").start()
            audit(report, server, tmp)
        finally:
            server.stop()
    report.done()


if __name__ == "__main__":
    main()
