"""Send a digest as a multipart (plain text + HTML) message over SMTP."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid

from ..errors import DeliveryError
from ..types import SmtpSettings


def build_message(settings: SmtpSettings, recipients: Sequence[str], subject: str, text: str,
                  html: str) -> EmailMessage:
    """Return the message; header values with line breaks are refused (no header injection)."""
    for value in (settings.sender, subject, *recipients):
        if "\r" in value or "\n" in value:
            raise DeliveryError(f"refused a header value with a line break: {value[:60]!r}")
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


@contextmanager
def connect(settings: SmtpSettings) -> Iterator[smtplib.SMTP]:
    """Yield a client connected and greeted as the settings say: TLS from the start, or
    upgraded with STARTTLS, or plain. smtplib's and ssl's errors pass through."""
    context = ssl.create_default_context()
    if settings.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port,
                                                timeout=settings.timeout, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with client:
        client.ehlo()
        if settings.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        yield client


def reach(settings: SmtpSettings) -> None:
    """Connect and greet the server without sending (monitor doctor --smtp); raise
    DeliveryError saying what failed."""
    try:
        with connect(settings) as client:
            client.noop()
    except (smtplib.SMTPException, OSError, ssl.SSLError) as e:
        raise DeliveryError(f"cannot reach {settings.host}:{settings.port}: {e}") from e


def send(settings: SmtpSettings, message: EmailMessage, recipients: Sequence[str],
         password: str | None) -> None:
    """Deliver the message; raise DeliveryError saying what failed."""
    where = f"{settings.host}:{settings.port}"
    try:
        with connect(settings) as client:
            if settings.user:
                if not password:
                    raise DeliveryError(f"SMTP user {settings.user!r} is set but "
                                        "MONITOR_SMTP_PASSWORD is not")
                client.login(settings.user, password)
            refused = client.send_message(message, from_addr=settings.sender,
                                          to_addrs=list(recipients))
    except DeliveryError:
        raise
    except smtplib.SMTPAuthenticationError as e:
        detail = e.smtp_error.decode(errors="replace") if isinstance(e.smtp_error, bytes) \
            else str(e.smtp_error)
        raise DeliveryError(f"SMTP login to {where} refused: {e.smtp_code} {detail}") from e
    except smtplib.SMTPRecipientsRefused as e:
        raise DeliveryError(f"{where} refused every recipient: {sorted(e.recipients)}") from e
    except (smtplib.SMTPException, OSError, ssl.SSLError) as e:
        raise DeliveryError(f"cannot deliver through {where}: {type(e).__name__}: {e}") from e
    if refused:
        raise DeliveryError(f"{where} refused some recipients: {sorted(refused)}")
