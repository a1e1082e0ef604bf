"""Reads that may lag a little go to a streaming replica (``TINBAO_DATABASE_REPLICA_URL``).

Only statistics and exports use it (routes that take ``ReplicaSessionDep`` or call
``read_sessionmaker``): never the queue, a tip's record, the change feed, authentication or
anything a user has just written. The replica is used while its replay lag is within
``TINBAO_REPLICA_MAX_LAG_SECONDS``; beyond it, or when it cannot be asked, reads go to the
primary. The lag is measured at most once a second per process:

* replay caught up with what was received → 0;
* otherwise ``now() - pg_last_xact_replay_timestamp()`` (replay behind or paused);
* a server not in recovery is not a replica: its answers are current → 0.

``tinbao_db_reads_total{target="replica"|"primary"}`` counts where such reads went.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from prometheus_client import Counter, Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.db import make_async_engine, make_sessionmaker

log = logging.getLogger("tinbao.replica")

READS = Counter("tinbao_db_reads_total", "Lag-tolerant reads, by where they went", ["target"])
LAG = Gauge("tinbao_replica_lag_seconds", "Replica replay lag last measured (-1: unknown)")

LAG_QUERY = text(
    "SELECT CASE"
    " WHEN NOT pg_is_in_recovery() THEN 0"
    " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp())) END"
)
CHECK_EVERY_SECONDS = 1.0


class ReadRouter:
    def __init__(
        self,
        primary: async_sessionmaker[AsyncSession],
        replica_engine: AsyncEngine | None,
        *,
        max_lag_seconds: float,
    ) -> None:
        self.primary = primary
        self.replica_engine = replica_engine
        self.replica = make_sessionmaker(replica_engine) if replica_engine else None
        self.max_lag_seconds = max_lag_seconds
        self._checked_at = -CHECK_EVERY_SECONDS
        self._usable = False

    async def lag_seconds(self) -> float | None:
        """The replica's lag now; None when it cannot be told (down, or nothing replayed)."""
        assert self.replica_engine is not None
        try:
            async with self.replica_engine.connect() as conn:
                value = (await conn.execute(LAG_QUERY)).scalar()
        except Exception as exc:
            log.warning("replica not reachable (%s): reading from the primary", type(exc).__name__)
            return None
        return None if value is None else float(value)

    async def _replica_usable(self) -> bool:
        now = time.monotonic()
        if now - self._checked_at >= CHECK_EVERY_SECONDS:
            self._checked_at = now
            lag = await self.lag_seconds()
            LAG.set(-1 if lag is None else lag)
            self._usable = lag is not None and lag <= self.max_lag_seconds
        return self._usable

    async def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        """Where the next lag-tolerant read goes."""
        if self.replica is not None and await self._replica_usable():
            READS.labels("replica").inc()
            return self.replica
        READS.labels("primary").inc()
        return self.primary


def install_read_router(app: FastAPI, settings: Settings) -> None:
    engine = None
    if settings.database_replica_url:
        replica = settings.model_copy(update={"database_url": settings.database_replica_url})
        engine = make_async_engine(replica)
    app.state.read_router = ReadRouter(
        app.state.sessionmaker, engine, max_lag_seconds=settings.replica_max_lag_seconds
    )


async def read_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    router: ReadRouter = request.app.state.read_router
    return await router.sessionmaker()


async def get_replica_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read-only session on the replica when it is within the lag bound, else the primary.
    Nothing written through it is kept: it is rolled back."""
    sessionmaker = await read_sessionmaker(request)
    async with sessionmaker() as session:
        try:
            yield session
        finally:
            await session.rollback()


ReplicaSessionDep = Annotated[AsyncSession, Depends(get_replica_session, scope="function")]
