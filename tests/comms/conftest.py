from __future__ import annotations

import httpx
import pytest

from ..services.http import Stub


@pytest.fixture
def stub(request):
    """A real HTTP server on loopback; a test module's ``HOOK`` path answers 200 to POSTs."""
    server = Stub().start()
    hook = getattr(request.module, "HOOK", None)
    if hook:
        server.routes[("POST", hook)] = lambda req: (200, {}, b"ok")
    yield server
    server.stop()


@pytest.fixture
def client():
    with httpx.Client() as c:
        yield c
