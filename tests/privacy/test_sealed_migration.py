"""0009_privacy_sealed_people converts rows written in clear (persons involved, victim,
message bodies) to ciphertext, and clears the Front member's user id from their tips.

Rows are written at 0005 as the previous version wrote them (foreign keys off: only the
columns matter), then the database is migrated as ``tinbao migrate`` does, with the cipher.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from app.core.migrations import alembic_config
from app.core.security import DataCipher
from app.tips.sealed import message_aad, people_aad
from tests.test_migrations import _database

PERSONS = "Lê Văn Tám Zk, khoảng 30 tuổi"
VICTIM = "Bà Nguyễn Thị Zk"
BODY = "Tôi thấy họ lại tụ tập tối qua Zk"
CIPHER = DataCipher([DataCipher.generate_key("k2026")])
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with _database(tmp_path / "sealed.db") as engine:
        yield engine


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction without foreign-key checks (PostgreSQL: the legacy rows reference no
    real unit or category; SQLite does not check them on a plain connection)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        yield conn


def _upgrade(conn: Connection, revision: str, cipher: DataCipher | None) -> None:
    cfg = alembic_config(conn)
    if cipher is not None:
        cfg.attributes["cipher"] = cipher
    command.upgrade(cfg, revision)


def _write_legacy_rows(engine: Engine) -> None:
    tip = {
        "id": "tip-1",
        "reference": "TB-AAAA-0001",
        "receipt_hash": "0" * 64,
        "category_code": "drugs",
        "kind": "crime",
        "tip_type": "tin_bao",
        "description": "Có người buôn bán ma túy ở cuối hẻm.",
        "search_text": "co nguoi buon ban ma tuy",
        "persons_involved": PERSONS,
        "victim": VICTIM,
        "province_code": "79",
        "location_unknown": False,
        "location_mismatch": False,
        "anonymous": False,
        "on_behalf_of_organization": True,
        "channel": "front",
        "submitted_by_id": "member-1",
        "organization_id": "org-1",
        "status": "received",
        "urgent": False,
        "priority": 0,
        "assigned_unit_code": "CAX-26740",
        "register_number": "CAX-26740/2026/000001",
        "received_at": NOW,
        "acknowledge_by": NOW,
        "escalation_level": 0,
        "created_at": NOW,
        "updated_at": NOW,
    }
    message = {
        "id": "msg-1",
        "tip_id": "tip-1",
        "direction": "from_reporter",
        "body": BODY,
        "created_at": NOW,
        "updated_at": NOW,
    }
    with _transaction(engine) as conn:
        columns = ", ".join(tip)
        conn.execute(
            text(f"INSERT INTO tips ({columns}) VALUES ({', '.join(':' + k for k in tip)})"), tip
        )
        columns = ", ".join(message)
        conn.execute(
            text(
                f"INSERT INTO tip_messages ({columns}) "
                f"VALUES ({', '.join(':' + k for k in message)})"
            ),
            message,
        )


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_clear_rows_are_sealed_and_the_clear_columns_dropped(engine: Engine) -> None:
    with engine.begin() as conn:
        _upgrade(conn, "0005_security", None)
    _write_legacy_rows(engine)
    with engine.begin() as conn:  # the revisions before this one need no keys
        _upgrade(conn, "0008_records_pg_trgm", None)

    # Without the keys the migration refuses, and changes nothing.
    with pytest.raises(RuntimeError, match="TINBAO_DATA_KEYS"), _transaction(engine) as conn:
        _upgrade(conn, "head", None)
    assert "persons_involved" in _columns(engine, "tips")
    assert "people_ciphertext" not in _columns(engine, "tips")

    with _transaction(engine) as conn:
        _upgrade(conn, "head", CIPHER)
    assert not {"persons_involved", "victim"} & _columns(engine, "tips")
    assert "body" not in _columns(engine, "tip_messages")
    with engine.connect() as conn:
        key_id, blob, submitted_by = conn.execute(
            text("SELECT people_key_id, people_ciphertext, submitted_by_id FROM tips")
        ).one()
        body_key_id, body_blob = conn.execute(
            text("SELECT body_key_id, body_ciphertext FROM tip_messages")
        ).one()
    assert key_id == body_key_id == "k2026"
    assert submitted_by is None  # the Front member is no longer named by the tip
    people = json.loads(CIPHER.decrypt(key_id, bytes(blob), aad=people_aad("tip-1")))
    assert people == {"persons_involved": PERSONS, "victim": VICTIM}
    assert CIPHER.decrypt(body_key_id, bytes(body_blob), aad=message_aad("msg-1")).decode() == BODY
    for clear in (PERSONS, VICTIM, BODY):
        assert clear.encode() not in bytes(blob) + bytes(body_blob)

    # Down again, the clear values come back (with the keys).
    with _transaction(engine) as conn:
        cfg = alembic_config(conn)
        cfg.attributes["cipher"] = CIPHER
        command.downgrade(cfg, "0005_security")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT persons_involved, victim FROM tips")).one()
        body = conn.execute(text("SELECT body FROM tip_messages")).scalar_one()
    assert tuple(row) == (PERSONS, VICTIM) and body == BODY


def test_an_empty_database_migrates_without_keys(engine: Engine) -> None:
    with engine.begin() as conn:
        _upgrade(conn, "head", None)
    assert "people_ciphertext" in _columns(engine, "tips")
