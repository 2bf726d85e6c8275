"""A real JSON API server on loopback, over HTTP or HTTPS, for the paging providers' servers.

Every request is recorded (method, path and query, headers, body). A subclass answers in
``answer(req) -> (code, body)``. ``script`` misbehaves on demand, one entry per request:
``"drop-after"`` handles the request (its effects happen) and closes without a reply, a lost
reply. ``stop()`` and ``start()`` again on the same port: the provider down, then back.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from . import free_port


@dataclass
class Request:
    method: str
    target: str  # path and query as sent
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)

    def json(self):
        return json.loads(self.body or b"null")


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 (and localhost): (cert, key)."""
    if shutil.which("openssl") is None:
        raise RuntimeError("openssl is needed for the HTTPS test servers")
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
    return cert, key


class JsonApi:
    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.tls = tls
        self.port = free_port()
        self.seen: list[Request] = []
        self.script: list = []
        self.lock = threading.RLock()
        self.server: ThreadingHTTPServer | None = None
        self.connections: set = set()  # open keep-alive connections: stop() cuts them too

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def answer(self, req: Request) -> tuple[int, object]:
        raise NotImplementedError

    def requests(self, method: str, path_prefix: str = "") -> list[Request]:
        return [r for r in self.seen if r.method == method and r.path.startswith(path_prefix)]

    def start(self) -> "JsonApi":
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                api.connections.add(self.connection)

            def finish(self):
                api.connections.discard(self.connection)
                super().finish()

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                req = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                              self.rfile.read(length) if length else b"")
                with api.lock:
                    api.seen.append(req)
                    behaviour = api.script.pop(0) if api.script else None
                    code, body = api.answer(req)
                if behaviour == "drop-after":
                    self.close_connection = True
                    return
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*map(str, self.tls))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: no new connection is accepted and the open ones are cut."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        for connection in list(self.connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.connections.clear()
