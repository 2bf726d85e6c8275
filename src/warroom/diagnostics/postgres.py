"""PostgreSQL: connections against max_connections, running queries, who blocks whom, top statements.

One psycopg connection per pane, autocommit, with a connect and a statement timeout so a stuck
server shows as an error instead of a hung pane. ``pg_stat_statements`` column names changed in
PostgreSQL 13 (``mean_time`` → ``mean_exec_time``); :func:`statements_sql` picks them by version.
"""

from __future__ import annotations

import re
from typing import Any

from ..model.safe_text import clean
from ..model.times import to_datetime
from .base import BAD, ColumnLayout, Diagnostic, DIM, OK, Row, Snapshot, WARN

ACTIVITY_SQL = """
select pid, coalesce(usename, ''), coalesce(datname, ''), coalesce(state, ''),
       coalesce(wait_event_type, ''), coalesce(wait_event, ''),
       extract(epoch from clock_timestamp() - query_start)::float8,
       pg_blocking_pids(pid), left(coalesce(query, ''), 300),
       extract(epoch from query_start)::float8
from pg_stat_activity
where backend_type = 'client backend' and pid <> pg_backend_pid()
  and state is not null and state <> 'idle'
order by query_start nulls last
"""
STATES_SQL = """
select coalesce(state, 'unknown'), count(*) from pg_stat_activity
where backend_type = 'client backend' group by 1 order by 2 desc
"""
COLUMNS = ("PID", "USER", "DB", "STATE", "WAIT", "DURATION", "BLOCKED BY", "QUERY", "STARTED")
# In a narrow pane: which backend, how long its query has run and since when, then what it is.
LAYOUT = ColumnLayout(keep=("PID", "DURATION", "STARTED", "STATE", "QUERY"),
                      cut=(("STATE", 6), ("QUERY", 12)), rest=("BLOCKED BY", "WAIT", "USER", "DB"),
                      confirm=("PID", "DURATION", "STARTED", "STATE", "USER", "DB", "QUERY"))


_SQL_PASSWORD = re.compile(r"(\bpassword\s+)('(?:[^']|'')*'|\S+)", re.I)


def scrub_sql(query: str) -> str:
    """One line of SQL with ``PASSWORD '...'`` literals masked (redact() only knows key=value)."""
    return _SQL_PASSWORD.sub(r"\1'***'", " ".join(query.split()))


def statements_sql(version_num: int, limit: int = 10) -> str:
    """Top statements by mean time; the columns were renamed in PostgreSQL 13."""
    mean, total = ("mean_exec_time", "total_exec_time") if version_num >= 130000 else ("mean_time", "total_time")
    return (f"select left(query, 200), calls, {mean}::float8, {total}::float8 "
            f"from pg_stat_statements order by {mean} desc limit {int(limit)}")


def duration_level(seconds: float | None) -> str:
    """pg_activity's colours: green under 1 s, yellow under 3 s, red beyond."""
    if seconds is None:
        return DIM
    return OK if seconds < 1 else WARN if seconds < 3 else BAD


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, sec = divmod(int(seconds), 60)
    return f"{minutes}m{sec:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def build(source: str, target: str, taken_ms: int, states: list[tuple[str, int]], max_conn: int,
          activity: list[tuple], statements: list[tuple] | None) -> Snapshot:
    """Turn query results into a snapshot (shared with the drill simulator)."""
    total = sum(n for _, n in states)
    pct = 100 * total / max_conn if max_conn else 0
    summary = [f"connections {total}/{max_conn} ({pct:.0f}%): "
               + ", ".join(f"{s} {n}" for s, n in states)]
    rows, blocked = [], 0
    for pid, user, db, state, wtype, wevent, secs, blockers, query, *start in activity:
        # the server's query_start when it gave one (the drills give only the duration)
        started_ms = start[0] * 1000 if start and start[0] is not None else \
            None if secs is None else taken_ms - secs * 1000
        blockers = list(blockers or [])
        blocked += bool(blockers)
        level = BAD if blockers else duration_level(secs) if state == "active" else ""
        wait = f"{wtype}:{wevent}" if wtype else ""
        rows.append(Row(str(pid), (str(pid), user, db, state, wait, format_duration(secs),
                                   ",".join(map(str, blockers)), scrub_sql(query),
                                   "-" if started_ms is None else f"{to_datetime(int(started_ms)):%H:%M:%S}Z"),
                        level=level, cell_levels=((5, duration_level(secs)),)))
    blockers_of = {b for r in rows for b in r.cells[6].split(",") if b}
    rows = [Row(r.key, r.cells, BAD, r.cell_levels) if r.key in blockers_of else r for r in rows]
    if blocked:
        waiters: dict[str, list[str]] = {}
        for r in rows:
            for b in filter(None, r.cells[6].split(",")):
                waiters.setdefault(b, []).append(r.cells[0])
        chains = [f"{b} blocks {', '.join(w[:5])}{f' +{len(w) - 5} more' if len(w) > 5 else ''}"
                  for b, w in sorted(waiters.items(), key=lambda kv: -len(kv[1]))]
        summary.append(f"{blocked} blocked: " + "; ".join(chains[:5]))
    extra: dict[str, Any] = {"max_connections": max_conn, "connections": total,
                             "blocked": blocked, "blockers": sorted(blockers_of, key=int)}
    if statements is None:
        summary.append("pg_stat_statements: not installed")
    else:
        extra["statements"] = [{"query": scrub_sql(q), "calls": c, "mean_ms": round(m, 3), "total_ms": round(t, 3)}
                               for q, c, m, t in statements]
        for q, c, m, _ in statements[:5]:
            summary.append(f"  {m:9.2f} ms mean × {c:<6} {scrub_sql(q)[:80]}")
    level = BAD if pct >= 90 else WARN if pct >= 70 else ""
    if level:
        summary[0] += "  HIGH"
    return Snapshot(source, target, taken_ms, COLUMNS, rows, summary, extra=extra, layout=LAYOUT)


class PostgresDiagnostic(Diagnostic):
    name = "postgres"
    title = "PostgreSQL activity"
    target_help = "a libpq DSN or URL, e.g. postgresql://user@host:5432/db (password from PGPASSWORD)"
    default_interval = 2.0
    floor = 0.5
    actions = {"cancel": ("C", "Cancel the backend's query"), "terminate": ("T", "Terminate the backend")}

    def __init__(self, target: str = "", clock=None, timeout: float = 3.0, **options: Any) -> None:
        super().__init__(target, clock, **options)
        self.timeout = timeout
        self._conn = None
        self._version = 0

    @property
    def display_target(self) -> str:
        return _safe_dsn(self.target)

    def _connection(self):
        import psycopg

        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        self.close()
        ms = int(self.timeout * 1000)
        self._conn = psycopg.connect(self.target, autocommit=True, connect_timeout=max(1, int(self.timeout)),
                                     options=f"-c statement_timeout={ms}", application_name="warroom")
        self._version = self._conn.info.server_version
        return self._conn

    def collect(self) -> Snapshot:
        conn = self._connection()
        try:
            with conn.cursor() as cur:
                cur.execute("select current_setting('max_connections')::int")
                max_conn = cur.fetchone()[0]
                cur.execute(STATES_SQL)
                states = [(s, n) for s, n in cur.fetchall()]
                cur.execute(ACTIVITY_SQL)
                activity = cur.fetchall()
                cur.execute("select 1 from pg_extension where extname = 'pg_stat_statements'")
                statements = None
                if cur.fetchone():
                    cur.execute(statements_sql(self._version))
                    statements = cur.fetchall()
        except Exception:
            self.close()
            raise
        return build(self.name, self.display_target, self.clock(), states, max_conn, activity, statements)

    def act(self, action: str, key: str) -> str:
        fn = {"cancel": "pg_cancel_backend", "terminate": "pg_terminate_backend"}.get(action)
        if fn is None:
            raise ValueError(f"postgres has no action {action!r}")
        with self._connection().cursor() as cur:
            cur.execute(f"select {fn}(%s)", (int(key),))
            done = cur.fetchone()[0]
        return f"{action} pid {int(key)}: {'sent' if done else 'no such backend'}"

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
            self._conn = None


def _safe_dsn(dsn: str) -> str:
    """A DSN with any password removed, URL or keyword form."""
    text = re.sub(r"(://[^/@:\s]*):[^@/\s]*@", r"\1@", dsn)
    text = re.sub(r"\bpassword\s*=\s*('[^']*'|\S+)\s*", "", text, flags=re.I)
    return clean(text.strip()) or "(default)"
