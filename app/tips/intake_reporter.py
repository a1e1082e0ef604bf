"""Who filed a tip: the reporter's identity and notification contact, stored encrypted with
the tip (a Front member files under their own name and organisation; an anonymous reporter
leaves only a contact, if any)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization
from app.core.principal import Principal
from app.core.rows import Rows
from app.core.security import DataCipher
from app.tips import notify_contact
from app.tips.intake_rules import is_front
from app.tips.models import ReporterIdentity, Tip
from app.tips.schemas import TipCreate

# Written at intake only, by a Core INSERT (app.core.rows): no unit of work.
_IDENTITY_ROWS = Rows(ReporterIdentity)


async def store_reporter(
    session: AsyncSession,
    *,
    tip: Tip,
    data: TipCreate,
    actor: Principal | None,
    organization: Organization | None,
    cipher: DataCipher,
) -> None:
    """The reporter's identity and notification contact, encrypted."""
    identity = _reporter_identity(data, actor=actor, organization=organization)
    if identity is not None:
        await _store_identity(session, tip=tip, identity=identity, cipher=cipher)
    await notify_contact.store(
        session,
        tip_id=tip.id,
        contact=notify_contact.contact_from_intake(data, identity),
        cipher=cipher,
    )


async def _store_identity(
    session: AsyncSession, *, tip: Tip, identity: dict[str, Any], cipher: DataCipher
) -> None:
    """The reporter's identity, encrypted and bound to the tip's id."""
    key_id, blob = cipher.encrypt(
        json.dumps(identity, ensure_ascii=False).encode(), aad=tip.id.encode()
    )
    row = _IDENTITY_ROWS.row({"tip_id": tip.id, "key_id": key_id, "ciphertext": blob})
    await session.execute(_IDENTITY_ROWS.insert, row)


def _reporter_identity(
    data: TipCreate, *, actor: Principal | None, organization: Organization | None
) -> dict[str, Any] | None:
    reporter = data.reporter
    if is_front(actor) and actor is not None:
        identity: dict[str, Any] = {
            "full_name": actor.full_name or actor.label,
            "phone": reporter.phone if reporter else None,
            "email": reporter.email if reporter else None,
            "address": reporter.address if reporter else None,
            "organization_name": organization.name if organization else None,
        }
        return identity
    if data.anonymous or reporter is None:
        return None
    identity = {
        "full_name": reporter.full_name,
        "phone": reporter.phone,
        "email": reporter.email,
        "address": reporter.address,
    }
    if data.on_behalf_of_organization:
        identity["organization_name"] = data.organization_name
        identity["organization_tax_code"] = data.organization_tax_code
    return identity
