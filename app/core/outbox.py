"""The outbox machinery shared by webhook and notification deliveries.

A delivery row carries its own queue state (:class:`OutboxMixin`). Workers claim due rows
under a lease with one conditional UPDATE (PostgreSQL: over ``FOR UPDATE SKIP LOCKED``, so
two workers never claim the same row; SQLite runs the UPDATE under its write lock), attempt
them outside any transaction, and record each outcome only while the lease is still theirs.
Failed attempts come back after an exponential backoff. :func:`deliver_batch` is that cycle
for any outbox, :class:`Outbox` what the one runner (app.core.runner) drives.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import httpx
from prometheus_client import Gauge
from sqlalchemy import Integer, String, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from app.core.db import utcnow

FIRST_RETRY_SECONDS = 5
BACKOFF_FACTOR = 4
MAX_BACKOFF_SECONDS = 3600


class OutboxMixin:
    """Queue state of a delivery row."""

    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    leased_by: Mapped[str | None] = mapped_column(String(64))
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None]


def backoff_seconds(failed_attempts: int) -> int:
    """Wait before the next attempt after ``failed_attempts`` failures (>= 1): 5 s, 20 s,
    80 s, ... capped at an hour."""
    return int(
        min(FIRST_RETRY_SECONDS * BACKOFF_FACTOR ** (failed_attempts - 1), MAX_BACKOFF_SECONDS)
    )


async def claim_due(
    session: AsyncSession,
    model: Any,
    *,
    due_statuses: Sequence[str],
    worker_id: str,
    now: datetime,
    limit: int,
    lease: timedelta,
    claimed_status: str | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[int]:
    """Lease up to ``limit`` due rows of ``model`` to ``worker_id``; their ids, ascending.

    ``where`` adds conditions (webhooks skip disabled owners). ``claimed_status`` (when given)
    is set on the claimed rows: a row claimed that way is no longer due even after its lease
    runs out. The caller commits at once.

    The due rows are chosen once, in a materialized CTE. Written as ``UPDATE ... WHERE id IN
    (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)``, PostgreSQL may plan a nested-loop semi join
    that rescans the subquery for every outer row; each rescan skips the rows this very
    UPDATE has just changed and returns the next ones, so one claim took every due row and
    concurrent workers found nothing left (tests/integration/test_webhooks.py, concurrent
    workers). Only the outbox rows are locked (``OF``): a condition's subquery must not lock
    rows that every claim reads.
    """
    due = (
        select(model.id)
        .where(
            model.status.in_(list(due_statuses)),
            model.next_attempt_at <= now,
            or_(model.lease_until.is_(None), model.lease_until < now),
            *where,
        )
        .order_by(model.next_attempt_at, model.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=model)
        .cte("due")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    values: dict[str, Any] = {"lease_until": now + lease, "leased_by": worker_id, "updated_at": now}
    if claimed_status is not None:
        values["status"] = claimed_status
    result = await session.execute(
        update(model)
        .where(model.id.in_(select(due.c.id)), model.status.in_(list(due_statuses)))
        .values(**values)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars().all())


def outcome_values(
    *,
    ok: bool,
    attempts: int,
    now: datetime,
    max_attempts: int,
    error: str | None,
    delivered: str = "delivered",
    retry: str = "pending",
    dead: str = "dead",
) -> dict[str, Any]:
    """The columns to store after attempt number ``attempts``: delivered, retry after a
    backoff, or dead after ``max_attempts``."""
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_error": error[:300] if error else None,
        "lease_until": None,
        "leased_by": None,
        "updated_at": now,
    }
    if ok:
        values["status"] = delivered
        values["delivered_at"] = now
    elif attempts >= max_attempts:
        values["status"] = dead
    else:
        values["status"] = retry
        values["next_attempt_at"] = now + timedelta(seconds=backoff_seconds(attempts))
    return values


async def record_outcome(
    session: AsyncSession,
    model: Any,
    *,
    row_id: int,
    worker_id: str,
    expect_status: str,
    values: dict[str, Any],
) -> bool:
    """Store an outcome only while the row is still leased to ``worker_id`` in status
    ``expect_status``; whether it was stored."""
    result = await session.execute(
        update(model)
        .where(model.id == row_id, model.leased_by == worker_id, model.status == expect_status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


# --- driving an outbox --------------------------------------------------------------------

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


async def deliver_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    claim: Callable[[AsyncSession], Awaitable[list[int]]],
    load: Callable[[AsyncSession, list[int]], Awaitable[Sequence[Item]]],
    send: Callable[[Item], Awaitable[Outcome]],
    record: Callable[[AsyncSession, Item, Outcome], Awaitable[object]],
) -> int:
    """One batch of an outbox: claim (committed before any send), load what was claimed, send
    it concurrently outside any transaction, record each outcome; how many were attempted."""
    async with sessionmaker() as session:
        ids = await claim(session)
        await session.commit()
    if not ids:
        return 0
    async with sessionmaker() as session:
        items = await load(session, ids)
    outcomes = await asyncio.gather(*(send(item) for item in items))
    async with sessionmaker() as session:
        for item, outcome in zip(items, outcomes, strict=True):
            await record(session, item, outcome)
        await session.commit()
    return len(items)


@dataclass(frozen=True)
class Context:
    """What an outbox's steps run with: the runner passes one per pass."""

    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Any  # app.core.config.Settings
    cipher: Any  # app.core.security.DataCipher
    http: httpx.AsyncClient
    worker_id: str
    now: datetime | None = None  # tests move the clock; None: the time of each step


class DeliverDue(Protocol):
    """An outbox's delivery step: claim up to ``limit`` due rows for ``worker_id``, attempt
    them, record the outcomes; how many were attempted (``now`` None: the time of each step).
    Each outbox's ``deliver_due`` has this signature, so :class:`Outbox` calls it directly."""

    def __call__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        /,
        *,
        settings: Any,
        cipher: Any,
        http: httpx.AsyncClient,
        worker_id: str,
        now: datetime | None,
        limit: int,
    ) -> Awaitable[int]: ...


@dataclass(frozen=True)
class Outbox:
    """An outbox the runner drives: ``prepare`` turns causes into due rows (feed numbering,
    notice expansion), ``deliver`` (the outbox's ``deliver_due``) makes one batch of at most
    ``batch`` with what a :class:`Context` holds; ``pending`` counts what waits, by kind, for
    ``tinbao_outbox_pending``."""

    name: str
    deliver: DeliverDue
    pending: Callable[[AsyncSession], Awaitable[dict[str, int]]]
    prepare: Callable[[Context], Awaitable[int]] | None = None
    batch: int = 20
    http_timeout: float = 10.0

    async def deliver_batch(self, ctx: Context) -> int:
        """One batch of at most ``batch`` deliveries; how many were attempted."""
        return await self.deliver(
            ctx.sessionmaker,
            settings=ctx.settings,
            cipher=ctx.cipher,
            http=ctx.http,
            worker_id=ctx.worker_id,
            now=ctx.now,
            limit=self.batch,
        )


async def drain(outbox: Outbox, ctx: Context) -> int:
    """Prepare, then deliver batches until one comes back short; deliveries attempted."""
    if outbox.prepare is not None:
        await outbox.prepare(ctx)
    total = 0
    while True:
        attempted = await outbox.deliver_batch(ctx)
        total += attempted
        if attempted < outbox.batch:
            return total


# --- what waits ---------------------------------------------------------------------------

PENDING = Gauge("tinbao_outbox_pending", "Outbox rows not yet delivered", ["kind"])
PENDING_TTL_SECONDS = 15.0


class PendingGauge:
    """``tinbao_outbox_pending{kind}``, refreshed at most every ``ttl`` seconds per process:
    each count reads a partial or leading-column index of due rows, never the whole table,
    and a scrape inside the TTL reads nothing at all."""

    def __init__(self, outboxes: Sequence[Outbox], *, ttl: float = PENDING_TTL_SECONDS):
        self._outboxes = tuple(outboxes)
        self._ttl = ttl
        self._fresh_until = 0.0
        self._lock = asyncio.Lock()
        self._kinds: set[str] = set()

    def invalidate(self) -> None:
        """Count again at the next scrape."""
        self._fresh_until = 0.0

    async def refresh(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        if time.monotonic() < self._fresh_until:
            return
        async with self._lock:
            if time.monotonic() < self._fresh_until:
                return
            counts: dict[str, int] = {}
            async with sessionmaker() as session:
                for outbox in self._outboxes:
                    counts.update(await outbox.pending(session))
            for kind in self._kinds - counts.keys():
                PENDING.labels(kind).set(0)
            for kind, count in counts.items():
                PENDING.labels(kind).set(count)
            self._kinds |= counts.keys()
            self._fresh_until = time.monotonic() + self._ttl
