from __future__ import annotations

import pytest

from .pg_server import PostgresServer


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def lock_wait(postgres_server):
    """One session holds a row lock in an open transaction; another waits on it."""
    import threading

    holder = postgres_server.connect(autocommit=False)
    holder.execute("update items set v = 'held' where id = 1")
    holder_pid = holder.info.backend_pid
    waiter = postgres_server.connect(autocommit=False)
    waiter_pid = waiter.info.backend_pid
    thread = threading.Thread(target=lambda: _wait(waiter), daemon=True)
    thread.start()
    probe = postgres_server.connect()
    for _ in range(200):
        row = probe.execute("select pg_blocking_pids(%s)", (waiter_pid,)).fetchone()
        if row[0]:
            break
        threading.Event().wait(0.02)
    probe.close()
    yield holder_pid, waiter_pid
    holder.rollback()
    thread.join(5)
    holder.close()
    waiter.close()


def _wait(conn) -> None:
    try:
        conn.execute("update items set v = 'waited' where id = 1")
        conn.rollback()
    except Exception:
        pass
