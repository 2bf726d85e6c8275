"""PostgreSQL pane against a real server: a real lock wait, real pg_stat_statements, real failures."""

from __future__ import annotations

from warroom.diagnostics.base import BAD, OK, render_text, WARN
from warroom.diagnostics.postgres import duration_level, PostgresDiagnostic, scrub_sql, statements_sql

from ..services.postgres import PASSWORD
from ..waiting import wait_until


def test_duration_colours_follow_pg_activity():
    assert [duration_level(s) for s in (0.2, 0.99, 1.0, 2.9, 3.0, 60)] == [OK, OK, WARN, WARN, BAD, BAD]


def test_statement_columns_depend_on_version():
    assert "mean_exec_time" in statements_sql(150004)
    old = statements_sql(120011)
    assert "mean_time" in old and "mean_exec_time" not in old and "total_time" in old


def test_sql_password_literals_are_masked():
    assert scrub_sql("ALTER ROLE x PASSWORD 'it''s'  ") == "ALTER ROLE x PASSWORD '***'"


def test_blocker_is_shown(postgres_server, lock_wait, clock):
    holder, waiter = lock_wait
    diag = PostgresDiagnostic(postgres_server.app_dsn, clock=clock)
    try:
        snap = diag.fetch()
    finally:
        diag.close()
    assert snap.ok, snap.error
    rows = {r.key: r for r in snap.rows}
    assert rows[str(waiter)].cells[6] == str(holder)
    assert rows[str(waiter)].cells[4] == "Lock:transactionid"
    assert rows[str(waiter)].level == BAD and rows[str(holder)].level == BAD
    assert snap.extra["blockers"] == [str(holder)] and snap.extra["blocked"] == 1
    assert f"{holder} blocks {waiter}" in "\n".join(snap.summary)
    assert snap.extra["max_connections"] == 40
    assert snap.summary[0].startswith("connections ") and "/40" in snap.summary[0]
    assert any("update items" in s["query"] for s in snap.extra["statements"])
    assert all("hunter2" not in s["query"] for s in snap.extra["statements"])
    text = render_text(snap)
    assert PASSWORD not in text and "app@127.0.0.1" in text


def test_running_query_duration(postgres_server, clock):
    import threading

    conn = postgres_server.connect()
    t = threading.Thread(target=lambda: conn.execute("select pg_sleep(1.2)"), daemon=True)
    t.start()
    diag = PostgresDiagnostic(postgres_server.dsn, clock=clock)
    try:
        slow = []

        def shown_slow() -> bool:
            slow[:] = [r for r in diag.fetch().rows if "pg_sleep" in r.cells[7] and dict(r.cell_levels)[5] == WARN]
            return bool(slow)

        wait_until(shown_slow, 5, "the running query marked slow", every=0.1)
        assert slow[0].cells[5].endswith("s")
    finally:
        t.join(5)
        diag.close()
        conn.close()


def test_cancel_and_terminate(postgres_server, lock_wait, clock):
    holder, waiter = lock_wait
    diag = PostgresDiagnostic(postgres_server.dsn, clock=clock)
    try:
        assert diag.act("cancel", str(waiter)) == f"cancel pid {waiter}: sent"
        wait_until(lambda: str(waiter) not in {r.key for r in diag.fetch().rows if r.cells[6]}, 5,
                   "the cancelled wait gone from the blocked", every=0.05)
        assert diag.act("terminate", "999999") == "terminate pid 999999: no such backend"
    finally:
        diag.close()


def test_failures_are_shown_as_errors(postgres_server, clock):
    wrong = postgres_server.app_dsn.replace(PASSWORD, "wrong")
    snap = PostgresDiagnostic(wrong, clock=clock).fetch()
    assert snap.error.startswith("auth failed") and "wrong" not in snap.target
    from ..services import free_port

    snap = PostgresDiagnostic(f"postgresql://app@127.0.0.1:{free_port()}/x", clock=clock).fetch()
    assert snap.error.startswith("refused")
