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


def _row(engine: Engine, table: str, **values: object) -> dict[str, object]:
    """``values`` plus a plain value for every other NOT NULL column without a default."""
    from datetime import UTC, datetime

    from sqlalchemy import JSON, Boolean, DateTime, Integer, MetaData, Numeric

    columns = MetaData()
    columns.reflect(engine, only=[table])
    row = dict(values)
    for column in columns.tables[table].columns:
        if column.name in row or column.nullable or column.server_default is not None:
            continue
        kind = column.type
        if isinstance(kind, Boolean):
            row[column.name] = False
        elif isinstance(kind, Integer | Numeric):
            row[column.name] = 0
        elif isinstance(kind, DateTime):
            row[column.name] = datetime.now(UTC)
        elif isinstance(kind, JSON):
            row[column.name] = []
        else:
            row[column.name] = "x"[: getattr(kind, "length", None) or 1]
    with engine.begin() as conn:
        conn.execute(columns.tables[table].insert(), row)
    return row


def _tip_row(engine: Engine, tip_id: str, *, province: str, unit: str, **columns: object) -> None:
    """A received security/order tip in category ``other``, written in plain SQL (``columns``
    add to or override those)."""
    defaults: dict[str, object] = {
        "status": "received",
        "kind": "security_order",
        "tip_type": "phan_anh",
        "channel": "web",
    }
    _row(
        engine,
        "tips",
        id=tip_id,
        reference=f"TB-{tip_id}",
        receipt_hash=tip_id,
        register_number=tip_id,
        category_code="other",
        province_code=province,
        assigned_unit_code=unit,
        **(defaults | columns),
    )


def test_free_text_movement_models_become_codes(empty_engine: Engine) -> None:
    """Migration 0003 maps free-text models that match a national model's name (case- and
    diacritic-insensitively) to its code and keeps the others; downgrade restores the names."""
    _run(empty_engine, "upgrade", "0001")
    _row(empty_engine, "provinces", code="79", name="Hồ Chí Minh", type="thanh_pho")
    _row(empty_engine, "police_units", code="CAT-79", province_code="79", kind="provincial")
    _row(empty_engine, "categories", code="other", kind="security_order")
    values = {"t1": "camera AN NINH", "t2": "Tổ An Ninh Nhân Dân Tự Quản", "t3": "Mô hình riêng"}
    for tip_id, model in values.items():
        _tip_row(empty_engine, tip_id, province="79", unit="CAT-79", movement_model=model)
    _run(empty_engine, "upgrade", "head")

    def models() -> dict[str, str]:
        with empty_engine.connect() as conn:
            return dict(conn.execute(text("SELECT id, movement_model FROM tips ORDER BY id")).all())

    assert models() == {"t1": "camera_an_ninh", "t2": "to_an_ninh_tu_quan", "t3": "Mô hình riêng"}
    _run(empty_engine, "downgrade", "0001")
    assert models() == {
        "t1": "Camera an ninh",
        "t2": "Tổ an ninh nhân dân tự quản",
        "t3": "Mô hình riêng",
    }


def test_province_marker_is_filled_by_the_rule(empty_engine: Engine) -> None:
    """Migration 0012 fills ``tip_provinces`` from the existing tips by the province rule: the
    place, the unit holding the tip, every unit whose register it is in; downgrade drops it."""
    _run(empty_engine, "upgrade", "0011_notifops_outbox_pending")
    for code in ("01", "79", "48"):
        _row(empty_engine, "provinces", code=code, name=code, type="tinh")
    for unit, province in (("CAX-1", "01"), ("CAT-79", "79"), ("CAT-48", "48")):
        _row(empty_engine, "police_units", code=unit, province_code=province, kind="provincial")
    _row(empty_engine, "categories", code="other", kind="security_order")
    from datetime import UTC, datetime

    received = datetime(2025, 6, 1, 3, tzinfo=UTC)
    # t1: placed in 01, held by 01; t2: placed in 01, moved to 79 (registered in both);
    # t3: placed in 48, held by 79 (registered there only).
    for tip_id, province, unit in (
        ("t1", "01", "CAX-1"),
        ("t2", "01", "CAT-79"),
        ("t3", "48", "CAT-79"),
    ):
        _tip_row(empty_engine, tip_id, province=province, unit=unit, first_received_at=received)
    for seq, (tip_id, unit) in enumerate(
        (("t1", "CAX-1"), ("t2", "CAX-1"), ("t2", "CAT-79"), ("t3", "CAT-79")), start=1
    ):
        _row(
            empty_engine,
            "register_entries",
            id=seq,
            tip_id=tip_id,
            unit_code=unit,
            year=2025,
            seq=seq,
            register_number=f"{unit}/2025/{seq}",
        )
    _run(empty_engine, "upgrade", "head")
    with empty_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT tip_id, province_code, first_received_at FROM tip_provinces")
        ).all()
    assert {(r[0], r[1]) for r in rows} == {
        ("t1", "01"),
        ("t2", "01"),
        ("t2", "79"),
        ("t3", "48"),
        ("t3", "79"),
    }
    assert all(str(r[2]).startswith("2025-06-01 03:00:00") for r in rows)
    _run(empty_engine, "downgrade", "0011_notifops_outbox_pending")
    assert "tip_provinces" not in inspect(empty_engine).get_table_names()
    _run(empty_engine, "upgrade", "head")
    assert "tip_provinces" in inspect(empty_engine).get_table_names()


def test_province_rows_get_the_summary_columns(empty_engine: Engine) -> None:
    """Migration 0013 rewrites ``tip_provinces`` with copies of the tip's columns a summary
    groups and filters by (the place's province as ``place_province_code``), every row of a
    tip alike; downgrade drops the copies and keeps the rows."""
    _run(empty_engine, "upgrade", "0012_stats_province_marker")
    for code in ("01", "79"):
        _row(empty_engine, "provinces", code=code, name=code, type="tinh")
    for unit, province in (("CAX-1", "01"), ("CAT-79", "79")):
        _row(empty_engine, "police_units", code=unit, province_code=province, kind="provincial")
    _row(empty_engine, "categories", code="other", kind="security_order")
    # t1: placed in 01, held by 79 (rows in both), resolved; t2: placed in 79, no outcome.
    _tip_row(
        empty_engine,
        "t1",
        province="01",
        unit="CAT-79",
        status="resolved",
        outcome="handled",
        movement_model="camera_an_ninh",
    )
    _tip_row(empty_engine, "t2", province="79", unit="CAT-79")
    _run(empty_engine, "upgrade", "0013_stats_province_columns")
    query = text(
        "SELECT tip_id, province_code, place_province_code, assigned_unit_code, status,"
        " outcome, category_code, kind, tip_type, channel, organization_id, movement_model"
        " FROM tip_provinces ORDER BY tip_id, province_code"
    )
    with empty_engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(query).all()]
    t1 = ("CAT-79", "resolved", "handled", "other", "security_order", "phan_anh", "web")
    t2 = ("CAT-79", "received", None, "other", "security_order", "phan_anh", "web")
    assert rows == [
        ("t1", "01", "01", *t1, None, "camera_an_ninh"),
        ("t1", "79", "01", *t1, None, "camera_an_ninh"),
        ("t2", "79", "79", *t2, None, None),
    ]
    _run(empty_engine, "downgrade", "0012_stats_province_marker")
    columns = {c["name"] for c in inspect(empty_engine).get_columns("tip_provinces")}
    assert columns == {"tip_id", "province_code", "first_received_at"}
    with empty_engine.connect() as conn:
        kept = conn.execute(text("SELECT tip_id, province_code FROM tip_provinces")).all()
    assert sorted(tuple(r) for r in kept) == [("t1", "01"), ("t1", "79"), ("t2", "79")]
    _run(empty_engine, "upgrade", "head")
