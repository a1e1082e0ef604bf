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
  with a ``tip.rerouted`` event and an entry in the new unit's register; status, assignee (for
  a merger), deadlines and history stay. Closed tips stay where they were handled.
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import and_, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import ApiKey, Organization, User
from app.admin_units.fold import fold
from app.admin_units.models import (
    ChangeSet,
    Commune,
    CommuneBoundary,
    CommuneSplit,
    CommuneType,
    Province,
    ProvinceType,
)
from app.administration.events import ReferenceKind, reference_changed
from app.administration.schemas import (
    ChangeSetIn,
    ChangeSetOut,
    ChangeSetPage,
    ChangeSetReport,
    ManualRouting,
    MergeCommunes,
    MergeProvinces,
    MoveCommune,
    NewCommune,
    NewProvince,
    RenameCommune,
    RenameProvince,
    Reroute,
    SplitCommune,
)
from app.core.cursor import Str, Time, decode_cursor, encode_cursor
from app.core.db import utcnow
from app.core.errors import ValidationFailed
from app.core.principal import Principal
from app.reference_data import DEPARTMENTS, police_name
from app.tips.models import RegisterCounter, RegisterEntry, Tip, TipEvent, TipStatus, TipWatcher
from app.triage.workflow import TERMINAL_STATUSES
from app.units.deadlines import LOCAL_TZ
from app.units.models import PoliceUnit, UnitKind
from app.units.routing import commune_unit_code, department_unit_code, provincial_unit_code

# "TinBaoCs": the advisory lock that serializes change-set applies on PostgreSQL.
CHANGE_SET_LOCK_KEY = 0x54696E42616F4373
OPEN_STATUSES = tuple(s.value for s in TipStatus if s not in TERMINAL_STATUSES)

_COMMUNE_PREFIX = {
    CommuneType.xa: "Xã",
    CommuneType.phuong: "Phường",
    CommuneType.dac_khu: "Đặc khu",
}
_COMMUNE_EN = {
    CommuneType.xa: "Commune",
    CommuneType.phuong: "Ward",
    CommuneType.dac_khu: "Special Zone",
}
_PROVINCE_PREFIX = {ProvinceType.tinh: "Tỉnh", ProvinceType.thanh_pho: "Thành phố"}


class ChangeRefused(ValidationFailed):
    """A change that cannot apply; names the change by its index."""

    def __init__(self, index: int, message: tuple[str, str]) -> None:
        super().__init__(errors=[(f"changes.{index}", message)])


def _short_name(name: str, prefix: str) -> str:
    return name[len(prefix) + 1 :] if name.startswith(prefix + " ") else name


def _english(name: str) -> str:
    return " ".join(word.capitalize() for word in fold(name).split())


@dataclass
class _Context:
    session: AsyncSession
    now: datetime
    effective_at: datetime
    change_set_id: str
    actor: Principal | None
    report: ChangeSetReport = field(default_factory=ChangeSetReport)
    reroutes: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    @property
    def actor_id(self) -> str | None:
        return self.actor.id if self.actor and self.actor.kind == "user" else None

    @property
    def actor_label(self) -> str:
        return (self.actor.label if self.actor else "cli")[:64]


# --- reading and checking ------------------------------------------------------------------


async def _live_commune(ctx: _Context, index: int, code: str) -> Commune:
    commune = await ctx.session.get(Commune, code)
    if commune is None or commune.retired_at is not None or commune.merged_into is not None:
        raise ChangeRefused(
            index,
            (
                f"Xã/phường {code} không tồn tại hoặc đã bị giải thể.",
                f"Commune {code} does not exist or was already retired.",
            ),
        )
    return commune


async def _live_province(ctx: _Context, index: int, code: str) -> Province:
    province = await ctx.session.get(Province, code)
    if province is None or province.merged_into is not None:
        raise ChangeRefused(
            index,
            (
                f"Tỉnh/thành phố {code} không tồn tại hoặc đã sáp nhập.",
                f"Province {code} does not exist or was already merged.",
            ),
        )
    return province


async def _free_commune_code(ctx: _Context, index: int, code: str) -> None:
    if await ctx.session.get(Commune, code) is not None:
        raise ChangeRefused(
            index, (f"Mã xã/phường {code} đã được dùng.", f"Commune code {code} is taken.")
        )


# --- writing reference rows ----------------------------------------------------------------


def _set_commune_names(commune: Commune, new: NewCommune) -> None:
    prefix = _COMMUNE_PREFIX[new.type]
    short = _short_name(new.name, prefix)
    commune.name, commune.type = short, new.type.value
    commune.full_name = f"{prefix} {short}"
    commune.name_en = f"{_english(short)} {_COMMUNE_EN[new.type]}"
    commune.name_folded = fold(commune.full_name)


async def _create_commune(ctx: _Context, new: NewCommune, province_code: str) -> Commune:
    commune = Commune(code=new.code, province_code=province_code, merged_into=None)
    _set_commune_names(commune, new)
    ctx.session.add(commune)
    await ctx.session.flush()
    unit = PoliceUnit(
        code=commune_unit_code(new.code),
        name=police_name(commune.full_name),
        kind=UnitKind.commune.value,
        province_code=province_code,
        commune_code=new.code,
        parent_code=provincial_unit_code(province_code),
        remote=new.type == CommuneType.dac_khu,
        active=True,
    )
    ctx.session.add(unit)
    await ctx.session.flush()
    ctx.report.communes_created.append(new.code)
    ctx.report.units_created.append(unit.code)
    return commune


async def _retire_unit(ctx: _Context, code: str) -> None:
    unit = await ctx.session.get(PoliceUnit, code)
    if unit is not None and unit.active:
        unit.active = False
        ctx.report.units_retired.append(code)


async def _rename_commune_unit(ctx: _Context, commune: Commune) -> None:
    unit = await ctx.session.get(PoliceUnit, commune_unit_code(commune.code))
    if unit is not None:
        unit.name = police_name(commune.full_name)


# --- moving tips ---------------------------------------------------------------------------


async def _allocate_register_numbers(ctx: _Context, unit_code: str, count: int) -> tuple[int, int]:
    """Reserve ``count`` consecutive numbers of the unit's register for this year."""
    year = ctx.now.astimezone(LOCAL_TZ).year
    dialect = ctx.session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert_(RegisterCounter).values(
        unit_code=unit_code, year=year, last_number=count, created_at=ctx.now, updated_at=ctx.now
    )
    last = (
        await ctx.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["unit_code", "year"],
                set_={"last_number": RegisterCounter.last_number + count, "updated_at": ctx.now},
            ).returning(RegisterCounter.last_number)
        )
    ).scalar_one()
    return year, last - count + 1


async def _move_tips(
    ctx: _Context,
    *,
    tips: Sequence[Any],
    from_unit: str,
    to_unit: str,
    commune_code: str | None = None,
    keep_assignee: bool = True,
) -> None:
    """Move open tips (rows with ``id``) to ``to_unit`` in bulk: register entries, the tips'
    unit and register number, ``tip.rerouted`` events; deadlines and history stay."""
    if not tips:
        return
    session, now = ctx.session, ctx.now
    year, first = await _allocate_register_numbers(ctx, to_unit, len(tips))
    numbers = [f"{to_unit}/{year}/{first + i:06d}" for i in range(len(tips))]
    ids = [row.id for row in tips]
    await session.execute(
        insert(RegisterEntry),
        [
            {
                "tip_id": tip_id,
                "unit_code": to_unit,
                "year": year,
                "seq": first + i,
                "register_number": number,
                "registered_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for i, (tip_id, number) in enumerate(zip(ids, numbers, strict=True))
        ],
    )
    changes: dict[str, Any] = {"assigned_unit_code": to_unit, "updated_at": now}
    if commune_code is not None:
        changes["commune_code"] = commune_code
    if not keep_assignee:
        changes["assignee_id"] = None
    await session.execute(
        update(Tip),
        [
            {"id": tip_id, "register_number": number, **changes}
            for tip_id, number in zip(ids, numbers, strict=True)
        ],
    )
    for chunk in range(0, len(ids), 1000):
        await session.execute(
            TipWatcher.__table__.delete().where(  # type: ignore[attr-defined]
                TipWatcher.tip_id.in_(ids[chunk : chunk + 1000]), TipWatcher.unit_code == to_unit
            )
        )
    await session.execute(
        insert(TipEvent),
        [
            {
                "tip_id": tip_id,
                "type": "tip.rerouted",
                "at": now,
                "actor_id": ctx.actor_id,
                "actor_label": ctx.actor_label,
                "unit_code": to_unit,
                "public": False,
                "data": {
                    "from_unit": from_unit,
                    "to_unit": to_unit,
                    "register_number": number,
                    "change_set_id": ctx.change_set_id,
                },
                "created_at": now,
                "updated_at": now,
            }
            for tip_id, number in zip(ids, numbers, strict=True)
        ],
    )
    ctx.reroutes[(from_unit, to_unit)] += len(ids)


async def _open_tips(ctx: _Context, unit_code: str) -> Sequence[Any]:
    stmt = (
        select(Tip.id, Tip.reference, Tip.lat, Tip.lon)
        .where(Tip.assigned_unit_code == unit_code, Tip.status.in_(OPEN_STATUSES))
        .order_by(Tip.created_at, Tip.id)
    )
    return (await ctx.session.execute(stmt)).all()


async def _hand_over_unit(ctx: _Context, *, from_unit: str, to_unit: str) -> None:
    """A unit merged into another: its open tips and its people go to the successor."""
    await _move_tips(
        ctx, tips=await _open_tips(ctx, from_unit), from_unit=from_unit, to_unit=to_unit
    )
    await ctx.session.execute(
        update(User)
        .where(User.unit_code == from_unit)
        .values(unit_code=to_unit, updated_at=ctx.now)
    )
    await _retire_unit(ctx, from_unit)


# --- the change types ----------------------------------------------------------------------


async def _merge_communes(ctx: _Context, index: int, change: MergeCommunes) -> None:
    if len(set(change.from_)) != len(change.from_):
        raise ChangeRefused(index, ("Mã xã/phường bị lặp.", "A commune is listed twice."))
    sources = [await _live_commune(ctx, index, code) for code in change.from_]
    provinces = {c.province_code for c in sources}
    if len(provinces) != 1:
        raise ChangeRefused(
            index,
            ("Chỉ sáp nhập các xã/phường cùng tỉnh.", "Only communes of one province merge."),
        )
    survivor = next((c for c in sources if c.code == change.into.code), None)
    if survivor is None:
        await _free_commune_code(ctx, index, change.into.code)
        survivor = await _create_commune(ctx, change.into, sources[0].province_code)
    else:
        _set_commune_names(survivor, change.into)
        await _rename_commune_unit(ctx, survivor)
    for commune in sources:
        if commune.code == survivor.code:
            continue
        commune.merged_into, commune.retired_at = survivor.code, ctx.effective_at
        ctx.report.communes_retired.append(commune.code)
        await _hand_over_unit(
            ctx, from_unit=commune_unit_code(commune.code), to_unit=commune_unit_code(survivor.code)
        )
    await ctx.session.flush()


def _parse_geometry(index: int, geojson: dict[str, Any]) -> Any:
    try:
        geometry = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise ChangeRefused(
            index, ("GeoJSON không hợp lệ.", f"Invalid GeoJSON ({type(exc).__name__}).")
        ) from exc
    if geometry.geom_type == "Polygon":
        geometry = shapely.MultiPolygon([geometry])
    if geometry.geom_type != "MultiPolygon" or geometry.is_empty or not geometry.is_valid:
        raise ChangeRefused(
            index,
            (
                "Ranh giới phải là Polygon/MultiPolygon hợp lệ.",
                "A boundary must be a valid Polygon or MultiPolygon.",
            ),
        )
    return geometry


async def _split_commune(ctx: _Context, index: int, change: SplitCommune) -> None:
    source = await _live_commune(ctx, index, change.from_)
    codes = [part.code for part in change.into]
    if len(set(codes)) != len(codes) or source.code in codes:
        raise ChangeRefused(
            index, ("Mỗi phần cần một mã mới.", "Each part needs a new code of its own.")
        )
    parts: list[tuple[Commune, Any]] = []
    for part in change.into:
        geometry = _parse_geometry(index, part.geometry)
        await _free_commune_code(ctx, index, part.code)
        commune = await _create_commune(ctx, part, source.province_code)
        ctx.session.add(CommuneBoundary(commune_code=part.code, geometry=shapely.to_wkb(geometry)))
        ctx.session.add(CommuneSplit(code=source.code, successor_code=part.code))
        parts.append((commune, geometry))
    source.retired_at = ctx.effective_at
    ctx.report.communes_retired.append(source.code)
    await ctx.session.flush()

    from_unit = commune_unit_code(source.code)
    duty_desk = provincial_unit_code(source.province_code)
    by_target: dict[tuple[str, str | None], list[Any]] = defaultdict(list)
    for tip in await _open_tips(ctx, from_unit):
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
        await _move_tips(
            ctx,
            tips=tips,
            from_unit=from_unit,
            to_unit=to_unit,
            commune_code=commune_code,
            keep_assignee=False,
        )
    await _retire_unit(ctx, from_unit)


async def _rename_commune(ctx: _Context, index: int, change: RenameCommune) -> None:
    commune = await _live_commune(ctx, index, change.code)
    _set_commune_names(commune, change.as_new())
    await _rename_commune_unit(ctx, commune)


async def _move_commune(ctx: _Context, index: int, change: MoveCommune) -> None:
    commune = await _live_commune(ctx, index, change.code)
    await _live_province(ctx, index, change.province_code)
    await _move_commune_to(ctx, commune, change.province_code)


async def _move_commune_to(ctx: _Context, commune: Commune, province_code: str) -> None:
    commune.province_code = province_code
    unit = await ctx.session.get(PoliceUnit, commune_unit_code(commune.code))
    if unit is not None:
        unit.province_code = province_code
        unit.parent_code = provincial_unit_code(province_code)


def _set_province_names(province: Province, new: NewProvince) -> None:
    prefix = _PROVINCE_PREFIX[new.type]
    short = _short_name(new.name, prefix)
    province.name, province.type = short, new.type.value
    province.full_name = f"{prefix} {short}"
    province.name_en = _english(short)
    province.name_folded = fold(province.full_name)


async def _rename_province_units(ctx: _Context, province: Province) -> None:
    police = police_name(province.full_name)
    units = await ctx.session.scalars(
        select(PoliceUnit).where(
            PoliceUnit.province_code == province.code, PoliceUnit.kind != UnitKind.commune.value
        )
    )
    for unit in units:
        title = DEPARTMENTS.get(unit.department or "")
        unit.name = f"{title} {police}" if title else police


async def _rename_province(ctx: _Context, index: int, change: RenameProvince) -> None:
    province = await _live_province(ctx, index, change.code)
    _set_province_names(province, change.as_new())
    await _rename_province_units(ctx, province)


async def _create_province(ctx: _Context, new: NewProvince) -> Province:
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


async def _merge_provinces(ctx: _Context, index: int, change: MergeProvinces) -> None:
    if len(set(change.from_)) != len(change.from_):
        raise ChangeRefused(index, ("Tỉnh bị lặp.", "A province is listed twice."))
    sources = [await _live_province(ctx, index, code) for code in change.from_]
    survivor = next((p for p in sources if p.code == change.into.code), None)
    if survivor is None:
        if await ctx.session.get(Province, change.into.code) is not None:
            raise ChangeRefused(
                index, ("Mã tỉnh đã được dùng.", f"Province code {change.into.code} is taken.")
            )
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
            await _hand_over_unit(ctx, from_unit=old, to_unit=new)
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
    ctx = _Context(
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


def _out(row: ChangeSet, applied_by: str | None) -> ChangeSetOut:
    return ChangeSetOut(
        **row.report,
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
