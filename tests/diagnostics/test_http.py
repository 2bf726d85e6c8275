"""HTTP health with curl -f semantics against real loopback servers."""

from __future__ import annotations

import time

import pytest

from warroom.diagnostics.base import BAD, OK, WARN
from warroom.diagnostics.http_health import HttpDiagnostic, verdict

from ..services.http import HealthServers


@pytest.fixture
def web():
    servers = HealthServers().start()
    yield servers
    servers.stop()


def test_curl_f_verdicts():
    assert verdict(200) == (True, "ok")
    assert verdict(302, "/x") == (True, "redirect → /x")
    assert verdict(404)[0] is False and verdict(503) == (False, "HTTP 503")


def test_statuses_latency_and_last_failure(web, clock):
    urls = [web.url("/ok"), web.url("/fail"), web.url("/moved"), web.never]
    diag = HttpDiagnostic(", ".join(urls), clock=clock, timeout=0.5)
    start = time.monotonic()
    snap = diag.fetch()
    assert time.monotonic() - start < 2.5, "URLs are checked in parallel"
    rows = {r.key: r for r in snap.rows}
    assert rows[urls[0]].cells[1] == "200" and rows[urls[0]].level == OK and rows[urls[0]].cells[2].endswith("ms")
    assert rows[urls[1]].cells[1] == "500" and rows[urls[1]].level == BAD
    assert rows[urls[1]].cells[4] == "14:00:00Z HTTP 500"
    assert rows[urls[2]].cells[1] == "301" and rows[urls[2]].level == WARN
    assert rows[urls[2]].cells[3] == "redirect → /ok"
    assert rows[urls[3]].cells[3].startswith("timed out") and rows[urls[3]].level == BAD
    assert snap.summary[0] == "2/4 passing"
    clock.advance(minutes=1)
    snap = diag.fetch()
    assert {r.key: r for r in snap.rows}[urls[0]].cells[4] == "-"
    assert {r.key: r for r in snap.rows}[urls[1]].cells[4] == "14:01:00Z HTTP 500"
    diag.close()


def test_refused_and_no_url(clock):
    from ..services import free_port

    snap = HttpDiagnostic(f"http://127.0.0.1:{free_port()}/", clock=clock).fetch()
    assert snap.rows[0].cells[3].startswith("refused") and snap.rows[0].level == BAD
    assert HttpDiagnostic("", clock=clock).fetch().error.startswith("error: no URL")
