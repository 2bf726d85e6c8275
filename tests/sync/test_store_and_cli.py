"""Bulk offline work, credentials, and the CLI's push and ``warroom sync``."""

from __future__ import annotations

import json

import pytest

from tests.services.redis import RedisServer
from warroom.cli import main
from warroom.sync.engine import SyncEngine, SyncError

from .conftest import converged


def test_10000_events_written_offline_are_pushed_in_order(terminal, redis_server):
    (a, a_sync), (b, b_sync) = terminal("a", start=False), terminal("b", start=False)
    incident = a.declare("Written on a plane", "SEV3")
    a._commit([a._event(incident.id, "entry", {"kind": "note", "text": f"offline {i}"}, None)
               for i in range(9_999)])
    assert a.log.outbox_size() == 10_000
    order = [e.event_id for _, e in a.log.outbox_batch(20_000)]

    assert a_sync.sync_once() == (10_000, 0)  # reads its own back: nothing new, cursor moves
    assert a.log.outbox_size() == 0
    entries = redis_server.client().xrange(f"warroom:inc:{incident.id}")
    assert [json.loads(f[b"e"])["event_id"] for _, f in entries] == order
    assert a.log.cursors()[f"warroom:inc:{incident.id}"] == entries[-1][0].decode()
    assert b_sync.sync_once() == (0, 10_000)
    assert converged([a, b], incident.id, events=10_000)
    assert a_sync.sync_once() == (0, 0) and b_sync.sync_once() == (0, 0)


def test_password_protected_store_refuses_a_client_without_credentials(tmp_path, make_room):
    server = RedisServer(tmp_path / "locked", password="s3cret-pw").start()
    try:
        room = make_room("alice")
        room.declare("Locked store", "SEV4")
        bare = f"redis://127.0.0.1:{server.port}/0"
        with pytest.raises(SyncError) as err:
            SyncEngine(room, bare).sync_once(timeout=2)
        assert "unreachable" in str(err.value) and "auth" in str(err.value).lower()
        assert room.log.outbox_size() == 1
        with pytest.raises(SyncError) as err:
            SyncEngine(room, f"redis://:wrong-pw@127.0.0.1:{server.port}/0").sync_once(timeout=2)
        assert "wrong-pw" not in str(err.value)

        admin = server.client()
        # least privilege: the store's keys only, no admin or dangerous commands
        admin.execute_command("ACL", "SETUSER", "scribe", "on", ">scribe-pw", "~warroom:*", "+@read",
                              "+@write", "+@stream", "+@scripting", "+@connection", "+time",
                              "-@dangerous", "+scan")
        acl_url = f"redis://scribe:scribe-pw@127.0.0.1:{server.port}/0"
        assert SyncEngine(room, acl_url).sync_once(timeout=2) == (1, 0)
        assert room.log.outbox_size() == 0
    finally:
        server.stop()


def test_a_password_on_the_command_line_gets_a_warning(tmp_path, capsys, monkeypatch):
    server = RedisServer(tmp_path / "pw", password="cli-pw").start()
    try:
        db = ["--db", str(tmp_path / "a.db"), "--as", "alice"]
        url = f"redis://:cli-pw@127.0.0.1:{server.port}/0"
        code, _, err = _run(capsys, *db, "--store", url, "sync")
        assert code == 0 and "set WARROOM_STORE instead" in err and "cli-pw" not in err
        monkeypatch.setenv("WARROOM_STORE", url)
        code, _, err = _run(capsys, *db, "sync")
        assert code == 0 and "WARROOM_STORE instead" not in err
    finally:
        server.stop()


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_commands_push_what_they_write_and_sync_pulls(tmp_path, redis_server, capsys, monkeypatch):
    monkeypatch.setenv("WARROOM_STORE", redis_server.url)
    a, b = ["--db", str(tmp_path / "a.db"), "--as", "alice"], ["--db", str(tmp_path / "b.db"), "--as", "bob"]
    code, out, _ = _run(capsys, *a, "declare", "CLI incident", "--severity", "SEV2")
    incident_id = out.strip()
    assert code == 0 and redis_server.client().xlen(f"warroom:inc:{incident_id}") == 1
    assert _run(capsys, *a, "note", "from the shell")[0] == 0
    assert redis_server.client().xlen(f"warroom:inc:{incident_id}") == 2

    code, out, _ = _run(capsys, *b, "sync")
    assert code == 0 and out.strip().endswith("pushed 0, pulled 2")
    code, out, _ = _run(capsys, *b, "show", incident_id, "--json")
    assert json.loads(out)["severity"] == "SEV2"


def test_cli_without_the_store_keeps_data_and_says_so_in_one_line(tmp_path, redis_server, capsys):
    db = ["--db", str(tmp_path / "a.db"), "--as", "alice"]
    url = redis_server.url
    code, out, _ = _run(capsys, *db, "--store", url, "declare", "Before the outage", "--severity", "SEV3")
    incident_id = out.strip()
    redis_server.kill()

    code, out, err = _run(capsys, *db, "--store", url, "note", "during the outage")
    assert code == 0 and len(err.strip().splitlines()) == 1 and "1 event(s) wait" in err
    code, out, err = _run(capsys, *db, "--store", url, "sync", "--timeout", "1")
    assert code != 0 and out == "" and len(err.strip().splitlines()) == 1
    assert "unreachable" in err and "1 event(s) waiting" in err

    redis_server.start()
    code, out, err = _run(capsys, *db, "--store", url, "sync")
    assert code == 0 and "pushed 1" in out
    assert redis_server.client().xlen(f"warroom:inc:{incident_id}") == 2


def test_sync_without_a_store_or_with_an_insecure_one_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("WARROOM_STORE", raising=False)
    db = ["--db", str(tmp_path / "a.db")]
    code, _, err = _run(capsys, *db, "sync")
    assert code == 2 and "no store configured" in err
    code, _, err = _run(capsys, *db, "--store", "redis://u:pw@192.0.2.1/0", "sync")
    assert code == 2 and "--store-insecure" in err and "pw@" not in err

    from argparse import Namespace

    from warroom.cli.sync import allow_insecure

    assert not allow_insecure(Namespace())
    monkeypatch.setenv("WARROOM_STORE_INSECURE", "1")
    assert allow_insecure(Namespace()) and allow_insecure(Namespace(store_insecure=True))
