"""Where intake sends a tip (its category, unit and duty desk) and the deadlines it gets
there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.principal import Principal
from app.tips.intake_rules import Place, is_staff_intake
from app.tips.models import Channel
from app.tips.schemas import TipCreate
from app.units.deadlines import Deadlines, compute_deadlines, load_calendar
from app.units.routing import Routing
from app.units.service import CategoryInfo, UnitInfo, UnitsSnapshot, route_with, units_snapshot


@dataclass(frozen=True)
class Routed:
    """Where intake sends a tip: its category, the routing, the unit, the duty desk."""

    snapshot: UnitsSnapshot
    category: CategoryInfo
    routing: Routing
    unit: UnitInfo
    duty_desk: str


async def route(session: AsyncSession, *, data: TipCreate, place: Place) -> Routed:
    """The category and unit of a tip; a tip whose place is unknown goes to the duty desk."""
    snapshot = await units_snapshot(session)
    category, routing = route_with(
        snapshot,
        commune_code=place.commune_code,
        province_code=place.province_code,
        category_code=data.category_code,
    )
    duty_desk = f"CAT-{place.province_code}"
    assigned_code = duty_desk if data.location_unknown else routing.assigned_unit_code
    unit = snapshot.units.get(assigned_code)
    if unit is None:  # reference data out of step with routing: not the caller's fault
        raise RuntimeError("routing produced an unknown unit")
    return Routed(snapshot, category, routing, unit, duty_desk)


async def deadlines(
    session: AsyncSession,
    *,
    data: TipCreate,
    actor: Principal | None,
    channel: Channel,
    routed: Routed,
    now: datetime,
) -> Deadlines:
    """The tip's deadlines (app.units.deadlines), counted from the time staff received it
    (when they say so) or from now."""
    received_at = now
    if is_staff_intake(actor, channel) and data.intake_record and data.intake_record.received_at:
        received_at = data.intake_record.received_at.astimezone(UTC)
    category, unit = routed.category, routed.unit
    return compute_deadlines(
        kind=category.kind,
        unit_kind=unit.kind,
        unit_remote=unit.remote,
        acknowledge_working_days=category.acknowledge_working_days,
        resolve_days=category.resolve_days,
        received_at=received_at,
        calendar=await load_calendar(session),
    )
