"""The workflow's actions on one tip: transitions, claim and assignment, deadline extensions,
notes. Every change is a guarded UPDATE (app.triage.updates) and writes a timeline event
(app.tips.timeline); the public part of it is what the reporter sees on /track."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.core.errors import ValidationFailed, msg
from app.core.principal import Principal
from app.core.time import add_months, as_utc, utcnow
from app.scope import visibility as scope
from app.tips.models import (
    Tip,
    TipStatus,
)
from app.tips.status import public_status_for
from app.tips.timeline import record_event
from app.triage.errors import AlreadyClaimed, StaleTip
from app.triage.extensions import ExtensionRequest, check_extension
from app.triage.models import DeadlineExtension
from app.triage.record import event_out, extension_out
from app.triage.schemas import (
    DeadlineExtensionOut,
    ExtensionIn,
    TipEventOut,
    TransitionIn,
)
from app.triage.updates import apply_guarded, ensure_open, first_response
from app.triage.workflow import (
    TERMINAL_STATUSES,
    TransitionRequest,
    plan_transition,
)

RESUME_MONTHS = 1  # art. 149: at most one more month after a suspended tip is resumed


async def transition(
    session: AsyncSession, *, tip: Tip, actor: Principal, data: TransitionIn
) -> Tip:
    """Move the tip through the state machine (409 ``invalid_transition`` if not allowed)."""
    now = utcnow()
    plan = plan_transition(
        kind=tip.kind,
        status=tip.status,
        request=TransitionRequest(
            to=data.to.value,
            note=data.note,
            outcome=data.outcome,
            outcome_summary=data.outcome_summary,
        ),
    )
    before_public = public_status_for(tip.status)
    values: dict[str, Any] = {
        **first_response(tip, now),
        "status": plan.target.value,
        "outcome": plan.outcome,
    }
    if plan.outcome_summary is not None:
        values["outcome_summary"] = plan.outcome_summary
    acknowledges = plan.source is TipStatus.received and tip.acknowledged_at is None
    if acknowledges:
        values["acknowledged_at"] = now
    if tip.classified_at is None:
        values["classified_at"] = now  # the first transition classifies the tip
    if plan.closes:
        values["closed_at"] = now
    if plan.resumes:
        values["due_at"] = add_months(now, RESUME_MONTHS)
    await apply_guarded(session, tip, [Tip.status == plan.source.value], values)
    public_message = data.public_message or None
    changes_public = (
        public_status_for(tip.status) != before_public or plan.closes or public_message is not None
    )
    record_event(
        session,
        tip=tip,
        actor=actor,
        type="tip.status_changed",
        at=now,
        from_status=plan.source.value,
        to_status=plan.target.value,
        note=(data.note or "").strip() or None,
        public=changes_public,
        public_message=public_message,
        data={
            "outcome": plan.outcome,
            **({"resumed_due_at": values["due_at"].isoformat()} if plan.resumes else {}),
        },
    )
    if acknowledges:
        # Told to the reporter by the status notice of this very transition.
        record_event(
            session,
            tip=tip,
            actor=actor,
            type="tip.acknowledged",
            at=now,
            data={"by": "transition"},
        )
    await session.flush()
    return tip


async def acknowledge(session: AsyncSession, *, tip: Tip, actor: Principal) -> Tip:
    """The unit confirms receipt to the reporter (Joint Circular 01/2017 art. 14(1)): sets
    ``acknowledged_at``, puts a line on the reporter's timeline and notifies them. Once only:
    acknowledging again changes nothing."""
    now = utcnow()
    ensure_open(tip)
    if tip.acknowledged_at is not None:
        return tip
    await apply_guarded(
        session,
        tip,
        [Tip.acknowledged_at.is_(None)],
        {**first_response(tip, now), "acknowledged_at": now},
    )
    record_event(
        session,
        tip=tip,
        actor=actor,
        type="tip.acknowledged",
        at=now,
        public=True,
        data={"by": "acknowledge"},
    )
    await session.flush()
    return tip


async def claim(session: AsyncSession, *, tip: Tip, actor: Principal) -> Tip:
    """Take an unassigned tip of one's own unit. Exactly one of concurrent claims wins: the
    UPDATE only matches while nobody holds the tip."""
    now = utcnow()
    ensure_open(tip)
    result = await session.execute(
        update(Tip)
        .where(
            Tip.id == tip.id,
            Tip.assignee_id.is_(None),
            # The holding unit, or the duty desk alerted to an urgent tip (checked by the
            # route's dependency); the unit must not have changed since.
            Tip.assigned_unit_code == tip.assigned_unit_code,
            Tip.status.not_in([s.value for s in TERMINAL_STATUSES]),
        )
        .values(
            assignee_id=actor.id,
            updated_at=now,
            first_response_at=func.coalesce(Tip.first_response_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(tip)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        if tip.assignee_id == actor.id:
            return tip  # claiming again what one holds changes nothing
        if tip.assignee_id is not None:
            raise AlreadyClaimed(
                msg("triage.already_claimed"),
                extra={"assignee_id": tip.assignee_id},
            )
        raise StaleTip(msg("triage.stale"))
    record_event(
        session,
        tip=tip,
        actor=actor,
        type="tip.assigned",
        at=now,
        data={"assignee_id": actor.id, "previous_assignee_id": None, "claimed": True},
    )
    await session.flush()
    return tip


async def assign(
    session: AsyncSession, *, tip: Tip, actor: Principal, assignee_id: str | None
) -> Tip:
    """Give the tip to an officer or lead of its unit (or take it back with ``None``)."""
    now = utcnow()
    ensure_open(tip)
    if assignee_id is not None:
        user = await session.get(User, assignee_id)
        if (
            user is None
            or user.disabled
            or user.role not in scope.UNIT_MEMBERS
            or user.unit_code != tip.assigned_unit_code
        ):
            raise ValidationFailed(
                errors=[
                    (
                        "assignee_id",
                        msg("triage.assignee_not_member"),
                    )
                ]
            )
    previous = tip.assignee_id
    if previous == assignee_id:
        return tip
    guard = [
        Tip.assigned_unit_code == tip.assigned_unit_code,
        Tip.assignee_id.is_(None) if previous is None else Tip.assignee_id == previous,
        Tip.status.not_in([s.value for s in TERMINAL_STATUSES]),
    ]
    await apply_guarded(
        session, tip, guard, {**first_response(tip, now), "assignee_id": assignee_id}
    )
    record_event(
        session,
        tip=tip,
        actor=actor,
        type="tip.assigned",
        at=now,
        data={"assignee_id": assignee_id, "previous_assignee_id": previous, "claimed": False},
    )
    await session.flush()
    return tip


async def extend_deadline(
    session: AsyncSession, *, tip: Tip, actor: Principal, data: ExtensionIn
) -> DeadlineExtensionOut:
    """Push ``due_at`` within the limits of app.triage.extensions (409 ``deadline_limit``)."""
    now = utcnow()
    ensure_open(tip)
    received_at = as_utc(tip.received_at)
    # Only the current unit's handling counts: extensions since it received the tip.
    prior = await session.scalar(
        select(func.count())
        .select_from(DeadlineExtension)
        .where(DeadlineExtension.tip_id == tip.id, DeadlineExtension.created_at >= received_at)
    )
    decision_ref = (data.decision_ref or "").strip() or None
    check_extension(
        kind=tip.kind,
        received_at=received_at,
        due_at=tip.due_at,
        prior=prior or 0,
        request=ExtensionRequest(until=data.until, reason=data.reason, decision_ref=decision_ref),
        now=now,
    )
    previous = tip.due_at
    until = as_utc(data.until)
    guard = [
        Tip.due_at.is_(None) if previous is None else Tip.due_at == previous,
        Tip.status.not_in([s.value for s in TERMINAL_STATUSES]),
    ]
    await apply_guarded(session, tip, guard, {**first_response(tip, now), "due_at": until})
    extension = DeadlineExtension(
        tip_id=tip.id,
        previous_due_at=previous,
        until=until,
        reason=data.reason,
        decision_ref=decision_ref,
        actor_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(extension)
    record_event(
        session,
        tip=tip,
        actor=actor,
        type="tip.deadline_extended",
        at=now,
        note=data.reason,
        data={
            "previous_due_at": as_utc(previous).isoformat() if previous else None,
            "until": until.isoformat(),
            "decision_ref": decision_ref,
            "extension": (prior or 0) + 1,
        },
    )
    await session.flush()
    return extension_out(extension)


async def add_note(session: AsyncSession, *, tip: Tip, actor: Principal, body: str) -> TipEventOut:
    """An internal note on the timeline; never shown to the reporter."""
    now = utcnow()
    await apply_guarded(session, tip, [], first_response(tip, now))
    event = record_event(session, tip=tip, actor=actor, type="tip.note_added", at=now, note=body)
    await session.flush()
    return event_out(event, personal_data=True)
