"""The reporter's notice contact: where notices about a tip go (never an identity).

Written at intake from ``notify`` (or an identified reporter's own phone/e-mail unless they
sent ``"notify": {}``), sealed with AES-GCM under the data keys (AAD ``notify:<tip id>``),
read only by the notification worker, deleted by ``DELETE /track/notify`` and by retention.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.rows import Rows
from app.core.security import DataCipher
from app.tips.models import ReporterNotifyContact
from app.tips.schemas import TipCreate


def contact_aad(tip_id: str) -> bytes:
    return f"notify:{tip_id}".encode()


def contact_from_intake(data: TipCreate, identity: dict[str, Any] | None) -> dict[str, Any]:
    """The contact to keep: ``notify`` when sent, else the identified reporter's own."""
    if data.notify is not None:
        return data.notify.model_dump(mode="json", exclude_none=True)
    if identity is None:
        return {}
    own = {k: identity[k] for k in ("email", "phone") if identity.get(k)}
    return {**own, "locale": "vi"}


# Written at intake only, by a Core INSERT (app.core.rows): no unit of work.
_CONTACT_ROWS = Rows(ReporterNotifyContact)


async def store(
    session: AsyncSession, *, tip_id: str, contact: dict[str, Any], cipher: DataCipher
) -> None:
    """Seal and insert the contact (nothing when it holds no address)."""
    if not any(contact.get(k) for k in ("email", "phone", "web_push")):
        return
    key_id, blob = cipher.encrypt(
        json.dumps(contact, ensure_ascii=False).encode(), aad=contact_aad(tip_id)
    )
    row = _CONTACT_ROWS.row({"tip_id": tip_id, "key_id": key_id, "ciphertext": blob})
    await session.execute(_CONTACT_ROWS.insert, row)


def open_contact(row: ReporterNotifyContact, *, cipher: DataCipher) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        cipher.decrypt(row.key_id, row.ciphertext, aad=contact_aad(row.tip_id))
    )
    return value


async def erase(session: AsyncSession, *, tip_id: str) -> bool:
    """Delete the contact; whether there was one."""
    result = await session.execute(
        delete(ReporterNotifyContact)
        .where(ReporterNotifyContact.tip_id == tip_id)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
