"""Correction requests: the reporter's corrected contact fields, kept encrypted like the
identity (AES-GCM under the data keys, bound to the request) until staff complete the request;
completing it merges them into the identity and re-encrypts it under the current key, then
drops the request's copy. Nothing of either is logged or audited."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound, msg
from app.core.security import DataCipher
from app.privacy.models import PrivacyRequest
from app.tips.models import ReporterIdentity, Tip

CORRECTABLE_FIELDS = ("full_name", "phone", "email", "address")


def correction_aad(request_id: str) -> bytes:
    return f"privacy-correction:{request_id}".encode()


def seal_correction(request: PrivacyRequest, fields: dict[str, Any], *, cipher: DataCipher) -> None:
    """Store the corrected fields on the request, encrypted (the request has its id)."""
    corrected = {k: v for k, v in fields.items() if k in CORRECTABLE_FIELDS and v is not None}
    key_id, blob = cipher.encrypt(
        json.dumps(corrected, ensure_ascii=False).encode(), aad=correction_aad(request.id)
    )
    request.correction_key_id, request.correction_ciphertext = key_id, blob


async def apply_correction(
    session: AsyncSession, *, request: PrivacyRequest, tip: Tip, cipher: DataCipher, now: datetime
) -> list[str]:
    """Merge the corrected fields into the identity, re-encrypted under the current key; the
    names of the fields changed."""
    identity = await session.get(ReporterIdentity, tip.id)
    if identity is None or identity.ciphertext is None or request.correction_ciphertext is None:
        raise NotFound(msg("privacy.no_identity_to_correct"))
    assert request.correction_key_id is not None
    corrected: dict[str, Any] = json.loads(
        cipher.decrypt(
            request.correction_key_id, request.correction_ciphertext, aad=correction_aad(request.id)
        )
    )
    current: dict[str, Any] = json.loads(
        cipher.decrypt(identity.key_id, identity.ciphertext, aad=tip.id.encode())
    )
    changed = sorted(k for k, v in corrected.items() if current.get(k) != v)
    current.update(corrected)
    identity.key_id, identity.ciphertext = cipher.encrypt(
        json.dumps(current, ensure_ascii=False).encode(), aad=tip.id.encode()
    )
    identity.updated_at = now
    request.correction_key_id = request.correction_ciphertext = None
    return changed
