"""The channels notices leave on: e-mail (SMTP), SMS (an HTTP gateway), Web Push (VAPID).

Each channel is configured by its settings alone; one that is not configured is skipped
(staff notices are in the inbox anyway). A sender raises :class:`SendFailed` (or any error)
when the peer did not take the message; the worker counts and retries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from app.core.config import Settings


class SendFailed(Exception):
    """The peer refused or could not be reached; ``reason`` is safe to store (no content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Outgoing:
    """One notice, rendered, to one address."""

    notice_id: str  # "notice-<delivery id>": the peers' idempotency key
    locale: str
    title: str
    body: str
    sms: str
    push: dict[str, Any]


def configured(settings: Settings) -> set[str]:
    found: set[str] = set()
    if settings.smtp_url:
        found.add("email")
    if settings.sms_gateway_url and settings.sms_gateway_secret:
        found.add("sms")
    if settings.vapid_private_key:
        found.add("web_push")
    return found


async def send(
    channel: str,
    *,
    settings: Settings,
    address: Any,
    message: Outgoing,
    http: httpx.AsyncClient,
) -> None:
    if channel == "email":
        from app.notifications.channels import email

        await email.send(settings, to=str(address), message=message)
    elif channel == "sms":
        from app.notifications.channels import sms

        await sms.send(settings, to=str(address), message=message, http=http)
    elif channel == "web_push":
        from app.notifications.channels import webpush

        await webpush.send(settings, subscription=address, message=message)
    else:
        raise SendFailed(f"unknown channel {channel}")
