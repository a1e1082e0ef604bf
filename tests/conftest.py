"""Test database per run: a temporary SQLite file, or PostgreSQL when
TINBAO_TEST_DATABASE_URL is set. The schema is built by `alembic upgrade head` and the
reference data loaded once; after each test the transactional tables are emptied with DELETE
(tests commit for real, so concurrency can be tested: a rolled-back outer transaction would
not allow that)."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import make_sync_engine
from app.main import create_app
from app.models import Base
from tests import gc_safe_ast

# Before any test module is imported (assertion rewriting parses each one).
gc_safe_ast.install()

# Tables filled by `tinbao load-reference-data` (or changed by admins); kept between tests.
REFERENCE_TABLES = {
    "provinces",
    "communes",
    "legacy_communes",
    "police_units",
    "categories",
    "calendar_days",
    "calendar_years",
    "movement_models",
    # Written by administration tests, which run on a database of their own.
    "category_province_rules",
    "commune_splits",
    "commune_boundaries",
}

TEST_DATA_KEY = "test1:" + base64.urlsafe_b64encode(b"k" * 32).decode()


def _database_url(tmp_root: Path) -> str:
    url = os.environ.get("TINBAO_TEST_DATABASE_URL")
    return url or f"sqlite:///{tmp_root / 'test.db'}"


def reset_database(engine: Engine) -> None:
    """Drop everything, so that the schema comes only from migrations."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        path = engine.url.database
        engine.dispose()
        if path and os.path.exists(path):
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)


def alembic_upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    from app.core.migrations import alembic_config

    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def settings_for(root: Path, database_url: str) -> Settings:
    """The settings every test app starts from: test keys, no scheduler, no rate limit in
    the way; files under ``root``."""
    return Settings(
        database_url=database_url,
        media_dir=root / "media",
        var_dir=root / "var",
        secret_key="test-secret-key-0123456789abcdef",
        receipt_key="test-receipt-key-0123456789abcdef",
        data_keys=[TEST_DATA_KEY],
        scheduler_enabled=False,
        rate_limit_intake="10000/minute",
        rate_limit_track_failures="10000/minute",
        rate_limit_login="10000/minute",
    )


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("tinbao")
    return settings_for(root, _database_url(root))


def migrated_engine(settings: Settings) -> Iterator[Engine]:
    """The database emptied, migrated and loaded with the reference data."""
    from app.reference_data import load_reference_data

    engine = make_sync_engine(settings)
    reset_database(engine)
    engine = make_sync_engine(settings)
    alembic_upgrade(engine)
    with engine.begin() as conn:
        load_reference_data(conn)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sync_engine(settings: Settings) -> Iterator[Engine]:
    yield from migrated_engine(settings)


def clean_transactional_tables(engine: Engine) -> None:
    """Empty every transactional table, children first. DELETE, not TRUNCATE: TRUNCATE
    replaces each table's files (about 0.6 s for the 19 tables on PostgreSQL, per test),
    while a DELETE of the few rows a test wrote costs milliseconds. On PostgreSQL the
    statements go in one round trip. Identities are not restarted: no test relies on ids."""
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("; ".join(f'DELETE FROM "{t.name}"' for t in tables))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def is_postgres(settings: Settings) -> bool:
    return not settings.is_sqlite


@pytest.fixture
async def app(settings: Settings, sync_engine: Engine) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application
    clean_transactional_tables(sync_engine)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def db(app: Any) -> AsyncIterator[AsyncSession]:
    """A session for assertions (and arranging data); commit explicitly when arranging."""
    async with app.state.sessionmaker() as session:
        yield session


@pytest.fixture
async def staff(db: AsyncSession, app: Any) -> Any:
    """The staff of tests.triage.helpers.make_staff (two units of province 79, their leads,
    a supervisor, an admin...), for the modules that take it as a fixture."""
    from tests.triage.helpers import make_staff

    return await make_staff(db, app)
