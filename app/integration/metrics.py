"""Business metrics of ``/metrics`` sampled from the database: open tips by status and
overdue tips.

A scrape never scans the tips: the figures are a sample taken at most every
``TINBAO_METRICS_SAMPLE_SECONDS`` (30 s by default) and cached in the process; a scrape
that finds the sample older takes a new one (two counts on the partial indexes of open and
clock-running tips, not a scan of every tip), one at a time. Every process of a deployment
reports the same figures, taken from the one database. ``tinbao_tips_received_total`` is a
counter kept at intake (app.tips.metrics).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from prometheus_client import Gauge
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.time import utcnow
from app.tips.models import Tip, TipStatus
from app.triage.overdue import overdue_clause
from app.triage.workflow import TERMINAL_STATUSES

OPEN_STATUSES = tuple(s.value for s in TipStatus if s not in TERMINAL_STATUSES)

OPEN_TIPS = Gauge("tinbao_open_tips", "Tips not closed, by status (sampled)", ["status"])
OVERDUE_TIPS = Gauge(
    "tinbao_overdue_tips", "Tips overdue now, as the queue's overdue=true (sampled)"
)
SAMPLED_AT = Gauge(
    "tinbao_business_metrics_sampled_timestamp_seconds",
    "When the open and overdue tips were last counted (Unix time)",
)


class BusinessMetrics:
    """The sampled gauges of one process."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._taken: float | None = None
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        return self._taken is not None and self.clock() - self._taken < self.ttl_seconds

    async def refresh(self) -> None:
        """Take a new sample when the last one is older than the TTL."""
        if self._fresh():
            return
        async with self._lock:
            if self._fresh():
                return
            await self._sample()
            self._taken = self.clock()

    async def _sample(self) -> None:
        now = utcnow()
        async with self.sessionmaker() as session:
            by_status = dict(
                (
                    await session.execute(
                        select(Tip.status, func.count())
                        .where(Tip.status.in_(OPEN_STATUSES))
                        .group_by(Tip.status)
                    )
                )
                .tuples()
                .all()
            )
            overdue = await session.scalar(
                select(func.count()).select_from(Tip).where(overdue_clause(now))
            )
        for status in OPEN_STATUSES:
            OPEN_TIPS.labels(status).set(by_status.get(status, 0))
        OVERDUE_TIPS.set(overdue or 0)
        SAMPLED_AT.set(now.timestamp())
