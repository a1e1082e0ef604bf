"""SMS through an HTTP gateway: ``POST {"to", "text", "id"}`` to ``TINBAO_SMS_GATEWAY_URL``,
signed like webhooks (``X-TinBao-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``
with ``TINBAO_SMS_GATEWAY_SECRET``). ``id`` is stable across retries, so a gateway can drop a
repeat. Any 2xx is accepted."""

from __future__ import annotations

import json

import httpx

from app.core.config import Settings
from app.integration.webhooks import SIGNATURE_HEADER, sign
from app.notifications.channels import Outgoing, SendFailed


async def send(settings: Settings, *, to: str, message: Outgoing, http: httpx.AsyncClient) -> None:
    body = json.dumps(
        {"to": to, "text": message.sms, "id": message.notice_id}, ensure_ascii=False
    ).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: sign(settings.sms_gateway_secret or "", body),
    }
    try:
        response = await http.post(settings.sms_gateway_url or "", content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise SendFailed(f"sms: {type(exc).__name__}") from None
    if not 200 <= response.status_code < 300:
        raise SendFailed(f"sms: HTTP {response.status_code}")
