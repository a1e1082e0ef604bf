"""Tests here run on a database of their own (tests/own_database.py): generated calls as admin
create categories, units, movement models and change-sets, which no other test may see."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from app.core.config import Settings
from tests.conftest import migrated_engine
from tests.own_database import own_settings


@pytest.fixture(scope="package")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return own_settings(tmp_path_factory.mktemp("schemathesis"), "schemathesis")


@pytest.fixture(scope="package")
def sync_engine(settings: Settings) -> Iterator[Engine]:
    yield from migrated_engine(settings)
