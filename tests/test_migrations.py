"""Migrations: empty → head, head → base → head, and nothing left for autogenerate,
on the test database's engine kind (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url

from app.core.config import driver_url
from app.core.migrations import alembic_config
from app.models import Base


@pytest.fixture
def empty_engine(tmp_path: Path) -> Iterator[Engine]:
    """A brand-new empty database of the same kind as the test database."""
    url = os.environ.get("TINBAO_TEST_DATABASE_URL")
    if not url:
        engine = create_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield engine
        engine.dispose()
        return
    name = f"tinbao_migr_{uuid.uuid4().hex[:8]}"
    admin = create_engine(driver_url(url, async_=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(make_url(driver_url(url, async_=False)).set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _run(engine: Engine, fn: str, revision: str) -> None:
    with engine.begin() as conn:
        getattr(command, fn)(alembic_config(conn), revision)


def _pending(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return list(compare_metadata(ctx, Base.metadata))


def test_upgrade_downgrade_upgrade_and_nothing_pending(empty_engine: Engine) -> None:
    _run(empty_engine, "upgrade", "head")
    tables = set(inspect(empty_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert _pending(empty_engine) == []

    _run(empty_engine, "downgrade", "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}

    _run(empty_engine, "upgrade", "head")
    assert set(Base.metadata.tables) <= set(inspect(empty_engine).get_table_names())
    assert _pending(empty_engine) == []
