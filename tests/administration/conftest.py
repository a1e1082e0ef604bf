"""Administration tests change reference data (communes, units, categories): they run on a
database of their own, so no other test ever sees a merged commune or a re-routed category.
Each test uses places no other test of this package touches."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from app.core.config import Settings
from app.core.db import make_sync_engine
from tests.conftest import TEST_DATA_KEY, alembic_upgrade, reset_database


def _own_database_url(root: Path) -> str:
    base = os.environ.get("TINBAO_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{root / 'administration.db'}"
    url = make_url(base)
    name = f"{url.database}_administration"
    admin = make_sync_engine(Settings(database_url=base), pooled=False)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="package")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("administration")
    return Settings(
        database_url=_own_database_url(root),
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


@pytest.fixture(scope="package")
def sync_engine(settings: Settings) -> Iterator[Engine]:
    from app.reference_data import load_reference_data

    engine = make_sync_engine(settings)
    reset_database(engine)
    engine = make_sync_engine(settings)
    alembic_upgrade(engine)
    with engine.begin() as conn:
        load_reference_data(conn)
    yield engine
    engine.dispose()
