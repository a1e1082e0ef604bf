"""Small time helpers for the workflow: UTC normalisation and calendar months."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime. SQLite hands back naive values; they were stored as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def as_utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def add_months(start: datetime, months: int) -> datetime:
    """``start`` plus calendar months, counted on the Vietnamese calendar.

    The day is clamped to the month's length (31 January + 1 month = 28/29 February), the
    way legal periods "of N months" end on the same-numbered day.
    """
    local = as_utc(start).astimezone(LOCAL_TZ)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(UTC)
