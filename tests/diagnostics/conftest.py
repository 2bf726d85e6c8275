from __future__ import annotations

import pytest

from ..services.postgres import PostgresServer
from ..waiting import wait_until


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
    try:
        with postgres_server.connect() as probe:
            wait_until(lambda: probe.execute("select pg_blocking_pids(%s)", (waiter_pid,)).fetchone()[0],
                       5, "the waiter blocked behind the holder", every=0.02)
        yield holder_pid, waiter_pid
    finally:
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
