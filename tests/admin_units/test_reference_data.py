"""load_reference_data: what it loads, and that a reload keeps admin edits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from app.admin_units.models import Commune, LegacyCommune, Province
from app.reference_data import load_reference_data
from app.units.models import CalendarDay, Category, PoliceUnit

EXPECTED = {
    "provinces": 34,
    "communes": 3321,
    "legacy_communes": 10577,
    "police_units": 3321 + 34 * 7,
    "categories": 14,
}


def _count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_loaded_rows(sync_engine: Engine) -> None:
    assert _count(sync_engine, Province) == EXPECTED["provinces"]
    assert _count(sync_engine, Commune) == EXPECTED["communes"]
    assert _count(sync_engine, LegacyCommune) == EXPECTED["legacy_communes"]
    assert _count(sync_engine, PoliceUnit) == EXPECTED["police_units"]
    assert _count(sync_engine, Category) == EXPECTED["categories"]
    with sync_engine.connect() as conn:
        old_codes = conn.execute(select(func.count(func.distinct(LegacyCommune.old_code))))
        assert old_codes.scalar_one() == 10047
        units = {
            u.code: u
            for u in conn.execute(
                select(PoliceUnit).where(
                    PoliceUnit.code.in_(
                        ["CAT-79", "CAT-79-PC04", "CAX-26740", "CAX-26732", "CAT-01"]
                    )
                )
            )
        }
        days = {d.day.isoformat(): d.kind for d in conn.execute(select(CalendarDay))}
    assert units["CAT-79"].name == "Công an thành phố Hồ Chí Minh"
    assert units["CAT-01"].name == "Công an thành phố Hà Nội"
    assert (units["CAT-79-PC04"].parent_code, units["CAT-79-PC04"].department) == ("CAT-79", "PC04")
    assert units["CAX-26740"].name == "Công an phường Sài Gòn"
    assert (units["CAX-26740"].parent_code, units["CAX-26740"].remote) == ("CAT-79", False)
    assert (units["CAX-26732"].name, units["CAX-26732"].remote) == ("Công an đặc khu Côn Đảo", True)
    assert days["2026-02-17"] == "holiday"  # Tết Bính Ngọ
    assert days["2025-04-26"] == "working_day"  # Saturday worked for Friday 2 May 2025


@pytest.fixture
def admin_edits(sync_engine: Engine) -> Iterator[None]:
    """Edits an admin might make; undone afterwards (reference rows outlive a test)."""
    categories, communes, units = Category.__table__, Commune.__table__, PoliceUnit.__table__
    with sync_engine.begin() as conn:
        conn.execute(
            update(categories)
            .where(categories.c.code == "drugs")
            .values(name="Ma tuý (sửa)", watch_departments=["PC04", "CSDT"], active=False)
        )
        conn.execute(update(communes).where(communes.c.code == "26743").values(merged_into="26740"))
        conn.execute(update(units).where(units.c.code == "CAX-00004").values(remote=True))
        # An official name out of date in the database: the shipped data wins.
        conn.execute(update(communes).where(communes.c.code == "00004").values(name="Cũ"))
    yield
    with sync_engine.begin() as conn:
        conn.execute(
            update(categories)
            .where(categories.c.code == "drugs")
            .values(name="Ma túy", watch_departments=["PC04"], active=True)
        )
        conn.execute(update(communes).where(communes.c.code == "26743").values(merged_into=None))
        conn.execute(update(units).where(units.c.code == "CAX-00004").values(remote=False))


@pytest.mark.usefixtures("admin_edits")
def test_reload_is_idempotent_and_keeps_admin_edits(sync_engine: Engine) -> None:
    with sync_engine.begin() as conn:
        counts = load_reference_data(conn)
    assert {k: counts[k] for k in EXPECTED} == EXPECTED
    assert _count(sync_engine, Commune) == EXPECTED["communes"]
    assert _count(sync_engine, PoliceUnit) == EXPECTED["police_units"]
    with sync_engine.connect() as conn:
        drugs = conn.execute(select(Category).where(Category.code == "drugs")).one()
        assert (drugs.name, drugs.watch_departments, drugs.active) == (
            "Ma tuý (sửa)",
            ["PC04", "CSDT"],
            False,
        )
        merged = conn.execute(select(Commune.merged_into).where(Commune.code == "26743"))
        assert merged.scalar_one() == "26740"
        remote = conn.execute(select(PoliceUnit.remote).where(PoliceUnit.code == "CAX-00004"))
        assert remote.scalar_one() is True
        name = conn.execute(select(Commune.name).where(Commune.code == "00004"))
        assert name.scalar_one() == "Ba Đình"
