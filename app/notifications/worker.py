"""The notification worker: expand outbox rows, then send what is due.

Each step opens its own sessions and commits: expansion in one transaction per batch, the
claim committed before any send, each outcome recorded after. Several processes may run it at
once (causes are claimed under row locks, deliveries under leases; see
app.notifications.delivery for the at-most-once rule). ``now`` can be passed for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.db import utcnow
from app.core.security import DataCipher
from app.integration.worker import new_worker_id
from app.notifications import delivery, fanout, hooks

log = logging.getLogger("tinbao.notifications")

BATCH = 20
TICK_SECONDS = 2.0


async def expand_all(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    cipher: DataCipher,
    now: datetime | None = None,
) -> int:
    total = 0
    while True:
        async with sessionmaker() as session:
            done = await fanout.expand_pending(
                session, settings=settings, cipher=cipher, now=now or utcnow()
            )
            await session.commit()
        total += done
        if done < fanout.EXPAND_BATCH:
            return total


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    cipher: DataCipher,
    http: httpx.AsyncClient,
    worker_id: str,
    now: datetime | None = None,
    limit: int = BATCH,
) -> int:
    """Claim, send (concurrently, outside any transaction), record; how many were sent."""
    at = now or utcnow()
    async with sessionmaker() as session:
        await delivery.recover_interrupted(session, now=at)
        ids = await delivery.claim(session, worker_id=worker_id, now=at, limit=limit)
        await session.commit()
    if not ids:
        return 0
    async with sessionmaker() as session:
        claimed = await delivery.load(session, ids=ids, worker_id=worker_id, cipher=cipher, now=at)
    errors = await asyncio.gather(
        *(delivery.attempt(item, settings=settings, http=http) for item in claimed)
    )
    async with sessionmaker() as session:
        for item, error in zip(claimed, errors, strict=True):
            await delivery.record(
                session,
                item=item,
                worker_id=worker_id,
                error=error,
                now=now or utcnow(),
                settings=settings,
            )
        await session.commit()
    return len(claimed)


async def run_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    cipher: DataCipher,
    http: httpx.AsyncClient,
    worker_id: str | None = None,
    now: datetime | None = None,
) -> int:
    """Expand every pending cause, then deliver until nothing is due; deliveries attempted."""
    worker_id = worker_id or new_worker_id()
    await expand_all(sessionmaker, settings=settings, cipher=cipher, now=now)
    total = 0
    while True:
        attempted = await deliver_due(
            sessionmaker, settings=settings, cipher=cipher, http=http, worker_id=worker_id, now=now
        )
        total += attempted
        if attempted < BATCH:
            return total


def http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=10.0, follow_redirects=False)


async def run_worker(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    cipher: DataCipher,
    tick_seconds: float = TICK_SECONDS,
) -> None:
    """Forever: a tick every ``tick_seconds`` (an urgent alert leaves within seconds)."""
    worker_id = new_worker_id()
    async with http_client() as http:
        while True:
            try:
                await run_once(
                    sessionmaker, settings=settings, cipher=cipher, http=http, worker_id=worker_id
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("notification worker tick failed: %s", type(exc).__name__)
            await asyncio.sleep(tick_seconds)


def start(app: FastAPI) -> None:
    app.state.notification_worker = asyncio.create_task(
        run_worker(app.state.sessionmaker, settings=app.state.settings, cipher=app.state.cipher),
        name="tinbao-notification-worker",
    )


async def stop(app: FastAPI) -> None:
    task: asyncio.Task[None] | None = getattr(app.state, "notification_worker", None)
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    app.state.notification_worker = None


async def run_standalone(settings: Settings, *, forever: bool) -> int:
    """Outside the web app (``tinbao notifications deliver|run-worker``)."""
    from app.core.db import make_async_engine, make_sessionmaker

    hooks.install()
    engine = make_async_engine(settings)
    sessionmaker = make_sessionmaker(engine)
    cipher = DataCipher(settings.data_keys)
    try:
        if forever:
            await run_worker(sessionmaker, settings=settings, cipher=cipher)
            return 0
        async with http_client() as http:
            return await run_once(sessionmaker, settings=settings, cipher=cipher, http=http)
    finally:
        await engine.dispose()
