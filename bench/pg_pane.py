"""Refresh cost of the PostgreSQL pane against pg_activity, same server, same run.

Starts a private PostgreSQL (as tests/run.sh installs it), puts load on it (idle sessions,
running queries, a lock wait, a few hundred distinct statements in pg_stat_statements), then
times, in alternating rounds, one refresh of each tool's data collection:

- ours: ``PostgresDiagnostic.fetch()`` (connections by state, activity with blockers, top
  statements, and the snapshot build);
- pg_activity: what its loop does per refresh, ``pg_get_server_information`` +
  ``pg_get_activities`` (its local psutil pass and its terminal drawing are left out, which
  favours it).

Figures: client CPU per refresh (process_time), wall time, and the PostgreSQL backend's own
CPU per refresh (from /proc/<backend pid>/stat). pg_activity is installed into .venv for this
bench only (``.venv/bin/pip install pg_activity``); it is not a dependency of warroom.

    .venv/bin/python -m bench.pg_pane [--rounds 300] [--json]
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from pathlib import Path

from tests.services.postgres import PostgresServer

from warroom.diagnostics.postgres import PostgresDiagnostic

from .common import arguments, pct, Report

TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _quietly(conn, sql: str) -> None:
    try:
        conn.execute(sql)
    except Exception:
        pass  # the server stops under it at the end of the run


def load(server: PostgresServer):
    conns = [server.connect() for _ in range(20)]
    for i in range(300):
        conns[i % 20].execute(f"select {i} + count(*) from items where id > {i}")
    sleepers = []
    for c in conns[:4]:
        t = threading.Thread(target=_quietly, args=(c, "select pg_sleep(600)"), daemon=True)
        t.start()
        sleepers.append(t)
    holder = server.connect(autocommit=False)
    holder.execute("update items set v = 'x' where id = 1")
    waiter = server.connect(autocommit=False)
    threading.Thread(target=_quietly, args=(waiter, "update items set v = 'y' where id = 1"), daemon=True).start()
    time.sleep(0.5)
    return conns + [holder, waiter]


def main() -> None:
    ap = arguments(__doc__)
    ap.add_argument("--rounds", type=int, default=300)
    args = ap.parse_args()
    report = Report("pg_pane", args.json, rounds=args.rounds)
    try:
        from pgactivity.data import Data
    except ImportError:
        sys.exit("pg_activity is not installed: .venv/bin/pip install pg_activity (bench only)")

    server = PostgresServer().start()
    try:
        keep = load(server)
        ours = PostgresDiagnostic(server.dsn)
        ours.fetch()
        theirs = Data.pg_connect(host="127.0.0.1", port=server.port, user="postgres", database="postgres")
        info = theirs.pg_get_server_information(skip_db_size=True, skip_tempfile=True, skip_walreceiver=True)
        theirs.pg_get_activities()
        our_pid, their_pid = ours._conn.info.backend_pid, theirs.pg_conn.info.backend_pid

        def our_refresh():
            snap = ours.fetch()
            assert snap.ok and snap.extra["blocked"] == 1, snap.error

        def their_refresh():
            nonlocal info
            info = theirs.pg_get_server_information(prev_server_info=info, skip_db_size=True,
                                                    skip_tempfile=True, skip_walreceiver=True)
            theirs.pg_get_activities()

        results = {"warroom": ([], [], our_refresh, our_pid), "pg_activity": ([], [], their_refresh, their_pid)}
        server_cpu = {name: 0.0 for name in results}
        for _ in range(args.rounds):
            for name, (cpu, wall, fn, pid) in results.items():
                b0 = backend_cpu(pid)
                c0, w0 = time.process_time(), time.perf_counter()
                fn()
                cpu.append(time.process_time() - c0)
                wall.append(time.perf_counter() - w0)
                server_cpu[name] += backend_cpu(pid) - b0
        report.line(f"PostgreSQL refresh cost, {args.rounds} rounds each, alternating, same server "
                    f"({len(keep)} extra sessions, 4 running queries, 1 lock wait)")
        report.line(f"{'tool':<12} {'client CPU ms median':>21} {'p99':>8} {'wall ms median':>15} {'p99':>8} "
                    f"{'backend CPU ms/refresh':>23}")
        row = {}
        for name, (cpu, wall, _, _) in results.items():
            row[name] = statistics.median(cpu) * 1000
            report.figure(f"{name}: client CPU per refresh", [c * 1000 for c in cpu], text="")
            report.figure(f"{name}: wall per refresh", [w * 1000 for w in wall], text="")
            report.value(f"{name}: backend CPU per refresh", server_cpu[name] / args.rounds * 1000, "ms")
            report.line(f"{name:<12} {row[name]:>21.2f} {pct(cpu, 99) * 1000:>8.2f} "
                        f"{statistics.median(wall) * 1000:>15.2f} {pct(wall, 99) * 1000:>8.2f} "
                        f"{server_cpu[name] / args.rounds * 1000:>23.2f}")
        report.ratio("warroom / pg_activity, client CPU median", row["warroom"] / row["pg_activity"],
                     f"ratio warroom/pg_activity, client CPU median: {row['warroom'] / row['pg_activity']:.2f}")
        both = {n: server_cpu[n] for n in server_cpu}
        if both["pg_activity"]:
            report.ratio("warroom / pg_activity, backend CPU", both["warroom"] / both["pg_activity"],
                         f"ratio warroom/pg_activity, backend CPU: {both['warroom'] / both['pg_activity']:.2f}")
        ours.close()
        for c in keep:
            c.close()
    finally:
        server.stop()
    report.done()


if __name__ == "__main__":
    main()
