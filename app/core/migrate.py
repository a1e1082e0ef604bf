"""`tinbao migrate`, safe when every replica runs it at start-up at the same time.

One process migrates while the others wait: on PostgreSQL a session advisory lock held around
``alembic upgrade`` (the waiters then find the database at head and do nothing); on SQLite an
exclusive ``flock`` on a file beside the database. The result says whether this process
applied anything, so a deployment's logs show exactly one migration.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.core.config import Settings
from app.core.db import make_sync_engine
from app.core.migrations import alembic_config
from app.core.security import DataCipher

# pg_advisory_lock key: "tinbao" in ASCII, a constant every replica agrees on.
ADVISORY_LOCK_KEY = int.from_bytes(b"tinbao", "big")


@dataclass(frozen=True)
class MigrationResult:
    before: str | None
    after: str | None

    @property
    def applied(self) -> bool:
        return self.before != self.after

    def describe(self) -> str:
        if self.applied:
            return f"migrated: {self.before or 'empty database'} -> {self.after}"
        return f"already at {self.after}: nothing to do"


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def _file_lock(database_url: str) -> Iterator[None]:
    path = database_url.split(":///", 1)[1] if ":///" in database_url else ""
    if not path or path == ":memory:":
        yield
        return
    lock_path = os.path.abspath(path) + ".migrate-lock"
    os.makedirs(os.path.dirname(lock_path), exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocks until the migrating process is done
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextmanager
def exclusive(settings: Settings) -> Iterator[Connection]:
    """A connection held under the deployment lock: one holder at a time, across processes
    and machines (PostgreSQL), or processes on this machine (SQLite's file)."""
    engine = make_sync_engine(settings, pooled=False)
    try:
        if settings.is_sqlite:
            with _file_lock(settings.database_url), engine.connect() as conn:
                yield conn
            return
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            conn.commit()
            try:
                yield conn
            finally:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                conn.commit()
    finally:
        engine.dispose()


def migrate(settings: Settings, revision: str = "head") -> MigrationResult:
    """Upgrade to `revision` under the lock; what the database was at before and after.

    Migrations that convert rows to ciphertext (0009_privacy_sealed_people) get the data
    cipher built from ``TINBAO_DATA_KEYS`` as the configuration's ``cipher`` attribute."""
    cfg = alembic_config()
    if settings.data_keys:
        cfg.attributes["cipher"] = DataCipher(settings.data_keys)
    with exclusive(settings) as conn:
        return _upgrade(cfg, conn, revision)


def _upgrade(cfg: Config, conn: Connection, revision: str) -> MigrationResult:
    before = _revision(conn)
    conn.commit()
    with conn.begin():
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    after = _revision(conn)
    conn.commit()
    return MigrationResult(before=before, after=after)


def current_revision(settings: Settings) -> str | None:
    """The database's revision now (None: never migrated)."""
    engine = make_sync_engine(settings, pooled=False)
    try:
        with engine.connect() as conn:
            return _revision(conn)
    finally:
        engine.dispose()
