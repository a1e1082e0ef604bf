from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, enum_check


class UnitKind(StrEnum):
    commune = "commune"  # Công an xã/phường/đặc khu
    provincial = "provincial"  # Công an tỉnh/thành phố (its duty desk)
    department = "department"  # a provincial department (CSDT, PA05, PC04, ...)


class CategoryKind(StrEnum):
    crime = "crime"
    security_order = "security_order"


class PoliceUnit(TimestampMixin, Base):
    __tablename__ = "police_units"
    __table_args__ = (enum_check("kind", UnitKind),)

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    # For departments: the suffix of the code (CSDT, PA05, PC04, PC07, PC08, ANCT).
    department: Mapped[str | None] = mapped_column(String(8))
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"), index=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("police_units.code"))
    # Remote or island communes get 48 h instead of 24 h to forward crime tips.
    remote: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)


class Category(TimestampMixin, Base):
    """A tip category and its routing rule; data an admin can change, not code."""

    __tablename__ = "categories"
    __table_args__ = (enum_check("kind", CategoryKind),)

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    # "commune" routes to the commune police of the place; a department suffix (e.g. "PA05")
    # routes to that department of the province's police.
    route_to: Mapped[str] = mapped_column(String(16), default="commune")
    # Department suffixes that receive a watching copy (e.g. ["PC04"] for drugs).
    watch_departments: Mapped[list[str]] = mapped_column(JSON, default=list)
    acknowledge_working_days: Mapped[int] = mapped_column(Integer, default=3)
    # Days to resolve; crime tips use the statutory 20 days (art. 147).
    resolve_days: Mapped[int] = mapped_column(Integer, default=15)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)


class CategoryProvinceRule(TimestampMixin, Base):
    """A province's own routing of a category, overriding the national rule (e.g. drugs
    straight to PC04 in one province)."""

    __tablename__ = "category_province_rules"

    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"), primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), primary_key=True)
    route_to: Mapped[str] = mapped_column(String(16))
    watch_departments: Mapped[list[str]] = mapped_column(JSON, default=list)


class CalendarDayKind(StrEnum):
    holiday = "holiday"  # a public holiday or a day off swapped into the week
    working_day = "working_day"  # a weekend day worked in exchange


class CalendarDay(TimestampMixin, Base):
    """An exception to the Monday–Friday working week; the calendar is data an admin updates."""

    __tablename__ = "calendar_days"
    __table_args__ = (enum_check("kind", CalendarDayKind),)

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))


class CalendarYear(TimestampMixin, Base):
    """Whether an admin confirmed a year's calendar (shipped future years are defaults that
    the government's decision for that year may change)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    confirmed: Mapped[bool] = mapped_column(default=False)
    confirmed_at: Mapped[datetime | None]
    # Who confirmed it (a username, as the audit log shows staff): no foreign key, so that
    # the reference row outlives the account.
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
