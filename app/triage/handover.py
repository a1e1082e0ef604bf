"""Handing a tip on: transfer to another police unit, and merging a duplicate into another tip."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.core.errors import Forbidden, ValidationFailed, msg
from app.core.principal import Principal
from app.core.time import utcnow
from app.scope import visibility as scope
from app.tips.models import (
    PublicStatus,
    Tip,
    TipStatus,
    TipWatcher,
    WatchReason,
)
from app.tips.register import enter_in_register
from app.tips.timeline import record_event
from app.triage.record import get_visible_tip
from app.triage.updates import apply_guarded, first_response
from app.triage.workflow import (
    find_transition,
)
from app.units.deadlines import handover_deadlines
from app.units.models import Category, CategoryKind, PoliceUnit
from app.units.routing import department_unit_code, provincial_unit_code

INVESTIGATION_AGENCY = "CSDT"  # Cơ quan Cảnh sát điều tra of the province


class TransferNotAllowed(Forbidden):
    """The caller may act on the tip but not hand it to that unit."""

    code = "transfer_not_allowed"


async def transfer(
    session: AsyncSession, *, tip: Tip, actor: Principal, unit_code: str, reason: str
) -> Tip:
    """Hand the same tip to another police unit, which enters it in its own register.

    The tip starts again at ``received`` there, unassigned; the history, the former unit's
    register entry and its read-only sight of the tip (a ``transfer`` watcher) stay. Due
    dates: a crime tip handed to a resolving unit (a provincial unit or department) is due
    20 days after the hand-over and no longer waits for a transfer; handed to another commune
    police, it must be forwarded within 24 h (48 h for a remote commune) and keeps its due
    date. A security/order report gets its category's resolution period afresh.
    """
    find_transition(tip.kind, tip.status, TipStatus.transferred)
    unit = await session.get(PoliceUnit, unit_code)
    if unit is None or not unit.active:
        raise ValidationFailed(errors=[("unit_code", msg("triage.unknown_unit"))])
    if unit.code == tip.assigned_unit_code:
        raise ValidationFailed(errors=[("unit_code", msg("triage.same_unit"))])
    await ensure_may_transfer_to(session, actor=actor, tip=tip, unit=unit)
    return await hand_over(session, tip=tip, actor=actor, unit=unit, reason=reason)


async def ensure_may_transfer_to(
    session: AsyncSession, *, actor: Principal, tip: Tip, unit: PoliceUnit
) -> None:
    """Where each role may transfer (API.md, Staff workflow): officers and leads to units of
    their own province, or to the investigation agency of the province where the tip took
    place; supervisors also to another province's duty desk; admin anywhere. Else 403
    ``transfer_not_allowed``."""
    if actor.role == Role.admin:
        return
    if unit.code == department_unit_code(tip.province_code, INVESTIGATION_AGENCY):
        return
    if actor.role == Role.province_supervisor:
        own = actor.province_code
        if unit.province_code == own or unit.code == provincial_unit_code(unit.province_code):
            return
    elif actor.unit_code:
        own = await session.scalar(
            select(PoliceUnit.province_code).where(PoliceUnit.code == actor.unit_code)
        )
        if own is not None and unit.province_code == own:
            return
    raise TransferNotAllowed(msg("triage.transfer_not_allowed"))


async def hand_over(
    session: AsyncSession,
    *,
    tip: Tip,
    actor: Principal,
    unit: PoliceUnit,
    reason: str,
    event_type: str = "tip.transferred",
    extra: dict[str, Any] | None = None,
) -> Tip:
    """Move the tip to ``unit`` (see :func:`transfer`); corrections re-route through here."""
    now = utcnow()
    source_status, source_unit = tip.status, tip.assigned_unit_code
    values: dict[str, Any] = {
        **first_response(tip, now),
        "assigned_unit_code": unit.code,
        "status": TipStatus.received.value,
        "assignee_id": None,
        "received_at": now,
    }
    if tip.acknowledged_at is None:
        values["acknowledged_at"] = now
    resolve_days = None
    if tip.kind != CategoryKind.crime:
        category = await session.get(Category, tip.category_code)
        resolve_days = category.resolve_days if category is not None else None
    deadlines = handover_deadlines(
        kind=tip.kind,
        unit_kind=unit.kind,
        unit_remote=unit.remote,
        resolve_days=resolve_days,
        handed_over_at=now,
    )
    if tip.classify_by is not None:
        values["classify_by"] = deadlines.classify_by
    values["transfer_due_at"] = deadlines.transfer_due_at
    if deadlines.due_at is not None:
        values["due_at"] = deadlines.due_at
    await apply_guarded(
        session,
        tip,
        [Tip.status == source_status, Tip.assigned_unit_code == source_unit],
        values,
    )
    entry = await enter_in_register(session, tip=tip, unit_code=unit.code, at=now)
    await _hand_over_watch(session, tip=tip, from_unit=source_unit, to_unit=unit.code)
    record_event(
        session,
        tip=tip,
        actor=actor,
        type=event_type,
        at=now,
        from_status=source_status,
        to_status=TipStatus.received.value,
        note=reason,
        public=True,
        # The reporter reads "handed to the competent unit", never a second "received".
        public_status=PublicStatus.processing.value,
        data={
            "from_unit": source_unit,
            "to_unit": unit.code,
            "register_number": entry.register_number,
            "due_at": tip.due_at.isoformat() if tip.due_at else None,
            **(extra or {}),
        },
    )
    await session.flush()
    return tip


async def _hand_over_watch(
    session: AsyncSession, *, tip: Tip, from_unit: str, to_unit: str
) -> None:
    """The former unit follows what it handed on; the new unit no longer merely watches."""
    watchers = {
        w.unit_code: w
        for w in await session.scalars(select(TipWatcher).where(TipWatcher.tip_id == tip.id))
    }
    if to_unit in watchers:
        await session.delete(watchers[to_unit])
    if from_unit not in watchers:
        session.add(
            TipWatcher(
                tip_id=tip.id,
                unit_code=from_unit,
                reason=WatchReason.transfer,
                tip_created_at=tip.created_at,
            )
        )


async def merge(
    session: AsyncSession, *, tip: Tip, actor: Principal, into_id: str, note: str | None
) -> Tip:
    """Close the tip as a duplicate of another tip the caller can see."""
    now = utcnow()
    find_transition(tip.kind, tip.status, TipStatus.merged)
    if into_id == tip.id:
        raise ValidationFailed(errors=[("into_id", msg("triage.merge_target_missing"))])
    # Both ends must be tips the caller may act on: one it cannot see answers 404 exactly
    # like a missing one; one it may only read, 403 (it knows that one already).
    into = await get_visible_tip(session, principal=actor, tip_id=into_id)
    await scope.ensure_can_act(session, actor, into)
    if into.status == TipStatus.merged:
        raise ValidationFailed(errors=[("into_id", msg("triage.merge_target_merged"))])
    source_status = tip.status
    values = {
        **first_response(tip, now),
        "status": TipStatus.merged.value,
        "merged_into_id": into.id,
        "closed_at": now,
        "outcome": None,
    }
    if tip.acknowledged_at is None:
        values["acknowledged_at"] = now
    await apply_guarded(session, tip, [Tip.status == source_status], values)
    clean_note = (note or "").strip() or None
    record_event(
        session,
        tip=tip,
        actor=actor,
        type="tip.merged",
        at=now,
        from_status=source_status,
        to_status=TipStatus.merged.value,
        note=clean_note,
        public=True,
        data={"into_id": into.id, "into_reference": into.reference},
    )
    record_event(
        session,
        tip=into,
        actor=actor,
        type="tip.duplicate_merged",
        at=now,
        note=clean_note,
        data={"from_id": tip.id, "from_reference": tip.reference},
    )
    await session.flush()
    return tip
