"""Administrative change-sets: mergers, splits, renames and moves of communes and provinces,
applied as data, all or nothing.

What applying does (API.md, Administration):

* new communes get their police unit (``CAX-<code>``, parent the provincial police); a new
  province gets its provincial police and departments;
* a retired commune keeps its row: ``merged_into`` for a merger (old codes follow the chain),
  ``commune_splits`` rows for a split (its code then answers ``ambiguous_commune`` with the
  candidates unless a point decides); a retired province gets ``merged_into``;
* the retired units become inactive, and their users join the successor unit (a merger) or
  stay for an admin to place (a split);
* every OPEN tip held by a retired unit moves to the successor's unit — for a split, the part
  holding the tip's point, else the province duty desk (listed in ``needs_manual_routing``) —
  with a ``tip.rerouted`` event, its outbox row (the new unit's leads get ``tip.new``) and an
  entry in the new unit's register; status, assignee (for a merger), deadlines and history
  stay. Closed tips stay where they were handled. A successor unit must be active.
* boundaries given for a split are stored in ``commune_boundaries`` and overlay the shipped
  ones (app.admin_units.service), so ``locate`` and intake use them at once in this worker and
  within the place cache's TTL in the others, and after a restart.

Tips move in bulk (one counter update per unit and a few multi-row statements), so a merger of
communes holding 10,000 open tips takes seconds (bench/bench_changesets.py). A dry run applies
everything in the request's transaction, keeps the report and rolls back; applies are
serialized by a lock so two change-sets never interleave.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import ApiKey, Organization, User
from app.admin_units.fold import fold
from app.admin_units.models import (
    ChangeSet,
    Commune,
    CommuneBoundary,
    CommuneSplit,
    Province,
)
from app.administration.events import ReferenceKind, reference_changed
from app.administration.rerouting import (
    CHANGE_SET_LOCK_KEY,
    OPEN_STATUSES,
    PROVINCE_PREFIX,
    ChangeContext,
    ChangeRefused,
    create_commune,
    english,
    free_commune_code,
    hand_over_unit,
    live_commune,
    live_province,
    move_tips,
    open_tips,
    rename_commune_unit,
    retire_unit,
    set_commune_names,
    short_name,
)
from app.administration.schemas import (
    ChangeSetIn,
    ChangeSetListed,
    ChangeSetOut,
    ChangeSetPage,
    ManualRouting,
    MergeCommunes,
    MergeProvinces,
    MoveCommune,
    NewProvince,
    RenameCommune,
    RenameProvince,
    Reroute,
    SplitCommune,
)
from app.core.cursor import Str, Time, decode_cursor, encode_cursor
from app.core.db import utcnow
from app.core.errors import msg
from app.core.principal import Principal
from app.reference_data import DEPARTMENTS, police_name
from app.tips.models import Tip
from app.tips.provinces import record_provinces, tips_of_units
from app.units.models import PoliceUnit, UnitKind
from app.units.routing import commune_unit_code, department_unit_code, provincial_unit_code

# --- the change types ----------------------------------------------------------------------


async def _merge_communes(ctx: ChangeContext, index: int, change: MergeCommunes) -> None:
    if len(set(change.from_)) != len(change.from_):
        raise ChangeRefused(index, msg("changesets.commune_twice"))
    sources = [await live_commune(ctx, index, code) for code in change.from_]
    provinces = {c.province_code for c in sources}
    if len(provinces) != 1:
        raise ChangeRefused(index, msg("changesets.communes_of_one_province"))
    survivor = next((c for c in sources if c.code == change.into.code), None)
    if survivor is None:
        await free_commune_code(ctx, index, change.into.code)
        survivor = await create_commune(ctx, change.into, sources[0].province_code)
    else:
        set_commune_names(survivor, change.into)
        await rename_commune_unit(ctx, survivor)
    for commune in sources:
        if commune.code == survivor.code:
            continue
        commune.merged_into, commune.retired_at = survivor.code, ctx.effective_at
        ctx.report.communes_retired.append(commune.code)
        await hand_over_unit(
            ctx,
            index,
            from_unit=commune_unit_code(commune.code),
            to_unit=commune_unit_code(survivor.code),
        )
    await ctx.session.flush()


def _parse_geometry(index: int, geojson: dict[str, Any]) -> Any:
    try:
        geometry = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise ChangeRefused(
            index, msg("changesets.invalid_geojson", error=type(exc).__name__)
        ) from exc
    if geometry.geom_type == "Polygon":
        geometry = shapely.MultiPolygon([geometry])
    if geometry.geom_type != "MultiPolygon" or geometry.is_empty or not geometry.is_valid:
        raise ChangeRefused(index, msg("changesets.invalid_boundary"))
    return geometry


async def _split_commune(ctx: ChangeContext, index: int, change: SplitCommune) -> None:
    source = await live_commune(ctx, index, change.from_)
    codes = [part.code for part in change.into]
    if len(set(codes)) != len(codes) or source.code in codes:
        raise ChangeRefused(index, msg("changesets.part_codes"))
    parts: list[tuple[Commune, Any]] = []
    for part in change.into:
        geometry = _parse_geometry(index, part.geometry)
        await free_commune_code(ctx, index, part.code)
        commune = await create_commune(ctx, part, source.province_code)
        ctx.session.add(CommuneBoundary(commune_code=part.code, geometry=shapely.to_wkb(geometry)))
        ctx.session.add(CommuneSplit(code=source.code, successor_code=part.code))
        parts.append((commune, geometry))
    source.retired_at = ctx.effective_at
    ctx.report.communes_retired.append(source.code)
    await ctx.session.flush()

    from_unit = commune_unit_code(source.code)
    duty_desk = provincial_unit_code(source.province_code)
    by_target: dict[tuple[str, str | None], list[Any]] = defaultdict(list)
    for tip in await open_tips(ctx, from_unit):
        target = None
        if tip.lat is not None and tip.lon is not None:
            target = next((c for c, g in parts if shapely.intersects_xy(g, tip.lon, tip.lat)), None)
        if target is None:
            by_target[(duty_desk, None)].append(tip)
            ctx.report.needs_manual_routing.append(
                ManualRouting(tip_id=tip.id, reference=tip.reference, unit_code=duty_desk)
            )
        else:
            by_target[(commune_unit_code(target.code), target.code)].append(tip)
    for (to_unit, commune_code), tips in by_target.items():
        await move_tips(
            ctx,
            tips=tips,
            from_unit=from_unit,
            to_unit=to_unit,
            commune_code=commune_code,
            keep_assignee=False,
        )
    await retire_unit(ctx, from_unit)


async def _rename_commune(ctx: ChangeContext, index: int, change: RenameCommune) -> None:
    commune = await live_commune(ctx, index, change.code)
    set_commune_names(commune, change.as_new())
    await rename_commune_unit(ctx, commune)


async def _move_commune(ctx: ChangeContext, index: int, change: MoveCommune) -> None:
    commune = await live_commune(ctx, index, change.code)
    await live_province(ctx, index, change.province_code)
    await _move_commune_to(ctx, commune, change.province_code)


async def _move_commune_to(ctx: ChangeContext, commune: Commune, province_code: str) -> None:
    commune.province_code = province_code
    unit = await ctx.session.get(PoliceUnit, commune_unit_code(commune.code))
    if unit is not None:
        unit.province_code = province_code
        unit.parent_code = provincial_unit_code(province_code)
        # What the unit holds or held now counts for its new province, no longer the old one.
        await record_provinces(ctx.session, tips_of_units([unit.code]))


def _set_province_names(province: Province, new: NewProvince) -> None:
    prefix = PROVINCE_PREFIX[new.type]
    short = short_name(new.name, prefix)
    province.name, province.type = short, new.type.value
    province.full_name = f"{prefix} {short}"
    province.name_en = english(short)
    province.name_folded = fold(province.full_name)


async def _rename_province_units(ctx: ChangeContext, province: Province) -> None:
    police = police_name(province.full_name)
    units = await ctx.session.scalars(
        select(PoliceUnit).where(
            PoliceUnit.province_code == province.code, PoliceUnit.kind != UnitKind.commune.value
        )
    )
    for unit in units:
        title = DEPARTMENTS.get(unit.department or "")
        unit.name = f"{title} {police}" if title else police


async def _rename_province(ctx: ChangeContext, index: int, change: RenameProvince) -> None:
    province = await live_province(ctx, index, change.code)
    _set_province_names(province, change.as_new())
    await _rename_province_units(ctx, province)


async def _create_province(ctx: ChangeContext, new: NewProvince) -> Province:
    province = Province(code=new.code)
    _set_province_names(province, new)
    ctx.session.add(province)
    await ctx.session.flush()
    police = police_name(province.full_name)
    duty_desk = provincial_unit_code(new.code)
    units = [
        PoliceUnit(
            code=duty_desk,
            name=police,
            kind=UnitKind.provincial.value,
            province_code=new.code,
            remote=False,
            active=True,
        )
    ]
    units += [
        PoliceUnit(
            code=department_unit_code(new.code, suffix),
            name=f"{title} {police}",
            kind=UnitKind.department.value,
            department=suffix,
            province_code=new.code,
            parent_code=duty_desk,
            remote=False,
            active=True,
        )
        for suffix, title in DEPARTMENTS.items()
    ]
    ctx.session.add(units[0])
    await ctx.session.flush()
    ctx.session.add_all(units[1:])
    await ctx.session.flush()
    ctx.report.units_created.extend(u.code for u in units)
    return province


async def _hand_over_created_units(
    ctx: ChangeContext, index: int, retired: str, survivor: str
) -> None:
    """The units an admin created in a retired province (not its duty desk or standard
    departments, handed over by the caller; not its communes' police, which moved with their
    communes). One whose counterpart (the same code under the survivor's number) exists and is
    active hands over like a standard unit; any other moves into the survivor province with
    its tips and people, so nothing is left in a province that no longer exists."""
    standard = {
        provincial_unit_code(retired),
        *(department_unit_code(retired, d) for d in DEPARTMENTS),
    }
    units = (
        await ctx.session.scalars(
            select(PoliceUnit).where(
                PoliceUnit.province_code == retired, PoliceUnit.code.not_in(standard)
            )
        )
    ).all()
    prefix = f"{provincial_unit_code(retired)}-"
    for unit in units:
        counterpart = None
        if unit.code.startswith(prefix):
            code = f"{provincial_unit_code(survivor)}-{unit.code.removeprefix(prefix)}"
            counterpart = await ctx.session.get(PoliceUnit, code)
        if unit.active and counterpart is not None and counterpart.active:
            await hand_over_unit(ctx, index, from_unit=unit.code, to_unit=counterpart.code)
            continue
        unit.province_code = survivor
        if unit.parent_code in standard:
            unit.parent_code = provincial_unit_code(survivor)
        await ctx.session.flush()
        await record_provinces(ctx.session, tips_of_units([unit.code]))


async def _merge_provinces(ctx: ChangeContext, index: int, change: MergeProvinces) -> None:
    if len(set(change.from_)) != len(change.from_):
        raise ChangeRefused(index, msg("changesets.province_twice"))
    sources = [await live_province(ctx, index, code) for code in change.from_]
    survivor = next((p for p in sources if p.code == change.into.code), None)
    if survivor is None:
        if await ctx.session.get(Province, change.into.code) is not None:
            raise ChangeRefused(index, msg("changesets.province_code_taken", code=change.into.code))
        survivor = await _create_province(ctx, change.into)
    else:
        _set_province_names(survivor, change.into)
        await _rename_province_units(ctx, survivor)
    for province in sources:
        if province.code == survivor.code:
            continue
        communes = await ctx.session.scalars(
            select(Commune).where(Commune.province_code == province.code)
        )
        for commune in communes:
            await _move_commune_to(ctx, commune, survivor.code)
        for suffix in (None, *DEPARTMENTS):
            old = (
                department_unit_code(province.code, suffix)
                if suffix
                else provincial_unit_code(province.code)
            )
            new = (
                department_unit_code(survivor.code, suffix)
                if suffix
                else provincial_unit_code(survivor.code)
            )
            await hand_over_unit(ctx, index, from_unit=old, to_unit=new)
        await _hand_over_created_units(ctx, index, province.code, survivor.code)
        for model in (User, Organization, ApiKey):
            await ctx.session.execute(
                update(model)
                .where(model.province_code == province.code)
                .values(province_code=survivor.code, updated_at=ctx.now)
            )
        province.merged_into, province.retired_at = survivor.code, ctx.effective_at
    await ctx.session.flush()


_APPLIERS: dict[str, Any] = {
    "merge_communes": _merge_communes,
    "split_commune": _split_commune,
    "rename_commune": _rename_commune,
    "move_commune": _move_commune,
    "rename_province": _rename_province,
    "merge_provinces": _merge_provinces,
}


# --- the entry points ----------------------------------------------------------------------


async def _serialize(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(text(f"pg_advisory_xact_lock({CHANGE_SET_LOCK_KEY})")))
    else:  # a no-op write takes SQLite's single write lock now
        await session.execute(
            update(Province).where(Province.code == "").values(name=Province.name)
        )


async def apply(
    session: AsyncSession, *, actor: Principal | None, data: ChangeSetIn
) -> ChangeSetOut:
    """Apply (or, with ``dry_run``, try and roll back) a change-set; the report either way."""
    await _serialize(session)
    change_set = ChangeSet(
        effective_at=data.effective_at.astimezone(UTC),
        note=data.note,
        document=data.model_dump(mode="json", by_alias=True, exclude={"dry_run"}),
        report={},
        applied_by_id=actor.id if actor and actor.kind == "user" else None,
    )
    session.add(change_set)
    await session.flush()
    ctx = ChangeContext(
        session=session,
        now=utcnow(),
        effective_at=change_set.effective_at,
        change_set_id=change_set.id,
        actor=actor,
    )
    for index, change in enumerate(data.changes):
        await _APPLIERS[change.type](ctx, index, change)
    ctx.report.reroutes = [
        Reroute(from_unit=f, to_unit=t, open_tips=n) for (f, t), n in ctx.reroutes.items()
    ]
    out = ChangeSetOut(
        **ctx.report.model_dump(),
        id=None if data.dry_run else change_set.id,
        dry_run=data.dry_run,
        effective_at=change_set.effective_at,
        note=data.note,
        applied_at=None if data.dry_run else ctx.now,
        applied_by=None if data.dry_run else ctx.actor_label,
    )
    if data.dry_run:
        # Everything above was written only to compute the report: take it all back.
        await session.rollback()
        return out
    change_set.report = ctx.report.model_dump(mode="json")
    await session.flush()
    await reference_changed(
        session,
        actor=actor,
        kind=ReferenceKind.admin_units,
        code=change_set.id,
        action="admin_units.change_set_applied",
        data={
            "communes_retired": ctx.report.communes_retired,
            "communes_created": ctx.report.communes_created,
            "rerouted_tips": sum(ctx.reroutes.values()),
        },
    )
    return out


def _out(row: ChangeSet, applied_by: str | None) -> ChangeSetListed:
    return ChangeSetListed(
        **row.report,
        document=row.document,
        id=row.id,
        dry_run=False,
        effective_at=row.effective_at,
        note=row.note,
        applied_at=row.created_at,
        applied_by=applied_by,
    )


async def list_change_sets(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> ChangeSetPage:
    stmt = (
        select(ChangeSet, User.username)
        .outerjoin(User, User.id == ChangeSet.applied_by_id)
        .order_by(ChangeSet.created_at.desc(), ChangeSet.id.desc())
        .limit(limit + 1)
    )
    if cursor:
        at, last_id = decode_cursor(cursor, Time(), Str(36))
        stmt = stmt.where(
            or_(ChangeSet.created_at < at, and_(ChangeSet.created_at == at, ChangeSet.id < last_id))
        )
    rows = (await session.execute(stmt)).all()
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1][0]
        next_cursor = encode_cursor([last.created_at, last.id])
    return ChangeSetPage(items=[_out(row, name) for row, name in page], next_cursor=next_cursor)


async def count_open_tips(session: AsyncSession, unit_code: str) -> int:
    """Open tips a unit holds (for reports and tests)."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(Tip)
            .where(Tip.assigned_unit_code == unit_code, Tip.status.in_(OPEN_STATUSES))
        )
    ) or 0
