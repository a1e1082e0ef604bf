"""What differs between PostgreSQL and SQLite, in one place: the dialect's INSERT (for
``ON CONFLICT``) and the lock that serializes writers of a sequence."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Executable, Table, TextClause, bindparam, select, text
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


def insert_ignore(
    table: Table, keys: tuple[str, ...], *, returning: tuple[str, ...] = ()
) -> TextClause:
    """``INSERT INTO table (keys) VALUES (...) ON CONFLICT DO NOTHING`` as plain SQL, built
    once per table and keys (PostgreSQL and SQLite read it alike), with each parameter typed
    by its column: execute it with one dict of ``keys`` per row. SQLAlchemy 2.0 compiles the
    dialect ``insert().on_conflict_do_nothing()`` again on every call (it has no cache key);
    this statement is compiled once. With ``returning`` (SQLite >= 3.35), one row of those
    columns for the inserted row, none when a conflict skipped it: execute it with one dict."""
    return _insert_ignore(table, keys, returning)


@lru_cache(maxsize=64)
def _insert_ignore(table: Table, keys: tuple[str, ...], returning: tuple[str, ...]) -> TextClause:
    columns = ", ".join(table.c[key].name for key in keys)  # only the table's own columns
    values = ", ".join(f":{key}" for key in keys)
    sql = f"INSERT INTO {table.name} ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING"  # noqa: S608
    if returning:
        sql += " RETURNING " + ", ".join(table.c[key].name for key in returning)
    return text(sql).bindparams(*(bindparam(key, type_=table.c[key].type) for key in keys))


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
