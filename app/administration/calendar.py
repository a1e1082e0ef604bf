"""The working calendar per year: read, replace (which confirms the year), and the open tips
whose acknowledgement deadline moves with it.

Shipped years whose days are defaults (2027–2028: the government decides Tết and swapped days
each year) have no confirmed ``calendar_years`` row until an admin replaces them.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, extract, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.administration.events import ReferenceKind, reference_changed
from app.administration.schemas import CalendarDayOut, CalendarIn, CalendarOut
from app.core.db import utcnow
from app.core.errors import ValidationFailed, msg
from app.core.principal import Principal
from app.tips.models import Tip, TipStatus
from app.tips.timeline import record_event
from app.triage.workflow import TERMINAL_STATUSES
from app.units.deadlines import add_working_days, invalidate_calendar_cache, load_calendar
from app.units.models import CalendarDay, CalendarYear, Category

MIN_YEAR, MAX_YEAR = 2000, 2100


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(
            errors=[("year", msg("calendar.year_range", low=MIN_YEAR, high=MAX_YEAR))]
        )


async def get_calendar(session: AsyncSession, *, year: int) -> CalendarOut:
    _check_year(year)
    rows = await session.scalars(
        select(CalendarDay)
        .where(extract("year", CalendarDay.day) == year)
        .order_by(CalendarDay.day)
    )
    status = await session.get(CalendarYear, year)
    return CalendarOut(
        year=year,
        confirmed=bool(status and status.confirmed),
        days=[CalendarDayOut(date=r.day, kind=r.kind, name=r.name) for r in rows],
    )


async def replace_calendar(
    session: AsyncSession, *, actor: Principal, year: int, data: CalendarIn
) -> CalendarOut:
    """Replace the year's exceptions to the Monday–Friday week and mark the year confirmed;
    open, unacknowledged tips whose ``acknowledge_by`` moves get the new date and an event."""
    _check_year(year)
    seen: set[date] = set()
    for i, day in enumerate(data.days):
        if day.date.year != year or day.date in seen:
            raise ValidationFailed(errors=[(f"days.{i}.date", msg("calendar.day_of_year"))])
        seen.add(day.date)
    now = utcnow()
    await session.execute(delete(CalendarDay).where(extract("year", CalendarDay.day) == year))
    session.add_all(CalendarDay(day=d.date, kind=d.kind.value, name=d.name) for d in data.days)
    status = await session.get(CalendarYear, year)
    if status is None:
        status = CalendarYear(year=year)
        session.add(status)
    status.confirmed, status.confirmed_at = True, now
    status.confirmed_by = actor.label[:64]
    await session.flush()
    invalidate_calendar_cache()  # this transaction's recomputation needs the new days
    moved = await recompute_acknowledge_by(session, actor=actor)
    await reference_changed(
        session,
        actor=actor,
        kind=ReferenceKind.calendar,
        code=str(year),
        action="calendar.replaced",
        data={"days": len(data.days), "recomputed_tips": moved},
    )
    result = await get_calendar(session, year=year)
    result.recomputed_tips = moved
    return result


async def recompute_acknowledge_by(session: AsyncSession, *, actor: Principal) -> int:
    """Recompute ``acknowledge_by`` of open tips not yet acknowledged; returns how many moved.

    Such tips were never transferred (a transfer acknowledges), so ``received_at`` is still
    the time of receipt the deadline counts from.
    """
    calendar = await load_calendar(session)
    open_statuses = [s.value for s in TipStatus if s not in TERMINAL_STATUSES]
    rows = (
        await session.execute(
            select(Tip, Category.acknowledge_working_days)
            .join(Category, Category.code == Tip.category_code)
            .where(Tip.acknowledged_at.is_(None), Tip.status.in_(open_statuses))
        )
    ).all()
    now = utcnow()
    moved = 0
    for tip, days in rows:
        new = add_working_days(tip.received_at, days, calendar)
        if new == tip.acknowledge_by:
            continue
        previous = tip.acknowledge_by
        tip.acknowledge_by = new
        record_event(
            session,
            tip=tip,
            type="tip.deadline_recomputed",
            actor=actor,
            at=now,
            data={
                "deadline": "acknowledge_by",
                "previous": previous.isoformat(),
                "until": new.isoformat(),
                "reason": "calendar",
            },
        )
        moved += 1
    await session.flush()
    return moved
