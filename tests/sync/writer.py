"""A terminal in a process of its own, for the kill -9 tests.

``python -m tests.sync.writer DB URL MODE [N]``
- ``notes``: declare, then write notes with the engine running, printing each event id
  once committed; runs until killed.
- ``xadd-then-die``: write N notes with no engine, publish them to the store, and
  SIGKILL itself before the outbox rows are cleared.
"""

from __future__ import annotations

import os
import signal
import sys

from warroom.room import Room
from warroom.store.log import LocalLog
from warroom.sync.engine import SyncEngine


def main(db: str, url: str, mode: str, n: int = 0) -> None:
    room = Room(LocalLog(db), "writer")
    if mode == "notes":
        engine = SyncEngine(room, url)
        engine.start()
        incident = room.declare("Writer under fire", "SEV2")
        print(f"incident {incident.id} {incident.id}", flush=True)
        i = 0
        while True:
            event = room.note(incident.id, f"note {i}")
            print(f"committed {event.event_id}", flush=True)
            i += 1
    elif mode == "xadd-then-die":
        incident = room.declare("Dies after XADD", "SEV3")
        for i in range(n):
            room.note(incident.id, f"note {i}")
        engine = SyncEngine(room, url)
        client = engine._client(5.0)
        engine._publish(client, [e for _, e in room.log.outbox_batch(10_000)])
        print(f"incident {incident.id} published", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0)
