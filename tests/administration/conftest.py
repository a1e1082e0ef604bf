"""Tests here run on a database of their own (tests/own_database.py): they change reference data
(communes, units, categories), so no other test may see a merged commune or a re-routed
category; each test uses places no other test of this package touches."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from app.core.config import Settings
from tests.conftest import migrated_engine
from tests.own_database import own_settings


@pytest.fixture(scope="package")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return own_settings(tmp_path_factory.mktemp("administration"), "administration")


@pytest.fixture(scope="package")
def sync_engine(settings: Settings) -> Iterator[Engine]:
    yield from migrated_engine(settings)
