"""What applying a change-set works with (app.administration.changesets): its context, the
checks of the rows it names, the reference rows it writes, and the bulk re-routing of open
tips from retired units (one counter update per unit and a few multi-row statements; see
changesets' docstring)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.admin_units.fold import fold
from app.admin_units.models import (
    Commune,
    CommuneType,
    Province,
    ProvinceType,
)
from app.administration.schemas import (
    ChangeSetReport,
    NewCommune,
)
from app.core.errors import Message, ValidationFailed, msg
from app.core.principal import Principal
from app.notifications.hooks import record_causes
from app.reference_data import police_name
from app.tips.models import RegisterEntry, Tip, TipStatus, TipWatcher
from app.tips.provinces import record_provinces
from app.tips.register import reserve_numbers
from app.tips.timeline import record_internal_events
from app.triage.workflow import TERMINAL_STATUSES
from app.units.models import PoliceUnit, UnitKind
from app.units.routing import commune_unit_code, provincial_unit_code

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
PROVINCE_PREFIX = {ProvinceType.tinh: "Tỉnh", ProvinceType.thanh_pho: "Thành phố"}


class ChangeRefused(ValidationFailed):
    """A change that cannot apply; names the change by its index."""

    def __init__(self, index: int, message: Message) -> None:
        super().__init__(errors=[(f"changes.{index}", message)])


def short_name(name: str, prefix: str) -> str:
    return name[len(prefix) + 1 :] if name.startswith(prefix + " ") else name


def english(name: str) -> str:
    return " ".join(word.capitalize() for word in fold(name).split())


@dataclass
class ChangeContext:
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


async def live_commune(ctx: ChangeContext, index: int, code: str) -> Commune:
    commune = await ctx.session.get(Commune, code)
    if commune is None or commune.retired_at is not None or commune.merged_into is not None:
        raise ChangeRefused(index, msg("changesets.commune_not_live", code=code))
    return commune


async def live_province(ctx: ChangeContext, index: int, code: str) -> Province:
    province = await ctx.session.get(Province, code)
    if province is None or province.merged_into is not None:
        raise ChangeRefused(index, msg("changesets.province_not_live", code=code))
    return province


async def free_commune_code(ctx: ChangeContext, index: int, code: str) -> None:
    if await ctx.session.get(Commune, code) is not None:
        raise ChangeRefused(index, msg("changesets.commune_code_taken", code=code))


# --- writing reference rows ----------------------------------------------------------------


def set_commune_names(commune: Commune, new: NewCommune) -> None:
    prefix = _COMMUNE_PREFIX[new.type]
    short = short_name(new.name, prefix)
    commune.name, commune.type = short, new.type.value
    commune.full_name = f"{prefix} {short}"
    commune.name_en = f"{english(short)} {_COMMUNE_EN[new.type]}"
    commune.name_folded = fold(commune.full_name)


async def create_commune(ctx: ChangeContext, new: NewCommune, province_code: str) -> Commune:
    commune = Commune(code=new.code, province_code=province_code, merged_into=None)
    set_commune_names(commune, new)
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


async def retire_unit(ctx: ChangeContext, code: str) -> None:
    unit = await ctx.session.get(PoliceUnit, code)
    if unit is not None and unit.active:
        unit.active = False
        ctx.report.units_retired.append(code)


async def rename_commune_unit(ctx: ChangeContext, commune: Commune) -> None:
    unit = await ctx.session.get(PoliceUnit, commune_unit_code(commune.code))
    if unit is not None:
        unit.name = police_name(commune.full_name)


# --- moving tips ---------------------------------------------------------------------------


async def move_tips(
    ctx: ChangeContext,
    *,
    tips: Sequence[Any],
    from_unit: str,
    to_unit: str,
    commune_code: str | None = None,
    keep_assignee: bool = True,
) -> None:
    """Move open tips (rows with ``id``) to ``to_unit`` in bulk: register entries, the tips'
    unit and register number, ``tip.rerouted`` events and their outbox rows (the new unit's
    leads get ``tip.new``); deadlines and history stay."""
    # long: one bulk move of a change-set in a few multi-row statements, in order (register
    #   numbers and entries, the tips' new unit and watchers, events, notices, provinces)
    if not tips:
        return
    session, now = ctx.session, ctx.now
    year, first = await reserve_numbers(ctx.session, unit_code=to_unit, count=len(tips), at=ctx.now)
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
    events = await record_internal_events(
        session,
        type="tip.rerouted",
        at=now,
        actor_id=ctx.actor_id,
        actor_label=ctx.actor_label,
        rows=[
            (
                tip_id,
                to_unit,
                {
                    "from_unit": from_unit,
                    "to_unit": to_unit,
                    "register_number": number,
                    "change_set_id": ctx.change_set_id,
                },
            )
            for tip_id, number in zip(ids, numbers, strict=True)
        ],
    )
    # The receiving unit's leads are told of each tip as of a transferred one (tip.new): the
    # outbox rows in one multi-row INSERT, since the flush listener never sees Core inserts.
    await record_causes(session, events)
    await record_provinces(session, ids)  # the new unit's province counts them now
    ctx.reroutes[(from_unit, to_unit)] += len(ids)


async def open_tips(ctx: ChangeContext, unit_code: str) -> Sequence[Any]:
    stmt = (
        select(Tip.id, Tip.reference, Tip.lat, Tip.lon)
        .where(Tip.assigned_unit_code == unit_code, Tip.status.in_(OPEN_STATUSES))
        .order_by(Tip.created_at, Tip.id)
    )
    return (await ctx.session.execute(stmt)).all()


async def hand_over_unit(ctx: ChangeContext, index: int, *, from_unit: str, to_unit: str) -> None:
    """A unit merged into another: its open tips and its people go to the successor, which
    must be active (a tip is never routed to an inactive unit: refused, not moved there)."""
    successor = await ctx.session.get(PoliceUnit, to_unit)
    if successor is None or not successor.active:
        raise ChangeRefused(index, msg("changesets.successor_inactive", unit=to_unit))
    await move_tips(ctx, tips=await open_tips(ctx, from_unit), from_unit=from_unit, to_unit=to_unit)
    await ctx.session.execute(
        update(User)
        .where(User.unit_code == from_unit)
        .values(unit_code=to_unit, updated_at=ctx.now)
    )
    await retire_unit(ctx, from_unit)
