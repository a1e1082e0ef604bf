"""Who is calling, and may they call this endpoint at all.

Role checks live here; object scope does not: each domain's load-or-404 dependency limits
what a caller can see (out-of-scope ids answer 404).

* ``OptionalPrincipal`` — the caller, or None when no credentials were sent.
* ``CurrentPrincipal`` — any authenticated caller (user or API key), else 401.
* ``require_roles(*roles)`` — 401 without credentials, 403 ``forbidden`` for another role.
  Matches users and API keys alike by role: ``require_roles("analyst")`` admits analyst
  API keys too.
* ``StaffPrincipal`` — a user whose role is anything but front_member (no API keys).
* ``AdminPrincipal`` — an admin user.

Invalid, expired or revoked credentials answer 401 ``unauthorized`` with
``WWW-Authenticate: Bearer``; so does a token of a disabled user, or one issued before the
user's role, scope or password changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Form, Path, Request
from fastapi.security import (
    APIKeyHeader,
    HTTPAuthorizationCredentials,
    HTTPBearer,
    OAuth2PasswordRequestForm,
)

from app.accounts import authentication, service
from app.accounts.models import Role, User
from app.accounts.schemas import IDENTIFIER_PATTERN
from app.core.db import SessionDep
from app.core.errors import Forbidden, Message, Unauthorized, msg
from app.core.principal import Principal

# Declared as security schemes so that the OpenAPI document shows both; parsed by hand.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An access token from POST /api/v1/auth/token.",
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="api_key",
    description="A machine client's key from POST /api/v1/api-keys.",
)

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _unauthorized(detail: Message) -> Unauthorized:
    return Unauthorized(detail, headers=_CHALLENGE)


async def authenticate(
    request: Request,
    session: SessionDep,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal | None:
    """The caller from ``Authorization: Bearer`` or ``X-API-Key``; None without either. Also
    a user who must change their password (see ``get_principal``)."""
    settings = request.app.state.settings
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized(msg("auth.bearer_only"))
        principal = await authentication.principal_for_token(
            session, settings=settings, token=token.strip()
        )
        if principal is None:
            raise _unauthorized(msg("auth.token_invalid"))
        return principal
    if api_key is not None:
        principal = await authentication.principal_for_api_key(
            session, settings=settings, key=api_key.strip()
        )
        if principal is None:
            raise _unauthorized(msg("auth.api_key_invalid"))
        return principal
    return None


async def get_principal(
    principal: Annotated[Principal | None, Depends(authenticate)],
) -> Principal | None:
    """The caller; 403 for a user whose password was set by someone else and not yet changed
    (their token admits only the password change and /auth/me)."""
    if principal is not None and principal.password_change_required:
        raise Forbidden(
            msg("auth.password_change_required"), extra={"password_change_required": True}
        )
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(get_principal)]


async def get_signed_in(
    principal: Annotated[Principal | None, Depends(authenticate)],
) -> Principal:
    """Any authenticated caller, including a user who must change their password."""
    if principal is None:
        raise _unauthorized(msg("auth.required"))
    return principal


SignedInPrincipal = Annotated[Principal, Depends(get_signed_in)]


async def get_user_changing_password(principal: SignedInPrincipal) -> Principal:
    """A logged-in user (not an API key), including one who must change their password."""
    if principal.kind != "user":
        raise Forbidden(msg("auth.users_only"))
    return principal


PasswordChanger = Annotated[Principal, Depends(get_user_changing_password)]


async def get_current_principal(principal: OptionalPrincipal) -> Principal:
    if principal is None:
        raise _unauthorized(msg("auth.required"))
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_current_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only callers with one of ``roles``."""
    allowed = frozenset(str(r) for r in roles)

    async def _require(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(msg("auth.role_forbidden"))
        return principal

    _require.__name__ = "require_" + "_or_".join(sorted(allowed))
    return _require


async def get_staff_principal(principal: CurrentPrincipal) -> Principal:
    if not principal.is_staff:
        raise Forbidden(msg("auth.staff_only"))
    return principal


StaffPrincipal = Annotated[Principal, Depends(get_staff_principal)]
AdminPrincipal = Annotated[Principal, Depends(require_roles(Role.admin))]
# Who may manage users and organizations: admins, and supervisors within their province.
AccountManager = Annotated[Principal, Depends(require_roles(Role.admin, Role.province_supervisor))]


async def get_managed_user(
    user_id: Annotated[str, Path(pattern=IDENTIFIER_PATTERN)],
    actor: AccountManager,
    session: SessionDep,
) -> User:
    """The user in the path, if the caller may manage it; otherwise 404."""
    return await service.get_user(session, actor=actor, user_id=user_id)


ManagedUser = Annotated[User, Depends(get_managed_user)]


class LoginForm(OAuth2PasswordRequestForm):
    """The OAuth2 password form, with the truth the OpenAPI document did not tell: an empty
    ``username`` or ``password`` is no value at all (a form field sent empty is missing)."""

    def __init__(
        self,
        *,
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
        username: Annotated[str, Form(min_length=1)],
        password: Annotated[str, Form(min_length=1, json_schema_extra={"format": "password"})],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form(json_schema_extra={"format": "password"})] = None,
    ) -> None:
        super().__init__(
            grant_type=grant_type,
            username=username,
            password=password,
            scope=scope,
            client_id=client_id,
            client_secret=client_secret,
        )
