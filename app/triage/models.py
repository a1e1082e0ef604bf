from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, new_id
from app.core.leases import JobLock as JobLock  # the table's home is app.core.leases

# The working calendar is reference data beside the units (app.units.deadlines counts on it).
from app.units.models import CalendarDay, CalendarDayKind, CalendarYear

__all__ = [
    "CalendarDay",
    "CalendarDayKind",
    "CalendarYear",
    "DeadlineExtension",
    "JobLock",
]


class DeadlineExtension(TimestampMixin, Base):
    __tablename__ = "deadline_extensions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tip_id: Mapped[str] = mapped_column(ForeignKey("tips.id"), index=True)
    previous_due_at: Mapped[datetime | None]
    until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    decision_ref: Mapped[str | None] = mapped_column(String(120))
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
