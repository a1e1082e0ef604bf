"""What the one background runner (app.core.runner) runs: the scheduled jobs of
app.triage.jobs and the two outboxes (webhook deliveries, notices).

The app starts a runner in each worker process (app.lifecycle, when the scheduler is
enabled); ``tinbao worker`` runs one alone, ``tinbao jobs run-once`` and ``tinbao webhooks |
notifications deliver`` one pass of a part of it.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import outbox, runner
from app.core.config import Settings
from app.core.security import DataCipher
from app.integration.worker import WEBHOOKS
from app.notifications.worker import NOTICES
from app.triage.jobs import JOBS

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
) -> dict[str, str]:
    """Outside the web app, with an engine of its own: one pass (what each part did) or, with
    ``forever``, until interrupted."""
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
            await background.forever()
            return {}
        return await background.run_once()
    finally:
        await engine.dispose()
