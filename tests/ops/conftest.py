"""An empty database of its own for tests that start from nothing: a temporary SQLite file,
or on PostgreSQL `<test database>_<suffix>`, created empty and dropped afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import create_engine, text

from app.core.config import Settings, driver_url


@pytest.fixture
def empty_database(settings: Settings, tmp_path) -> Iterator[Callable[[str], str]]:
    created: list[tuple[str, str]] = []

    def make(suffix: str) -> str:
        if settings.is_sqlite:
            return f"sqlite:///{tmp_path / (suffix + '.db')}"
        base, _, name = settings.database_url.rpartition("/")
        new = f"{name}_{suffix}"
        admin = create_engine(
            driver_url(f"{base}/postgres", async_=False), isolation_level="AUTOCOMMIT"
        ).connect()
        admin.execute(text(f'DROP DATABASE IF EXISTS "{new}" WITH (FORCE)'))
        admin.execute(text(f'CREATE DATABASE "{new}"'))
        admin.close()
        created.append((base, new))
        return f"{base}/{new}"

    yield make
    for base, name in created:
        admin = create_engine(
            driver_url(f"{base}/postgres", async_=False), isolation_level="AUTOCOMMIT"
        ).connect()
        admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.close()
