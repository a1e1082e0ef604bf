"""Helpers other tests import: `from tests.accounts.helpers import make_user, auth_headers`.

officer = await make_user(db, role="officer", unit_code="CAX-25747")
r = await client.get("/api/v1/tips", headers=auth_headers(app, officer))
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.credentials import (
    api_key_hash,
    create_access_token,
    generate_api_key,
    hash_password,
)
from app.accounts.models import ApiKey, Organization, User

DEFAULT_PASSWORD = "pw-123456"

# Argon2 is slow on purpose; one hash per distinct password keeps the tests fast.
_password_hashes: dict[str, str] = {}


async def _hash(password: str) -> str:
    if password not in _password_hashes:
        _password_hashes[password] = await hash_password(password)
    return _password_hashes[password]


async def make_user(
    db: AsyncSession,
    *,
    role: str,
    unit_code: str | None = None,
    province_code: str | None = None,
    organization_id: str | None = None,
    username: str | None = None,
    password: str = DEFAULT_PASSWORD,
    full_name: str | None = None,
    disabled: bool = False,
) -> User:
    """Insert a user directly (no scope validation) and commit."""
    user = User(
        username=username or f"{role}-{secrets.token_hex(4)}",
        password_hash=await _hash(password),
        full_name=full_name or f"Cán bộ {role}",
        role=str(role),
        unit_code=unit_code,
        province_code=province_code,
        organization_id=organization_id,
        disabled=disabled,
        token_version=0,
    )
    db.add(user)
    await db.commit()
    return user


def auth_headers(app: Any, user: User) -> dict[str, str]:
    """A bearer token for the user, issued directly (no login round trip)."""
    token = create_access_token(
        app.state.settings, user_id=user.id, token_version=user.token_version, role=user.role
    )
    return {"Authorization": f"Bearer {token.token}"}


async def make_organization(
    db: AsyncSession,
    *,
    name: str,
    kind: str,
    province_code: str,
    commune_code: str | None = None,
) -> Organization:
    organization = Organization(
        name=name, kind=str(kind), province_code=province_code, commune_code=commune_code
    )
    db.add(organization)
    await db.commit()
    return organization


async def make_api_key(
    db: AsyncSession, app: Any, *, role: str, province_code: str, name: str = "dashboard"
) -> tuple[ApiKey, str]:
    """An API key row and the key itself (send it as `X-API-Key`, or Open311's `api_key`)."""
    key = generate_api_key()
    api_key = ApiKey(
        name=name,
        role=str(role),
        province_code=province_code,
        key_hash=api_key_hash(app.state.settings, key),
        prefix=key[:12],
    )
    db.add(api_key)
    await db.commit()
    return api_key, key
