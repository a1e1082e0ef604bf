from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, enum_check, new_id
from app.core.leases import JobLock as JobLock  # the table's home is app.core.leases


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


class DeadlineExtension(TimestampMixin, Base):
    __tablename__ = "deadline_extensions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id"), index=True)
    previous_due_at: Mapped[datetime | None]
    until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    decision_ref: Mapped[str | None] = mapped_column(String(120))
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
