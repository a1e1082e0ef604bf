from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, enum_check, new_id


class Role(StrEnum):
    admin = "admin"
    province_supervisor = "province_supervisor"
    unit_lead = "unit_lead"
    officer = "officer"
    analyst = "analyst"
    front_member = "front_member"


class ApiKeyRole(StrEnum):
    analyst = "analyst"
    open311_client = "open311_client"


class OrganizationKind(StrEnum):
    mttq = "mttq"
    member_org = "member_org"


class Organization(TimestampMixin, Base):
    """A Fatherland Front committee or member organisation (province or commune level)."""

    __tablename__ = "organizations"
    __table_args__ = (enum_check("kind", OrganizationKind),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"))
    # The committee this organization reports to (a commune MTTQ committee's parent is the
    # provincial committee; a member organization's, the committee of its level).
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"), index=True)


class MovementModel(TimestampMixin, Base):
    """A movement model ("mô hình") Front reports may name: national (no province) or kept by
    one province. A list, not free text, so reviews count "Camera an ninh" once."""

    __tablename__ = "movement_models"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_folded: Mapped[str] = mapped_column(String(120))
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"), index=True)
    active: Mapped[bool] = mapped_column(default=True)


class User(TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (enum_check("role", Role),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("police_units.code"), index=True)
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    disabled: Mapped[bool] = mapped_column(default=False)
    # Bumped when the user is disabled or its role/scope changes: older tokens stop working.
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    last_login_at: Mapped[datetime | None]
    # Set when someone else set the password (creation, reset): until the user chooses their
    # own, their token only admits POST /auth/password.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Where the user's own notices go (app.notifications); the inbox needs none of these.
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(2), default="vi", server_default="vi")
    notify_channels: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    web_push: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    notify_new_tips: Mapped[bool] = mapped_column(default=False, server_default=false())


class ApiKey(TimestampMixin, Base):
    __tablename__ = "api_keys"
    __table_args__ = (enum_check("role", ApiKeyRole),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"))
    # Keyed hash of the key; the key itself is shown once and never stored.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
