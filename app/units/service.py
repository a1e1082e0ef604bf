"""Police units, tip categories, and routing a tip to its unit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import AppError, NotFound, Text
from app.units.models import Category, PoliceUnit, UnitKind
from app.units.routing import CategoryRule, Routing, candidate_unit_codes, route


class UnknownCategory(AppError):
    status, code = 422, "unknown_category"

    def __init__(self) -> None:
        message: Text = ("Không có lĩnh vực này.", "No such category.")
        super().__init__(message, errors=[("category_code", message)])


async def list_units(
    session: AsyncSession, *, province_code: str | None, kind: UnitKind | None
) -> Sequence[PoliceUnit]:
    stmt = select(PoliceUnit).order_by(PoliceUnit.code)
    if province_code:
        stmt = stmt.where(PoliceUnit.province_code == province_code)
    if kind:
        stmt = stmt.where(PoliceUnit.kind == kind.value)
    return (await session.scalars(stmt)).all()


async def get_unit(session: AsyncSession, *, code: str) -> PoliceUnit:
    unit = await session.get(PoliceUnit, code)
    if unit is None:
        raise NotFound(("Không có đơn vị này.", "No such police unit."))
    return unit


async def list_categories(session: AsyncSession) -> Sequence[Category]:
    stmt = (
        select(Category)
        .where(Category.active.is_(True))
        .order_by(Category.sort_order, Category.code)
    )
    return (await session.scalars(stmt)).all()


async def get_active_category(session: AsyncSession, *, code: str) -> Category:
    """The category, if it exists and is active; else UnknownCategory (422)."""
    category = await session.get(Category, code)
    if category is None or not category.active:
        raise UnknownCategory()
    return category


async def route_tip(
    session: AsyncSession,
    *,
    commune_code: str | None,
    province_code: str,
    category_code: str,
) -> tuple[Category, Routing]:
    """The category and the routing of a tip (see app.units.routing), using only units that
    exist and are active (a missing target falls back to the provincial duty desk)."""
    category = await get_active_category(session, code=category_code)
    rule = CategoryRule.from_category(category)
    wanted = candidate_unit_codes(
        commune_code=commune_code, province_code=province_code, category=rule
    )
    existing = await session.scalars(
        select(PoliceUnit.code).where(PoliceUnit.code.in_(wanted), PoliceUnit.active.is_(True))
    )
    routing = route(
        commune_code=commune_code,
        province_code=province_code,
        category=rule,
        unit_codes=frozenset(existing.all()),
    )
    return category, routing
