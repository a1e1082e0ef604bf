"""Scheduled jobs, run by whichever worker holds the job's lease.

Several processes may run the scheduler (the in-process loop of each app worker, and
``tinbao jobs run-once`` from cron). A job runs under a lease: a ``job_locks`` row taken by a
conditional UPDATE (``WHERE lease_until IS NULL OR lease_until < now``), inserted first if
missing, committed before the job starts, released when it ends. A worker that dies leaves a
lease that simply runs out. Each job is also idempotent on its own (``emit_overdue`` marks
each tip with a conditional UPDATE before writing the event), so an expired lease that
overlaps a slow run still writes nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from app.audit.anchor import anchor_job
from app.core import dialect
from app.core.config import Settings
from app.core.db import make_async_engine, make_sessionmaker
from app.core.time import as_utc_or_none, utcnow
from app.media import service as media
from app.notifications import jobs as notification_jobs
from app.privacy.service import purge_expired_reporters
from app.tips.idempotency import purge_expired_idempotency
from app.tips.models import Tip
from app.tips.timeline import record_event
from app.triage.models import JobLock
from app.triage.overdue import (
    acknowledge_overdue_clause,
    classify_overdue_clause,
    overdue_clause,
)

log = logging.getLogger("tinbao.jobs")

LEASE = timedelta(minutes=5)
OVERDUE_BATCH = 500


# --- leases ------------------------------------------------------------------------------


def new_holder() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def acquire_lease(
    session: AsyncSession,
    *,
    name: str,
    holder: str,
    now: datetime,
    ttl: timedelta = LEASE,
    every: timedelta = timedelta(0),
) -> bool:
    """Take job ``name`` until ``now + ttl`` if nobody holds it and it last ran at least
    ``every`` ago. The caller commits right after, so other workers see the lease."""
    await session.execute(
        dialect.insert(session, JobLock)
        .values(name=name, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    conditions = [
        JobLock.name == name,
        or_(JobLock.lease_until.is_(None), JobLock.lease_until < now),
    ]
    if every:
        conditions.append(or_(JobLock.last_run_at.is_(None), JobLock.last_run_at <= now - every))
    result = await session.execute(
        update(JobLock)
        .where(*conditions)
        .values(holder=holder, lease_until=now + ttl, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def release_lease(
    session: AsyncSession, *, name: str, holder: str, now: datetime, result: str
) -> None:
    await session.execute(
        update(JobLock)
        .where(JobLock.name == name, JobLock.holder == holder)
        .values(
            holder=None, lease_until=None, last_run_at=now, last_result=result[:500], updated_at=now
        )
        .execution_options(synchronize_session=False)
    )


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


JobFunc = Callable[..., Awaitable[int]]


@dataclass(frozen=True)
class Job:
    name: str
    run: JobFunc
    every: timedelta = timedelta(0)  # at most once per this period, across all workers


JOBS: tuple[Job, ...] = (
    Job("emit_overdue", emit_overdue),
    Job("emit_acknowledge_overdue", emit_acknowledge_overdue),
    Job("emit_classify_overdue", emit_classify_overdue),
    Job("purge_idempotency", purge_idempotency, every=timedelta(minutes=10)),
    Job("purge_orphan_files", purge_orphan_files, every=timedelta(hours=6)),
    Job("purge_expired_reporters", purge_expired_reporters, every=timedelta(hours=1)),
    Job("audit_anchor", anchor_job, every=timedelta(days=1)),
    *(Job(name, run, every=every) for name, run, every in notification_jobs.SCHEDULE),
)


# --- running -----------------------------------------------------------------------------


async def run_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    job: Job,
    *,
    settings: Settings,
    holder: str,
    now: datetime | None = None,
) -> str:
    """Run one job under its lease; what it did, or "skipped" when another worker has it."""
    now = now or utcnow()
    async with sessionmaker() as session:
        acquired = await acquire_lease(
            session, name=job.name, holder=holder, now=now, every=job.every
        )
        await session.commit()
    if not acquired:
        return "skipped"
    outcome = "error"
    try:
        async with sessionmaker() as session:
            count = await job.run(session, now=now, settings=settings)
            await session.commit()
        outcome = f"ok: {count}"
    except Exception as exc:
        outcome = f"error: {type(exc).__name__}"  # the type only: messages may quote rows
        log.error("job %s failed: %s", job.name, type(exc).__name__)
    finally:
        async with sessionmaker() as session:
            await release_lease(session, name=job.name, holder=holder, now=utcnow(), result=outcome)
            await session.commit()
    return outcome


async def run_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    holder: str | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """Every job once (those whose lease another worker holds are skipped)."""
    holder = holder or new_holder()
    return {
        job.name: await run_job(sessionmaker, job, settings=settings, holder=holder, now=now)
        for job in JOBS
    }


async def run_once_standalone(settings: Settings) -> dict[str, str]:
    """For the CLI: its own engine, one pass, then dispose."""
    engine = make_async_engine(settings)
    try:
        return await run_once(make_sessionmaker(engine), settings=settings)
    finally:
        await engine.dispose()


async def run_scheduler(
    sessionmaker: async_sessionmaker[AsyncSession], *, settings: Settings
) -> None:
    """Forever: one pass every ``scheduler_interval_seconds``."""
    holder = new_holder()
    while True:
        try:
            await run_once(sessionmaker, settings=settings, holder=holder)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("scheduler pass failed: %s", type(exc).__name__)
        await asyncio.sleep(settings.scheduler_interval_seconds)


def start(app: FastAPI) -> None:
    """Start the in-process scheduler (app.lifecycle, when the scheduler is enabled)."""
    app.state.job_scheduler = asyncio.create_task(
        run_scheduler(app.state.sessionmaker, settings=app.state.settings),
        name="tinbao-job-scheduler",
    )


async def stop(app: FastAPI) -> None:
    task: asyncio.Task[None] | None = getattr(app.state, "job_scheduler", None)
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    app.state.job_scheduler = None
