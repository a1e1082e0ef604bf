from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from app.accounts.models import ApiKeyRole, OrganizationKind, Role
from app.core.validation import (
    JsonBool,
    LocalDateTime,  # RFC 3339 with offset (+07:00)
    rule_error,
)

# Usernames are compared lower-cased: "CanBo1" and "canbo1" are the same account.
Username = Annotated[
    str,
    BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v),
    StringConstraints(min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$"),
    # What the document says: the pattern above, before trimming and lower-casing.
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 3,
            "maxLength": 64,
            "pattern": r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*$",
        }
    ),
]
Password = Annotated[
    str,
    Field(
        min_length=12,
        max_length=256,
        description="At least 12 characters, not a common password, not containing the "
        "username (app.accounts.passwords).",
    ),
]
Email = Annotated[str, Field(pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$", max_length=254)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 .()\-]{5,18}$", max_length=20)]


def _no_control_characters(value: str) -> str:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise rule_error("invalid_format.control")
    return value


FullName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_control_characters),
]
Name = FullName
# Ids and codes (user ids, unit, province and commune codes, organization ids).
IDENTIFIER_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
Identifier = Annotated[str, StringConstraints(pattern=IDENTIFIER_PATTERN)]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the token expires.")
    password_change_required: bool = Field(
        False,
        description="The password was set by someone else: until POST /api/v1/auth/password "
        "this token admits only that and GET /api/v1/auth/me (other calls answer 403).",
    )


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=256)
    new_password: Password


class MeOut(BaseModel):
    kind: Literal["user", "api_key"]
    id: str
    username: str | None = Field(None, description="Null for an API key.")
    label: str
    full_name: str
    role: str
    unit_code: str | None
    province_code: str | None = Field(
        description="The province the caller acts in (for unit staff: the unit's province)."
    )
    organization_id: str | None
    password_change_required: bool = False


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password
    full_name: FullName
    role: Role
    unit_code: Identifier | None = Field(None, description="Required for officer and unit_lead.")
    province_code: Identifier | None = Field(
        None, description="Required for province_supervisor and analyst."
    )
    organization_id: Identifier | None = Field(None, description="Required for front_member.")


class UserUpdate(BaseModel):
    """Only the fields sent change. Changing the role clears scope fields the new role does
    not use; the one it needs must be sent unless the user already has it."""

    model_config = ConfigDict(extra="forbid")

    full_name: FullName | None = None
    password: Password | None = None
    role: Role | None = None
    unit_code: Identifier | None = None
    province_code: Identifier | None = None
    organization_id: Identifier | None = None
    disabled: JsonBool | None = None
    email: Email | None = Field(None, description="Where the user's notices go; null clears.")
    phone: Phone | None = Field(None, description="For SMS notices; null clears.")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    username: str
    full_name: str
    role: Role
    unit_code: str | None
    province_code: str | None
    organization_id: str | None
    disabled: bool
    email: str | None = None
    phone: str | None = None
    last_login_at: LocalDateTime | None
    created_at: LocalDateTime
    updated_at: LocalDateTime


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: OrganizationKind
    province_code: Identifier
    commune_code: Identifier | None = Field(
        None, description="For a commune-level committee or branch; must be in the province."
    )
    parent_id: Identifier | None = Field(
        None,
        description="The committee this organization reports to (same province); a committee "
        "sees the tips of the organizations and committees below it.",
    )


class OrganizationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    kind: OrganizationKind
    province_code: str
    commune_code: str | None
    parent_id: str | None = None
    created_at: LocalDateTime


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    role: ApiKeyRole
    province_code: Identifier = Field(description="The province the key's caller may act in.")


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: ApiKeyRole
    province_code: str | None
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    created_at: LocalDateTime
    revoked_at: LocalDateTime | None
    last_used_at: LocalDateTime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself. Shown only in this response; store it now.")
