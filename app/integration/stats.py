"""Provincial statistics, computed in SQL.

What is counted (written into the OpenAPI description too):

* A tip belongs to a province by the one rule of app.scope.province (it took place there, or
  a unit of the province holds or held it) and to the unit that holds it now
  (``assigned_unit_code``); the window applies to when it was submitted
  (``created_at``). Every submitted tip counts, merged duplicates included (they were
  received and registered); the SLA report leaves merged tips out.
* SLA, per unit: ``received``; ``resolved_on_time`` / ``resolved_late``: closed (resolved,
  referred or rejected) at or before / after ``due_at`` (a tip without ``due_at`` is on time);
  ``open_overdue``: overdue now as the queue's ``overdue=true`` means it (clock running, not
  suspended, ``due_at`` or ``transfer_due_at`` past);
  ``median_hours_to_first_response``: median of ``first_response_at - created_at``.
* Hotspots: an equal-angle grid; a cell is ``cell_m`` tall, and ``cell_m`` wide at 16°N
  (Vietnam's middle latitude; within ±4 % of ``cell_m`` from 8.5°N to 23.4°N). The grid is
  fixed (anchored at 0°, 0°), so cells are comparable between queries. Tips without a point
  are not placed; cells with fewer than ``min_count`` tips are left out, so a single tip's
  place is not revealed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.accounts.models import Role
from app.admin_units.models import Province
from app.core.errors import NotFound
from app.core.principal import Principal
from app.integration.periods import VN_UTC_OFFSET_HOURS, Window
from app.integration.schemas import GroupBy
from app.scope.province import in_province
from app.tips.models import Tip, TipStatus
from app.triage.overdue import overdue_clause
from app.units.models import PoliceUnit

CLOSED_STATUSES = (TipStatus.resolved, TipStatus.referred, TipStatus.rejected)
METRES_PER_DEGREE = 111_320.0
GRID_REFERENCE_LATITUDE = 16.0
MAX_HOTSPOT_CELLS = 5000


@dataclass(frozen=True)
class Scope:
    """What a statistics query covers: a province (None = every province) and a unit."""

    province_code: str | None
    unit_code: str | None = None


_PROVINCE_NOT_FOUND = ("Không tìm thấy tỉnh/thành phố.", "Province not found.")
_UNIT_NOT_FOUND = ("Không tìm thấy đơn vị.", "Unit not found.")


async def resolve_scope(
    session: AsyncSession,
    *,
    principal: Principal,
    province_code: str | None,
    unit_code: str | None = None,
) -> Scope:
    """The scope a caller asked for, within what it may see.

    Supervisors and analysts see their own province (the default); asking for another
    province, or a unit of another province, answers 404 like an unknown code.
    """
    if principal.role != Role.admin:
        if province_code is not None and province_code != principal.province_code:
            raise NotFound(_PROVINCE_NOT_FOUND)
        if principal.province_code is None:
            raise NotFound(_PROVINCE_NOT_FOUND)
        province_code = principal.province_code
    elif province_code is not None and await session.get(Province, province_code) is None:
        raise NotFound(_PROVINCE_NOT_FOUND)
    if unit_code is not None:
        unit = await session.get(PoliceUnit, unit_code)
        if unit is None or (province_code is not None and unit.province_code != province_code):
            raise NotFound(_UNIT_NOT_FOUND)
    return Scope(province_code=province_code, unit_code=unit_code)


def _conditions(scope: Scope, window: Window) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if scope.province_code is not None:
        conditions.append(in_province(scope.province_code))
    if scope.unit_code is not None:
        conditions.append(Tip.assigned_unit_code == scope.unit_code)
    if window.start is not None:
        conditions.append(Tip.created_at >= window.start)
    if window.end is not None:
        conditions.append(Tip.created_at < window.end)
    return conditions


def _sql_text(value: str) -> ColumnElement[str]:
    assert "'" not in value
    return literal_column(f"'{value}'", String)


def _local_date(column: Any, dialect: str, *, month: bool) -> ColumnElement[str]:
    """The Vietnamese calendar day (YYYY-MM-DD) or month (YYYY-MM) of a UTC timestamp."""
    # Constants are inlined, not bound: PostgreSQL must see the GROUP BY expression and the
    # selected one as the same expression.
    if dialect == "postgresql":
        local = func.timezone(_sql_text("Asia/Ho_Chi_Minh"), column)
        return func.to_char(local, _sql_text("YYYY-MM" if month else "YYYY-MM-DD"))
    return func.strftime(
        _sql_text("%Y-%m" if month else "%Y-%m-%d"),
        column,
        _sql_text(f"+{VN_UTC_OFFSET_HOURS} hours"),
    )


def _group_key(group_by: GroupBy, dialect: str) -> ColumnElement[Any]:
    if group_by is GroupBy.day:
        return _local_date(Tip.created_at, dialect, month=False)
    if group_by is GroupBy.month:
        return _local_date(Tip.created_at, dialect, month=True)
    column = {
        GroupBy.category: Tip.category_code,
        GroupBy.unit: Tip.assigned_unit_code,
        GroupBy.status: Tip.status,
        GroupBy.organization: Tip.organization_id,
        GroupBy.movement_model: Tip.movement_model,
    }[group_by]
    return column  # type: ignore[return-value]


async def summary(
    session: AsyncSession, *, scope: Scope, window: Window, group_by: GroupBy
) -> tuple[list[tuple[str | None, int]], int]:
    """Tip counts per group, largest first for codes, in time order for days and months."""
    key = _group_key(group_by, session.bind.dialect.name).label("key")
    count = func.count().label("tips")
    query = select(key, count).where(*_conditions(scope, window)).group_by(key)
    if group_by in (GroupBy.day, GroupBy.month):
        query = query.order_by(key)
    else:
        query = query.order_by(count.desc(), key)
    groups = [(row.key, int(row.tips)) for row in (await session.execute(query)).all()]
    return groups, sum(c for _, c in groups)


# --- SLA ----------------------------------------------------------------------------------


def _hours_between(start: Any, end: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


async def _median_hours(
    session: AsyncSession, conditions: Sequence[ColumnElement[bool]]
) -> dict[str, float]:
    dialect = session.bind.dialect.name
    hours = _hours_between(Tip.created_at, Tip.first_response_at, dialect)
    answered = [*conditions, Tip.first_response_at.is_not(None)]
    if dialect == "postgresql":
        median = func.percentile_cont(0.5).within_group(hours)
        query = (
            select(Tip.assigned_unit_code, median).where(*answered).group_by(Tip.assigned_unit_code)
        )
    else:
        # The middle row (odd count) or the two middle rows (even count) of each unit.
        ranked = (
            select(
                Tip.assigned_unit_code.label("unit"),
                hours.label("hours"),
                func.row_number()
                .over(partition_by=Tip.assigned_unit_code, order_by=hours)
                .label("rn"),
                func.count().over(partition_by=Tip.assigned_unit_code).label("n"),
            )
            .where(*answered)
            .subquery()
        )
        query = (
            select(ranked.c.unit, func.avg(ranked.c.hours))
            .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
            .group_by(ranked.c.unit)
        )
    return {unit: float(value) for unit, value in (await session.execute(query)).all()}


async def sla(
    session: AsyncSession, *, scope: Scope, window: Window, now: datetime
) -> list[dict[str, Any]]:
    """Per unit holding tips submitted in the window: the SLA figures."""
    conditions = [*_conditions(scope, window), Tip.status != TipStatus.merged]
    closed = and_(Tip.status.in_(CLOSED_STATUSES), Tip.closed_at.is_not(None))
    on_time = and_(closed, (Tip.due_at.is_(None)) | (Tip.closed_at <= Tip.due_at))
    late = and_(closed, Tip.due_at.is_not(None), Tip.closed_at > Tip.due_at)
    # The queue's own definition (overdue=true): clock running, due_at or transfer_due_at past.
    overdue = func.coalesce(overdue_clause(now), False)

    def total(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            Tip.assigned_unit_code,
            PoliceUnit.name,
            func.count().label("received"),
            total(on_time).label("on_time"),
            total(late).label("late"),
            total(overdue).label("overdue"),
        )
        .join(PoliceUnit, PoliceUnit.code == Tip.assigned_unit_code)
        .where(*conditions)
        .group_by(Tip.assigned_unit_code, PoliceUnit.name)
        .order_by(Tip.assigned_unit_code)
    )
    rows = (await session.execute(query)).all()
    medians = await _median_hours(session, conditions)
    return [
        {
            "unit_code": row.assigned_unit_code,
            "unit_name": row.name,
            "received": int(row.received),
            "resolved_on_time": int(row.on_time),
            "resolved_late": int(row.late),
            "open_overdue": int(row.overdue),
            "median_hours_to_first_response": (
                round(medians[row.assigned_unit_code], 2)
                if row.assigned_unit_code in medians
                else None
            ),
        }
        for row in rows
    ]


# --- hotspots -----------------------------------------------------------------------------


def grid_steps(cell_m: int) -> tuple[float, float]:
    """Degrees of latitude and longitude per cell."""
    dlat = cell_m / METRES_PER_DEGREE
    dlon = cell_m / (METRES_PER_DEGREE * math.cos(math.radians(GRID_REFERENCE_LATITUDE)))
    return dlat, dlon


def _floor(value: ColumnElement[Any], dialect: str) -> ColumnElement[int]:
    if dialect == "postgresql":
        return cast(func.floor(value), Integer)
    # SQLite may lack floor(): truncate, then step down for negative non-integers.
    truncated = cast(value, Integer)
    return truncated - case((value < truncated, 1), else_=0)


async def hotspots(
    session: AsyncSession,
    *,
    scope: Scope,
    window: Window,
    cell_m: int,
    min_count: int,
    category_code: str | None = None,
) -> list[tuple[float, float, int]]:
    """Grid cells holding at least ``min_count`` tips: (centre lat, centre lon, count)."""
    dialect = session.bind.dialect.name
    dlat, dlon = grid_steps(cell_m)
    row_index = _floor(Tip.lat / literal_column(repr(dlat), Float), dialect).label("i")
    col_index = _floor(Tip.lon / literal_column(repr(dlon), Float), dialect).label("j")
    count = func.count().label("tips")
    conditions = [*_conditions(scope, window), Tip.lat.is_not(None), Tip.lon.is_not(None)]
    if category_code is not None:
        conditions.append(Tip.category_code == category_code)
    query = (
        select(row_index, col_index, count)
        .where(*conditions)
        .group_by(row_index, col_index)
        .having(func.count() >= min_count)
        .order_by(count.desc(), row_index, col_index)
        .limit(MAX_HOTSPOT_CELLS)
    )
    return [
        (round((row.i + 0.5) * dlat, 6), round((row.j + 0.5) * dlon, 6), int(row.tips))
        for row in (await session.execute(query)).all()
    ]
