"""A real PostgreSQL for the diagnostics tests and the pane bench: initdb + postgres on a free
loopback port.

postgres refuses to run as root, so the cluster belongs to the ``postgres`` system user and is
started through ``runuser``. pg_stat_statements is preloaded so the top-statements view is real.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..waiting import wait_until
from . import free_port

PASSWORD = "hunter2-secret"


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL {name} not found under /usr/lib/postgresql/*/bin: "
                           "run bash tests/run.sh, which installs it")
    return found[-1]


class PostgresServer:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="warroom-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._as_root = os.geteuid() == 0

    def _run(self, args: list[str], **kw):
        if self._as_root:
            args = ["runuser", "-u", "postgres", "--"] + args
        return subprocess.run(args, check=True, capture_output=True, text=True, **kw)

    def start(self) -> "PostgresServer":
        if self._as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(self.dir, 0o700)
        self._run([_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                   "--no-sync"])
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\n"
            "host all postgres 127.0.0.1/32 trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n")
        args = [_bin("postgres"), "-D", str(self.data), "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
                "-c", f"unix_socket_directories={self.dir}", "-c", "fsync=off",
                "-c", "shared_preload_libraries=pg_stat_statements", "-c", "max_connections=40"]
        if self._as_root:
            args = ["runuser", "-u", "postgres", "--"] + args
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(self.dir / "log", "w"))
        try:
            wait_until(self._set_up, 20, "postgres to accept connections", every=0.1)
        except AssertionError:
            raise RuntimeError("postgres did not start: " + (self.dir / "log").read_text()[-2000:]) from None
        return self

    def _set_up(self) -> bool:
        """The schema the tests use, once the server takes connections."""
        if self.proc.poll() is not None:
            raise RuntimeError("postgres exited: " + (self.dir / "log").read_text()[-2000:])
        try:
            with self.connect() as conn:
                conn.execute("create extension if not exists pg_stat_statements")
                conn.execute(f"create role app login password '{PASSWORD}'")
                conn.execute("create table items (id int primary key, v text)")
                conn.execute("insert into items values (1, 'one'), (2, 'two')")
                conn.execute("grant all on items to app")
                conn.execute("grant pg_read_all_stats, pg_signal_backend to app")
        except Exception:
            return False
        return True

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def app_dsn(self) -> str:
        return f"postgresql://app:{PASSWORD}@127.0.0.1:{self.port}/postgres"

    def connect(self, **kw):
        import psycopg

        kw.setdefault("autocommit", True)
        return psycopg.connect(self.dsn, connect_timeout=3, **kw)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:  # the postmaster itself (runuser sits between): fast shutdown, clients or not
                pid = int((self.data / "postmaster.pid").read_text().split()[0])
                os.kill(pid, signal.SIGINT)
            except (OSError, ValueError, IndexError):
                self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
