"""The password policy: one rule wherever a password is set (users, resets, the user's own
change, and the bootstrap admin).

A password is accepted when it
* has at least ``MIN_LENGTH`` (12) characters — length is what resists guessing (NIST SP
  800-63B asks for no composition rules; we ask for none either);
* is not a common password: neither itself nor its core (without leading and trailing digits
  and punctuation, so ``Password2024!`` counts as ``password``) is in the shipped list of
  30,000 common passwords (zxcvbn-python's list, MIT, lower-cased, plus a curated Vietnamese
  list; ``common_passwords.txt.gz`` beside this module);
* is not made of digits and punctuation alone (``123456789012``), and has at least 5
  different characters (refuses ``aaaaaaaaaaaa``, ``abababababab``);
* does not contain the username.
"""

from __future__ import annotations

import gzip
import string
from functools import lru_cache
from importlib import resources

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import credentials
from app.accounts.models import User
from app.accounts.principal import Principal
from app.audit import service as audit
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import Text, Unauthorized, ValidationFailed

MIN_LENGTH = 12
MIN_DISTINCT = 5
_EDGES = string.digits + string.punctuation + " "


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    data = resources.files("app.accounts").joinpath("common_passwords.txt.gz").read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str, *, username: str | None = None) -> Text | None:
    """Why ``password`` is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return (
            f"Mật khẩu cần ít nhất {MIN_LENGTH} ký tự.",
            f"The password needs at least {MIN_LENGTH} characters.",
        )
    lowered = password.lower()
    core = lowered.strip(_EDGES)
    common = common_passwords()
    if lowered in common or core in common or len(set(core)) <= 1:
        return (
            "Mật khẩu này quá phổ biến, dễ bị đoán.",
            "This password is too common and easy to guess.",
        )
    if len(set(password)) < MIN_DISTINCT:
        return (
            f"Mật khẩu cần ít nhất {MIN_DISTINCT} ký tự khác nhau.",
            f"The password needs at least {MIN_DISTINCT} different characters.",
        )
    if username and len(username) >= 3 and username.lower() in lowered:
        return (
            "Mật khẩu không được chứa tên đăng nhập.",
            "The password may not contain the username.",
        )
    return None


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
        raise Unauthorized(("Cần đăng nhập.", "Authentication required."))
    valid, _ = await credentials.verify_password(current_password, user.password_hash)
    if not valid:
        raise ValidationFailed(
            errors=[
                (
                    "current_password",
                    ("Mật khẩu hiện tại không đúng.", "The current password is wrong."),
                )
            ]
        )
    check_password_policy(new_password, username=user.username, field="new_password")
    if new_password == current_password:
        raise ValidationFailed(
            errors=[
                (
                    "new_password",
                    (
                        "Mật khẩu mới phải khác mật khẩu hiện tại.",
                        "The new password must differ from the current one.",
                    ),
                )
            ]
        )
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
