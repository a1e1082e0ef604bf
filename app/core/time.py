"""Time: aware UTC everywhere, Vietnamese local time for calendar-day rules.

The database hands back aware UTC datetimes on both dialects (``app.core.db.UTCDateTime``);
what can still be naive is input from a client or a test, and naive means UTC. This module is
the one home of these conversions.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from datetime import time as clock
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive input is taken to be UTC already).

    Raises ``OverflowError`` when the instant lies outside what a datetime can hold in UTC
    (``0001-01-01T00:00:00+23:59``); callers that take client input turn that into a 422.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def as_utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def to_local(value: datetime) -> datetime:
    """``value`` in Vietnamese local time, with its +07:00 offset."""
    return as_utc(value).astimezone(LOCAL_TZ)


def local_day(value: datetime) -> date:
    """The Vietnamese calendar day ``value`` falls on."""
    return to_local(value).date()


def local_day_start(day: date) -> datetime:
    """The UTC instant a Vietnamese calendar day begins."""
    return datetime.combine(day, clock.min, tzinfo=LOCAL_TZ).astimezone(UTC)


def add_months(start: datetime, months: int) -> datetime:
    """``start`` plus calendar months, counted on the Vietnamese calendar.

    The day is clamped to the month's length (31 January + 1 month = 28/29 February), the
    way legal periods "of N months" end on the same-numbered day.
    """
    local = to_local(start)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(UTC)
