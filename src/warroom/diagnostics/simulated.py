"""Drill sources: every pane fed from a scenario that plays out over time, with no infrastructure.

A scenario gives, per pane, keyframes at minutes since the drill began (``[[pods.at]]`` with
``minute = 3, oomkilled = 2``); values between keyframes are interpolated. The simulator builds
the same raw shapes the real sources get (Pod JSON, pg_stat_activity rows, INFO dicts, HTTP
results) and hands them to the real builders, so a drill exercises the same columns, colours
and evidence text the team will see in a real incident.
"""

from __future__ import annotations

from typing import Any, Callable

from . import http_health, pods, postgres, redis_stats
from .base import Diagnostic, Snapshot

PANES = ("pods", "postgres", "redis", "http")


def value_at(keyframes: list[dict], name: str, minute: float, default: float = 0.0) -> float:
    """Linear interpolation of one field over keyframes sorted by minute; flat outside them."""
    points = sorted((float(k.get("minute", 0)), float(k[name])) for k in keyframes if name in k)
    if not points:
        return default
    if minute <= points[0][0]:
        return points[0][1]
    for (m0, v0), (m1, v1) in zip(points, points[1:]):
        if minute <= m1:
            return v0 + (v1 - v0) * (minute - m0) / (m1 - m0) if m1 > m0 else v1
    return points[-1][1]


def _iso(ms: int) -> str:
    from ..model.times import iso

    return iso(ms).replace(".000Z", "Z")


class SimulatedDiagnostic(Diagnostic):
    """One pane of a drill; ``kind`` picks which real source it imitates."""

    default_interval = 2.0
    floor = 0.5

    def __init__(self, target: str = "", clock: Callable[[], int] | None = None, kind: str = "pods",
                 spec: dict[str, Any] | None = None, started_ms: int | None = None, **options: Any) -> None:
        super().__init__(target or f"drill:{kind}", clock, **options)
        if kind not in PANES:
            raise ValueError(f"no simulation for {kind!r} (one of: {', '.join(PANES)})")
        self.kind, self.name = kind, kind
        self.spec = spec or {}
        self.frames = list(self.spec.get("at") or [{"minute": 0}])
        self.started_ms = self.clock() if started_ms is None else started_ms
        self.tracker = redis_stats.HitRateTracker()
        self._counters = {"hits": 0.0, "misses": 0.0, "commands": 0.0, "evicted": 0.0}
        self._last_minute: float | None = None
        self.last_failure: dict[str, tuple[int, str]] = {}
        self.title = f"{kind} (drill)"

    @property
    def display_target(self) -> str:
        return f"drill:{self.spec.get('target', self.kind)}"

    def minute(self) -> float:
        return max(0.0, (self.clock() - self.started_ms) / 60_000)

    def v(self, name: str, default: float = 0.0) -> float:
        return value_at(self.frames, name, self.minute(), default)

    def collect(self) -> Snapshot:
        return getattr(self, f"_{self.kind}")()

    def act(self, action: str, key: str) -> str:
        if self.kind != "postgres" or action not in ("cancel", "terminate"):
            raise ValueError(f"{self.kind} has no action {action!r}")
        return f"{action} pid {int(key)}: simulated (drill)"

    # -- pods -----------------------------------------------------------------------
    def _pods(self) -> Snapshot:
        now = self.clock()
        ns, app = self.spec.get("namespace", "production"), self.spec.get("app", "api")
        replicas = int(self.spec.get("replicas", 6))
        counts = [("oomkilled", int(round(self.v("oomkilled")))), ("crashloop", int(round(self.v("crashloop")))),
                  ("pending", int(round(self.v("pending")))), ("terminating", int(round(self.v("terminating"))))]
        restarts = int(round(self.v("restarts", 3)))
        states: list[str] = []
        for state, n in counts:
            states += [state] * n
        states = (states + ["running"] * replicas)[:replicas]
        created = _iso(self.started_ms - 3 * 3600_000)
        last_fail = _iso(now - 45_000)
        views = []
        for i, state in enumerate(states):
            status: dict[str, Any] = {"name": "app", "ready": True, "restartCount": 0,
                                      "state": {"running": {"startedAt": created}}, "lastState": {}}
            phase, meta_extra = "Running", {}
            if state in ("oomkilled", "crashloop"):
                reason = "OOMKilled" if state == "oomkilled" else "Error"
                status.update(ready=False, restartCount=restarts,
                              state={"waiting": {"reason": "CrashLoopBackOff"}},
                              lastState={"terminated": {"reason": reason,
                                                        "exitCode": 137 if state == "oomkilled" else 1,
                                                        "finishedAt": last_fail}})
            elif state == "pending":
                phase, status = "Pending", None
            elif state == "terminating":
                meta_extra = {"deletionTimestamp": _iso(now - 20_000)}
            pod = {"metadata": {"name": f"{app}-7d9f8-{i:05d}"[:40], "namespace": ns, "creationTimestamp": created,
                                **meta_extra},
                   "spec": {"containers": [{"name": "app"}],
                            "nodeName": None if phase == "Pending" else f"node-{i % 3 + 1}"},
                   "status": {"phase": phase, "containerStatuses": [status] if status else []}}
            views.append(pods.pod_status(pod))
        return pods.build("pods", self.display_target, now, views)

    # -- postgres -------------------------------------------------------------------
    def _postgres(self) -> Snapshot:
        max_conn = int(self.spec.get("max_connections", 100))
        active, idle = int(round(self.v("active", 3))), int(round(self.v("idle", 20)))
        waiting, slow = int(round(self.v("waiting"))), self.v("slow_seconds", 0.2)
        states = [(s, n) for s, n in (("idle", idle), ("active", active + waiting),
                                      ("idle in transaction", int(round(self.v("idle_in_transaction"))))) if n]
        rows = []
        blocker = 4100 if waiting else None
        if blocker:
            rows.append((blocker, "app", "shop", "idle in transaction", "Client", "ClientRead", slow * 4, [],
                         "UPDATE orders SET status = $1 WHERE id = $2"))
        for i in range(active):
            rows.append((4200 + i, "app", "shop", "active", "", "", slow * (1 + i % 3) / 2, [],
                         "SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC"))
        for i in range(waiting):
            rows.append((4300 + i, "app", "shop", "active", "Lock", "transactionid", slow, [blocker],
                         "UPDATE orders SET status = $1 WHERE id = $2"))
        statements = [("SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC", 18230,
                       slow * 1000, slow * 18230_000),
                      ("UPDATE orders SET status = $1 WHERE id = $2", 4410, slow * 300, slow * 1323_000)]
        return postgres.build("postgres", self.display_target, self.clock(), states, max_conn, rows, statements)

    # -- redis ----------------------------------------------------------------------
    def _redis(self) -> Snapshot:
        minute = self.minute()
        dt = 0.0 if self._last_minute is None else (minute - self._last_minute) * 60
        self._last_minute = minute
        ops, rate = self.v("ops", 1500), self.v("hit_rate", 0.95)
        reads = ops * dt * 0.8
        c = self._counters
        c["hits"] += reads * rate
        c["misses"] += reads * (1 - rate)
        c["commands"] += ops * dt
        c["evicted"] += self.v("evictions_per_s") * dt
        mb = 1024 * 1024
        info = {"redis_version": "7.2.4 (drill)", "uptime_in_seconds": int(86400 + minute * 60), "run_id": "drill",
                "keyspace_hits": int(c["hits"]), "keyspace_misses": int(c["misses"]),
                "total_commands_processed": int(c["commands"]), "evicted_keys": int(c["evicted"]),
                "connected_clients": int(self.v("clients", 40)), "blocked_clients": 0,
                "used_memory": int(self.v("memory_mb", 300) * mb),
                "maxmemory": int(self.spec.get("maxmemory_mb", 512)) * mb,
                "instantaneous_ops_per_sec": int(ops)}
        interval = self.tracker.feed(info, minute * 60)
        return redis_stats.build("redis", self.display_target, self.clock(), info, interval, self.tracker)

    # -- http -----------------------------------------------------------------------
    def _http(self) -> Snapshot:
        urls = list(self.spec.get("urls") or ["https://api.example.com/health"])
        failing, latency = int(round(self.v("failing"))), self.v("latency_ms", 80)
        status = int(self.v("status", 503))
        checks = []
        for i, url in enumerate(urls):
            if i < failing:
                check = http_health.Check(url, status, latency, False, f"HTTP {status}") if status else \
                    http_health.Check(url, None, None, False, "timed out after 3s (drill)")
            else:
                check = http_health.Check(url, 200, latency, True, "ok")
            checks.append(check)
            if not check.ok:
                self.last_failure[url] = (self.clock(), check.detail)
        return http_health.build("http", self.display_target, self.clock(), checks, self.last_failure)
