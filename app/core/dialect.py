"""What differs between PostgreSQL and SQLite, in one place: the dialect's INSERT (for
``ON CONFLICT``) and the lock that serializes writers of a sequence."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, Table, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_name(bind: AsyncSession | Connection) -> str:
    if isinstance(bind, AsyncSession):
        return bind.get_bind().dialect.name
    return bind.dialect.name


def insert(bind: AsyncSession | Connection, table: type[Any] | Table) -> Any:
    """The dialect's INSERT for ``table``: it has ``on_conflict_do_update/nothing``."""
    name = dialect_name(bind)
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database {name}")  # pragma: no cover


async def serialize_writers(session: AsyncSession, *, key: int, sqlite_noop: Executable) -> None:
    """Hold, until the transaction ends, the lock that makes writers of one sequence (the
    audit chain, the feed positions) take turns.

    PostgreSQL: ``pg_advisory_xact_lock(key)``. SQLite has one writer at a time: a no-op
    write (``sqlite_noop``) takes its write lock now (waiting up to busy_timeout), so the
    reads that follow see the latest commit.
    """
    if dialect_name(session) == "postgresql":
        await session.execute(select(text(f"pg_advisory_xact_lock({int(key)})")))
    else:
        await session.execute(sqlite_noop)
