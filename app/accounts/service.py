"""Users and who may manage whom (logins and principals: ``app.accounts.authentication``;
organizations: ``app.accounts.organizations``; API keys: ``app.accounts.api_keys``).

Who manages accounts:
* an admin manages every user, organization and API key;
* a province supervisor manages, inside its own province, users with the roles unit_lead,
  officer, analyst and front_member (never admins or supervisors), and the province's
  Front organizations. A user is inside a province through its unit (unit staff), its
  province (analysts) or its organization (Front members); users outside answer 404.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.accounts import credentials
from app.accounts.models import Organization, Role, User
from app.accounts.paging import OUTSIDE_PROVINCE, id_after
from app.accounts.passwords import check_password_policy
from app.accounts.schemas import (
    IDENTIFIER_PATTERN,
    UserCreate,
    UserUpdate,
)
from app.admin_units.models import Province
from app.core import audit_log as audit
from app.core.errors import Conflict, Forbidden, Message, NotFound, ValidationFailed, msg
from app.core.pagination import split_page
from app.core.passwords import BOOTSTRAP_USERNAME
from app.core.principal import Principal
from app.core.time import utcnow
from app.units.models import PoliceUnit

log = logging.getLogger("tinbao.accounts")

# The one scope field each role needs (admins need none).
SCOPE_FIELD: dict[str, str | None] = {
    Role.admin: None,
    Role.province_supervisor: "province_code",
    Role.analyst: "province_code",
    Role.unit_lead: "unit_code",
    Role.officer: "unit_code",
    Role.front_member: "organization_id",
}
SCOPE_FIELDS = ("unit_code", "province_code", "organization_id")
SUPERVISOR_MANAGED_ROLES = frozenset(
    {Role.unit_lead, Role.officer, Role.analyst, Role.front_member}
)
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)


# --- scope of users ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    unit_code: str | None
    province_code: str | None
    organization_id: str | None
    province: str | None  # the province the user acts in (None for admins)


def _check_may_grant(actor: Principal, role: str) -> None:
    if actor.role == Role.admin:
        return
    if actor.role == Role.province_supervisor and role in SUPERVISOR_MANAGED_ROLES:
        return
    raise Forbidden(msg("accounts.role_not_grantable", role=role))


async def _validated_scope(
    session: AsyncSession,
    *,
    actor: Principal,
    role: str,
    values: dict[str, str | None],
) -> _Scope:
    needed = SCOPE_FIELD[role]
    errors: list[tuple[str, Message]] = []
    for field in SCOPE_FIELDS:
        if field != needed and values.get(field) is not None:
            errors.append((field, msg("accounts.scope_not_used", role=role)))
    if needed and values.get(needed) is None:
        errors.append((needed, msg("accounts.scope_required", role=role)))
    if errors or needed is None:
        if errors:
            raise ValidationFailed(errors=errors)
        return _Scope(None, None, None, None)

    value = values[needed]
    province: str | None = None
    if needed == "unit_code":
        province = (
            await session.execute(
                select(PoliceUnit.province_code).where(
                    PoliceUnit.code == value, PoliceUnit.active.is_(True)
                )
            )
        ).scalar_one_or_none()
        unknown = msg("accounts.unknown_unit")
    elif needed == "province_code":
        province = (
            await session.execute(select(Province.code).where(Province.code == value))
        ).scalar_one_or_none()
        unknown = msg("accounts.unknown_province")
    else:
        province = (
            await session.execute(
                select(Organization.province_code).where(Organization.id == value)
            )
        ).scalar_one_or_none()
        unknown = msg("accounts.unknown_organization")
        # A supervisor does not learn that another province's organization exists.
        if province is not None and actor.role != Role.admin and province != actor.province_code:
            province = None
    if province is None:
        raise ValidationFailed(errors=[(needed, unknown)])
    if actor.role != Role.admin and province != actor.province_code:
        raise ValidationFailed(errors=[(needed, OUTSIDE_PROVINCE)])
    return _Scope(
        unit_code=values.get("unit_code"),
        province_code=values.get("province_code"),
        organization_id=values.get("organization_id"),
        province=province,
    )


def _effective_province() -> ColumnElement[Any]:
    return func.coalesce(User.province_code, PoliceUnit.province_code, Organization.province_code)


def _scoped_users(actor: Principal) -> Select[tuple[User]]:
    """Users the actor may manage (see the module docstring)."""
    query = (
        select(User)
        .outerjoin(PoliceUnit, PoliceUnit.code == User.unit_code)
        .outerjoin(Organization, Organization.id == User.organization_id)
    )
    if actor.role == Role.admin:
        return query
    if actor.role == Role.province_supervisor and actor.province_code:
        return query.where(
            User.role.in_([str(r) for r in SUPERVISOR_MANAGED_ROLES]),
            _effective_province() == actor.province_code,
        )
    return query.where(User.id.is_(None))  # nothing


# --- users ------------------------------------------------------------------------------


async def _ensure_username_free(session: AsyncSession, username: str) -> None:
    taken = (
        await session.execute(select(User.id).where(User.username == username))
    ).scalar_one_or_none()
    if taken is not None:
        raise Conflict(msg("accounts.user_conflict"))


def _scope_data(user: User) -> dict[str, Any]:
    """What the audit log keeps about a user: no names."""
    return {
        "username": user.username,
        "role": user.role,
        "unit_code": user.unit_code,
        "province_code": user.province_code,
        "organization_id": user.organization_id,
        "disabled": user.disabled,
    }


async def create_user(session: AsyncSession, *, actor: Principal, data: UserCreate) -> User:
    _check_may_grant(actor, data.role)
    scope = await _validated_scope(
        session,
        actor=actor,
        role=data.role,
        values={f: getattr(data, f) for f in SCOPE_FIELDS},
    )
    check_password_policy(data.password, username=data.username)
    await _ensure_username_free(session, data.username)
    user = User(
        username=data.username,
        password_hash=await credentials.hash_password(data.password),
        # The creator knows this password: the user must choose their own at first login.
        must_change_password=True,
        full_name=data.full_name,
        role=data.role,
        unit_code=scope.unit_code,
        province_code=scope.province_code,
        organization_id=scope.organization_id,
        disabled=False,
        token_version=0,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request took the username
        raise Conflict(msg("accounts.user_conflict")) from exc
    await audit.record(
        session,
        actor=actor,
        action="user.created",
        object_type="user",
        object_id=user.id,
        data=_scope_data(user),
    )
    return user


async def get_user(session: AsyncSession, *, actor: Principal, user_id: str) -> User:
    """A user the actor may manage, else NotFound."""
    user = (
        await session.execute(_scoped_users(actor).where(User.id == user_id))
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(msg("accounts.user_not_found"))
    return user


async def list_users(
    session: AsyncSession,
    *,
    actor: Principal,
    role: str | None = None,
    unit_code: str | None = None,
    province_code: str | None = None,
    organization_id: str | None = None,
    disabled: bool | None = None,
    limit: int,
    cursor: str | None = None,
) -> tuple[Sequence[User], str | None]:
    """Users the actor may manage, oldest first; `province_code` matches the province the
    user acts in (through its unit or organization too)."""
    query = _scoped_users(actor).order_by(User.id).limit(limit + 1)
    if role:
        query = query.where(User.role == role)
    if unit_code:
        query = query.where(User.unit_code == unit_code)
    if province_code:
        query = query.where(_effective_province() == province_code)
    if organization_id:
        query = query.where(User.organization_id == organization_id)
    if disabled is not None:
        query = query.where(User.disabled.is_(disabled))
    if cursor:
        query = query.where(User.id > id_after(cursor))
    rows = (await session.execute(query)).scalars().all()
    return split_page(rows, limit)


async def _enabled_admins(session: AsyncSession) -> int:
    return (
        await session.execute(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.admin, User.disabled.is_(False))
        )
    ).scalar_one()


async def update_user(
    session: AsyncSession, *, actor: Principal, user: User, data: UserUpdate
) -> User:
    """Apply a PATCH. Disabling, a new password, role or scope bump token_version: the
    user's existing tokens stop working at once."""
    sent = data.model_dump(exclude_unset=True)
    role = data.role or user.role
    role_changed = role != user.role
    if role_changed:
        _check_may_grant(actor, role)

    scope_sent = {f: sent[f] for f in SCOPE_FIELDS if f in sent}
    changed: list[str] = []
    if role_changed or scope_sent:
        needed = SCOPE_FIELD[role]
        # A new role keeps only the scope it uses; what is sent replaces it.
        values: dict[str, str | None] = {f: getattr(user, f) for f in SCOPE_FIELDS}
        if role_changed:
            values = {f: (values[f] if f == needed else None) for f in SCOPE_FIELDS}
        values.update(scope_sent)
        scope = await _validated_scope(session, actor=actor, role=role, values=values)
        new_scope = (scope.unit_code, scope.province_code, scope.organization_id)
        old_scope = (user.unit_code, user.province_code, user.organization_id)
        if role_changed or new_scope != old_scope:
            if user.role == Role.admin and role_changed:
                await _keep_one_admin(session, user)
            changed += ["role"] if role_changed else []
            changed += [
                f
                for f, old, new in zip(SCOPE_FIELDS, old_scope, new_scope, strict=True)
                if old != new
            ]
            user.role = role
            user.unit_code, user.province_code, user.organization_id = new_scope

    if data.full_name is not None and data.full_name != user.full_name:
        user.full_name = data.full_name
        changed.append("full_name")
    if data.password is not None:
        check_password_policy(data.password, username=user.username)
        user.password_hash = await credentials.hash_password(data.password)
        # Set by someone else (a reset): to be changed by the user at next login.
        user.must_change_password = actor.id != user.id
        changed.append("password")
    if data.disabled is not None and data.disabled != user.disabled:
        if data.disabled and user.role == Role.admin:
            await _keep_one_admin(session, user)
        user.disabled = data.disabled
        changed.append("disabled")
    for contact in ("email", "phone"):  # the user's own notice contacts (app.notifications)
        if contact in sent and sent[contact] != getattr(user, contact):
            setattr(user, contact, sent[contact])
            changed.append(contact)

    if not changed:
        return user
    # Tokens carry the role and rest on the password; a disabled user's must die at once.
    if set(changed) & {"role", *SCOPE_FIELDS, "password"} or (
        "disabled" in changed and user.disabled
    ):
        user.token_version += 1
    user.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="user.updated",
        object_type="user",
        object_id=user.id,
        data={
            "changed": sorted(changed),
            **_scope_data(user),
            **(
                {"must_change_password": user.must_change_password} if "password" in changed else {}
            ),
        },
    )
    return user


async def _keep_one_admin(session: AsyncSession, user: User) -> None:
    if not user.disabled and await _enabled_admins(session) <= 1:
        raise Conflict(msg("accounts.last_admin"))


# --- bootstrap --------------------------------------------------------------------------


async def create_bootstrap_admin(session: AsyncSession, *, password: str) -> User | None:
    """Create user `admin` when no admin exists. None when there is nothing to do.

    Raises IntegrityError when another process created `admin` at the same moment; the
    caller rolls back and carries on.
    """
    has_admin = (
        await session.execute(select(User.id).where(User.role == Role.admin).limit(1))
    ).scalar_one_or_none()
    if has_admin is not None:
        return None
    taken = (
        await session.execute(select(User.id).where(User.username == BOOTSTRAP_USERNAME))
    ).scalar_one_or_none()
    if taken is not None:
        log.warning("no admin exists, but user %r does: not creating it", BOOTSTRAP_USERNAME)
        return None
    user = User(
        username=BOOTSTRAP_USERNAME,
        password_hash=await credentials.hash_password(password),
        full_name="Administrator",
        role=Role.admin,
        disabled=False,
        token_version=0,
    )
    session.add(user)
    await session.flush()
    await audit.record(
        session,
        actor=None,
        action="user.bootstrapped",
        object_type="user",
        object_id=user.id,
        data=_scope_data(user),
    )
    return user
