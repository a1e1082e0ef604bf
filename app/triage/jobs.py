"""Scheduled jobs and their registration: one ``Job(...)`` line in :data:`JOBS` each.

The one background runner (app.core.runner, composed in app.background) runs them under
database leases (app.core.leases): one worker at a time per job, and at most once per
``every`` across all of them. Each job is also idempotent on its own (``emit_overdue`` marks
each tip with a conditional UPDATE before writing the event), so an expired lease that
overlaps a slow run still writes nothing twice. A job is ``run(session, *, now, settings)``
returning how many things it handled; the runner commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.config import Settings
from app.core.leases import LEASE, acquire_lease
from app.core.runner import Job, run_job
from app.core.time import as_utc_or_none
from app.media import service as media
from app.tips.idempotency import purge_expired_idempotency
from app.tips.models import Tip
from app.tips.timeline import record_event
from app.triage.overdue import (
    acknowledge_overdue_clause,
    classify_overdue_clause,
    overdue_clause,
)

__all__ = ["LEASE", "Job", "acquire_lease", "emit_overdue", "run_job"]

OVERDUE_BATCH = 500


# --- jobs --------------------------------------------------------------------------------


async def emit_overdue(session: AsyncSession, *, now: datetime, settings: Settings) -> int:
    """A ``tip.overdue`` event once per tip and passed deadline.

    The deadline is the latest one passed (``due_at``, or ``transfer_due_at`` for a commune
    that has not forwarded a crime tip); it is kept in ``Tip.overdue_notified_for``, so an
    extended deadline that passes again gives a new event. Marking is a conditional UPDATE:
    of two concurrent runs only one marks a tip, and only the one that marked it writes.
    """
    notified = Tip.overdue_notified_for
    candidates = await session.scalars(
        select(Tip)
        .where(
            overdue_clause(now),
            or_(
                notified.is_(None),
                and_(Tip.due_at < now, Tip.due_at > notified),
                and_(Tip.transfer_due_at < now, Tip.transfer_due_at > notified),
            ),
        )
        .order_by(Tip.id)
        .limit(OVERDUE_BATCH)
    )
    emitted = 0
    for tip in list(candidates):
        passed = {
            field: value
            for field, value in (
                ("due_at", as_utc_or_none(tip.due_at)),
                ("transfer_due_at", as_utc_or_none(tip.transfer_due_at)),
            )
            if value is not None and value < now
        }
        field, deadline = max(passed.items(), key=lambda item: item[1])
        marked = await session.execute(
            update(Tip)
            .where(
                Tip.id == tip.id,
                or_(notified.is_(None), notified < deadline),
            )
            # Not a change the reporter should see: keep updated_at as it was.
            .values(overdue_notified_for=deadline, updated_at=Tip.updated_at)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:  # type: ignore[attr-defined]
            continue
        record_event(
            session,
            tip=tip,
            type="tip.overdue",
            actor="system",
            at=now,
            data={
                "deadline": field,
                "due_at": deadline.isoformat(),
                "status": tip.status,
                "assignee_id": tip.assignee_id,
            },
        )
        emitted += 1
    await session.flush()
    return emitted


async def _emit_once(
    session: AsyncSession,
    *,
    now: datetime,
    type: str,
    clause: ColumnElement[bool],
    marker: InstrumentedAttribute[datetime | None],
    deadline: InstrumentedAttribute[datetime | None] | InstrumentedAttribute[datetime],
) -> int:
    """One ``type`` event per tip that meets ``clause``: the tip is marked by a conditional
    UPDATE of ``marker`` (``WHERE marker IS NULL``) before the event is written, so of two
    concurrent runs only the one that marked it writes (as :func:`emit_overdue`)."""
    candidates = await session.scalars(
        select(Tip).where(clause, marker.is_(None)).order_by(Tip.id).limit(OVERDUE_BATCH)
    )
    emitted = 0
    for tip in list(candidates):
        marked = await session.execute(
            update(Tip)
            .where(Tip.id == tip.id, marker.is_(None), clause)
            .values({marker.key: now, "updated_at": Tip.updated_at})
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:  # type: ignore[attr-defined]
            continue
        passed = as_utc_or_none(getattr(tip, deadline.key))
        record_event(
            session,
            tip=tip,
            type=type,
            actor="system",
            at=now,
            data={
                deadline.key: passed.isoformat() if passed else None,
                "status": tip.status,
                "assignee_id": tip.assignee_id,
            },
        )
        emitted += 1
    await session.flush()
    return emitted


async def emit_acknowledge_overdue(
    session: AsyncSession, *, now: datetime, settings: Settings
) -> int:
    """``tip.acknowledge_overdue`` once per open tip not acknowledged by ``acknowledge_by``."""
    return await _emit_once(
        session,
        now=now,
        type="tip.acknowledge_overdue",
        clause=acknowledge_overdue_clause(now),
        marker=Tip.acknowledge_overdue_at,
        deadline=Tip.acknowledge_by,
    )


async def emit_classify_overdue(session: AsyncSession, *, now: datetime, settings: Settings) -> int:
    """``tip.classify_overdue`` once per open tip not classified by ``classify_by``."""
    return await _emit_once(
        session,
        now=now,
        type="tip.classify_overdue",
        clause=classify_overdue_clause(now),
        marker=Tip.classify_overdue_at,
        deadline=Tip.classify_by,
    )


async def purge_idempotency(session: AsyncSession, *, now: datetime, settings: Settings) -> int:
    """Intake replay records hold encrypted receipts: gone after their 24 hours."""
    return await purge_expired_idempotency(session, now)


async def purge_orphan_files(session: AsyncSession, *, now: datetime, settings: Settings) -> int:
    """Stored files no attachment refers to (left by failed uploads), after a day."""
    return await media.purge_orphan_blobs(session, storage=media.storage_for(settings))
