"""What the one background runner (app.core.runner) runs: the scheduled jobs of
:data:`JOBS` (each job in its domain's package) and the two outboxes (webhook deliveries, notices).

The app starts a runner in each worker process (app.lifecycle, when the scheduler is
enabled); ``tinbao worker`` runs one alone, ``tinbao jobs run-once`` and ``tinbao webhooks |
notifications deliver`` one pass of a part of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.anchor import anchor_job
from app.core import outbox, runner
from app.core.config import Settings
from app.core.leases import new_holder
from app.core.security import DataCipher
from app.integration.worker import WEBHOOKS
from app.notifications import jobs as notification_jobs
from app.notifications.worker import NOTICES
from app.privacy.retention import purge_expired_reporters
from app.triage.jobs import (
    emit_acknowledge_overdue,
    emit_classify_overdue,
    emit_overdue,
    purge_idempotency,
    purge_orphan_files,
)

# The scheduled jobs: one line each (a job of a domain lives in its package).
# Run in this order on every pass (scheduler_interval_seconds); ``every``: at most that often.
JOBS: tuple[runner.Job, ...] = (
    runner.Job("emit_overdue", emit_overdue),
    runner.Job("emit_acknowledge_overdue", emit_acknowledge_overdue),
    runner.Job("emit_classify_overdue", emit_classify_overdue),
    runner.Job("purge_idempotency", purge_idempotency, every=timedelta(minutes=10)),
    runner.Job("purge_orphan_files", purge_orphan_files, every=timedelta(hours=6)),
    runner.Job("purge_expired_reporters", purge_expired_reporters, every=timedelta(hours=1)),
    runner.Job("audit_anchor", anchor_job, every=timedelta(days=1)),
    runner.Job("notify_escalate_unacknowledged", notification_jobs.escalate_unacknowledged),
    runner.Job("notify_escalate_overdue", notification_jobs.escalate_overdue),
    runner.Job(
        "notify_escalate_acknowledge_overdue", notification_jobs.escalate_acknowledge_overdue
    ),
    runner.Job(
        "notify_privacy_requests",
        notification_jobs.remind_privacy_requests,
        every=timedelta(minutes=10),
    ),
    runner.Job(
        "notify_purge_contacts", notification_jobs.purge_notify_contacts, every=timedelta(hours=1)
    ),
)


OUTBOXES: tuple[outbox.Outbox, ...] = (NOTICES, WEBHOOKS)
PENDING = outbox.PendingGauge(OUTBOXES)  # tinbao_outbox_pending{kind}, read by /metrics


def build(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    cipher: DataCipher,
    jobs: Sequence[runner.Job] = JOBS,
    outboxes: Sequence[outbox.Outbox] = OUTBOXES,
) -> runner.Runner:
    return runner.Runner(
        sessionmaker, settings=settings, cipher=cipher, jobs=jobs, outboxes=outboxes
    )


def start(app: FastAPI) -> None:
    """Start this process's runner (app.lifecycle, when the scheduler is enabled)."""
    background = build(app.state.sessionmaker, settings=app.state.settings, cipher=app.state.cipher)
    app.state.runner = background.start()


async def stop(app: FastAPI) -> None:
    await runner.stop(getattr(app.state, "runner", None))
    app.state.runner = None


async def run_standalone(
    settings: Settings,
    *,
    forever: bool,
    jobs: Sequence[runner.Job] = JOBS,
    outboxes: Sequence[outbox.Outbox] = OUTBOXES,
    parent_pid: int | None = None,
) -> dict[str, str]:
    """Outside the web app, with an engine of its own: one pass (what each part did) or, with
    ``forever``, until SIGTERM or SIGINT (the steps under way finish first), or until the
    process ``parent_pid`` is gone (`tinbao serve --worker-process`, app.core.worker_process)."""
    from app.core.db import make_async_engine, make_sessionmaker
    from app.notifications import hooks

    hooks.install()  # what the jobs write notifies too
    engine = make_async_engine(settings)
    sessionmaker = make_sessionmaker(engine)
    hooks.configure(sessionmaker, enabled=settings.notifications_enabled)
    background = build(
        sessionmaker,
        settings=settings,
        cipher=DataCipher(settings.data_keys),
        jobs=jobs,
        outboxes=outboxes,
    )
    try:
        if forever:
            _stop_on_signals(background, parent_pid)
            await background.forever()
            return {}
        return await background.run_once()
    finally:
        await engine.dispose()


async def run_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    holder: str | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """Every job once (those whose lease another worker holds are skipped)."""
    return await runner.run_jobs(
        sessionmaker, JOBS, settings=settings, holder=holder or new_holder(), now=now
    )


def _stop_on_signals(background: runner.Runner, parent_pid: int | None) -> None:
    import signal

    from app.core.worker_process import watch_parent

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, background.request_stop)
    if parent_pid is not None:
        watch_parent(parent_pid, lambda: loop.call_soon_threadsafe(background.request_stop))
