"""Login, the caller's identity, and account administration (users, organizations, API keys).

Admins manage everything. A province supervisor manages, inside its province, users with the
roles unit_lead, officer, analyst and front_member, and the province's Front organizations;
other users are not found (404) for it, and granting another role answers 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status

from app.accounts import api_keys, authentication, organizations, passwords, service
from app.accounts.dependencies import (
    AccountManager,
    AdminPrincipal,
    LoginForm,
    ManagedUser,
    PasswordChanger,
    SignedInPrincipal,
)
from app.accounts.models import OrganizationKind, Role
from app.accounts.schemas import (
    IDENTIFIER_PATTERN,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    MeOut,
    OrganizationCreate,
    OrganizationOut,
    PasswordChange,
    TokenOut,
    UserCreate,
    UserOut,
    UserUpdate,
)
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from app.core.ratelimit import LOGIN, limit, login_attempt

router = APIRouter(tags=["accounts"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Code = Annotated[str | None, Query(pattern=IDENTIFIER_PATTERN)]
KeyId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN)]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses=problem_responses(401, 422, 429),
    summary="Log in with a username and password (OAuth2 password form)",
)
async def login(
    request: Request,
    session: SessionDep,
    form: Annotated[LoginForm, Depends()],
) -> TokenOut:
    """A wrong password and an unknown username get the same 401. Every attempt is
    audited (`auth.login`, `auth.login_failed`); failures count against
    `TINBAO_RATE_LIMIT_LOGIN` per client address and username and against
    `TINBAO_RATE_LIMIT_LOGIN_USER` per username (429 beyond either)."""
    async with login_attempt(request, form.username):
        token = await authentication.issue_token(
            session,
            settings=request.app.state.settings,
            failure_sessionmaker=request.app.state.sessionmaker,
            username=form.username,
            password=form.password,
        )
    return TokenOut(
        access_token=token.token,
        expires_in=token.expires_in,
        password_change_required=token.password_change_required,
    )


@router.post(
    "/auth/password",
    response_model=TokenOut,
    responses=problem_responses(401, 403, 422, 429),
    summary="Change one's own password",
    dependencies=[Depends(limit(LOGIN))],
)
async def change_password(
    request: Request, data: PasswordChange, principal: PasswordChanger, session: SessionDep
) -> TokenOut:
    """Required after someone else (an admin or supervisor) set the password, at creation or
    by a reset: until then the user's token admits only this and `GET /auth/me`. Checks the
    current password and the policy; every earlier token stops working and a fresh one is
    returned. Audited as `auth.password_changed`."""
    token = await passwords.change_own_password(
        session,
        settings=request.app.state.settings,
        principal=principal,
        current_password=data.current_password,
        new_password=data.new_password,
    )
    return TokenOut(access_token=token.token, expires_in=token.expires_in)


@router.get("/auth/me", response_model=MeOut, responses=problem_responses(401))
async def me(principal: SignedInPrincipal) -> MeOut:
    return MeOut(
        kind=principal.kind,
        id=principal.id,
        username=principal.label if principal.kind == "user" else None,
        label=principal.label,
        full_name=principal.full_name,
        role=principal.role,
        unit_code=principal.unit_code,
        province_code=principal.province_code,
        organization_id=principal.organization_id,
        password_change_required=principal.password_change_required,
    )


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_user(data: UserCreate, actor: AccountManager, session: SessionDep) -> UserOut:
    """The role decides the scope field: `unit_code` for officer and unit_lead,
    `province_code` for province_supervisor and analyst, `organization_id` for
    front_member, none for admin. A taken username answers 409."""
    user = await service.create_user(session, actor=actor, data=data)
    return UserOut.model_validate(user)


@router.get("/users", response_model=Page[UserOut], responses=problem_responses(401, 403, 422))
async def list_users(
    actor: AccountManager,
    session: SessionDep,
    role: Role | None = None,
    unit_code: Code = None,
    province_code: Annotated[
        str | None, Query(pattern=IDENTIFIER_PATTERN, description="The province the user acts in.")
    ] = None,
    organization_id: Code = None,
    disabled: bool | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[UserOut]:
    users, next_cursor = await service.list_users(
        session,
        actor=actor,
        role=role,
        unit_code=unit_code,
        province_code=province_code,
        organization_id=organization_id,
        disabled=disabled,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[UserOut.model_validate(u) for u in users], next_cursor=next_cursor)


@router.get("/users/{user_id}", response_model=UserOut, responses=problem_responses(401, 403, 404))
async def get_user(user: ManagedUser) -> UserOut:
    return UserOut.model_validate(user)


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def update_user(
    data: UserUpdate, user: ManagedUser, actor: AccountManager, session: SessionDep
) -> UserOut:
    """Change role, scope, `disabled`, `full_name`, `password`, or the user's notice
    contacts `email`/`phone` (see `PATCH /auth/me` for the rest). Disabling a user, or
    changing its role, scope or password, ends its sessions at once (older tokens answer
    401). The last enabled admin cannot be disabled or demoted (409)."""
    user = await service.update_user(session, actor=actor, user=user, data=data)
    return UserOut.model_validate(user)


@router.post(
    "/organizations",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganizationOut,
    responses=problem_responses(401, 403, 422),
)
async def create_organization(
    data: OrganizationCreate, actor: AccountManager, session: SessionDep
) -> OrganizationOut:
    organization = await organizations.create_organization(session, actor=actor, data=data)
    return OrganizationOut.model_validate(organization)


@router.get(
    "/organizations",
    response_model=Page[OrganizationOut],
    responses=problem_responses(401, 403, 422),
)
async def list_organizations(
    actor: AccountManager,
    session: SessionDep,
    province_code: Code = None,
    commune_code: Code = None,
    kind: OrganizationKind | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[OrganizationOut]:
    """Admins see every organization, supervisors those of their province."""
    found, next_cursor = await organizations.list_organizations(
        session,
        actor=actor,
        province_code=province_code,
        commune_code=commune_code,
        kind=kind,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[OrganizationOut.model_validate(o) for o in found], next_cursor=next_cursor)


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    responses=problem_responses(401, 403, 422),
)
async def create_api_key(
    data: ApiKeyCreate, request: Request, actor: AdminPrincipal, session: SessionDep
) -> ApiKeyCreated:
    """`key` appears in this response only; it is stored as a keyed hash."""
    api_key, key = await api_keys.create_api_key(
        session, actor=actor, settings=request.app.state.settings, data=data
    )
    return ApiKeyCreated(**ApiKeyOut.model_validate(api_key).model_dump(), key=key)


@router.get("/api-keys", response_model=Page[ApiKeyOut], responses=problem_responses(401, 403, 422))
async def list_api_keys(
    actor: AdminPrincipal,
    session: SessionDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ApiKeyOut]:
    """Every key, revoked ones included (`revoked_at`); never the key itself."""
    keys, next_cursor = await api_keys.list_api_keys(session, limit=limit, cursor=cursor)
    return Page(items=[ApiKeyOut.model_validate(k) for k in keys], next_cursor=next_cursor)


@router.delete(
    "/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def revoke_api_key(key_id: KeyId, actor: AdminPrincipal, session: SessionDep) -> None:
    """Revoke a key: its next request answers 401. The key stays listed, with `revoked_at`."""
    await api_keys.revoke_api_key(session, actor=actor, key_id=key_id)
