"""``rediss://``: a real redis-server speaking TLS with a throwaway certificate."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.services import free_port, wait_port
from warroom.sync.engine import SyncEngine, SyncError

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture
def tls_server(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(
        [shutil.which("redis-server"), "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
         "--tls-cert-file", str(cert), "--tls-key-file", str(key), "--tls-ca-cert-file", str(cert),
         "--tls-auth-clients", "no", "--save", "", "--requirepass", "tls-pw", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    yield port, cert
    proc.terminate()
    proc.wait(5)


def test_tls_store_with_its_ca_works_and_an_unknown_certificate_is_refused(tls_server, make_room):
    port, cert = tls_server
    room = make_room("alice")
    room.declare("Over TLS", "SEV3")
    with pytest.raises(SyncError) as err:
        SyncEngine(room, f"rediss://:tls-pw@localhost:{port}/0").sync_once(timeout=3)
    assert "certificate" in str(err.value).lower() and "tls-pw" not in str(err.value)
    assert room.log.outbox_size() == 1
    url = f"rediss://:tls-pw@localhost:{port}/0?ssl_ca_certs={cert}"
    assert SyncEngine(room, url).sync_once(timeout=3) == (1, 0)
    assert room.log.outbox_size() == 0
