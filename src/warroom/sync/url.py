"""The shared store's address: parsed, checked and redacted before anything uses it.

A store URL carries an ACL user and password, so it is only ever shown redacted, and a
plain ``redis://`` URL to another machine would send that password and every incident
in clear text: it is refused unless the user opts in (``--store-insecure``). Loopback
needs no opt-in; ``rediss://`` (TLS) never does.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import WarroomError
from ..model.safe_text import redact

DEFAULT_PORT = 6379
_TLS_OPTIONS = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_cert_reqs")


class StoreUrlError(WarroomError, ValueError):
    """A store URL that cannot or must not be used; the message never holds the password."""


@dataclass(frozen=True)
class StoreConfig:
    host: str
    port: int = DEFAULT_PORT
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    tls_options: dict = field(default_factory=dict)
    prefix: str = "warroom"

    @property
    def display(self) -> str:
        """The URL as it may be shown: scheme, user, host, port, db; never the password."""
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'rediss' if self.tls else 'redis'}://{user}{host}:{self.port}/{self.db}"

    def client_kwargs(self) -> dict:
        kw = dict(host=self.host, port=self.port, db=self.db, username=self.username,
                  password=self.password)
        if self.tls:
            kw["ssl"] = True
            kw.update(self.tls_options)
        return kw


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_store_url(url: str, allow_insecure: bool = False) -> StoreConfig:
    """Check a ``redis://`` / ``rediss://`` URL; raise StoreUrlError saying what is wrong.

    >>> parse_store_url("rediss://ops:s3cret@store.example:6380/2").display
    'rediss://ops@store.example:6380/2'
    >>> parse_store_url("redis://10.0.0.5")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    warroom.sync.url.StoreUrlError: refusing plain redis:// to 10.0.0.5: the password and every incident would ...
    """
    text = (url or "").strip()
    shown = redact(text)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise StoreUrlError(f"cannot read store URL {shown!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("redis", "rediss"):
        raise StoreUrlError(f"store URL {shown!r} must start with redis:// or rediss:// (TLS)")
    host = parts.hostname or ""
    if not host:
        raise StoreUrlError(f"store URL {shown!r} has no host")
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise StoreUrlError(f"store URL {shown!r}: the path must be a database number, not {path!r}")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - set(_TLS_OPTIONS) - {"prefix"}
    if unknown:
        raise StoreUrlError(f"store URL {shown!r}: unknown option(s) {', '.join(sorted(unknown))}")
    tls = scheme == "rediss"
    if not tls and not is_loopback(host) and not allow_insecure:
        raise StoreUrlError(
            f"refusing plain redis:// to {host}: the password and every incident would cross the "
            "network unencrypted; use rediss://, or opt in with --store-insecure "
            "(WARROOM_STORE_INSECURE=1)")
    prefix = query.pop("prefix", "warroom")
    if not prefix.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise StoreUrlError(f"store URL {shown!r}: prefix must be letters, digits, '-', '_' or '.'")
    return StoreConfig(
        host=host, port=port or DEFAULT_PORT, db=int(path or 0),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls, tls_options={k: v for k, v in query.items() if k in _TLS_OPTIONS},
        prefix=prefix)
