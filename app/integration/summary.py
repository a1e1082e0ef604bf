"""Tip counts by one or two dimensions, with names for the codes (stats/summary, front/stats,
the review workbook).

What is counted (written into the OpenAPI description too):

* The window applies to the time the tip was first received (``tips.first_received_at``:
  a back-dated walk-in or hotline intake counts on the day its record says it was received;
  a transfer does not move it). ``day`` and ``month`` are Vietnamese calendar days of it.
* Each tip is one row: it is counted once, whatever its transfers (the province rule is a
  condition on the row, never a join; a province's summary reads the province's stored rows
  of the rule, one per tip, with their copies of the tip's columns: app.tips.provinces),
  under its current category, unit, status and outcome (a correction moves it to the new
  category). Merged duplicates count too: they were received and registered;
  ``status=merged`` shows them.
* ``province`` is the province where the tip took place; ``unit`` the unit holding it now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, String, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.accounts.models import MovementModel, Organization
from app.admin_units.models import Province
from app.core.errors import ValidationFailed, msg
from app.integration.periods import VN_UTC_OFFSET_HOURS, Window
from app.tips.models import Tip, TipProvince
from app.tips.provinces import in_province_received, stored
from app.units.models import Category, PoliceUnit

MAX_DIMENSIONS = 2
KEY_SEPARATOR = "|"


class Dimension(StrEnum):
    category = "category"
    unit = "unit"
    status = "status"
    outcome = "outcome"
    kind = "kind"
    tip_type = "tip_type"
    channel = "channel"
    organization = "organization"
    movement_model = "movement_model"
    province = "province"
    day = "day"
    month = "month"


TIME_DIMENSIONS = frozenset({Dimension.day, Dimension.month})
FRONT_DIMENSIONS = (
    Dimension.status,
    Dimension.category,
    Dimension.movement_model,
    Dimension.organization,
    Dimension.outcome,
)

_COLUMNS: dict[Dimension, Any] = {
    Dimension.category: Tip.category_code,
    Dimension.unit: Tip.assigned_unit_code,
    Dimension.status: Tip.status,
    Dimension.outcome: Tip.outcome,
    Dimension.kind: Tip.kind,
    Dimension.tip_type: Tip.tip_type,
    Dimension.channel: Tip.channel,
    Dimension.organization: Tip.organization_id,
    Dimension.movement_model: Tip.movement_model,
    Dimension.province: Tip.province_code,
}
# Dimensions whose keys have names: (table, key column, name column).
_LABELS: dict[Dimension, tuple[Any, Any]] = {
    Dimension.category: (Category.code, Category.name),
    Dimension.unit: (PoliceUnit.code, PoliceUnit.name),
    Dimension.organization: (Organization.id, Organization.name),
    Dimension.movement_model: (MovementModel.code, MovementModel.name),
    Dimension.province: (Province.code, Province.name),
}
# Row filters (query parameter -> column).
FILTER_COLUMNS: dict[str, Any] = {
    "category_code": Tip.category_code,
    "kind": Tip.kind,
    "channel": Tip.channel,
    "tip_type": Tip.tip_type,
    "outcome": Tip.outcome,
    "status": Tip.status,
}


def parse_dimensions(
    value: str | None,
    *,
    allowed: Sequence[Dimension] = tuple(Dimension),
    default: Dimension = Dimension.category,
) -> tuple[Dimension, ...]:
    """``group_by`` as given (``category`` or ``category,unit``); 422 when malformed."""
    if value is None or not value.strip():
        return (default,)
    names = [part.strip() for part in value.split(",")]
    choices = ", ".join(d.value for d in allowed)
    if any(name not in {d.value for d in allowed} for name in names):
        raise ValidationFailed(errors=[("group_by", msg("invalid_choice", choices=choices))])
    if len(names) > MAX_DIMENSIONS or len(set(names)) != len(names):
        raise ValidationFailed(errors=[("group_by", msg("stats.group_by_count"))])
    return tuple(Dimension(name) for name in names)


@dataclass(frozen=True)
class Filters:
    """Which tips a summary counts: a province (None: every one), a unit holding them now,
    the Front organizations (a subtree), and equality filters on the row."""

    province_code: str | None = None
    unit_code: str | None = None
    organizations: Any = None  # a SELECT of organization ids
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Group:
    keys: dict[str, str | None]
    count: int
    labels: dict[str, str | None]

    @property
    def key(self) -> str | None:
        values = list(self.keys.values())
        if len(values) == 1:
            return values[0]
        return KEY_SEPARATOR.join(v or "" for v in values)

    @property
    def label(self) -> str | None:
        """The name (one dimension); the names joined by `` | `` (two, a value without a
        name standing for itself); None when no value of the group has a name."""
        if not any(self.labels.values()):
            return None
        if len(self.keys) == 1:
            return next(iter(self.labels.values()))
        return " | ".join(self.labels.get(d) or (self.keys[d] or "") for d in self.keys)


def conditions(filters: Filters, window: Window) -> list[ColumnElement[bool]]:
    """WHERE conditions on ``Tip`` (the window on the first receipt).

    With a province, the window is the province rule's (its stored rows carry the first
    receipt): repeated on ``tips``, it would let PostgreSQL prefer reading the window's tips
    nationwide to the province's range.
    """
    where: list[ColumnElement[bool]] = []
    if filters.province_code is not None:
        where.append(
            in_province_received(filters.province_code, start=window.start, end=window.end)
        )
        window = Window()
    if filters.unit_code is not None:
        where.append(Tip.assigned_unit_code == filters.unit_code)
    if filters.organizations is not None:
        where.append(Tip.organization_id.in_(filters.organizations))
    for name, value in filters.values.items():
        where.append(FILTER_COLUMNS[name] == value)
    if window.start is not None:
        where.append(Tip.first_received_at >= window.start)
    if window.end is not None:
        where.append(Tip.first_received_at < window.end)
    return where


def _stored_conditions(filters: Filters, window: Window) -> list[ColumnElement[bool]]:
    """``conditions`` for a province's summary, on the province's stored rows (one range of
    ``ix_tip_provinces_province_received``, which carries every column used here)."""
    where: list[ColumnElement[bool]] = [TipProvince.province_code == filters.province_code]
    if window.start is not None:
        where.append(TipProvince.first_received_at >= window.start)
    if window.end is not None:
        where.append(TipProvince.first_received_at < window.end)
    if filters.unit_code is not None:
        where.append(stored(Tip.assigned_unit_code) == filters.unit_code)
    if filters.organizations is not None:
        where.append(stored(Tip.organization_id).in_(filters.organizations))
    for name, value in filters.values.items():
        where.append(stored(FILTER_COLUMNS[name]) == value)
    return where


def _sql_text(value: str) -> ColumnElement[str]:
    assert "'" not in value
    return literal_column(f"'{value}'", String)


def local_date(column: Any, dialect: str, *, month: bool) -> ColumnElement[str]:
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


def _column(
    dimension: Dimension, dialect: str, *, rows: bool
) -> ColumnElement[Any] | InstrumentedAttribute[Any]:
    """The dimension's column on ``tips``, or (``rows``) on the stored province rows."""
    if dimension in TIME_DIMENSIONS:
        received = TipProvince.first_received_at if rows else Tip.first_received_at
        return local_date(received, dialect, month=dimension is Dimension.month)
    return stored(_COLUMNS[dimension]) if rows else _COLUMNS[dimension]


async def _labels(session: AsyncSession, dimension: Dimension, keys: set[str]) -> dict[str, str]:
    if dimension not in _LABELS or not keys:
        return {}
    code, name = _LABELS[dimension]
    rows = await session.execute(select(code, name).where(code.in_(sorted(keys))))
    return {str(key): str(value) for key, value in rows.all()}


def _order(dimensions: Sequence[Dimension], group: Group) -> tuple[Any, ...]:
    """Time dimensions in time order, then largest first, then by key (nulls last)."""
    times = tuple(group.keys[d] or "" for d in dimensions if d in TIME_DIMENSIONS)
    rest = tuple(
        (group.keys[d] is None, group.keys[d] or "") for d in dimensions if d not in TIME_DIMENSIONS
    )
    return (times, -group.count, rest)


async def summarize(
    session: AsyncSession,
    *,
    filters: Filters,
    window: Window,
    dimensions: Sequence[Dimension],
) -> tuple[list[Group], int]:
    """Tip counts per group (see the module's rules) and the total."""
    dialect = session.bind.dialect.name
    rows_only = filters.province_code is not None
    columns = [_column(d, dialect, rows=rows_only).label(f"k{i}") for i, d in enumerate(dimensions)]
    where = _stored_conditions(filters, window) if rows_only else conditions(filters, window)
    count = func.count().label("tips")
    query = select(*columns, count).where(*where).group_by(*columns)
    rows = (await session.execute(query)).all()
    labels = {
        d: await _labels(session, d, {row[i] for row in rows if row[i] is not None})
        for i, d in enumerate(dimensions)
    }
    groups = []
    for row in rows:
        keys = {d.value: row[i] for i, d in enumerate(dimensions)}
        named = {
            d.value: labels[d].get(row[i]) if row[i] is not None else None
            for i, d in enumerate(dimensions)
            if d in _LABELS
        }
        groups.append(Group(keys=keys, count=int(row.tips), labels=named))
    groups.sort(key=lambda g: _order(dimensions, g))
    return groups, sum(g.count for g in groups)
