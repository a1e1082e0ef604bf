"""Entry points that own their transactions: feed sequencing and webhook delivery.

Each function here opens its own sessions from a sessionmaker and commits; the request
handlers, the in-process worker (started by app.lifecycle when the scheduler is enabled) and
``tinbao webhooks deliver|run-worker`` all call them. Several processes may run the worker at
once: sequencing is serialized by a lock, and deliveries are claimed under leases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import datetime

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.security import DataCipher
from app.core.time import utcnow
from app.integration import feed, webhooks
from app.integration.targets import TargetRefused, pinned_request, resolve_target
from app.integration.webhooks import AttemptOutcome, DueDelivery

log = logging.getLogger("tinbao.webhooks")

DELIVERY_TIMEOUT_SECONDS = 5.0
DELIVERY_BATCH = 20
TICK_SECONDS = 2.0
USER_AGENT = "TinBao-Webhooks/1"


def new_worker_id() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def sync_feed(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Number every committed, unnumbered timeline row (and write its deliveries)."""
    total = 0
    while True:
        async with sessionmaker() as session:
            numbered = await feed.sequence_pending(session)
            await session.commit()
        total += numbered
        if numbered < feed.SEQUENCE_BATCH:
            return total


async def attempt(
    http: httpx.AsyncClient, delivery: DueDelivery, *, allow_private: bool
) -> AttemptOutcome:
    """POST one delivery; any 2xx is success. Never raises."""
    body = delivery.payload.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-TinBao-Event": delivery.event_type,
        "X-TinBao-Delivery": str(delivery.id),
        webhooks.SIGNATURE_HEADER: webhooks.sign(delivery.secret, body),
    }
    try:
        # Checked again at send time, and sent to the address checked (no DNS rebinding).
        target = await resolve_target(delivery.url, allow_private=allow_private)
    except TargetRefused as exc:
        error = "target resolves to a private address" if exc.reason == "private" else exc.reason
        return AttemptOutcome(ok=False, error=error)
    try:
        response = await http.send(pinned_request(http, target, content=body, headers=headers))
    except httpx.TimeoutException:
        return AttemptOutcome(ok=False, error="timeout")
    except Exception as exc:
        # Whatever goes wrong with one target is that delivery's failure, never the worker's.
        return AttemptOutcome(ok=False, error=type(exc).__name__)
    if 200 <= response.status_code < 300:
        return AttemptOutcome(ok=True, status_code=response.status_code)
    return AttemptOutcome(
        ok=False, status_code=response.status_code, error=f"HTTP {response.status_code}"
    )


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    cipher: DataCipher,
    http: httpx.AsyncClient,
    worker_id: str | None = None,
    now: datetime | None = None,
    limit: int = DELIVERY_BATCH,
) -> int:
    """Claim up to ``limit`` due deliveries, attempt them concurrently, record the outcomes.

    Returns how many were attempted. No transaction is open while POSTing.
    """
    worker_id = worker_id or new_worker_id()
    claimed_at = now or utcnow()
    async with sessionmaker() as session:
        ids = await webhooks.claim_due(session, worker_id=worker_id, now=claimed_at, limit=limit)
        await session.commit()
    if not ids:
        return 0
    async with sessionmaker() as session:
        due = await webhooks.load_claimed(session, ids=ids, worker_id=worker_id, cipher=cipher)
    allow_private = bool(settings.webhook_allow_private)
    outcomes = await asyncio.gather(
        *(attempt(http, delivery, allow_private=allow_private) for delivery in due)
    )
    async with sessionmaker() as session:
        for delivery, outcome in zip(due, outcomes, strict=True):
            status = await webhooks.record_attempt(
                session,
                delivery=delivery,
                worker_id=worker_id,
                outcome=outcome,
                now=now or utcnow(),
                max_attempts=settings.webhook_max_attempts,
            )
            if status == "dead":
                log.warning("webhook delivery %s dead-lettered (%s)", delivery.id, outcome.error)
        await session.commit()
    return len(due)


def http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=DELIVERY_TIMEOUT_SECONDS, follow_redirects=False)


async def run_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    cipher: DataCipher,
    http: httpx.AsyncClient,
    worker_id: str,
) -> int:
    """One tick: sequence the feed, then deliver until nothing is due; deliveries made."""
    await sync_feed(sessionmaker)
    total = 0
    while True:
        attempted = await deliver_due(
            sessionmaker, settings=settings, cipher=cipher, http=http, worker_id=worker_id
        )
        total += attempted
        if attempted < DELIVERY_BATCH:
            return total


async def run_worker(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    cipher: DataCipher,
    tick_seconds: float = TICK_SECONDS,
) -> None:
    """Forever: a tick every ``tick_seconds`` (so a first attempt comes within seconds)."""
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
                # The type only: messages may quote rows.
                log.error("webhook worker tick failed: %s", type(exc).__name__)
            await asyncio.sleep(tick_seconds)


def start(app: FastAPI) -> None:
    """Start the in-process worker (app.lifecycle, when the scheduler is enabled)."""
    app.state.webhook_worker = asyncio.create_task(
        run_worker(app.state.sessionmaker, settings=app.state.settings, cipher=app.state.cipher),
        name="tinbao-webhook-worker",
    )


async def stop(app: FastAPI) -> None:
    task: asyncio.Task[None] | None = getattr(app.state, "webhook_worker", None)
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    app.state.webhook_worker = None


async def run_standalone(settings: Settings, *, forever: bool) -> int:
    """The worker outside the web app (``tinbao webhooks deliver|run-worker``)."""
    from app.core.db import make_async_engine, make_sessionmaker

    engine = make_async_engine(settings)
    sessionmaker = make_sessionmaker(engine)
    cipher = DataCipher(settings.data_keys)
    try:
        if forever:
            await run_worker(sessionmaker, settings=settings, cipher=cipher)
            return 0
        async with http_client() as http:
            return await run_once(
                sessionmaker,
                settings=settings,
                cipher=cipher,
                http=http,
                worker_id=new_worker_id(),
            )
    finally:
        await engine.dispose()
