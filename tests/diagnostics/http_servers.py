"""HTTP servers on loopback for the health pane: 200, 500, a redirect, and one that never answers."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        code = {"/ok": 200, "/fail": 500, "/missing": 404, "/moved": 301}.get(self.path, 404)
        body = b"fine\n" if code == 200 else b"nope\n"
        self.send_response(code)
        if code == 301:
            self.send_header("Location", "/ok")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class HealthServers:
    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        # accepts connections (the kernel backlog) but never reads or answers
        self.silent = socket.socket()
        self.silent.bind(("127.0.0.1", 0))
        self.silent.listen(16)

    def start(self) -> "HealthServers":
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    @property
    def never(self) -> str:
        return f"http://127.0.0.1:{self.silent.getsockname()[1]}/health"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.silent.close()
