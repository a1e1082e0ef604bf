from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, enum_check


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
