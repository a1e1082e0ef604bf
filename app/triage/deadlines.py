"""Working-day arithmetic on the Vietnamese calendar (Asia/Ho_Chi_Minh).

A working day is Monday–Friday, minus the public holidays in ``calendar_days`` (kind
``holiday``), plus the weekend days worked in exchange for a swapped day off (kind
``working_day``). ``add_working_days`` answers the end (23:59:59 local time) of the N-th
working day after the local day of ``start``: a tip received on Sunday 2026-11-22 is to be
acknowledged within 3 working days, i.e. by 2026-11-25T23:59:59+07:00.

The calendar is data an admin updates. ``load_calendar`` caches it per process and database
for ``CALENDAR_TTL_SECONDS``; whoever writes ``calendar_days`` calls
``invalidate_calendar_cache()`` so the change applies at once in that process (other worker
processes pick it up within the TTL).
"""

from __future__ import annotations

import time as monotonic_time
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import snapshots
from app.core.time import LOCAL_TZ, local_day
from app.triage.models import CalendarDay, CalendarDayKind

END_OF_DAY = time(23, 59, 59)
CALENDAR_TTL_SECONDS = 60.0

# No real calendar has a year without working days; stop instead of looping forever.
_MAX_SCAN_DAYS = 3 * 366


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    working_days: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


def end_of_local_day(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=LOCAL_TZ)


def add_working_days(start: datetime, days: int, calendar: WorkingCalendar) -> datetime:
    """The end (23:59:59, Asia/Ho_Chi_Minh) of the ``days``-th working day after the local
    day of ``start``; for ``days == 0``, of the first working day on or after it."""
    if days < 0:
        raise ValueError("days must not be negative")
    if start.tzinfo is None:  # a legal period starts at a known instant, never a guess
        raise ValueError("an aware datetime is required")
    day = local_day(start)
    remaining = days
    scanned = 0
    if remaining == 0:
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
            scanned += 1
            if scanned > _MAX_SCAN_DAYS:
                raise ValueError("the calendar has no working day ahead")
        return end_of_local_day(day)
    while remaining:
        day += timedelta(days=1)
        scanned += 1
        if calendar.is_working_day(day):
            remaining -= 1
            scanned = 0
        elif scanned > _MAX_SCAN_DAYS:
            raise ValueError("the calendar has no working day ahead")
    return end_of_local_day(day)


_cache: dict[str, tuple[float, WorkingCalendar]] = {}


def invalidate_calendar_cache() -> None:
    """Forget cached calendars (call after writing ``calendar_days``)."""
    _cache.clear()


async def load_calendar(session: AsyncSession) -> WorkingCalendar:
    """The working calendar from ``calendar_days`` (cached per database for a short TTL)."""
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    now = monotonic_time.monotonic()
    cached = _cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    rows = (await session.execute(select(CalendarDay.day, CalendarDay.kind))).all()
    calendar = WorkingCalendar(
        holidays=frozenset(day for day, kind in rows if kind == CalendarDayKind.holiday),
        working_days=frozenset(day for day, kind in rows if kind == CalendarDayKind.working_day),
    )
    _cache[key] = (now + snapshots.ttl(CALENDAR_TTL_SECONDS), calendar)
    return calendar
