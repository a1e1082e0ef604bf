"""Migrations: empty → head, head → base → head, and nothing left for autogenerate,
on the test database's engine kind (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def _database(sqlite_path: Path) -> Iterator[Engine]:
    """A brand-new empty database of the same kind as the test database, dropped after."""
    url = os.environ.get("TINBAO_TEST_DATABASE_URL")
    if not url:
        engine = create_engine(f"sqlite:///{sqlite_path}")
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


@pytest.fixture
def empty_engine(tmp_path: Path) -> Iterator[Engine]:
    with _database(tmp_path / "migrations.db") as engine:
        yield engine


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


# Autogenerate compares neither CHECK constraints nor partial-index predicates. So the
# migrated schema is also compared, as the database itself reports it, with a schema built
# straight from the models (create_all) on another empty database of the same kind: a new
# enum value or a narrowed index predicate without a migration shows up as a difference.


def _balanced(sql: str, start: int) -> str:
    """The text inside the parenthesis opening at ``sql[start]``."""
    depth = 0
    for i in range(start, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[i], 0)
        if depth == 0:
            return sql[start + 1 : i]
    raise ValueError(sql[start:])


def _squash(sql: str) -> str:
    return re.sub(r"\s+", " ", sql.replace('"', "")).strip()


def _checks_and_partial_indexes(engine: Engine) -> dict[str, str]:
    """{"check <table>.<name>" | "index <name>": definition}, as the database reports it."""
    found: dict[str, str] = {}
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            checks = conn.execute(
                text(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                    "FROM pg_constraint "
                    "WHERE contype = 'c' AND connamespace = 'public'::regnamespace"
                )
            )
            for table, name, definition in checks:
                found[f"check {table}.{name}"] = definition
            indexes = conn.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
            )
            for name, definition in indexes:
                found[f"index {name}"] = definition
            return found
        rows = conn.execute(text("SELECT type, name, tbl_name, sql FROM sqlite_master"))
        for kind, name, table, sql in rows:
            if sql is None or table == "alembic_version":
                continue
            if kind == "index":
                found[f"index {name}"] = _squash(sql)
                continue
            for match in re.finditer(r"CONSTRAINT\s+\"?(\w+)\"?\s+CHECK\s*\(", sql):
                body = _balanced(sql, match.end() - 1)
                found[f"check {table}.{match.group(1)}"] = _squash(body)
    return found


@pytest.fixture
def model_engine(tmp_path: Path) -> Iterator[Engine]:
    """Another empty database, built from the models (what the migrations must produce)."""
    with _database(tmp_path / "models.db") as engine:
        Base.metadata.create_all(engine)
        yield engine


def test_checks_and_partial_indexes_match_the_models(empty_engine: Engine, model_engine: Engine):
    _run(empty_engine, "upgrade", "head")
    migrated = _checks_and_partial_indexes(empty_engine)
    declared = _checks_and_partial_indexes(model_engine)
    assert any(key.startswith("check ") for key in declared)
    assert any(" WHERE " in definition for definition in declared.values())
    differences = {
        key: (migrated.get(key), declared.get(key))
        for key in migrated.keys() | declared.keys()
        if migrated.get(key) != declared.get(key) and not key.startswith("index alembic_")
    }
    assert differences == {}, "(migrated, models)"
