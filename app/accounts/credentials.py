"""Passwords (argon2 via pwdlib), access tokens (JWT HS256) and API keys.

Password hashing is CPU-heavy on purpose, so it always runs in a worker thread.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import anyio.to_thread
import jwt
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.config import Settings
from app.core.security import keyed_hash

TOKEN_ALGORITHM = "HS256"  # noqa: S105 (an algorithm name, not a secret)
API_KEY_PREFIX = "tbk_"
API_KEY_SHOWN_PREFIX_LENGTH = 12  # "tbk_" and 8 characters, enough to tell keys apart

_password_hash = PasswordHash((Argon2Hasher(),))


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_password_hash.hash, password)


async def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """(valid, new hash when the stored one uses outdated parameters)."""

    def _verify() -> tuple[bool, str | None]:
        try:
            return _password_hash.verify_and_update(password, password_hash)
        except UnknownHashError:
            return False, None

    return await anyio.to_thread.run_sync(_verify)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _password_hash.hash(secrets.token_urlsafe(16))


async def verify_dummy_password(password: str) -> None:
    """Spend the time a real verification takes, so unknown usernames are not revealed."""
    dummy = await anyio.to_thread.run_sync(_dummy_hash)
    await verify_password(password, dummy)


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int
    password_change_required: bool = False


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    token_version: int
    role: str


def create_access_token(
    settings: Settings, *, user_id: str, token_version: int, role: str
) -> AccessToken:
    now = datetime.now(UTC)
    ttl = settings.access_token_ttl_seconds
    claims = {
        "sub": user_id,
        "ver": token_version,
        "role": role,
        "iat": now,
        "exp": now + timedelta(seconds=ttl),
    }
    token = jwt.encode(claims, settings.secret_key, algorithm=TOKEN_ALGORITHM)
    return AccessToken(token=token, expires_in=ttl)


def decode_access_token(settings: Settings, token: str) -> TokenClaims | None:
    """The claims of a valid, unexpired token signed by us; None for anything else."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[TOKEN_ALGORITHM],
            options={"require": ["sub", "exp", "ver", "role"]},
        )
    except jwt.PyJWTError:
        return None
    sub, ver, role = claims.get("sub"), claims.get("ver"), claims.get("role")
    if not isinstance(sub, str) or not isinstance(ver, int) or not isinstance(role, str):
        return None
    return TokenClaims(user_id=sub, token_version=ver, role=role)


def generate_api_key() -> str:
    """A new API key: "tbk_" and 32 URL-safe random characters (192 bits)."""
    return API_KEY_PREFIX + secrets.token_urlsafe(24)


def api_key_hash(settings: Settings, key: str) -> str:
    return keyed_hash(settings.receipt_key, key)
