"""Provincial statistics, computed in SQL.

What is counted (written into the OpenAPI description too):

* A tip belongs to a province by the one rule of app.tips.provinces (it took place there, or
  a unit of the province holds or held it) and to the unit that holds it now
  (``assigned_unit_code``); the window applies to when it was first received
  (``first_received_at``, see app.integration.summary). Every tip counts, merged duplicates
  included (they were received and registered); the SLA report leaves merged tips out.
* SLA, per unit: ``received``; ``resolved_on_time`` / ``resolved_late``: closed (resolved,
  referred or rejected) at or before / after ``due_at`` (a tip without ``due_at`` is on time);
  ``open_overdue``: overdue now as the queue's ``overdue=true`` means it (clock running, not
  suspended, ``due_at`` or ``transfer_due_at`` past);
  ``median_hours_to_first_response``: median of ``first_response_at - created_at``;
  ``acknowledged_on_time`` / ``acknowledged_late``: ``acknowledged_at`` at or before / after
  ``acknowledge_by``; ``acknowledge_overdue``: not acknowledged and ``acknowledge_by`` past;
  ``classified_on_time`` / ``classified_late``: the first classification by the unit holding
  the tip (its first move out of ``received``, or a ``tip.corrected`` reclassification, at or
  after the unit received it) at or before / after ``classify_by``; ``classify_overdue``: still
  ``received``, never classified there, ``classify_by`` past.
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
    and_,
    case,
    cast,
    extract,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.accounts.models import Role
from app.admin_units.models import Province
from app.core.errors import NotFound, ValidationFailed
from app.core.messages import Message, msg
from app.core.principal import Principal
from app.integration.periods import Window
from app.integration.summary import Filters, conditions
from app.scope.visibility import sees_personal_data
from app.tips.models import Tip, TipEvent, TipStatus
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
            raise NotFound(msg("integration.province_not_found"))
        if principal.province_code is None:
            raise NotFound(msg("integration.province_not_found"))
        province_code = principal.province_code
    elif province_code is not None and await session.get(Province, province_code) is None:
        raise NotFound(msg("integration.province_not_found"))
    if unit_code is not None:
        unit = await session.get(PoliceUnit, unit_code)
        if unit is None or (province_code is not None and unit.province_code != province_code):
            raise NotFound(msg("integration.unit_not_found"))
    return Scope(province_code=province_code, unit_code=unit_code)


def _conditions(scope: Scope, window: Window) -> list[ColumnElement[bool]]:
    return conditions(Filters(province_code=scope.province_code, unit_code=scope.unit_code), window)


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


def _first_classification() -> ColumnElement[Any]:
    """When the unit holding the tip first classified it: its first move out of
    ``received`` or a reclassification (``tip.corrected``), since it received the tip."""
    return (
        select(func.min(TipEvent.at))
        .where(
            TipEvent.tip_id == Tip.id,
            TipEvent.at >= Tip.received_at,
            or_(
                and_(
                    TipEvent.type == "tip.status_changed",
                    TipEvent.from_status == TipStatus.received.value,
                ),
                TipEvent.type == "tip.corrected",
            ),
        )
        .correlate(Tip)
        .scalar_subquery()
    )


def _total(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sla_rows(where: Sequence[ColumnElement[bool]], now: datetime) -> Any:
    """One row per tip with what the SLA figures compare (the classification looked up once)."""
    closed = and_(Tip.status.in_(CLOSED_STATUSES), Tip.closed_at.is_not(None))

    def flag(condition: ColumnElement[bool], name: str) -> ColumnElement[int]:
        return case((condition, 1), else_=0).label(name)

    return (
        select(
            Tip.assigned_unit_code.label("unit"),
            Tip.status.label("status"),
            Tip.acknowledged_at.label("acknowledged_at"),
            Tip.acknowledge_by.label("acknowledge_by"),
            Tip.classify_by.label("classify_by"),
            _first_classification().label("classified_at"),
            flag(and_(closed, Tip.due_at.is_(None) | (Tip.closed_at <= Tip.due_at)), "on_time"),
            flag(and_(closed, Tip.due_at.is_not(None), Tip.closed_at > Tip.due_at), "late"),
            # The queue's own definition (overdue=true): clock running, a deadline past.
            flag(func.coalesce(overdue_clause(now), False), "overdue"),
        )
        .where(*where)
        .subquery("sla_tips")
    )


def _sla_columns(tips: Any, now: datetime) -> list[ColumnElement[Any]]:
    acknowledged = tips.c.acknowledged_at.is_not(None)
    classified = tips.c.classified_at
    has_deadline = tips.c.classify_by.is_not(None)
    return [
        func.count().label("received"),
        func.coalesce(func.sum(tips.c.on_time), 0).label("on_time"),
        func.coalesce(func.sum(tips.c.late), 0).label("late"),
        func.coalesce(func.sum(tips.c.overdue), 0).label("overdue"),
        _total(and_(acknowledged, tips.c.acknowledged_at <= tips.c.acknowledge_by)).label(
            "ack_on_time"
        ),
        _total(and_(acknowledged, tips.c.acknowledged_at > tips.c.acknowledge_by)).label(
            "ack_late"
        ),
        _total(and_(tips.c.acknowledged_at.is_(None), tips.c.acknowledge_by < now)).label(
            "ack_overdue"
        ),
        _total(and_(has_deadline, classified <= tips.c.classify_by)).label("cls_on_time"),
        _total(and_(has_deadline, classified > tips.c.classify_by)).label("cls_late"),
        _total(
            and_(
                has_deadline,
                classified.is_(None),
                tips.c.status == TipStatus.received.value,
                tips.c.classify_by < now,
            )
        ).label("cls_overdue"),
    ]


async def sla(
    session: AsyncSession, *, scope: Scope, window: Window, now: datetime
) -> list[dict[str, Any]]:
    """Per unit holding tips received in the window: the SLA figures."""
    where = [*_conditions(scope, window), Tip.status != TipStatus.merged]
    tips = _sla_rows(where, now)
    query = (
        select(tips.c.unit, PoliceUnit.name, *_sla_columns(tips, now))
        .join(PoliceUnit, PoliceUnit.code == tips.c.unit)
        .group_by(tips.c.unit, PoliceUnit.name)
        .order_by(tips.c.unit)
    )
    rows = (await session.execute(query)).all()
    medians = await _median_hours(session, where)
    return [
        {
            "unit_code": row.unit,
            "unit_name": row.name,
            "received": int(row.received),
            "resolved_on_time": int(row.on_time),
            "resolved_late": int(row.late),
            "open_overdue": int(row.overdue),
            "median_hours_to_first_response": (
                round(medians[row.unit], 2) if row.unit in medians else None
            ),
            "acknowledged_on_time": int(row.ack_on_time),
            "acknowledged_late": int(row.ack_late),
            "acknowledge_overdue": int(row.ack_overdue),
            "classified_on_time": int(row.cls_on_time),
            "classified_late": int(row.cls_late),
            "classify_overdue": int(row.cls_overdue),
        }
        for row in rows
    ]


# --- hotspots -----------------------------------------------------------------------------


# What analysts and API keys may ask for (API.md, Reporter privacy): a cell small enough, or
# a count low enough, would place a single tip.
PRIVATE_MIN_CELL_M = 500
PRIVATE_MIN_COUNT = 5


def check_hotspot_floor(principal: Principal, *, cell_m: int, min_count: int) -> None:
    """422 when a reader without personal data asks for cells finer than the floor."""
    if sees_personal_data(principal):
        return
    errors: list[tuple[str, Message]] = []
    if cell_m < PRIVATE_MIN_CELL_M:
        errors.append(("cell_m", msg("stats.cell_too_small", minimum=PRIVATE_MIN_CELL_M)))
    if min_count < PRIVATE_MIN_COUNT:
        errors.append(("min_count", msg("stats.count_too_small", minimum=PRIVATE_MIN_COUNT)))
    if errors:
        raise ValidationFailed(errors=errors)


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
