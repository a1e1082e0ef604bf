"""The one background runner: scheduled jobs under database leases, and outbox delivery.

Every app worker process runs one (app.lifecycle, when ``TINBAO_SCHEDULER_ENABLED``); so do
``tinbao worker`` and, for one pass, ``tinbao jobs run-once`` from cron. Nothing here relies on
being the only runner: what must happen once coordinates through the database.

- A job runs under its lease (app.core.leases), committed before it starts, so one process
  at a time runs it, and at most once per ``Job.every`` across all of them. Each job is also
  idempotent on its own (conditional UPDATEs mark what it handled), so an expired lease that
  overlaps a slow run writes nothing twice.
- An outbox (app.core.outbox.Outbox) is drained in batches claimed under leases with FOR
  UPDATE SKIP LOCKED, so several runners share the rows and never attempt one twice.

The jobs and each outbox run in loops of their own, so a slow purge or an unreachable webhook
target never holds up an urgent alert. The runner knows no domain: app.background lists what
it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.leases import acquire_lease, new_holder, release_lease
from app.core.outbox import Context, Outbox, drain
from app.core.time import utcnow

log = logging.getLogger("tinbao.runner")

TICK_SECONDS = 2.0  # outbox passes: an urgent alert leaves within seconds

JobFunc = Callable[..., Awaitable[int]]  # (session, *, now, settings) -> how many it handled


@dataclass(frozen=True)
class Job:
    """A scheduled job: ``run(session, now=..., settings=...)`` in one transaction."""

    name: str
    run: JobFunc
    every: timedelta = timedelta(0)  # at most once per this period, across all workers


async def run_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    job: Job,
    *,
    settings: Any,
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


async def run_jobs(
    sessionmaker: async_sessionmaker[AsyncSession],
    jobs: Sequence[Job],
    *,
    settings: Any,
    holder: str | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """Every job once, in order (those whose lease another worker holds are skipped)."""
    holder = holder or new_holder()
    return {
        job.name: await run_job(sessionmaker, job, settings=settings, holder=holder, now=now)
        for job in jobs
    }


def http_client(timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False)


class Runner:
    """The jobs and outboxes of one process, with one holder name for its leases."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        settings: Any,
        cipher: Any,
        jobs: Sequence[Job] = (),
        outboxes: Sequence[Outbox] = (),
        tick_seconds: float = TICK_SECONDS,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.cipher = cipher
        self.jobs = tuple(jobs)
        self.outboxes = tuple(outboxes)
        self.tick_seconds = tick_seconds
        self.holder = new_holder()
        self._stopping = asyncio.Event()

    def context(self, http: httpx.AsyncClient, now: datetime | None = None) -> Context:
        return Context(self.sessionmaker, self.settings, self.cipher, http, self.holder, now)

    async def run_jobs(self, now: datetime | None = None) -> dict[str, str]:
        return await run_jobs(
            self.sessionmaker, self.jobs, settings=self.settings, holder=self.holder, now=now
        )

    async def drain(self, outbox: Outbox, now: datetime | None = None) -> int:
        async with http_client(outbox.http_timeout) as http:
            return await drain(outbox, self.context(http, now))

    async def run_once(self, now: datetime | None = None) -> dict[str, str]:
        """One pass of everything: the jobs, then each outbox until nothing is due."""
        results = await self.run_jobs(now)
        for outbox in self.outboxes:
            results[outbox.name] = f"attempted: {await self.drain(outbox, now)}"
        return results

    async def _every(self, name: str, seconds: float, step: Callable[[], Awaitable[Any]]) -> None:
        """``step`` every ``seconds`` until the runner is asked to stop: a step under way
        finishes first (its transaction commits or rolls back), so stopping never leaves a
        connection in the middle of a write (on SQLite that would hold the write lock)."""
        stopping = self._stopping
        while not stopping.is_set():
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("%s pass failed: %s", name, type(exc).__name__)  # not the message
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), seconds)

    async def _drain_forever(self, outbox: Outbox) -> None:
        async with http_client(outbox.http_timeout) as http:
            ctx = self.context(http)
            await self._every(outbox.name, self.tick_seconds, lambda: drain(outbox, ctx))

    async def forever(self) -> None:
        """The jobs every ``scheduler_interval_seconds``, each outbox every tick; until
        cancelled."""
        loops = [self._drain_forever(outbox) for outbox in self.outboxes]
        if self.jobs:
            interval = float(self.settings.scheduler_interval_seconds)
            loops.append(self._every("jobs", interval, self.run_jobs))
        async with asyncio.TaskGroup() as group:
            for loop in loops:
                group.create_task(loop)

    def request_stop(self) -> None:
        """Let :meth:`forever` return once the steps under way have finished."""
        self._stopping.set()

    def start(self) -> asyncio.Task[None]:
        task = asyncio.create_task(self.forever(), name="tinbao-runner")
        _STOPPING[task] = self._stopping
        return task


# The stop signal of each started runner's task (gone with the task).
_STOPPING: weakref.WeakKeyDictionary[asyncio.Task[None], asyncio.Event] = (
    weakref.WeakKeyDictionary()
)
STOP_GRACE_SECONDS = 15.0  # longer than an outbox's HTTP timeout (10 s)


async def stop(task: asyncio.Task[None] | None, *, grace: float = STOP_GRACE_SECONDS) -> None:
    """Ask the runner to stop after the steps under way, wait for it up to ``grace``
    seconds, then cancel what is left."""
    if task is None:
        return
    stopping = _STOPPING.get(task)
    if stopping is not None:
        stopping.set()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(task), grace)
    if not task.done():
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
