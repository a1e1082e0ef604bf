"""The notice outbox's steps: expand causes into deliveries, then send what is due.

Each step opens its own sessions and commits: expansion in one transaction per batch, the
claim committed before any send, each outcome recorded after. The one background runner
(app.core.runner, composed in app.background) drives :data:`NOTICES`. Several processes may
run it at once (causes are claimed under row locks, deliveries under leases; see
app.notifications.delivery for the at-most-once rule). ``now`` can be passed for tests.
"""

from __future__ import annotations

from datetime import datetime

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import outbox
from app.core.config import Settings
from app.core.db import utcnow
from app.core.leases import new_holder
from app.core.runner import http_client as _client
from app.core.security import DataCipher
from app.notifications import delivery, fanout
from app.notifications.models import WAITING, NotificationDelivery

BATCH = 20
HTTP_TIMEOUT_SECONDS = 10.0


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

    async def claim(session: AsyncSession) -> list[int]:
        await delivery.recover_interrupted(session, now=at)
        return await delivery.claim(session, worker_id=worker_id, now=at, limit=limit)

    async def load(session: AsyncSession, ids: list[int]) -> list[delivery.Claimed]:
        return await delivery.load(session, ids=ids, worker_id=worker_id, cipher=cipher, now=at)

    async def send(item: delivery.Claimed) -> str | None:
        return await delivery.attempt(item, settings=settings, http=http)

    async def record(session: AsyncSession, item: delivery.Claimed, error: str | None) -> None:
        await delivery.record(
            session,
            item=item,
            worker_id=worker_id,
            error=error,
            now=now or utcnow(),
            settings=settings,
        )

    return await outbox.deliver_batch(
        sessionmaker, claim=claim, load=load, send=send, record=record
    )


async def pending(session: AsyncSession) -> dict[str, int]:
    """Deliveries not yet settled, by channel (``ix_notification_deliveries_waiting``, a
    partial index of exactly those rows)."""
    rows = await session.execute(
        select(NotificationDelivery.channel, func.count())
        .where(text(WAITING))
        .group_by(NotificationDelivery.channel)
    )
    return {str(channel): int(count) for channel, count in rows.all()}


async def _prepare(ctx: outbox.Context) -> int:
    return await expand_all(ctx.sessionmaker, settings=ctx.settings, cipher=ctx.cipher, now=ctx.now)


NOTICES = outbox.Outbox(
    name="notifications",
    prepare=_prepare,
    deliver=deliver_due,
    pending=pending,
    batch=BATCH,
    http_timeout=HTTP_TIMEOUT_SECONDS,
)


def http_client() -> httpx.AsyncClient:
    return _client(HTTP_TIMEOUT_SECONDS)


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
    ctx = outbox.Context(sessionmaker, settings, cipher, http, worker_id or new_holder(), now)
    return await outbox.drain(NOTICES, ctx)
