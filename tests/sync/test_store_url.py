import pytest

from warroom.sync.url import parse_store_url, StoreUrlError


def test_tls_url_with_acl_user_and_password():
    cfg = parse_store_url("rediss://scribe:p%40ss@store.example:6380/3")
    assert (cfg.host, cfg.port, cfg.db, cfg.username, cfg.password, cfg.tls) == \
        ("store.example", 6380, 3, "scribe", "p@ss", True)
    assert cfg.display == "rediss://scribe@store.example:6380/3"
    assert "p@ss" not in repr(cfg) and "p%40ss" not in cfg.display
    assert cfg.client_kwargs()["ssl"] is True


def test_plain_redis_to_loopback_is_fine_elsewhere_refused_unless_opted_in():
    assert parse_store_url("redis://127.0.0.1:7000").port == 7000
    assert parse_store_url("redis://localhost").port == 6379
    assert parse_store_url("redis://[::1]:7000/0").host == "::1"
    with pytest.raises(StoreUrlError) as err:
        parse_store_url("redis://ic:hunter2@redis.internal:6379/0")
    assert "--store-insecure" in str(err.value) and "hunter2" not in str(err.value)
    assert parse_store_url("redis://ic:hunter2@redis.internal", allow_insecure=True).password == "hunter2"


@pytest.mark.parametrize("url, words", [
    ("http://u:hunter2@host", "must start with redis://"),
    ("redis://", "no host"),
    ("redis://127.0.0.1/x", "database number"),
    ("redis://127.0.0.1:99999", "cannot read"),
    ("redis://127.0.0.1/0?evil=1", "unknown option"),
])
def test_bad_urls_say_why_without_the_password(url, words):
    with pytest.raises(StoreUrlError) as err:
        parse_store_url(url)
    assert words in str(err.value) and "hunter2" not in str(err.value)


def test_status_words_and_skew_warning():
    from warroom.sync.status import SyncStatus

    assert SyncStatus("live", pending=0).text == "live"
    assert SyncStatus("offline", pending=1).text == "offline · 1 event waiting"
    assert SyncStatus("catching up", pending=12).text == "catching up · 12 events waiting"
    assert SyncStatus(skew_ms=29_000).skew_warning == ""
    assert SyncStatus(skew_ms=-300_000).skew_warning == "clock 300s behind the store"


@pytest.mark.parametrize("raw", [b"not json", b"[]", b'{"user": "x"}', b"x" * 5000,
                                 b'{"user": 1, "origin": "o", "seen_ms": "soon"}'])
def test_hostile_presence_records_are_ignored(raw):
    from warroom.sync.status import parse_presence

    assert parse_presence(raw) is None


def test_presence_text_is_cleaned():
    from warroom.sync.status import parse_presence

    peer = parse_presence(b'{"user": "\\u001b]0;X\\u0007eve", "role": "[@click=app.quit]", '
                          b'"origin": "o1", "seen_ms": 1795356000000, "incident_id": null}')
    assert (peer.user, peer.role, peer.incident_id) == ("]0;Xeve", "[@click=app.quit]", None)


def test_status_segment_is_text_not_markup():
    from warroom.sync.status import Presence, SyncStatus
    from warroom.ui.widgets.panels import sync_status_text

    peers = [Presence("[@click=app.quit]", "IC", "i1", "o1", 1), Presence("bob", "", None, "o2", 1)]
    text = sync_status_text(SyncStatus("offline", pending=2, skew_ms=45_000, peers=peers))
    assert text.plain == ("○ offline · 2 events waiting · ⚠ clock 45s ahead of the store"
                          " · with [@click=app.quit]·IC, bob")
    assert text.style == "bold red"
