"""Signing in: a username and password for an access token (``issue_token``), and the
principal behind a bearer token or an API key (what every authenticated request starts with).

Passwords, tokens and key hashes themselves: ``app.accounts.credentials``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts import credentials
from app.accounts.models import ApiKey, Organization, User
from app.core import audit_log as audit
from app.core.config import Settings
from app.core.errors import Unauthorized, msg
from app.core.principal import Principal
from app.core.time import as_utc, utcnow
from app.units.models import PoliceUnit

# How stale an API key's last_used_at may get before a request refreshes it (fewer writes).
_LAST_USED_RESOLUTION = timedelta(minutes=5)


class InvalidCredentials(Unauthorized):
    """Wrong username or password: one answer for both."""

    def __init__(self) -> None:
        super().__init__(
            msg("auth.invalid_credentials"),
            headers={"WWW-Authenticate": "Bearer"},
        )


# --- principals -------------------------------------------------------------------------


def principal_for_user(
    user: User, *, unit_province: str | None = None, org_province: str | None = None
) -> Principal:
    return Principal(
        kind="user",
        id=user.id,
        role=user.role,
        label=user.username,
        full_name=user.full_name,
        unit_code=user.unit_code,
        province_code=user.province_code or unit_province or org_province,
        organization_id=user.organization_id,
        password_change_required=user.must_change_password,
    )


def _users_with_provinces() -> Select[tuple[User, str, str]]:
    # Outer joins: the two province codes are None when the user has no unit/organization.
    return (
        select(User, PoliceUnit.province_code, Organization.province_code)
        .outerjoin(PoliceUnit, PoliceUnit.code == User.unit_code)
        .outerjoin(Organization, Organization.id == User.organization_id)
    )


async def load_principal(session: AsyncSession, *, user_id: str) -> Principal | None:
    """The principal of an enabled user, None when unknown or disabled."""
    row = (await session.execute(_users_with_provinces().where(User.id == user_id))).first()
    if row is None or row[0].disabled:
        return None
    return principal_for_user(row[0], unit_province=row[1], org_province=row[2])


async def principal_for_token(
    session: AsyncSession, *, settings: Settings, token: str
) -> Principal | None:
    """The caller behind a bearer token; None when the token is invalid, expired, or its user
    is disabled or has been changed since (token_version)."""
    claims = credentials.decode_access_token(settings, token)
    if claims is None:
        return None
    row = (await session.execute(_users_with_provinces().where(User.id == claims.user_id))).first()
    if row is None:
        return None
    user = row[0]
    if user.disabled or user.token_version != claims.token_version or user.role != claims.role:
        return None
    return principal_for_user(user, unit_province=row[1], org_province=row[2])


async def principal_for_api_key(
    session: AsyncSession, *, settings: Settings, key: str
) -> Principal | None:
    """The machine client behind an API key; None when unknown or revoked. Open311 and the
    X-API-Key header both come here."""
    api_key = (
        await session.execute(
            select(ApiKey).where(ApiKey.key_hash == credentials.api_key_hash(settings, key))
        )
    ).scalar_one_or_none()
    if api_key is None or api_key.revoked_at is not None:
        return None
    now = utcnow()
    if api_key.last_used_at is None or now - as_utc(api_key.last_used_at) > _LAST_USED_RESOLUTION:
        api_key.last_used_at = now
    return Principal(
        kind="api_key",
        id=api_key.id,
        role=api_key.role,
        label=f"api-key:{api_key.name}"[:64],
        full_name=api_key.name,
        province_code=api_key.province_code,
    )


# --- login ------------------------------------------------------------------------------


async def issue_token(
    session: AsyncSession,
    *,
    settings: Settings,
    failure_sessionmaker: async_sessionmaker[AsyncSession],
    username: str,
    password: str,
) -> credentials.AccessToken:
    """Check a username and password and issue an access token.

    An unknown username, a wrong password and a disabled user get the same answer, after the
    same work (an unknown username is checked against a dummy hash). A failure is audited in
    its own transaction (``failure_sessionmaker``), since the request's is rolled back.
    """
    username = username.strip().lower()
    user = None
    if "\x00" not in username:  # PostgreSQL text cannot hold NUL; no such user anyway
        user = (
            await session.execute(select(User).where(User.username == username))
        ).scalar_one_or_none()
    if user is None:
        await credentials.verify_dummy_password(password)
        valid, new_hash, cause = False, None, "unknown_user"
    else:
        valid, new_hash = await credentials.verify_password(password, user.password_hash)
        cause = "wrong_password" if not valid else "disabled" if user.disabled else ""
    if user is None or not valid or user.disabled:
        async with failure_sessionmaker() as failure_session:
            await audit.record(
                failure_session,
                actor=None,
                actor_label="anonymous",
                action="auth.login_failed",
                object_type="user" if user else None,
                object_id=user.id if user else None,
                data={"username": username.replace("\x00", "")[:64], "cause": cause},
            )
            await failure_session.commit()
        raise InvalidCredentials()
    if new_hash:
        user.password_hash = new_hash
    user.last_login_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor=principal_for_user(user),
        action="auth.login",
        object_type="user",
        object_id=user.id,
        data={"password_change_required": True} if user.must_change_password else None,
    )
    token = credentials.create_access_token(
        settings, user_id=user.id, token_version=user.token_version, role=user.role
    )
    return replace(token, password_change_required=user.must_change_password)
