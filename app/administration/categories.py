"""Categories, their national routing and each province's own rule; police units.

Who may change what (API.md): admins everything; a province supervisor only their own
province's routing rules and the ``name``/``remote`` of their province's units. Routing changes
apply to tips received after them, never to tips already routed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.admin_units.models import Commune, Province
from app.administration.events import ReferenceKind, reference_changed
from app.administration.schemas import (
    CategoryCreate,
    CategoryFields,
    ProvinceRuleIn,
    UnitCreate,
    UnitPatch,
)
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed, msg
from app.core.principal import Principal
from app.scope.province import ensure_may_change_province
from app.units.models import Category, CategoryProvinceRule, PoliceUnit, UnitKind
from app.units.routing import provincial_unit_code


async def _category(session: AsyncSession, code: str) -> Category:
    category = await session.get(Category, code)
    if category is None:
        raise NotFound(msg("categories.not_found"))
    return category


async def create_category(
    session: AsyncSession, *, actor: Principal, data: CategoryCreate
) -> Category:
    if await session.get(Category, data.code) is not None:
        raise Conflict(msg("categories.code_taken"))
    values = data.model_dump(exclude_none=True)
    category = Category(**{"description": "", "watch_departments": [], **values})
    session.add(category)
    await session.flush()
    await reference_changed(
        session,
        actor=actor,
        kind=ReferenceKind.category,
        code=category.code,
        action="category.created",
        data=values,
    )
    return category


async def update_category(
    session: AsyncSession, *, actor: Principal, code: str, data: CategoryFields
) -> Category:
    category = await _category(session, code)
    changes = _changes(category, data.model_dump(exclude_unset=True, exclude_none=True))
    if changes:
        await reference_changed(
            session,
            actor=actor,
            kind=ReferenceKind.category,
            code=code,
            action="category.updated",
            data={"changes": changes},
        )
    return category


async def put_province_rule(
    session: AsyncSession, *, actor: Principal, code: str, province_code: str, data: ProvinceRuleIn
) -> CategoryProvinceRule:
    ensure_may_change_province(actor, province_code)
    await _category(session, code)
    if await session.get(Province, province_code) is None:
        raise NotFound(msg("categories.province_not_found"))
    rule = await session.get(CategoryProvinceRule, (code, province_code))
    values = {"route_to": data.route_to, "watch_departments": list(data.watch_departments)}
    if rule is None:
        rule = CategoryProvinceRule(category_code=code, province_code=province_code, **values)
        session.add(rule)
    else:
        for field, value in values.items():
            setattr(rule, field, value)
    await session.flush()
    await reference_changed(
        session,
        actor=actor,
        kind=ReferenceKind.category,
        code=code,
        action="category.province_rule_set",
        data={"province_code": province_code, **values},
    )
    return rule


async def delete_province_rule(
    session: AsyncSession, *, actor: Principal, code: str, province_code: str
) -> None:
    ensure_may_change_province(actor, province_code)
    rule = await session.get(CategoryProvinceRule, (code, province_code))
    if rule is None:
        raise NotFound(msg("categories.no_province_rule"))
    await session.delete(rule)
    await session.flush()
    await reference_changed(
        session,
        actor=actor,
        kind=ReferenceKind.category,
        code=code,
        action="category.province_rule_deleted",
        data={"province_code": province_code},
    )


async def list_province_rules(session: AsyncSession, *, code: str) -> list[CategoryProvinceRule]:
    await _category(session, code)
    stmt = (
        select(CategoryProvinceRule)
        .where(CategoryProvinceRule.category_code == code)
        .order_by(CategoryProvinceRule.province_code)
    )
    return list(await session.scalars(stmt))


# --- police units -------------------------------------------------------------------------


async def create_unit(session: AsyncSession, *, actor: Principal, data: UnitCreate) -> PoliceUnit:
    if await session.get(PoliceUnit, data.code) is not None:
        raise Conflict(msg("units.code_taken"))
    if await session.get(Province, data.province_code) is None:
        raise ValidationFailed(errors=[("province_code", msg("administration.unknown_province"))])
    if data.kind == UnitKind.commune:
        commune = await session.get(Commune, data.commune_code) if data.commune_code else None
        if commune is None or commune.province_code != data.province_code:
            raise ValidationFailed(errors=[("commune_code", msg("units.commune_required"))])
    if data.kind == UnitKind.department and data.department is None:
        raise ValidationFailed(errors=[("department", msg("units.department_required"))])
    parent = data.parent_code
    if parent is None and data.kind != UnitKind.provincial:
        parent = provincial_unit_code(data.province_code)
    if parent is not None:
        await _check_parent(session, code=data.code, parent_code=parent)
    unit = PoliceUnit(**{**data.model_dump(), "parent_code": parent, "active": True})
    session.add(unit)
    await session.flush()
    await reference_changed(
        session,
        actor=actor,
        kind=ReferenceKind.unit,
        code=unit.code,
        action="unit.created",
        data=data.model_dump(),
    )
    return unit


_SUPERVISOR_UNIT_FIELDS = frozenset({"name", "remote"})


async def update_unit(
    session: AsyncSession, *, actor: Principal, code: str, data: UnitPatch
) -> PoliceUnit:
    unit = await session.get(PoliceUnit, code)
    if unit is None:
        raise NotFound(msg("units.not_found"))
    values = data.model_dump(exclude_unset=True)
    if actor.role != Role.admin:
        ensure_may_change_province(actor, unit.province_code)
        if set(values) - _SUPERVISOR_UNIT_FIELDS:
            raise Forbidden(msg("units.supervisor_fields"))
    if values.get("active") is False and unit.kind == UnitKind.provincial:
        # The duty desk is where every tip without a better unit goes: never inactive.
        raise Conflict(msg("units.duty_desk_active"))
    if values.get("parent_code"):
        await _check_parent(session, code=code, parent_code=values["parent_code"])
    changes = _changes(
        unit, {k: v for k, v in values.items() if v is not None or k == "parent_code"}
    )
    if changes:
        await reference_changed(
            session,
            actor=actor,
            kind=ReferenceKind.unit,
            code=code,
            action="unit.updated",
            data={"changes": changes},
        )
    return unit


async def _check_parent(session: AsyncSession, *, code: str, parent_code: str) -> None:
    """The parent exists and is not the unit itself or one of its descendants."""
    seen = {code}
    current: str | None = parent_code
    while current is not None:
        if current in seen:
            raise ValidationFailed(errors=[("parent_code", msg("units.parent_cycle"))])
        seen.add(current)
        parent = await session.get(PoliceUnit, current)
        if parent is None:
            raise ValidationFailed(errors=[("parent_code", msg("units.unknown_parent"))])
        current = parent.parent_code


def _changes(row: object, values: dict[str, object]) -> dict[str, dict[str, object]]:
    """Apply ``values`` to ``row``; the ``{"field": {"from", "to"}}`` of what changed."""
    changes: dict[str, dict[str, object]] = {}
    for field, value in values.items():
        before = getattr(row, field)
        if before != value:
            changes[field] = {"from": before, "to": value}
            setattr(row, field, value)
    return changes
