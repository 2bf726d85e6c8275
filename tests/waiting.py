"""The one way tests wait for something another thread, process or worker does.

``wait_until`` blocks (threads, processes, servers); ``until`` is the same inside an event
loop, where blocking would stop the very app being waited on: under Pilot it lets the app
run between looks (``pilot=``), otherwise it sleeps on the loop. Both return True, so
``assert until(...)`` reads as it does, and fail with what was awaited, never a bare False.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition",
               every: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)
    return True


async def until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition", *,
                pilot=None, every: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        if pilot is not None:
            await pilot.pause(every)
        else:
            await asyncio.sleep(every)
    return True
