"""Handing a tip on: transfer to another police unit, and merging a duplicate into another tip."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import ValidationFailed, msg
from app.core.principal import Principal
from app.core.time import utcnow
from app.scope import visibility as scope
from app.tips.models import (
    Tip,
    TipStatus,
    TipWatcher,
    WatchReason,
)
from app.tips.register import enter_in_register
from app.tips.timeline import record_event
from app.triage.updates import apply_guarded, first_response
from app.triage.workflow import (
    find_transition,
)
from app.units.deadlines import handover_deadlines
from app.units.models import Category, CategoryKind, PoliceUnit


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
    now = utcnow()
    find_transition(tip.kind, tip.status, TipStatus.transferred)
    unit = await session.get(PoliceUnit, unit_code)
    if unit is None or not unit.active:
        raise ValidationFailed(errors=[("unit_code", msg("triage.unknown_unit"))])
    if unit.code == tip.assigned_unit_code:
        raise ValidationFailed(errors=[("unit_code", msg("triage.same_unit"))])
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
        type="tip.transferred",
        at=now,
        from_status=source_status,
        to_status=TipStatus.received.value,
        note=reason,
        public=True,
        data={
            "from_unit": source_unit,
            "to_unit": unit.code,
            "register_number": entry.register_number,
            "due_at": tip.due_at.isoformat() if tip.due_at else None,
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
    into = None
    if into_id != tip.id:
        into = await session.scalar(
            select(Tip).where(Tip.id == into_id, scope.visible_tips_clause(actor))
        )
    if into is None:
        raise ValidationFailed(
            errors=[
                (
                    "into_id",
                    msg("triage.merge_target_missing"),
                )
            ]
        )
    if into.status == TipStatus.merged:
        raise ValidationFailed(
            errors=[
                (
                    "into_id",
                    msg("triage.merge_target_merged", into=into.merged_into_id),
                )
            ]
        )
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
