"""A database of a test package's own, for tests that change reference data (administration)
or call every operation with generated input (schemathesis): nothing they do can reach the
suite's shared database. SQLite: a file of its own; PostgreSQL: a sibling database
``<test database>_<name>``, created fresh for the run."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import make_sync_engine
from tests.conftest import settings_for


def _database_url(root: Path, name: str) -> str:
    base = os.environ.get("TINBAO_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{root / f'{name}.db'}"
    url = make_url(base)
    database = f"{url.database}_{name}"
    admin = make_sync_engine(Settings(database_url=base), pooled=False)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return url.set(database=database).render_as_string(hide_password=False)


def own_settings(root: Path, name: str) -> Settings:
    return settings_for(root, _database_url(root, name))
