"""E-mail to an audience's addresses over SMTP (``smtplib``), always with STARTTLS.

The relay and its credentials come from the environment (WARROOM_SMTP_HOST, _PORT, _USER,
_PASSWORD, _FROM; _CA_FILE to trust a private CA) or [smtp] in config.toml, never from an
event. A server that offers no STARTTLS is refused before anything is sent: the password
and the customers' addresses never cross the network in clear.

Recipients go in the envelope only (``To: undisclosed-recipients:;`` when there are more
than one), so customers never see each other's addresses. Failures say whether a later try
may work (the relay unreachable or answering 4xx) and whether the message may have gone
(the connection lost after the message was handed over): an e-mail cannot be recalled, so
that one is not sent again without asking.
"""

from __future__ import annotations

import email.utils
from email.message import EmailMessage

from ..model.safe_text import safe_line
from .outbox import DeliveryError
from .settings import Settings

TARGET = "email"


def message(settings: Settings, recipients: tuple[str, ...], subject: str, body: str, *,
            message_id: str, now_ms: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = recipients[0] if len(recipients) == 1 else "undisclosed-recipients:;"
    msg["Subject"] = " ".join(subject.split())  # one line: a header cannot carry a break
    msg["Date"] = email.utils.formatdate(now_ms / 1000, usegmt=True)
    domain = settings.smtp_from.rsplit("@", 1)[-1]
    msg["Message-ID"] = f"<warroom-{message_id}@{domain}>"  # the same on a replay: readers can tell
    msg.set_content(body)
    return msg


def send(settings: Settings, recipients: tuple[str, ...], msg: EmailMessage) -> str:
    """Hand ``msg`` to the relay for ``recipients``; what was done, or DeliveryError."""
    import smtplib
    import socket
    import ssl

    if not (settings.smtp_host and settings.smtp_from):
        raise DeliveryError(TARGET, "no SMTP relay configured (WARROOM_SMTP_HOST and WARROOM_SMTP_FROM, "
                                    "or [smtp] host and from in config.toml)")
    if not recipients:
        raise DeliveryError(TARGET, "no addresses to send to")
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        context = ssl.create_default_context(cafile=settings.smtp_ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(TARGET, f"cannot read the CA file {settings.smtp_ca_file}: "
                                    f"{getattr(exc, 'strerror', None) or exc}") from None
    try:
        conn = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(TARGET, f"cannot connect to {where} ({_why(exc)})", transient=True) from None
    try:
        _start(conn, settings, context, where)
        try:
            refused = conn.send_message(msg, settings.smtp_from, list(recipients))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(TARGET, f"{where} refused every address ({_codes(exc.recipients)})",
                                transient=all(400 <= c < 500 for c in codes)) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise DeliveryError(TARGET, f"{where} refused the message: {exc.smtp_code} {_text(exc.smtp_error)}",
                                transient=400 <= exc.smtp_code < 500) from None
        except (OSError, smtplib.SMTPServerDisconnected, socket.timeout) as exc:
            raise DeliveryError(TARGET, f"the connection to {where} was lost while sending ({_why(exc)}); "
                                        "it may have been sent", maybe_sent=True) from None
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()
    sent = len(recipients) - len(refused)
    detail = f"sent to {sent} address{'es' if sent != 1 else ''}"
    return detail + (f" ({len(refused)} refused: {_codes(refused)})" if refused else "")


def _start(conn, settings: Settings, context, where: str) -> None:
    """EHLO, STARTTLS (required), then log in when a user is set."""
    import smtplib
    import ssl

    try:
        conn.ehlo()
        if not conn.has_extn("starttls"):
            raise DeliveryError(TARGET, f"{where} offers no STARTTLS: refusing to send in clear")
        conn.starttls(context=context)
        conn.ehlo()
        if settings.smtp_user:
            conn.login(settings.smtp_user, settings.smtp_password)
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryError(TARGET, f"{where}: certificate not trusted ({exc.verify_message}); "
                                    "WARROOM_SMTP_CA_FILE names a CA to trust") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(TARGET, f"{where} refused the login of WARROOM_SMTP_USER: {exc.smtp_code} "
                                    f"{_text(exc.smtp_error)}") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(TARGET, f"{where}: {exc}") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(TARGET, f"{where}: {exc.smtp_code} {_text(exc.smtp_error)}",
                            transient=400 <= exc.smtp_code < 500) from None
    except (OSError, smtplib.SMTPException) as exc:  # nothing was handed over yet
        raise DeliveryError(TARGET, f"{where}: {_why(exc)}", transient=True) from None


def _text(raw) -> str:
    """A relay's reply, as a line safe to show."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(safe_line(text).split())[:200]


def _why(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {getattr(exc, 'strerror', None) or exc}"


def _codes(refused: dict) -> str:
    return ", ".join(f"{addr}: {code}" for addr, (code, _) in sorted(refused.items()))
