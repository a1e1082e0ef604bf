"""Working-day arithmetic on the Vietnamese calendar (Asia/Ho_Chi_Minh).

A working day is Monday–Friday, minus the public holidays in ``calendar_days`` (kind
``holiday``), plus the weekend days worked in exchange for a swapped day off (kind
``working_day``). ``add_working_days`` answers the end (23:59:59 local time) of the N-th
working day after the local day of ``start``: a tip received on Sunday 2026-11-22 is to be
acknowledged within 3 working days, i.e. by 2026-11-25T23:59:59+07:00.

``compute_deadlines`` answers every date a tip is received with (acknowledge, classify,
forward, resolve), ``handover_deadlines`` those a transfer sets: the one home of these rules,
pure functions of the kind, the unit, the category's periods, the instant and the calendar,
used by intake, the transfer and the data generator.

The calendar is data an admin updates. ``load_calendar`` caches it per process and database
for ``CALENDAR_TTL_SECONDS``; whoever writes ``calendar_days`` calls
``invalidate_calendar_cache()`` so the change applies at once in that process (other worker
processes pick it up within the TTL).
"""

from __future__ import annotations

import functools
import time as monotonic_time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import snapshots
from app.core.time import LOCAL_TZ, local_day
from app.units.models import CalendarDay, CalendarDayKind, CategoryKind, UnitKind

END_OF_DAY = time(23, 59, 59)
CALENDAR_TTL_SECONDS = 60.0

CLASSIFY_HOURS = 24  # a received tip is classified within 24 h
COMMUNE_TRANSFER_HOURS = 24  # commune police forward crime tips within 24 h (art. 146(3))
REMOTE_COMMUNE_TRANSFER_HOURS = 48  # ... 48 h for a remote commune (Circular 28/2020)
CRIME_RESOLVE_DAYS = 20  # art. 147(1), counted from receipt by the resolving unit
DEFAULT_RESOLVE_DAYS = 15  # a security/order report whose category is gone
RESOLVING_UNIT_KINDS = frozenset({UnitKind.department, UnitKind.provincial})

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
    return end_of_local_day(_nth_working_day(local_day(start), days, calendar))


@functools.lru_cache(maxsize=8192)  # pure: the data generator asks it for millions of tips
def _nth_working_day(day: date, days: int, calendar: WorkingCalendar) -> date:
    remaining = days
    scanned = 0
    if remaining == 0:
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
            scanned += 1
            if scanned > _MAX_SCAN_DAYS:
                raise ValueError("the calendar has no working day ahead")
        return day
    while remaining:
        day += timedelta(days=1)
        scanned += 1
        if calendar.is_working_day(day):
            remaining -= 1
            scanned = 0
        elif scanned > _MAX_SCAN_DAYS:
            raise ValueError("the calendar has no working day ahead")
    return day


@dataclass(frozen=True)
class Deadlines:
    """The dates a tip is received with (all aware, in UTC as stored)."""

    received_at: datetime
    acknowledge_by: datetime
    classify_by: datetime
    transfer_due_at: datetime | None
    due_at: datetime


def _transfer_hours(unit_remote: bool) -> int:
    return REMOTE_COMMUNE_TRANSFER_HOURS if unit_remote else COMMUNE_TRANSFER_HOURS


def compute_deadlines(
    *,
    kind: CategoryKind | str,
    unit_kind: UnitKind | str,
    unit_remote: bool,
    acknowledge_working_days: int,
    resolve_days: int,
    received_at: datetime,
    calendar: WorkingCalendar,
) -> Deadlines:
    """The deadlines of a tip received at ``received_at`` by a unit of ``unit_kind``.

    Acknowledged by the end of the ``acknowledge_working_days``-th working day after the
    local day of receipt; classified within 24 h; a crime tip received by commune police
    forwarded within 24 h (48 h for a remote commune); resolved ``resolve_days`` after
    receipt."""
    received_at = received_at.astimezone(UTC)
    transfer_due_at = None
    if kind == CategoryKind.crime and unit_kind == UnitKind.commune:
        transfer_due_at = received_at + timedelta(hours=_transfer_hours(unit_remote))
    return Deadlines(
        received_at=received_at,
        acknowledge_by=add_working_days(received_at, acknowledge_working_days, calendar).astimezone(
            UTC
        ),
        classify_by=received_at + timedelta(hours=CLASSIFY_HOURS),
        transfer_due_at=transfer_due_at,
        due_at=received_at + timedelta(days=resolve_days),
    )


@dataclass(frozen=True)
class HandoverDeadlines:
    """The dates a transfer sets; ``due_at`` None: the tip keeps its due date."""

    classify_by: datetime
    transfer_due_at: datetime | None
    due_at: datetime | None


def handover_deadlines(
    *,
    kind: CategoryKind | str,
    unit_kind: UnitKind | str,
    unit_remote: bool,
    resolve_days: int | None,
    handed_over_at: datetime,
) -> HandoverDeadlines:
    """The deadlines of a tip handed over at ``handed_over_at`` to a unit of ``unit_kind``.

    A crime tip handed to a resolving unit (a provincial unit or department) is due 20 days
    after the hand-over and no longer waits for a transfer; handed to another commune police,
    it must be forwarded within 24 h (48 h for a remote commune) and keeps its due date. A
    security/order report gets its category's resolution period (``resolve_days``; 15 days
    when the category is gone) afresh."""
    at = handed_over_at.astimezone(UTC)
    classify_by = at + timedelta(hours=CLASSIFY_HOURS)
    if kind != CategoryKind.crime:
        days = resolve_days if resolve_days is not None else DEFAULT_RESOLVE_DAYS
        return HandoverDeadlines(classify_by, None, at + timedelta(days=days))
    if unit_kind in RESOLVING_UNIT_KINDS:
        return HandoverDeadlines(classify_by, None, at + timedelta(days=CRIME_RESOLVE_DAYS))
    return HandoverDeadlines(classify_by, at + timedelta(hours=_transfer_hours(unit_remote)), None)


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
