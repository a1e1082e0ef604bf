"""API keys of machine clients: created (the key shown once), listed, revoked."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import credentials
from app.accounts.models import ApiKey
from app.accounts.paging import id_after
from app.accounts.schemas import ApiKeyCreate
from app.admin_units.models import Province
from app.core import audit_log as audit
from app.core.config import Settings
from app.core.errors import NotFound, ValidationFailed, msg
from app.core.pagination import split_page
from app.core.principal import Principal
from app.core.time import utcnow


async def create_api_key(
    session: AsyncSession, *, actor: Principal, settings: Settings, data: ApiKeyCreate
) -> tuple[ApiKey, str]:
    """A new key for a machine client; the key itself is returned once and never stored."""
    if await session.get(Province, data.province_code) is None:
        raise ValidationFailed(errors=[("province_code", msg("accounts.unknown_province"))])
    key = credentials.generate_api_key()
    api_key = ApiKey(
        name=data.name,
        role=data.role,
        province_code=data.province_code,
        key_hash=credentials.api_key_hash(settings, key),
        prefix=key[: credentials.API_KEY_SHOWN_PREFIX_LENGTH],
        created_by_id=actor.id if actor.kind == "user" else None,
    )
    session.add(api_key)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="api_key.created",
        object_type="api_key",
        object_id=api_key.id,
        data={"name": api_key.name, "role": api_key.role, "province_code": api_key.province_code},
    )
    return api_key, key


async def list_api_keys(
    session: AsyncSession, *, limit: int, cursor: str | None = None
) -> tuple[Sequence[ApiKey], str | None]:
    query = select(ApiKey).order_by(ApiKey.id).limit(limit + 1)
    if cursor:
        query = query.where(ApiKey.id > id_after(cursor))
    rows = (await session.execute(query)).scalars().all()
    return split_page(rows, limit)


async def revoke_api_key(session: AsyncSession, *, actor: Principal, key_id: str) -> None:
    """Revoke a key; its next request answers 401. Revoking twice changes nothing."""
    api_key = await session.get(ApiKey, key_id)
    if api_key is None:
        raise NotFound(msg("accounts.api_key_not_found"))
    if api_key.revoked_at is not None:
        return
    api_key.revoked_at = utcnow()
    await session.flush()
    await audit.record(
        session, actor=actor, action="api_key.revoked", object_type="api_key", object_id=key_id
    )
