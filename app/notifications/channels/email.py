"""E-mail over SMTP with aiosmtplib.

``TINBAO_SMTP_URL``: ``smtp://[user:pass@]host:port`` uses STARTTLS when the server offers
it; ``?starttls=require`` refuses to send without it; ``smtps://host:465`` is implicit TLS.
The server's certificate is verified against the system CAs, plus ``TINBAO_SMTP_CA_FILE``
when set (an internal CA).
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from app.core.config import Settings
from app.notifications.channels import Outgoing, SendFailed

TIMEOUT_SECONDS = 10


def build_message(settings: Settings, *, to: str, message: Outgoing) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = to
    mail["Subject"] = message.title
    mail["Date"] = formatdate(localtime=False)
    domain = parseaddr(settings.mail_from)[1].partition("@")[2] or "tinbao.invalid"
    mail["Message-ID"] = make_msgid(idstring=message.notice_id, domain=domain)
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-TinBao-Notice"] = message.notice_id
    mail.set_content(message.body, charset="utf-8")  # (clears Content-* headers set before)
    mail["Content-Language"] = message.locale
    return mail


def _tls_context(settings: Settings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.smtp_ca_file:
        context.load_verify_locations(cafile=str(settings.smtp_ca_file))
    return context


async def send(settings: Settings, *, to: str, message: Outgoing) -> None:
    url = urlsplit(settings.smtp_url or "")
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise SendFailed("TINBAO_SMTP_URL is not smtp:// or smtps://")
    implicit = url.scheme == "smtps"
    require = parse_qs(url.query).get("starttls", [""])[0] == "require"
    try:
        await aiosmtplib.send(
            build_message(settings, to=to, message=message),
            hostname=url.hostname,
            port=url.port or (465 if implicit else 25),
            username=unquote(url.username) if url.username else None,
            password=unquote(url.password) if url.password else None,
            use_tls=implicit,
            start_tls=None if implicit else (True if require else None),
            tls_context=_tls_context(settings),
            timeout=TIMEOUT_SECONDS,
        )
    except aiosmtplib.SMTPException as exc:
        raise SendFailed(f"smtp: {type(exc).__name__}") from None
    except (OSError, TimeoutError) as exc:
        raise SendFailed(f"smtp: {type(exc).__name__}") from None
