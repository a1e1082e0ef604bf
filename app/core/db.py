"""Database: declarative base with named constraints, engines and the request session."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import CheckConstraint, DateTime, MetaData, TypeDecorator, event
from sqlalchemy.engine import Engine, ExceptionContext, create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import NullPool

from app.core.config import Settings
from app.core.time import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    """A time-ordered UUIDv7 string: sorts by creation, keeps index inserts local."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (rand >> 68) << 64  # 12 bits rand_a
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as an aware UTC datetime.

    PostgreSQL keeps the offset itself; SQLite keeps none, and would otherwise store an aware
    +07:00 value by its wall-clock time and hand back naive datetimes. Naive input is UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def enum_check(column: str, enum: type[StrEnum]) -> CheckConstraint:
    """A named CHECK constraint (ck_<table>_<column>_enum) limiting a column to an enum."""
    allowed = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_enum")


def _sqlite_pragmas(busy_timeout_seconds: float) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_seconds * 1000)}")
        cursor.close()

    return on_connect


def _timeouts_are_disconnects(context: ExceptionContext) -> BaseException | None:
    """A statement that timed out (asyncpg's ``command_timeout``: the database or the network
    went silent) leaves its connection in an unknown state: drop that connection, and raise the
    DBAPI's OperationalError so that it answers 503 (app.core.errors), never 500."""
    if isinstance(context.original_exception, TimeoutError):
        context.is_disconnect = True
        return OperationalError(
            context.statement, None, context.original_exception, connection_invalidated=True
        )
    return None


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if path and path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def _connect_failure_is_operational(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """asyncpg's connect raises OSError (refused, timed out) or its own errors, which
    SQLAlchemy passes through unwrapped; make them the DBAPI's OperationalError, so that a
    database that cannot be reached answers 503 (app.core.errors), never 500."""
    dbapi = dialect.loaded_dbapi
    try:
        return dialect.connect(*cargs, **cparams)
    except dbapi.Error:
        raise
    except Exception as exc:
        raise dbapi.OperationalError(f"cannot connect: {type(exc).__name__}") from exc


def make_async_engine(settings: Settings) -> AsyncEngine:
    busy = settings.db_statement_timeout_seconds
    if settings.is_sqlite:
        _ensure_sqlite_dir(settings.database_url)
        engine = create_async_engine(
            settings.async_database_url,
            connect_args={"timeout": busy},
            hide_parameters=True,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(busy))
        return engine
    # Client-side timeouts: a partition (packets dropped, no RST) must fail, not hang.
    #
    # No pre-ping: it cost a round trip on every checkout (every request). A dead pooled
    # connection (the server restarted, the network cut) is detected on use instead: asyncpg
    # raises (ConnectionDoesNotExistError, a reset, or command_timeout's TimeoutError, see
    # _timeouts_are_disconnects), SQLAlchemy classifies it as a disconnect and invalidates the
    # pool (every connection checked out before that moment is replaced, not reused), and the
    # request answers 503 with Retry-After (app.core.errors) — never 500, never a lost
    # acknowledged write, since nothing is acknowledged before the commit. The client retries
    # (with its Idempotency-Key for intake) on a fresh connection.
    engine = create_async_engine(
        settings.async_database_url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=False,
        pool_timeout=settings.db_pool_timeout_seconds,
        connect_args={
            "timeout": settings.db_connect_timeout_seconds,
            "command_timeout": settings.db_statement_timeout_seconds,
        },
        hide_parameters=True,  # errors and logs never carry the statement's values
    )
    event.listen(engine.sync_engine, "do_connect", _connect_failure_is_operational)
    event.listen(engine.sync_engine, "handle_error", _timeouts_are_disconnects)
    return engine


def make_sync_engine(settings: Settings, *, pooled: bool = True) -> Engine:
    if settings.is_sqlite:
        _ensure_sqlite_dir(settings.database_url)
        busy = settings.db_statement_timeout_seconds
        engine = create_engine(
            settings.sync_database_url, connect_args={"timeout": busy}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas(busy))
        return engine
    kwargs: dict[str, Any] = {} if pooled else {"poolclass": NullPool}
    return create_engine(
        settings.sync_database_url, pool_pre_ping=True, hide_parameters=True, **kwargs
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed once, before the response is sent."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# scope="function": the commit runs when the endpoint returns, before the response is sent,
# so a failed commit becomes an error response, never an acknowledged-but-lost write.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
