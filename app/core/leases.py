"""Database leases: what must happen once across every process coordinates here.

A lease is a ``job_locks`` row taken by a conditional UPDATE (``WHERE lease_until IS NULL OR
lease_until < now``), inserted first if missing, committed before the work starts, released
when it ends. A holder that dies leaves a lease that simply runs out.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import String, Text, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.core import dialect
from app.core.db import Base, TimestampMixin

LEASE = timedelta(minutes=5)


class JobLock(TimestampMixin, Base):
    """Lease for a scheduled job, so only one worker runs it at a time."""

    __tablename__ = "job_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
    last_result: Mapped[str | None] = mapped_column(Text)


def new_holder() -> str:
    """A name for this process's runner (host, pid, random): leases and outbox claims."""
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
    """Take ``name`` until ``now + ttl`` if nobody holds it and it last ran at least ``every``
    ago. The caller commits right after, so other processes see the lease."""
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
