"""Redis pane against a real redis-server: exact hit rates from known hits and misses."""

from __future__ import annotations

from warroom.diagnostics.redis_stats import HitRateTracker, RedisDiagnostic, sparkline


def test_hit_rate_is_exact_over_the_interval(redis_server, clock):
    c = redis_server.client()
    c.set("k", "v")
    c.get("k"), c.get("nope")  # before the first sample: not counted in the interval
    diag = RedisDiagnostic(redis_server.url, clock=clock)
    first = diag.fetch()
    assert first.ok and first.extra["hit_rate"] is None
    for _ in range(7):
        c.get("k")
    for i in range(3):
        c.get(f"missing-{i}")
    snap = diag.fetch()
    assert (snap.extra["interval_hits"], snap.extra["interval_misses"]) == (7, 3)
    assert snap.extra["hit_rate"] == 0.7
    assert snap.rows[0].cells[1] == "70.0%"
    assert snap.extra["hit_rate_total"] == 8 / 12
    c.get("nope")
    third = diag.fetch()
    assert third.extra["hit_rate"] == 0.0 and third.extra["history"] == [0.7, 0.0]
    diag.close()


def test_restart_resets_the_delta(redis_server, clock):
    c = redis_server.client()
    c.set("k", "v")
    diag = RedisDiagnostic(redis_server.url, clock=clock)
    for _ in range(5):
        c.get("k")
    diag.fetch()
    redis_server.restart(empty=True)
    after = diag.fetch()
    assert after.ok and after.extra["hit_rate"] is None and after.extra["restarts"] == 1
    c = redis_server.client()
    c.get("nope")
    assert diag.fetch().extra["hit_rate"] == 0.0
    diag.close()


def test_tracker_detects_uptime_going_down():
    t = HitRateTracker()
    t.feed({"uptime_in_seconds": 100, "run_id": "a", "keyspace_hits": 90, "keyspace_misses": 10}, 0)
    iv = t.feed({"uptime_in_seconds": 102, "run_id": "a", "keyspace_hits": 99, "keyspace_misses": 11}, 2)
    assert iv.hit_rate == 0.9
    assert t.feed({"uptime_in_seconds": 1, "run_id": "a", "keyspace_hits": 1, "keyspace_misses": 0}, 4) is None
    assert sparkline([0.0, 0.5, 1.0, None]) == "▁▅█ "


def test_auth_and_refused(tmp_path, clock):
    from ..services import free_port
    from ..services.redis import RedisServer

    server = RedisServer(tmp_path / "r", password="s3cret-pw").start()
    try:
        snap = RedisDiagnostic(server.url.replace("s3cret-pw", "bad"), clock=clock).fetch()
        assert snap.error.startswith("auth failed") and "bad" not in snap.target
    finally:
        server.stop()
    snap = RedisDiagnostic(f"redis://127.0.0.1:{free_port()}/0", clock=clock).fetch()
    assert snap.error.startswith("refused")
