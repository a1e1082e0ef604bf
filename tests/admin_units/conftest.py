from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine

from app.admin_units.models import Commune
from app.admin_units.service import invalidate_place_cache


@pytest.fixture
def ben_thanh_merged_into_sai_gon(sync_engine: Engine) -> Iterator[None]:
    """A later merger applied as data: 26743 (Bến Thành) retired into 26740 (Sài Gòn).
    Reference rows are kept between tests, so the change is undone afterwards."""
    table = Commune.__table__
    with sync_engine.begin() as conn:
        conn.execute(update(table).where(table.c.code == "26743").values(merged_into="26740"))
    invalidate_place_cache()  # intake's cached snapshot of the reference tables
    yield
    with sync_engine.begin() as conn:
        conn.execute(update(table).where(table.c.code == "26743").values(merged_into=None))
    invalidate_place_cache()
