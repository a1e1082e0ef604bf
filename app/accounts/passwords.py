"""Setting and checking passwords under the policy of ``app.core.passwords`` (users,
resets, the user's own change, and the bootstrap admin)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import credentials
from app.accounts.models import User
from app.core import audit_log as audit
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import Unauthorized, ValidationFailed, msg
from app.core.passwords import MIN_LENGTH, common_passwords, password_problem
from app.core.principal import Principal

__all__ = [
    "MIN_LENGTH",
    "change_own_password",
    "check_password_policy",
    "common_passwords",
    "password_problem",
]


def check_password_policy(password: str, *, username: str | None, field: str = "password") -> None:
    """422 on ``field`` when the policy refuses the password."""
    problem = password_problem(password, username=username)
    if problem is not None:
        raise ValidationFailed(errors=[(field, problem)])


async def change_own_password(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    current_password: str,
    new_password: str,
) -> credentials.AccessToken:
    """The user replaces their password (required after someone else set it). Checks the
    current one, applies the policy, ends every other token and returns a fresh one."""
    user = await session.get(User, principal.id)
    if user is None or user.disabled:
        raise Unauthorized(msg("auth.required"))
    valid, _ = await credentials.verify_password(current_password, user.password_hash)
    if not valid:
        raise ValidationFailed(errors=[("current_password", msg("password.current_wrong"))])
    check_password_policy(new_password, username=user.username, field="new_password")
    if new_password == current_password:
        raise ValidationFailed(errors=[("new_password", msg("password.same_as_current"))])
    was_required = user.must_change_password
    user.password_hash = await credentials.hash_password(new_password)
    user.must_change_password = False
    user.token_version += 1
    user.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="auth.password_changed",
        object_type="user",
        object_id=user.id,
        data={"username": user.username, "was_required": was_required},
    )
    return credentials.create_access_token(
        settings, user_id=user.id, token_version=user.token_version, role=user.role
    )
