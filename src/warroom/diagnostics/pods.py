"""Pods: kubectl's columns, kept live by a list then a watch, with events and logs for one pod.

The STATUS column (CrashLoopBackOff, OOMKilled, Init:…, Terminating) is not a field of the
Pod: kubectl's printer derives it, and :func:`pod_status` does the same, on the JSON dict the
API returns. The kubernetes client is asked for raw JSON (``_preload_content=False``): typed
deserialisation costs ≈ 7× the CPU. The pane lists once, then a watch thread applies changes
to a cache; a 410 Gone (stale resourceVersion) makes it list again.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..model.safe_text import clean
from ..model.times import humanize
from .base import BAD, ColumnLayout, Diagnostic, DIM, OK, Row, Snapshot, WARN

COLUMNS = ("NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "LAST STATE", "AGE", "NODE")
# In a narrow pane: which pod, what state it is in, why it last died (OOMKilled) and how often.
LAYOUT = ColumnLayout(keep=("NAME", "STATUS", "LAST STATE", "RESTARTS"),
                      cut=(("LAST STATE", 9), ("RESTARTS", 3), ("STATUS", 9), ("NAME", 8)),
                      middle=("NAME",), rest=("READY", "AGE", "NODE", "NAMESPACE"))
BAD_REASONS = {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "OOMKilled", "Error",
               "CreateContainerConfigError", "CreateContainerError", "InvalidImageName",
               "RunContainerError", "Evicted", "Failed", "Unknown", "ContainerStatusUnknown"}
WARN_REASONS = {"Pending", "Terminating", "ContainerCreating", "PodInitializing", "NotReady",
                "SchedulingGated"}


def _ts(text: str | None) -> int | None:
    """RFC 3339 from the API server to epoch ms."""
    if not text:
        return None
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


@dataclass(frozen=True)
class PodView:
    namespace: str
    name: str
    ready: str
    status: str
    restarts: int
    last_restart_ms: int | None
    last_state: str
    created_ms: int | None
    node: str
    healthy: bool

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


def _terminated_reason(term: dict, prefix: str = "") -> str:
    if term.get("reason"):
        return prefix + term["reason"]
    if term.get("signal"):
        return f"{prefix}Signal:{term['signal']}"
    return f"{prefix}ExitCode:{term.get('exitCode', 0)}"


def pod_status(pod: dict) -> PodView:
    """READY, STATUS and RESTARTS exactly as ``kubectl get pods`` prints them."""
    meta, spec, status = pod.get("metadata", {}), pod.get("spec", {}), pod.get("status", {})
    phase = status.get("phase", "")
    reason = status.get("reason") or phase
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    init_specs = {c["name"]: c for c in spec.get("initContainers") or []}
    sidecar = {n for n, c in init_specs.items() if c.get("restartPolicy") == "Always"}
    total = len(spec.get("containers") or []) + len(sidecar)
    ready = restarts = sidecar_restarts = 0
    last_restart = sidecar_last = None

    def later(a, b):
        return b if a is None or (b is not None and b > a) else a

    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for i, c in enumerate(init_statuses):
        restarts += c.get("restartCount", 0)
        finished = _ts(((c.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
        last_restart = later(last_restart, finished)
        if c.get("name") in sidecar:
            sidecar_restarts += c.get("restartCount", 0)
            sidecar_last = later(sidecar_last, finished)
        state = c.get("state") or {}
        term, wait = state.get("terminated"), state.get("waiting")
        if term and term.get("exitCode", 0) == 0:
            continue
        if c.get("name") in sidecar and c.get("started"):
            ready += bool(c.get("ready"))
            continue
        if term:
            reason = _terminated_reason(term, "Init:")
        elif wait and wait.get("reason") and wait["reason"] != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    initialized = any(c.get("type") == "Initialized" and c.get("status") == "True"
                      for c in status.get("conditions") or [])
    last_state = ""
    if not initializing or initialized:
        restarts, last_restart = sidecar_restarts, sidecar_last
        has_running = False
        for c in reversed(status.get("containerStatuses") or []):
            restarts += c.get("restartCount", 0)
            last_term = (c.get("lastState") or {}).get("terminated")
            if last_term:
                last_restart = later(last_restart, _ts(last_term.get("finishedAt")))
                if not last_state or last_term.get("reason") == "OOMKilled":
                    last_state = f"{_terminated_reason(last_term)} (exit {last_term.get('exitCode', '?')})"
            state = c.get("state") or {}
            wait, term = state.get("waiting"), state.get("terminated")
            if wait and wait.get("reason"):
                reason = wait["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = _terminated_reason(term)
            elif c.get("ready") and "running" in state:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            ready_cond = any(c.get("type") == "Ready" and c.get("status") == "True"
                             for c in status.get("conditions") or [])
            reason = "Running" if ready_cond else "NotReady"
    if meta.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    healthy = reason in ("Running", "Completed", "Succeeded") and (reason != "Running" or ready == total)
    return PodView(meta.get("namespace", ""), meta.get("name", ""), f"{ready}/{total}", reason, restarts,
                   last_restart, last_state, _ts(meta.get("creationTimestamp")),
                   spec.get("nodeName") or "<none>", healthy)


def status_level(view: PodView) -> str:
    if view.status in BAD_REASONS or view.status.startswith(("Init:Error", "Init:CrashLoop", "Init:OOM",
                                                                "Init:ImagePull", "Init:ExitCode", "ExitCode",
                                                                "Signal", "Init:Signal")):
        return BAD
    if view.status == "Completed" or view.status == "Succeeded":
        return DIM
    if not view.healthy or view.status.startswith("Init:") or view.status in WARN_REASONS:
        return WARN
    if "OOMKilled" in view.last_state:
        return WARN
    return OK


def _stable_until(since_ms: int, now_ms: int) -> int:
    """When ``humanize(now - since)`` next changes: each second under a minute, else each minute."""
    span = now_ms - since_ms
    step = 1000 if span < 60_000 else 60_000 if span < 48 * 3600_000 else 3600_000
    return since_ms + (span // step + 1) * step


def pod_row(view: PodView, now_ms: int, cache: dict | None = None) -> Row:
    """One table row; ``cache`` reuses it while the pod is unchanged and its ages read the same."""
    if cache is not None:
        hit = cache.get(view.key)
        if hit is not None and hit[0] is view and now_ms < hit[1]:
            return hit[2]
    age = humanize(now_ms - view.created_ms) if view.created_ms else "-"
    ago = humanize(now_ms - view.last_restart_ms) if view.restarts and view.last_restart_ms else ""
    restarts = f"{view.restarts} ({ago} ago)" if ago else str(view.restarts)
    level = status_level(view)
    last = view.last_state or "-"
    row = Row(view.key, (view.namespace, view.name, view.ready, view.status, restarts, last, age, view.node),
              level, _LEVELS[(level, "OOMKilled" in last)])
    if cache is not None:
        until = min(_stable_until(view.created_ms, now_ms) if view.created_ms else 1 << 62,
                    _stable_until(view.last_restart_ms, now_ms) if ago else 1 << 62)
        cache[view.key] = (view, until, row)
    return row


_LEVELS = {(level, oom): ((3, level), (5, BAD if oom else "")) for level in (OK, WARN, BAD, DIM, "")
           for oom in (False, True)}


def build(source: str, target: str, taken_ms: int, views: list[PodView], note: str = "",
          cache: dict | None = None) -> Snapshot:
    rows = sorted((pod_row(v, taken_ms, cache) for v in views), key=lambda r: (r.rank, r.key))
    unhealthy = sum(r.level in (BAD, WARN) for r in rows)
    by_status: dict[str, int] = {}
    for v in views:
        by_status[v.status] = by_status.get(v.status, 0) + 1
    summary = [f"{len(views)} pods, {unhealthy} unhealthy: "
               + ", ".join(f"{k} {n}" for k, n in sorted(by_status.items(), key=lambda kv: -kv[1]))]
    if note:
        summary.append(note)
    return Snapshot(source, target, taken_ms, COLUMNS, rows, summary, ranked=True, layout=LAYOUT,
                    extra={"pods": len(views), "unhealthy": unhealthy, "by_status": by_status})


def parse_target(target: str) -> tuple[str | None, str | None, str]:
    """``[context/]namespace[?selector]`` → (context, namespace, label selector).

    ``*`` as namespace means all namespaces; an empty one means the context's own.
    """
    head, _, selector = target.strip().partition("?")
    context, _, namespace = head.rpartition("/")
    return (context or None), (namespace or None), selector.strip()


class Gone(Exception):
    """The resourceVersion is too old (HTTP 410): list again."""


class PodsDiagnostic(Diagnostic):
    name = "pods"
    title = "Kubernetes pods"
    target_help = "[context/]namespace[?label-selector], e.g. prod/api?app=api; * = all namespaces; " \
                  "context 'in-cluster' uses the service account"
    default_interval = 2.0
    floor = 0.5

    def __init__(self, target: str = "", clock=None, kubeconfig: str | None = None, watch: bool = False,
                 timeout: float = 5.0, **options: Any) -> None:
        super().__init__(target, clock, **options)
        self.context, self.namespace, self.selector = parse_target(target)
        self.kubeconfig = kubeconfig
        self.watching = watch
        self.timeout = timeout
        self._api = None
        self._pods: dict[str, PodView] = {}
        self._lock = threading.Lock()
        self._rv = ""
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._resp = None
        self.watch_error = ""
        self.relists = 0
        self.changes = 0
        self._row_cache: dict = {}

    # -- client ---------------------------------------------------------------------
    def _core(self):
        if self._api is None:
            import os

            from kubernetes import client, config

            if self.context == "in-cluster":
                cfg = client.Configuration()
                config.load_incluster_config(client_configuration=cfg)
                api_client = client.ApiClient(cfg)
                self.namespace = self.namespace or _incluster_namespace()
            else:
                path = self.kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
                api_client = config.new_client_from_config(config_file=path, context=self.context)
                if self.namespace is None:
                    contexts, active = config.list_kube_config_contexts(path)
                    chosen = next((c for c in contexts if c["name"] == self.context), active)
                    self.namespace = (chosen or {}).get("context", {}).get("namespace") or "default"
            self._api = client.CoreV1Api(api_client)
        return self._api

    def _call(self, **kw):
        core = self._core()
        kw.setdefault("_request_timeout", self.timeout)
        if self.selector:
            kw["label_selector"] = self.selector
        if self.namespace == "*":
            return core.list_pod_for_all_namespaces(_preload_content=False, **kw)
        return core.list_namespaced_pod(self.namespace, _preload_content=False, **kw)

    def _list(self) -> None:
        from kubernetes.client.exceptions import ApiException

        try:
            data = json.loads(self._call().data)
        except ApiException as exc:
            raise RuntimeError(_api_error(exc)) from None
        views = {}
        for pod in data.get("items") or []:
            view = pod_status(pod)
            views[view.key] = view
        with self._lock:
            self._pods = views
            self._rv = (data.get("metadata") or {}).get("resourceVersion", "")

    # -- watch ----------------------------------------------------------------------
    def _watch_once(self) -> None:
        from kubernetes.client.exceptions import ApiException
        from kubernetes.watch.watch import iter_resp_lines

        try:
            resp = self._call(watch=True, resource_version=self._rv, allow_watch_bookmarks=True,
                              timeout_seconds=300, _request_timeout=(self.timeout, 330))
        except ApiException as exc:
            if exc.status == 410:
                raise Gone() from None
            raise RuntimeError(_api_error(exc)) from None
        self._resp = resp
        try:
            for line in iter_resp_lines(resp):
                if self._stop.is_set():
                    return
                if line:
                    self._apply(json.loads(line))
        finally:
            self._resp = None
            resp.release_conn()

    def _apply(self, event: dict) -> None:
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise Gone()
            raise RuntimeError(clean(str(obj.get("message", "watch error"))))
        rv = (obj.get("metadata") or {}).get("resourceVersion", "")
        if kind == "BOOKMARK":
            self._rv = rv or self._rv
            return
        view = pod_status(obj)
        with self._lock:
            if kind == "DELETED":
                self._pods.pop(view.key, None)
            else:
                self._pods[view.key] = view
            self._rv = rv or self._rv
            self.changes += 1

    def _watch_loop(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                self._watch_once()
                self.watch_error = ""
                backoff = 0.2
            except Gone:
                self.relists += 1
                try:
                    self._list()
                    self.watch_error = ""
                except Exception as exc:
                    self.watch_error = f"re-list failed: {clean(str(exc))[:200]}"
                    self._stop.wait(backoff)
            except Exception as exc:
                if self._stop.is_set():
                    return
                from .base import describe_error

                self.watch_error = f"watch: {describe_error(exc)}"
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    # -- diagnostic -----------------------------------------------------------------
    @property
    def display_target(self) -> str:
        return clean(self.target) or "(current context)"

    def collect(self) -> Snapshot:
        if not self.watching:
            self._list()
        elif self._thread is None:
            self._list()
            self._thread = threading.Thread(target=self._watch_loop, daemon=True, name="pods-watch")
            self._thread.start()
        with self._lock:
            views = list(self._pods.values())
        note = f"⚠ {self.watch_error}" if self.watch_error else ""
        if len(self._row_cache) > 2 * len(views) + 100:
            self._row_cache.clear()
        return build(self.name, self.display_target, self.clock(), views, note, self._row_cache)

    def detail(self, key: str) -> list[str]:
        """Events and a log tail for one pod (``namespace/name``)."""
        namespace, _, name = key.partition("/")
        core = self._core()
        lines = [f"events for {key}:"]
        try:
            raw = core.list_namespaced_event(namespace, field_selector=f"involvedObject.name={name}",
                                             _preload_content=False, _request_timeout=self.timeout)
            items = json.loads(raw.data).get("items") or []
            items.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
            for e in items[-15:]:
                count = f" ×{e['count']}" if e.get("count", 1) > 1 else ""
                lines.append(f"  {e.get('type', '')} {e.get('reason', '')}{count}: {e.get('message', '')}")
            if not items:
                lines.append("  (none)")
        except Exception as exc:
            lines.append(f"  events unavailable: {clean(str(exc)).splitlines()[0][:200]}")
        lines.append("log tail:")
        try:
            raw = core.read_namespaced_pod_log(name, namespace, tail_lines=20, _preload_content=False,
                                               _request_timeout=self.timeout)
            text = clean(raw.data.decode("utf-8", "replace"))  # whole: a key spans lines
            lines += ["  " + ln for ln in text.splitlines()[-20:]] or ["  (empty)"]
        except Exception as exc:
            lines.append(f"  log unavailable: {clean(str(exc)).splitlines()[0][:200]}")
        return [clean(ln) for ln in lines]

    def close(self) -> None:
        self._stop.set()
        resp = self._resp
        if resp is not None:
            try:
                resp.shutdown()
            except Exception:
                pass
        if self._thread is not None:
            self._thread.join(2)


def _api_error(exc) -> str:
    reason = {401: "auth failed", 403: "auth failed (forbidden)", 404: "not found"}.get(exc.status, "error")
    message = ""
    try:
        message = json.loads(exc.body).get("message", "")
    except Exception:
        pass
    return f"{reason}: HTTP {exc.status} {exc.reason or ''} {message}".strip()


def _incluster_namespace() -> str:
    try:
        with open("/var/run/secrets/kubernetes.io/serviceaccount/namespace") as f:
            return f.read().strip() or "default"
    except OSError:
        return "default"
