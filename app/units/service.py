"""Police units, tip categories, and routing a tip to its unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import AppError, NotFound, msg
from app.core.snapshots import SnapshotCache
from app.units.models import Category, CategoryProvinceRule, PoliceUnit, UnitKind
from app.units.routing import CategoryRule, Routing, route

# Intake routes from a per-process snapshot of units and categories (reference data), like
# the working calendar (app.units.deadlines): cached per database for this long;
# ``invalidate_reference_cache()`` after writing those tables applies a change at once in
# this process (other worker processes pick it up within the TTL).
REFERENCE_CACHE_TTL_SECONDS = 60.0


class UnknownCategory(AppError):
    status, code = 422, "unknown_category"

    def __init__(self) -> None:
        message = msg("unknown_category")
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
        raise NotFound(msg("units.not_found"))
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


@dataclass(frozen=True)
class UnitInfo:
    code: str
    name: str
    kind: str
    remote: bool
    active: bool


@dataclass(frozen=True)
class CategoryInfo:
    code: str
    kind: str
    acknowledge_working_days: int
    resolve_days: int
    active: bool
    rule: CategoryRule


@dataclass(frozen=True)
class UnitsSnapshot:
    """Police units and categories as plain values (what intake needs of them)."""

    units: Mapping[str, UnitInfo]
    categories: Mapping[str, CategoryInfo]
    active_unit_codes: frozenset[str]
    # (category code, province code) → that province's own rule.
    province_rules: Mapping[tuple[str, str], CategoryRule] = field(default_factory=dict)


def invalidate_reference_cache() -> None:
    """Forget cached unit/category snapshots (call after writing police units or categories)."""
    _reference_cache.invalidate()


async def units_snapshot(session: AsyncSession) -> UnitsSnapshot:
    """Units and categories for intake (cached per database for a short TTL)."""
    return await _reference_cache.get(session)


async def _load_units_snapshot(session: AsyncSession) -> UnitsSnapshot:
    units = {
        row.code: UnitInfo(row.code, row.name, row.kind, bool(row.remote), bool(row.active))
        for row in (
            await session.execute(
                select(
                    PoliceUnit.code,
                    PoliceUnit.name,
                    PoliceUnit.kind,
                    PoliceUnit.remote,
                    PoliceUnit.active,
                )
            )
        ).all()
    }
    categories = {
        c.code: CategoryInfo(
            code=c.code,
            kind=c.kind,
            acknowledge_working_days=c.acknowledge_working_days,
            resolve_days=c.resolve_days,
            active=c.active,
            rule=CategoryRule.from_category(c),
        )
        for c in (await session.scalars(select(Category))).all()
    }
    province_rules = {
        (r.category_code, r.province_code): CategoryRule.province_override(
            r, categories[r.category_code].kind
        )
        for r in (await session.scalars(select(CategoryProvinceRule))).all()
        if r.category_code in categories
    }
    return UnitsSnapshot(
        units=units,
        categories=categories,
        active_unit_codes=frozenset(code for code, unit in units.items() if unit.active),
        province_rules=province_rules,
    )


_reference_cache = SnapshotCache(_load_units_snapshot, ttl_seconds=REFERENCE_CACHE_TTL_SECONDS)


def route_with(
    snapshot: UnitsSnapshot, *, commune_code: str | None, province_code: str, category_code: str
) -> tuple[CategoryInfo, Routing]:
    """The category and the routing of a tip (app.units.routing) on a snapshot, using only
    units that exist and are active (a missing target falls back to the provincial duty
    desk); no database access."""
    category = snapshot.categories.get(category_code)
    if category is None or not category.active:
        raise UnknownCategory()
    routing = route(
        commune_code=commune_code,
        province_code=province_code,
        category=category.rule,
        unit_codes=snapshot.active_unit_codes,
        province_rules=snapshot.province_rules,
    )
    return category, routing
