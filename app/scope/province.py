"""Which tips belong to a province: the one rule (API.md), used by the queue, statistics and
the SLA report, the CSV export, the change feed and its webhooks, and Open311.

A tip belongs to province P when it took place in P (``tips.province_code``), or a unit of P
holds it now (``assigned_unit_code``) or held it before (an entry in that unit's register:
every unit that receives a tip, at intake or by transfer, enters it there).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, exists, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnClause
from sqlalchemy.sql.visitors import InternalTraversal

from app.accounts.models import Role
from app.core.errors import Forbidden, Text
from app.core.principal import Principal
from app.tips.models import RegisterEntry, Tip
from app.units.models import PoliceUnit


class _InProvinceUnits(ColumnElement[bool]):
    """``column`` is the code of one of the province's police units.

    PostgreSQL: ``column = ANY(ARRAY(SELECT ...))``, which the planner treats as a list of
    values known at run time and can look up in an index on ``column`` inside an OR (a
    BitmapOr with the province branch); ``column IN (SELECT ...)`` there is a hashed
    subplan that forces a scan. Other databases: ``IN (SELECT ...)``.
    """

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True
    # Part of the statement cache key, so each province's query binds its own code.
    _traverse_internals = [  # noqa: RUF012 (as SQLAlchemy declares it)
        ("column", InternalTraversal.dp_clauseelement),
        ("units", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnClause[Any] | Any, province: str) -> None:
        self.column = column
        self.units = select(PoliceUnit.code).where(PoliceUnit.province_code == province)


@compiles(_InProvinceUnits)
def _compile_in_province_units(element: _InProvinceUnits, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column.in_(element.units), **kw))


@compiles(_InProvinceUnits, "postgresql")
def _compile_in_province_units_pg(element: _InProvinceUnits, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    units = compiler.process(element.units, **kw)
    return f"{column} = ANY(ARRAY({units}))"


def in_province(province: str) -> ColumnElement[bool]:
    """A WHERE clause on ``Tip``: the tip belongs to ``province`` (see the module's rule)."""
    return or_(
        Tip.province_code == province,
        _InProvinceUnits(Tip.assigned_unit_code, province),
        exists().where(
            RegisterEntry.tip_id == Tip.id,
            _InProvinceUnits(RegisterEntry.unit_code, province),
        ),
    )


def in_province_received(
    province: str, *, start: datetime | None, end: datetime | None
) -> ColumnElement[bool]:
    """The same rule as ``in_province``, for tips first received in ``[start, end)`` (either
    side may be open): statistics and reviews.

    Written as ``tips.id IN (a UNION of three index-driven branches)``: the place with the
    window (``ix_tips_province_first_received``), the unit holding it with the window
    (``ix_tips_unit_first_received``), and the province's units' register entries from the
    window's year on (an entry is made at or after the first receipt; its ``year`` is the
    Vietnamese year, never before the UTC year of ``start``). The OR form would make
    PostgreSQL read every tip of the window nationwide and test each.
    """

    def window(conditions: list[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
        if start is not None:
            conditions.append(Tip.first_received_at >= start)
        if end is not None:
            conditions.append(Tip.first_received_at < end)
        return conditions

    placed = select(Tip.id).where(*window([Tip.province_code == province]))
    holds = select(Tip.id).where(*window([_InProvinceUnits(Tip.assigned_unit_code, province)]))
    registered: list[ColumnElement[bool]] = [_InProvinceUnits(RegisterEntry.unit_code, province)]
    if start is not None:
        registered.append(RegisterEntry.year >= start.year)
    held = select(RegisterEntry.tip_id).where(*registered)
    return Tip.id.in_(union(placed, holds, held))


async def provinces_of_tips(session: AsyncSession, tip_ids: Iterable[str]) -> dict[str, set[str]]:
    """For each tip, every province it belongs to (the same rule, as data: for matching
    webhook subscriptions to events in memory)."""
    ids = list(set(tip_ids))
    if not ids:
        return {}
    placed = select(Tip.id.label("tip_id"), Tip.province_code.label("province")).where(
        Tip.id.in_(ids)
    )
    holds = (
        select(Tip.id.label("tip_id"), PoliceUnit.province_code.label("province"))
        .join(PoliceUnit, PoliceUnit.code == Tip.assigned_unit_code)
        .where(Tip.id.in_(ids))
    )
    held = (
        select(RegisterEntry.tip_id.label("tip_id"), PoliceUnit.province_code.label("province"))
        .join(PoliceUnit, PoliceUnit.code == RegisterEntry.unit_code)
        .where(RegisterEntry.tip_id.in_(ids))
    )
    provinces: dict[str, set[str]] = {tip_id: set() for tip_id in ids}
    for tip_id, province in (await session.execute(union(placed, holds, held))).tuples():
        provinces[tip_id].add(province)
    return provinces


NOT_YOUR_PROVINCE: Text = (
    "Bạn chỉ được thay đổi dữ liệu của tỉnh mình.",
    "You may only change your own province's data.",
)


def may_change_province(actor: Principal, province_code: str | None) -> bool:
    """Whether ``actor`` may change reference data of ``province_code`` (None: national
    data): an admin any, a province supervisor only their own province's."""
    if actor.role == Role.admin:
        return True
    return (
        actor.role == Role.province_supervisor
        and province_code is not None
        and province_code == actor.province_code
    )


def ensure_may_change_province(
    actor: Principal, province_code: str | None, *, refusal: Text = NOT_YOUR_PROVINCE
) -> None:
    """403 with ``refusal`` unless ``may_change_province``."""
    if not may_change_province(actor, province_code):
        raise Forbidden(refusal)
