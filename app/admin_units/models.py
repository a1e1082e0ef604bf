from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, enum_check, new_id


class ProvinceType(StrEnum):
    tinh = "tinh"
    thanh_pho = "thanh_pho"


class CommuneType(StrEnum):
    xa = "xa"
    phuong = "phuong"
    dac_khu = "dac_khu"


class MergeType(StrEnum):
    full = "full"
    partial = "partial"
    unchanged = "unchanged"
    renamed = "renamed"
    retyped = "retyped"


class Province(TimestampMixin, Base):
    __tablename__ = "provinces"
    __table_args__ = (enum_check("type", ProvinceType),)

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(16))
    name_folded: Mapped[str] = mapped_column(String(120))
    # Set when a change-set merged this province into another.
    merged_into: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"))
    retired_at: Mapped[datetime | None]


class Commune(TimestampMixin, Base):
    """A commune-level unit as it exists today (Xã, Phường, Đặc khu).

    A commune retired by a later merger keeps its row with ``merged_into`` set, so old
    references still resolve; mergers are applied as data (see admin_units.service).
    """

    __tablename__ = "communes"
    __table_args__ = (enum_check("type", CommuneType),)

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(16))
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    name_folded: Mapped[str] = mapped_column(String(120), index=True)
    merged_into: Mapped[str | None] = mapped_column(ForeignKey("communes.code"))
    # Set when an administrative change retired the commune (merged or split).
    retired_at: Mapped[datetime | None]


class LegacyCommune(TimestampMixin, Base):
    """One row of the pre-2025 → 2025 mapping: an old commune and one commune it became.

    A split old commune (``merge_type = partial``) has one row per successor.
    """

    __tablename__ = "legacy_communes"
    __table_args__ = (enum_check("merge_type", MergeType),)

    old_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    new_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), primary_key=True)
    old_name: Mapped[str] = mapped_column(String(120))
    # fold(old_name), for finding a pre-2025 name without diacritics (admin_units.fold).
    name_folded: Mapped[str] = mapped_column(String(120))
    old_district_name: Mapped[str] = mapped_column(String(120))
    old_province_code: Mapped[str] = mapped_column(String(2))
    old_province_name: Mapped[str] = mapped_column(String(120))
    merge_type: Mapped[str] = mapped_column(String(16))


class CommuneSplit(TimestampMixin, Base):
    """A commune retired by a split, and one of the communes it became (one row each)."""

    __tablename__ = "commune_splits"

    code: Mapped[str] = mapped_column(ForeignKey("communes.code"), primary_key=True)
    successor_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), primary_key=True)


class CommuneBoundary(TimestampMixin, Base):
    """A boundary applied by a change-set (WKB, EPSG:4326). The shipped boundaries stay the
    fast path; these overlay them (a point inside one of these is in that commune)."""

    __tablename__ = "commune_boundaries"

    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), primary_key=True)
    geometry: Mapped[bytes] = mapped_column(LargeBinary)


class ChangeSet(TimestampMixin, Base):
    """An applied administrative change-set: the document as given and the report."""

    __tablename__ = "admin_change_sets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    effective_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    applied_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
