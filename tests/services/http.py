"""Real HTTP servers on loopback: a Stub that records requests and misbehaves on demand, and the
health endpoints the HTTP pane checks.

Each request to a Stub takes the next scripted behaviour, if any, else the route handler's answer:
``(code, headers, body)`` to answer, ``"drop"`` to read the request and close without a
reply, ``"drop-after"`` to handle it (state changes happen) and then close without a reply,
``"hang"`` to keep the client waiting until the test ends.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class Stub:
    routes: dict[tuple[str, str], Callable] = field(default_factory=dict)
    script: list = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    port: int = 0  # 0: a free one; a stopped Stub's port to bring "the same service" back

    def start(self) -> "Stub":
        stub = self
        self.release = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                stub.seen.append(req)
                behaviour = stub.script.pop(0) if stub.script else None
                if behaviour == "drop":
                    self.close_connection = True
                    return
                if behaviour == "hang":
                    stub.release.wait(10)
                    self.close_connection = True
                    return
                answer = stub.answer(req)
                if behaviour == "drop-after":
                    self.close_connection = True
                    return
                code, headers, payload = behaviour if isinstance(behaviour, tuple) else answer
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, req: Seen):
        for (method, prefix), handler in self.routes.items():
            if req.method == method and req.path.startswith(prefix):
                return handler(req)
        return 404, {}, {"error": "not found"}

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class HealthServers:
    """Endpoints for the health pane: /ok 200, /fail 500, /missing 404, /moved 301 to /ok, and
    ``never``, a socket that accepts connections (the kernel's backlog) but never reads or answers."""

    def __init__(self) -> None:
        def answer(code: int, headers: dict | None = None):
            return lambda req: (code, headers or {}, b"fine\n" if code == 200 else b"nope\n")

        self.stub = Stub(routes={("GET", "/ok"): answer(200), ("GET", "/fail"): answer(500),
                                 ("GET", "/missing"): answer(404), ("GET", "/moved"): answer(301, {"Location": "/ok"})})
        self.silent = socket.socket()
        self.silent.bind(("127.0.0.1", 0))
        self.silent.listen(16)

    def start(self) -> "HealthServers":
        self.stub.start()
        return self

    def url(self, path: str) -> str:
        return self.stub.url + path

    @property
    def never(self) -> str:
        return f"http://127.0.0.1:{self.silent.getsockname()[1]}/health"

    def stop(self) -> None:
        self.stub.stop()
        self.silent.close()


def statuspage_routes(page: str) -> tuple[dict, dict]:
    """A tiny Statuspage: create, list unresolved, update. Returns (routes, incidents)."""
    incidents: dict[str, dict] = {}

    def create(req):
        body = req.json()["incident"]
        ident = f"sp{len(incidents) + 1}"
        incidents[ident] = {"id": ident, **body}
        return 201, {}, incidents[ident]

    def unresolved(req):
        return 200, {}, [i for i in incidents.values() if i.get("status") != "resolved"]

    def update(req):
        ident = req.path.rsplit("/", 1)[1]
        if ident not in incidents:
            return 404, {}, {"error": "no incident"}
        incidents[ident].update(req.json()["incident"])
        return 200, {}, incidents[ident]

    base = f"/v1/pages/{page}/incidents"
    return {("GET", f"{base}/unresolved"): unresolved, ("POST", base): create,
            ("PATCH", f"{base}/"): update}, incidents
