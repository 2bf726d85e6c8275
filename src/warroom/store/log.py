"""The local log: every event this terminal knows, in one SQLite file.

WAL with ``synchronous=FULL``: an event is on disk when ``append`` returns. The outbox row
that tells the sync worker to publish an event is written in the same transaction, so a
crash can never keep one without the other. Hot paths use the raw ``sqlite3`` connection;
sqlite-utils (≈60 ms to import) is loaded only to create or migrate the schema.

A process opens two: the reader, for the console's and the CLI's reads, which no other
thread writes on, and the writer (:meth:`Room.writer_log`) every commit goes through. On one
connection shared by threads a read would wait behind another thread's statement and could
see its uncommitted rows; each method here takes the log's lock, so the threads sharing the
writer take turns and never read inside another's transaction.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import WarroomError
from ..model.events import Event, label, summary

SCHEMA_VERSION = 3  # 2: the held table; 3: deliveries and the on-call cache
_COLUMNS = ("event_id", "incident_id", "kind", "label", "occurred_ms", "recorded_ms", "hlc",
            "origin", "author", "role", "summary", "payload")
_INSERT = f"INSERT OR IGNORE INTO events ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM events"
_ORDER = " ORDER BY occurred_ms, hlc, origin, event_id"
_TIMELINE = ("occurred_ms", "hlc", "origin", "event_id", "label", "author", "role", "summary", "recorded_ms")
DELIVERY_COLUMNS = ("id", "incident", "channel", "target", "request", "dedup_key", "attempts", "next_try_ms",
                    "state", "last_error", "created_ms")


class LogError(WarroomError, RuntimeError):
    """The local log file cannot be used; the message says which file and why."""


def log_error(path: Path, exc: sqlite3.Error) -> LogError:
    """A one-line account of a SQLite failure on the log at ``path``."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return LogError(f"{path}: the local log is locked by another process ({text}); "
                        "try again, or use --db for a separate file")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return LogError(f"{path}: not a readable warroom log ({text}); "
                        "move it aside or use --db for a new file")
    return LogError(f"{path}: local log error: {text}")


class NoLogError(LogError):
    """A reader was pointed at a log file that does not exist."""


class DeliveryTaken(LogError):
    """A delivery was not in the state its commit expected (another process sent, marked or
    dropped it first): the events meant to record it were not written."""


def _unwritable(path: Path) -> str | None:
    """Why the log at ``path`` (or the folder that would hold it) cannot be written, if it cannot."""
    try:
        there = path if path.exists() else next((p for p in path.absolute().parents if p.exists()), None)
        if there is None:
            return None
        if os.statvfs(there).f_flag & os.ST_RDONLY:
            return "read-only file system"
        folder = there if there.is_dir() else there.parent  # WAL puts two files beside the log
        if not os.access(there, os.W_OK) or not os.access(folder, os.W_OK | os.X_OK):
            return "permission denied"
    except OSError as exc:
        return "permission denied" if exc.errno in (errno.EACCES, errno.EPERM) else None
    return None


class LocalLog:
    def __init__(self, path: str | Path, create: bool = True) -> None:
        """Open the log at ``path``, making it (and its folder) when ``create``.

        Without ``create`` a missing file is a :class:`NoLogError` and is never made, even
        by a race: sqlite is told ``mode=rw``. Such a reader also opens a log on a read-only
        mount, where WAL cannot make its ``-shm`` file: as ``immutable`` when no ``-wal`` file
        holds commits beyond the main file, else read-only through the files already there.
        """
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            if self.path.is_dir():
                raise LogError(f"{self.path}: a folder, not a local log file")
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            elif not self.path.exists():
                raise NoLogError(f"{self.path}: no local log there (check --db; "
                                 "a command that records something creates it)")
            target = self.path if create else self.path.absolute().as_uri() + "?mode=rw"
            if not create and _unwritable(self.path) == "read-only file system":
                wal = Path(f"{self.path}-wal").exists()
                target = self.path.absolute().as_uri() + ("?mode=ro" if wal else "?mode=ro&immutable=1")
            self.conn = sqlite3.connect(target, uri=not create, isolation_level=None,
                                        check_same_thread=False, timeout=5.0)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            why = _unwritable(self.path) if "open" in str(exc) or "readonly" in str(exc) else None
            if why:
                raise LogError(f"{self.path}: cannot write the local log: {why}") from None
            raise log_error(self.path, exc) from None
        except OSError as exc:
            why = {errno.EROFS: "read-only file system", errno.EACCES: "permission denied",
                   errno.EPERM: "permission denied"}.get(exc.errno) or _unwritable(self.path)
            if why:
                raise LogError(f"{self.path}: cannot write the local log: {why}") from None
            raise LogError(f"{self.path}: cannot open the local log: {exc.strerror}") from None

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise LogError(f"{self.path}: written by a newer warroom (schema {version}, "
                           f"this one reads {SCHEMA_VERSION})")
        import sqlite_utils

        db = sqlite_utils.Database(self.conn)
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
            db["events"].create(
                {"seq": int, "event_id": str, "incident_id": str, "kind": str, "label": str,
                 "occurred_ms": int, "recorded_ms": int, "hlc": str, "origin": str, "author": str,
                 "role": str, "summary": str, "payload": str},
                pk="seq", not_null=set(_COLUMNS), if_not_exists=True)
            db["events"].create_index(["event_id"], unique=True, if_not_exists=True)
            db["events"].create_index(["incident_id", "occurred_ms", "hlc", "origin", "event_id"],
                                      if_not_exists=True)
            db["events"].create_index(["hlc"], if_not_exists=True)
            db["events"].create_index(["incident_id", "kind"], if_not_exists=True)
            # the incident list, read on every console tick: no scan of the entries
            db["events"].create_index(["kind", "occurred_ms", "incident_id"], if_not_exists=True)
            db["outbox"].create({"seq": int, "event_id": str}, pk="seq", if_not_exists=True)
            db["cursors"].create({"stream": str, "cursor": str}, pk="stream", if_not_exists=True)
            db["quarantine"].create(
                {"id": int, "received_ms": int, "source": str, "reason": str, "raw": bytes},
                pk="id", if_not_exists=True)
            # remote events dated beyond the store's clock + slack, waiting for their time
            db["held"].create({"source": str, "stream": str, "sid": str, "dated_ms": int, "reason": str},
                              pk="source", if_not_exists=True)
            # 3: posts (and pages) waiting out an outage; local to this terminal, never synced.
            # ``request`` is what the sender needs, without secrets: those are read when it goes.
            db["deliveries"].create(
                {"id": str, "incident": str, "channel": str, "target": str, "request": str,
                 "dedup_key": str, "attempts": int, "next_try_ms": int, "state": str,
                 "last_error": str, "created_ms": int},
                pk="id", not_null={"incident", "channel", "target", "request", "state"},
                defaults={"dedup_key": "", "attempts": 0, "next_try_ms": 0, "last_error": "", "created_ms": 0},
                if_not_exists=True)
            db["deliveries"].create_index(["state", "next_try_ms"], if_not_exists=True)
            # 3: who is on call, per provider and schedule, as last read (paging/page.py): shown with its age offline
            db["oncall"].create({"provider": str, "schedule": str, "person": str, "until_ms": int, "fetched_ms": int,
                                 "payload": str}, pk=("provider", "schedule"), if_not_exists=True)
            self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction, taken up front (no upgrade deadlocks), all or nothing."""
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                yield
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise log_error(self.path, exc) from None
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    def _all(self, sql: str, args: Iterable = ()) -> list[tuple]:
        with self._lock:
            return self.conn.execute(sql, args).fetchall()

    def _one(self, sql: str, args: Iterable = ()) -> tuple:
        with self._lock:
            return self.conn.execute(sql, args).fetchone()

    # -- meta ---------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key=?", (key,))
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- writes -------------------------------------------------------------------
    def append(self, events: Iterable[Event], outbox: bool = True,
               cursor: tuple[str, str] | None = None,
               delivery: tuple[str, tuple[str, ...]] | None = None) -> list[Event]:
        """Commit events (and their outbox rows, and a sync cursor) in one transaction.

        With ``delivery`` (id, the states it may be in) the delivery is marked sent in the
        same transaction, so what records a post is written exactly once: if the delivery is
        no longer in one of those states, nothing is written and :class:`DeliveryTaken` says so.

        Returns the events that were new; ones already in the log are skipped."""
        added = []
        with self._transaction():
            if delivery is not None:
                ident, states = delivery
                done = self.conn.execute(
                    f"UPDATE deliveries SET state='sent', last_error='' WHERE id=? AND state IN "
                    f"({', '.join('?' * len(states))})", (ident, *states))
                if done.rowcount != 1:
                    raise DeliveryTaken(f"{self.path}: delivery {ident} was already sent, marked or dropped")
            for event in events:
                cur = self.conn.execute(_INSERT, _row(event))
                if cur.rowcount == 1:
                    added.append(event)
                    if outbox:
                        self.conn.execute("INSERT INTO outbox(event_id) VALUES (?)", (event.event_id,))
            if cursor is not None:
                self.conn.execute("INSERT OR REPLACE INTO cursors(stream, cursor) VALUES (?, ?)", cursor)
        return added

    # -- reads --------------------------------------------------------------------
    def get(self, event_id: str) -> Event | None:
        row = self._one(f"{_SELECT} WHERE event_id=?", (event_id,))
        return _event(row) if row else None

    def incident_ids(self, matching: str = "") -> list[str]:
        """Every declared incident, oldest declaration first; with ``matching``, those whose
        id or declaration (severity, title, slug, service, impact) contains that text."""
        sql, args = "SELECT incident_id FROM events WHERE kind='declared'", []
        if matching:
            sql += " AND (incident_id LIKE ? ESCAPE '\\' OR summary LIKE ? ESCAPE '\\')"
            args = [_like(matching)] * 2
        rows = self._all(sql + " ORDER BY occurred_ms, incident_id", args)
        return list(dict.fromkeys(r[0] for r in rows))

    def statuses(self, incident_id: str | None = None) -> list[tuple[str, int, str, str]]:
        """(incident_id, declared_ms, policy, status) of every incident (or of one), oldest
        declaration first: the status that wins (the last in event order, as the fold has it),
        read without folding any incident. The "+" keeps the planner on the (incident_id, kind)
        index: the incident's order index would walk every entry after its last status change."""
        one = " AND d.incident_id = ?" if incident_id is not None else ""
        rows = self._all(
            "SELECT d.incident_id, d.occurred_ms, json_extract(d.payload, '$.policy'), coalesce(("
            " SELECT json_extract(s.payload, '$.status') FROM events s"
            " WHERE s.incident_id = d.incident_id AND s.kind = 'status'"
            " AND (+s.occurred_ms, s.hlc, s.origin, s.event_id) > (d.occurred_ms, d.hlc, d.origin, d.event_id)"
            " ORDER BY +s.occurred_ms DESC, s.hlc DESC, s.origin DESC, s.event_id DESC LIMIT 1),"
            " json_extract(d.payload, '$.status'))"
            f" FROM events d WHERE d.kind = 'declared'{one} ORDER BY d.occurred_ms, d.incident_id",
            () if incident_id is None else (incident_id,))
        first: dict[str, tuple] = {}
        for row in rows:
            first.setdefault(row[0], row)
        return list(first.values())

    def events(self, incident_id: str, until_ms: int | None = None,
               with_entries: bool = True) -> list[Event]:
        sql, args = f"{_SELECT} WHERE incident_id=?", [incident_id]
        if not with_entries:
            sql += " AND kind != 'entry'"
        if until_ms is not None:
            sql += " AND occurred_ms <= ?"
            args.append(until_ms)
        return [_event(row) for row in self._all(sql + _ORDER, args)]

    def timeline(self, incident_id: str, offset: int = 0, limit: int = -1,
                 kinds: frozenset[str] | None = None, text: str = "",
                 from_end: bool = False) -> list[tuple]:
        """A page of timeline rows in order, without decoding payloads:
        (occurred_ms, hlc, origin, event_id, label, author, role, summary, recorded_ms).

        With ``from_end`` the offset counts back from the latest row: the index is walked
        backwards, so the page on screen costs the same at 100 rows as at 100,000."""
        where, args = _timeline_where(incident_id, kinds, text)
        order = _ORDER.replace(",", " DESC,") + " DESC" if from_end else _ORDER
        rows = self._all(f"SELECT {', '.join(_TIMELINE)} FROM events WHERE {where}{order} LIMIT ? OFFSET ?",
                         (*args, limit, offset))
        return rows[::-1] if from_end else rows

    def timeline_count(self, incident_id: str, kinds: frozenset[str] | None = None, text: str = "",
                       after_seq: int = 0, upto_seq: int | None = None) -> int:
        """How many rows pass the filter; with ``after_seq`` only those committed since."""
        where, args = _timeline_where(incident_id, kinds, text)
        if after_seq:
            # "+" keeps the planner off the incident index: the few rows since after_seq are
            # a rowid range, where the index would walk the whole incident (10 ms at 100k).
            where = "+" + where + " AND seq > ?"
            args.append(after_seq)
        if upto_seq is not None:
            where += " AND seq <= ?"
            args.append(upto_seq)
        return self._one(f"SELECT count(*) FROM events WHERE {where}", args)[0]

    def entry_count(self, incident_id: str, until_ms: int | None = None) -> int:
        sql, args = "SELECT count(*) FROM events WHERE incident_id=? AND kind='entry'", [incident_id]
        if until_ms is not None:
            sql += " AND occurred_ms <= ?"
            args.append(until_ms)
        return self._one(sql, args)[0]

    def latest_hlc(self, not_after: str | None = None) -> str | None:
        """The newest clock stamp in the log, ignoring any beyond ``not_after``."""
        if not_after is None:
            return self._one("SELECT max(hlc) FROM events")[0]
        return self._one("SELECT max(hlc) FROM events WHERE hlc <= ?", (not_after,))[0]

    def last_seq(self) -> int:
        return self._one("SELECT coalesce(max(seq), 0) FROM events")[0]

    def since(self, seq: int) -> Iterator[tuple[int, Event]]:
        """Events committed after ``seq`` (by this or another process), in commit order."""
        for row in self._all(f"SELECT seq, {', '.join(_COLUMNS)} FROM events WHERE seq > ? ORDER BY seq", (seq,)):
            yield row[0], _event(row[1:])

    def data_version(self) -> int:
        """Changes when another connection commits: a cheap "anything new?" probe."""
        return self._one("PRAGMA data_version")[0]

    # -- sync: outbox, cursors, quarantine
    def outbox_batch(self, limit: int = 500, after_seq: int = 0) -> list[tuple[int, Event]]:
        """The oldest events waiting to be published, with their outbox seq, in commit order."""
        with self._lock:
            rows = self.conn.execute(
                f"SELECT o.seq, {', '.join('e.' + c for c in _COLUMNS)} FROM outbox o "
                "JOIN events e ON e.event_id = o.event_id WHERE o.seq > ? ORDER BY o.seq LIMIT ?",
                (after_seq, limit)).fetchall()
        return [(row[0], _event(row[1:])) for row in rows]

    def outbox_done(self, rows: list[tuple[int, str]]) -> None:
        """Forget published outbox rows, matched on (seq, event_id): seqs can be reused."""
        with self._transaction():
            self.conn.executemany("DELETE FROM outbox WHERE seq = ? AND event_id = ?", rows)

    def get_many(self, event_ids: list[str]) -> dict[str, Event]:
        """The events among ``event_ids`` this log already holds, by id."""
        found = {}
        with self._lock:
            for i in range(0, len(event_ids), 500):
                chunk = event_ids[i:i + 500]
                rows = self.conn.execute(f"{_SELECT} WHERE event_id IN ({', '.join('?' * len(chunk))})",
                                         chunk).fetchall()
                found.update((row[0], _event(row)) for row in rows)
        return found

    def landed(self, event_ids: list[str], upto_seq: int) -> set[str]:
        """Which of ``event_ids`` the log holds, committed at or before ``upto_seq``."""
        rows = self._all(f"SELECT event_id FROM events WHERE seq <= ? AND event_id IN "
                         f"({', '.join('?' * len(event_ids))})", (upto_seq, *event_ids))
        return {row[0] for row in rows}

    def outbox_size(self) -> int:
        with self._lock:
            return self.conn.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def events_after(self, seq: int, limit: int = 1000) -> list[tuple[int, Event]]:
        """A page of every event in commit order (for re-publishing to a store that lost them)."""
        with self._lock:
            rows = self.conn.execute(f"SELECT seq, {', '.join(_COLUMNS)} FROM events WHERE seq > ? "
                                     "ORDER BY seq LIMIT ?", (seq, limit)).fetchall()
        return [(row[0], _event(row[1:])) for row in rows]

    def published_counts(self) -> dict[str, int]:
        """Per incident, how many events the log holds that are not waiting in the outbox:
        the ones the store should have (the sync audit compares them with its count)."""
        with self._lock:
            return dict(self.conn.execute(
                "SELECT incident_id, count(*) FROM events WHERE event_id NOT IN "
                "(SELECT event_id FROM outbox) GROUP BY incident_id").fetchall())

    def published_ids(self, incident_id: str, after_seq: int = 0, limit: int = 1000) -> list[tuple[int, str]]:
        """A page of (seq, event_id) of an incident's events not waiting in the outbox."""
        with self._lock:
            return self.conn.execute(
                "SELECT seq, event_id FROM events WHERE incident_id = ? AND seq > ? AND event_id NOT IN "
                "(SELECT event_id FROM outbox) ORDER BY seq LIMIT ?", (incident_id, after_seq, limit)).fetchall()

    def cursors(self) -> dict[str, str]:
        with self._lock:
            return dict(self.conn.execute("SELECT stream, cursor FROM cursors").fetchall())

    def add_streams(self, streams: list[str], cursor: tuple[str, str]) -> None:
        """Remember newly found streams (from cursor 0) and move the index cursor, atomically."""
        with self._transaction():
            self.conn.executemany("INSERT OR IGNORE INTO cursors(stream, cursor) VALUES (?, '0-0')",
                                  [(s,) for s in streams])
            self.conn.execute("INSERT OR REPLACE INTO cursors(stream, cursor) VALUES (?, ?)", cursor)

    def reset_cursors(self) -> None:
        with self._lock:
            self.conn.execute("DELETE FROM cursors")

    def quarantine(self, source: str, reason: str, raw: bytes,
                   cursor: tuple[str, str] | None = None) -> None:
        """Keep a refused entry (once per source) and move the cursor past it, in one transaction."""
        with self._transaction():
            self.conn.execute(
                "INSERT INTO quarantine(received_ms, source, reason, raw) SELECT "
                "CAST(strftime('%s','now') AS INTEGER) * 1000, ?, ?, ? "
                "WHERE NOT EXISTS (SELECT 1 FROM quarantine WHERE source = ?)",
                (source, reason, raw, source))
            if cursor is not None:
                self.conn.execute("INSERT OR REPLACE INTO cursors(stream, cursor) VALUES (?, ?)", cursor)

    def hold(self, source: str, stream: str, sid: str, dated_ms: int, reason: str,
             cursor: tuple[str, str] | None = None) -> None:
        """Keep a reference to an entry dated too far ahead to apply yet, and move the cursor
        past it, in one transaction; :meth:`due_held` gives it back once its time comes."""
        with self._transaction():
            self.conn.execute("INSERT OR IGNORE INTO held(source, stream, sid, dated_ms, reason) "
                              "VALUES (?, ?, ?, ?, ?)", (source, stream, sid, dated_ms, reason))
            if cursor is not None:
                self.conn.execute("INSERT OR REPLACE INTO cursors(stream, cursor) VALUES (?, ?)", cursor)

    def held(self, not_after: int | None = None) -> list[tuple[str, str, str, int, str]]:
        """(source, stream, sid, dated_ms, reason) of held entries, those due by ``not_after``."""
        sql, args = "SELECT source, stream, sid, dated_ms, reason FROM held", ()
        if not_after is not None:
            sql, args = sql + " WHERE dated_ms <= ?", (not_after,)
        with self._lock:
            return self.conn.execute(sql + " ORDER BY dated_ms", args).fetchall()

    def release(self, source: str) -> None:
        with self._lock:
            self.conn.execute("DELETE FROM held WHERE source = ?", (source,))

    # -- the on-call cache: who the paging providers said is on call (paging/page.py) ----
    def replace_on_call(self, provider: str, schedules: list[str], rows: list[tuple]) -> None:
        """Replace the rows of ``schedules`` for one provider, in one transaction; each row is
        (schedule, person, until_ms, fetched_ms, payload)."""
        with self._transaction():
            self.conn.executemany("DELETE FROM oncall WHERE provider = ? AND schedule = ?",
                                  [(provider, s) for s in schedules])
            self.conn.executemany(
                "INSERT OR REPLACE INTO oncall(provider, schedule, person, until_ms, fetched_ms, payload) "
                "VALUES (?, ?, ?, ?, ?, ?)", [(provider, *row) for row in rows])

    def on_call_rows(self) -> list[tuple[str, str, str, int, int, str]]:
        """(schedule, provider, person, until_ms, fetched_ms, payload), by schedule."""
        with self._lock:
            return self.conn.execute("SELECT schedule, provider, person, until_ms, fetched_ms, payload "
                                     "FROM oncall ORDER BY schedule, provider").fetchall()

    def holds_local_state(self) -> bool:
        """Anything besides events kept here: posts or pages waiting, the on-call cache."""
        with self._lock:
            return any(self.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
                       for table in ("deliveries", "oncall"))

    # -- deliveries: posts and pages waiting out an outage (comms/outbox.py) -------------
    def add_delivery(self, row: dict) -> None:
        with self._transaction():
            self.conn.execute(f"INSERT INTO deliveries ({', '.join(DELIVERY_COLUMNS)}) VALUES "
                              f"({', '.join('?' * len(DELIVERY_COLUMNS))})",
                              tuple(row[c] for c in DELIVERY_COLUMNS))

    def claim_deliveries(self, now_ms: int, lease_ms: int, states: tuple[str, ...], ids: list[str] | None = None,
                         due_only: bool = True, limit: int = 20) -> list[tuple]:
        """Take deliveries to send, in one transaction: those in ``states`` (due by ``now_ms``
        when ``due_only``; only ``ids`` when given) become "sending" until ``now_ms + lease_ms``,
        one more attempt each. Returns their rows as they were before, so a caller can tell a
        "sending" left behind by a process that stopped. Two processes never take the same one."""
        where = f"state IN ({', '.join('?' * len(states))})"
        args: list = list(states)
        if due_only:
            where += " AND next_try_ms <= ?"
            args.append(now_ms)
        if ids is not None:
            where += f" AND id IN ({', '.join('?' * len(ids))})"
            args += ids
        with self._transaction():
            rows = self.conn.execute(f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM deliveries WHERE {where} "
                                     "ORDER BY next_try_ms, created_ms LIMIT ?", (*args, limit)).fetchall()
            self.conn.executemany("UPDATE deliveries SET state='sending', attempts=attempts+1, next_try_ms=? "
                                  "WHERE id=?", [(now_ms + lease_ms, row[0]) for row in rows])
        return rows

    def set_delivery(self, ident: str, from_states: tuple[str, ...], **changes) -> bool:
        """Change a delivery still in one of ``from_states``; False if it was not."""
        cols = [c for c in changes if c in DELIVERY_COLUMNS and c != "id"]
        with self._transaction():
            done = self.conn.execute(
                f"UPDATE deliveries SET {', '.join(f'{c}=?' for c in cols)} WHERE id=? AND state IN "
                f"({', '.join('?' * len(from_states))})", (*(changes[c] for c in cols), ident, *from_states))
        return done.rowcount == 1

    def deliveries(self, states: tuple[str, ...] | None = None, incident: str | None = None,
                   ident: str | None = None) -> list[tuple]:
        """Delivery rows (DELIVERY_COLUMNS), oldest first."""
        where, args = ["1=1"], []
        if states is not None:
            where.append(f"state IN ({', '.join('?' * len(states))})")
            args += states
        if incident is not None:
            where.append("incident = ?")
            args.append(incident)
        if ident is not None:
            where.append("id = ?")
            args.append(ident)
        return self._all(f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM deliveries WHERE {' AND '.join(where)} "
                         "ORDER BY created_ms, id", args)

    def delivery_counts(self, states: tuple[str, ...]) -> tuple[int, int | None]:
        """How many deliveries are in ``states``, and the earliest next try among them."""
        row = self._one(f"SELECT count(*), min(next_try_ms) FROM deliveries WHERE state IN "
                        f"({', '.join('?' * len(states))})", states)
        return row[0], row[1]

    def quarantined(self) -> list[tuple[str, str, bytes]]:
        """(source, reason, raw) of every refused entry, oldest first."""
        with self._lock:
            return self.conn.execute("SELECT source, reason, raw FROM quarantine ORDER BY id").fetchall()

    def close(self) -> None:
        with self._lock:
            self.conn.close()


def _like(text: str) -> str:
    """A LIKE pattern (with ESCAPE '\\') for rows that contain ``text`` literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _timeline_where(incident_id: str, kinds: frozenset[str] | None, text: str) -> tuple[str, list]:
    where, args = "incident_id=?", [incident_id]
    if kinds:
        where += f" AND label IN ({', '.join('?' * len(kinds))})"
        args += sorted(kinds)
    if text:
        pattern = _like(text)
        where += " AND (summary LIKE ? ESCAPE '\\' OR author LIKE ? ESCAPE '\\')"
        args += [pattern, pattern]
    return where, args


def _row(event: Event) -> tuple:
    return (event.event_id, event.incident_id, event.kind, label(event), event.occurred_ms,
            event.recorded_ms, event.hlc, event.origin, event.author, event.role, summary(event),
            json.dumps(event.payload, ensure_ascii=False, separators=(",", ":")))


def timeline_row(event: Event) -> tuple:
    """The row :meth:`LocalLog.timeline` gives for ``event``, made without the database."""
    return (event.occurred_ms, event.hlc, event.origin, event.event_id, label(event), event.author,
            event.role, summary(event), event.recorded_ms)


def _event(row: tuple) -> Event:
    (event_id, incident_id, kind, _label, occurred, recorded, hlc, origin, author, role,
     _summary, payload) = row
    return Event(event_id, incident_id, kind, json.loads(payload), author, role, occurred,
                 recorded, hlc, origin)
