"""Web Push with VAPID (RFC 8292) and an aes128gcm-encrypted payload (RFC 8291), by
pywebpush. ``TINBAO_VAPID_PRIVATE_KEY`` is the P-256 key (base64url raw 32 bytes, DER, or
PEM); clients subscribe with the public key from ``GET /notifications/vapid-public-key``."""

from __future__ import annotations

import base64
import json
from typing import Any

import anyio
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from app.core.config import Settings
from app.notifications.channels import Outgoing, SendFailed

TTL_SECONDS = 24 * 3600


def vapid_key(settings: Settings) -> Vapid:
    raw = (settings.vapid_private_key or "").strip()
    if "BEGIN" in raw:
        key = serialization.load_pem_private_key(raw.encode(), password=None)
        return Vapid(key)
    return Vapid.from_string(raw)


def public_key(settings: Settings) -> str:
    """The application server key clients pass to ``pushManager.subscribe``."""
    point = vapid_key(settings).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()


def _send_blocking(settings: Settings, subscription: dict[str, Any], payload: str) -> None:
    webpush(
        subscription_info=subscription,
        data=payload,
        vapid_private_key=vapid_key(settings),
        vapid_claims={"sub": settings.vapid_subject},
        content_encoding="aes128gcm",
        ttl=TTL_SECONDS,
        timeout=10,
    )


async def send(settings: Settings, *, subscription: Any, message: Outgoing) -> None:
    payload = json.dumps(message.push, ensure_ascii=False)
    try:
        await anyio.to_thread.run_sync(_send_blocking, settings, dict(subscription), payload)
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        raise SendFailed(f"web_push: HTTP {status}") from None
    except Exception as exc:
        raise SendFailed(f"web_push: {type(exc).__name__}") from None
