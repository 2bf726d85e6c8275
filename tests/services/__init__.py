"""Real services on free loopback ports, for the tests and the benches alike.

Nothing here is a mock: each helper starts the real program (redis-server, PostgreSQL, an
HTTP server speaking the real protocol, a console on a real pty) and stops it when done.

- ``redis``: RedisServer
- ``postgres``: PostgresServer
- ``kube_api``: KubeApiServer and the Pod shapes it serves
- ``http``: Stub (scripted HTTP answers) and HealthServers (the health pane's endpoints)
- ``terminal``: Terminal, a program on a pseudo-terminal
"""

from __future__ import annotations

import socket

from ..waiting import wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_port(port: int, timeout: float = 10.0) -> None:
    wait_until(lambda: listening(port), timeout, f"something listening on 127.0.0.1:{port}", every=0.02)
