"""A real SMTP server on loopback (aiosmtpd) that speaks STARTTLS with a throwaway certificate,
asks for a login, and keeps every message it accepts.

``SmtpServer(tmp_path).start()``; ``.received`` holds what it accepted (envelope, parsed message,
whether TLS and the login were used); ``.script`` takes the next behaviour for a DATA command:
``"451"`` answers "try later", ``"drop"`` keeps the message and closes the connection before
replying (a lost reply). ``stop()`` and ``start()`` again reuse the port: the relay "comes back".
"""

from __future__ import annotations

import email
import email.policy
import logging
import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import free_port

USER, PASSWORD = "warroom-mailer", "smtp-s3cret-pw"
# aiosmtpd warns of its own deprecated attribute on every login; errors still show
logging.getLogger("mail.log").setLevel(logging.ERROR)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    tls: bool
    login: str

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)

    @property
    def body(self) -> str:
        return self.message.get_content()


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run([shutil.which("openssl") or "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
    return cert, key


class SmtpServer:
    def __init__(self, folder: Path, starttls: bool = True) -> None:
        self.cert, self.key = make_cert(folder)
        self.port = free_port()
        self.starttls = starttls
        self.received: list[Received] = []
        self.script: list[str] = []
        self.data_commands = 0  # every DATA the server saw, accepted or not
        self.controller = None

    @property
    def env(self) -> dict[str, str]:
        """The WARROOM_SMTP_* settings that reach this server."""
        return {"WARROOM_SMTP_HOST": "127.0.0.1", "WARROOM_SMTP_PORT": str(self.port),
                "WARROOM_SMTP_USER": USER, "WARROOM_SMTP_PASSWORD": PASSWORD,
                "WARROOM_SMTP_FROM": "incidents@example.com", "WARROOM_SMTP_CA_FILE": str(self.cert)}

    def start(self) -> "SmtpServer":
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        server = self

        class Handler:
            async def handle_DATA(self, smtp, session, envelope):
                server.data_commands += 1
                behaviour = server.script.pop(0) if server.script else None
                if behaviour == "451":
                    return "451 4.3.0 try again later"
                server.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content,
                                                session.ssl is not None, _login(session)))
                if behaviour == "drop":
                    smtp.transport.close()  # kept, but no reply: the client cannot tell
                return "250 2.0.0 queued"

        def authenticate(smtp, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() \
                and auth_data.password == PASSWORD.encode()
            return AuthResult(success=ok, handled=False, auth_data=auth_data)

        kwargs = {}
        if self.starttls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.cert), str(self.key))
            kwargs = {"tls_context": context, "require_starttls": True}
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, authenticator=authenticate,
                                     auth_required=self.starttls, auth_require_tls=self.starttls, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def _login(session) -> str:
    data = getattr(session, "auth_data", None)
    login = getattr(data, "login", b"")
    return login.decode() if isinstance(login, bytes) else str(login or "")
