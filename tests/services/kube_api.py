"""A Kubernetes API server for tests, on loopback, at the real paths with the real JSON shapes.

It keeps pods in memory with a resourceVersion counter, answers lists, streams ``watch=true``
as chunked JSON lines, answers a watch from a compacted resourceVersion with the ERROR event
(Status code 410) the real server sends, and serves events and log tails. A bearer token is
required, so a wrong one gets the real 401.
"""

from __future__ import annotations

import bisect
import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TOKEN = "test-token-123456"


class KubeState:
    def __init__(self) -> None:
        self.rv = 100
        self.pods: dict[str, dict] = {}
        self.history: list[tuple[int, str, dict]] = []
        self.oldest = 100
        self.events: dict[str, list[dict]] = {}
        self.logs: dict[str, str] = {}
        self.cond = threading.Condition()
        self.watch_requests: list[dict] = []
        self.list_requests = 0

    def put(self, pod: dict, kind: str | None = None) -> None:
        with self.cond:
            self.rv += 1
            pod = copy.deepcopy(pod)
            pod["metadata"]["resourceVersion"] = str(self.rv)
            key = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
            kind = kind or ("MODIFIED" if key in self.pods else "ADDED")
            self.pods[key] = pod
            self.history.append((self.rv, kind, pod))
            self.cond.notify_all()

    def delete(self, namespace: str, name: str) -> None:
        with self.cond:
            pod = self.pods.pop(f"{namespace}/{name}")
            self.rv += 1
            pod = copy.deepcopy(pod)
            pod["metadata"]["resourceVersion"] = str(self.rv)
            self.history.append((self.rv, "DELETED", pod))
            self.cond.notify_all()

    def compact(self) -> None:
        """Forget history: any watch from an older resourceVersion now gets 410."""
        with self.cond:
            self.oldest = self.rv + 1
            self.history.clear()
            self.cond.notify_all()


def _matches(pod: dict, namespace: str | None, selector: str) -> bool:
    if namespace and pod["metadata"]["namespace"] != namespace:
        return False
    labels = pod["metadata"].get("labels") or {}
    for term in filter(None, selector.split(",")):
        k, _, v = term.partition("=")
        if labels.get(k.strip()) != v.strip():
            return False
    return True


def make_handler(state: KubeState):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _json(self, code: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _status(self, code: int, reason: str, message: str) -> None:
            self._json(code, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                              "message": message, "reason": reason, "code": code})

        def do_GET(self):
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._status(401, "Unauthorized", "Unauthorized")
            url = urlparse(self.path)
            q = {k: v[-1] for k, v in parse_qs(url.query).items()}
            parts = url.path.strip("/").split("/")
            if parts[:2] != ["api", "v1"]:
                return self._status(404, "NotFound", "the server could not find the requested resource")
            rest = parts[2:]
            if rest == ["pods"]:
                return self._pods(None, q)
            if len(rest) == 3 and rest[0] == "namespaces" and rest[2] == "pods":
                return self._pods(rest[1], q)
            if len(rest) == 3 and rest[0] == "namespaces" and rest[2] == "events":
                name = q.get("fieldSelector", "").partition("involvedObject.name=")[2]
                items = state.events.get(f"{rest[1]}/{name}", [])
                return self._json(200, {"kind": "EventList", "apiVersion": "v1",
                                        "metadata": {"resourceVersion": str(state.rv)}, "items": items})
            if len(rest) == 5 and rest[0] == "namespaces" and rest[2] == "pods" and rest[4] == "log":
                key = f"{rest[1]}/{rest[3]}"
                if key not in state.pods:
                    return self._status(404, "NotFound", f'pods "{rest[3]}" not found')
                lines = state.logs.get(key, "").splitlines()[-int(q.get("tailLines", "1000000")):]
                data = ("\n".join(lines) + ("\n" if lines else "")).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            return self._status(404, "NotFound", "the server could not find the requested resource")

        def _pods(self, namespace: str | None, q: dict) -> None:
            selector = q.get("labelSelector", "")
            if q.get("watch") in ("true", "1"):
                return self._watch(namespace, selector, q)
            with state.cond:
                state.list_requests += 1
                items = [p for p in state.pods.values() if _matches(p, namespace, selector)]
                body = {"kind": "PodList", "apiVersion": "v1",
                        "metadata": {"resourceVersion": str(state.rv)}, "items": items}
            self._json(200, body)

        def _send_chunk(self, obj: dict) -> None:
            data = json.dumps(obj).encode() + b"\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def _watch(self, namespace: str | None, selector: str, q: dict) -> None:
            state.watch_requests.append(q)
            rv = int(q.get("resourceVersion") or state.rv)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            timeout = float(q.get("timeoutSeconds", 300))
            try:
                with state.cond:
                    if rv < state.oldest:
                        self._send_chunk({"type": "ERROR", "object": {
                            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": f"too old resource version: {rv} ({state.oldest})",
                            "reason": "Expired", "code": 410}})
                        self.wfile.write(b"0\r\n\r\n")
                        return
                    waited = 0.0
                    while waited < timeout and not getattr(self.server, "stopping", False):
                        if rv < state.oldest:
                            break
                        start = bisect.bisect_right(state.history, rv, key=lambda h: h[0])
                        pending = [(r, k, p) for r, k, p in state.history[start:] if _matches(p, namespace, selector)]
                        for r, k, p in pending:
                            self._send_chunk({"type": k, "object": p})
                        if state.history:
                            rv = max(rv, state.history[-1][0])
                        if not state.cond.wait(0.5):
                            waited += 0.5
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


class KubeApiServer:
    def __init__(self) -> None:
        self.state = KubeState()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.state))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "KubeApiServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.stopping = True
        with self.state.cond:
            self.state.cond.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    def kubeconfig(self, path, token: str = TOKEN, namespace: str = "shop") -> str:
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "test",
            "clusters": [{"name": "loop", "cluster": {"server": self.url}}],
            "users": [{"name": "tl", "user": {"token": token}}],
            "contexts": [{"name": "test", "context": {"cluster": "loop", "user": "tl", "namespace": namespace}},
                         {"name": "badauth", "context": {"cluster": "loop", "user": "bad"}}],
        }))
        return str(path)


def pod(name: str, namespace: str = "shop", app: str = "api", phase: str = "Running", node: str = "node-1",
        created: str = "2026-11-22T12:00:00Z", containers: list[dict] | None = None,
        init: list[dict] | None = None, init_statuses: list[dict] | None = None,
        deleting: bool = False, conditions: list[dict] | None = None) -> dict:
    """A Pod as the API server returns it; ``containers`` are containerStatuses."""
    statuses = containers if containers is not None else [running("app")]
    body = {
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}", "labels": {"app": app},
                     "creationTimestamp": created},
        "spec": {"containers": [{"name": c["name"], "image": "example/app:1"} for c in statuses] or
                 [{"name": "app", "image": "example/app:1"}],
                 "nodeName": node if phase != "Pending" else None},
        "status": {"phase": phase, "conditions": conditions or [], "containerStatuses": statuses},
    }
    if init:
        body["spec"]["initContainers"] = init
        body["status"]["initContainerStatuses"] = init_statuses or []
    if deleting:
        body["metadata"]["deletionTimestamp"] = "2026-11-22T13:59:30Z"
    return body


def running(name: str, ready: bool = True, restarts: int = 0, last: dict | None = None) -> dict:
    return {"name": name, "ready": ready, "restartCount": restarts, "image": "example/app:1",
            "state": {"running": {"startedAt": "2026-11-22T12:00:05Z"}}, "lastState": last or {}}


def waiting(name: str, reason: str, restarts: int = 0, last: dict | None = None) -> dict:
    return {"name": name, "ready": False, "restartCount": restarts, "image": "example/app:1",
            "state": {"waiting": {"reason": reason, "message": f"{reason} message"}}, "lastState": last or {}}


def oom_killed(finished: str = "2026-11-22T13:58:00Z") -> dict:
    return {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": "2026-11-22T13:57:00Z",
                           "finishedAt": finished}}
