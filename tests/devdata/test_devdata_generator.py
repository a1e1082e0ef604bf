"""`tinbao dev generate`: the synthetic tips obey the rules real tips obey.

2,000 tips are generated for the module, in two runs with the same seed (the second continues
the registers and the feed of the first), and checked row by row against the rules of intake
and triage; a smaller set is then read back through the API.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.admin_units.fold import fold
from app.admin_units.geo import get_locator
from app.core.config import Mode, Settings
from app.core.security import DataCipher
from app.devdata.service import GenerationRefused, GenerationReport, generate_tips
from app.integration.feed import sequence_pending
from app.tips.models import TipStatus
from app.triage.jobs import emit_overdue
from app.triage.workflow import OUTCOMES, TERMINAL_STATUSES
from app.units.models import CategoryKind
from tests.accounts.helpers import auth_headers, make_user
from tests.conftest import TEST_DATA_KEY, clean_transactional_tables

TIPS = 2_000
NOW = datetime.now(UTC).replace(microsecond=0)


def _as_utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)).mappings())


@pytest.fixture(scope="module")
def generated(settings: Settings, sync_engine: Engine) -> Iterator[list[GenerationReport]]:
    """Two runs with the same seed into the same database: the second one continues the
    registers and the feed of the first."""
    clean_transactional_tables(sync_engine)
    first = generate_tips(settings, tips=1_200, seed=7, now=NOW, batch_size=700)
    second = generate_tips(settings, tips=TIPS - 1_200, seed=7, now=NOW, batch_size=700)
    yield [first, second]
    clean_transactional_tables(sync_engine)


def test_report_counts_what_was_written(
    generated: list[GenerationReport], sync_engine: Engine
) -> None:
    assert sum(r.tips for r in generated) == TIPS
    for table in generated[0].rows_by_table:
        count = sum(r.rows_by_table[table] for r in generated)
        assert _rows(sync_engine, f"SELECT count(*) AS n FROM {table}")[0]["n"] == count
    assert generated[0].rows_by_table["tip_events"] > 1_200  # every tip has a timeline


def test_places_units_and_categories_exist_and_agree(
    generated: list[GenerationReport], sync_engine: Engine
) -> None:
    rows = _rows(
        sync_engine,
        """
        SELECT t.id, t.province_code, t.commune_code, t.lat, t.lon, t.kind, t.category_code,
               t.tip_type, c.province_code AS commune_province, c.merged_into,
               u.code AS unit, u.active AS unit_active, k.kind AS category_kind
        FROM tips t
        JOIN communes c ON c.code = t.commune_code
        LEFT JOIN police_units u ON u.code = t.assigned_unit_code
        JOIN categories k ON k.code = t.category_code
        """,
    )
    assert len(rows) == TIPS  # every tip has a commune that exists
    locator = get_locator()
    with_point = 0
    for row in rows:
        assert row["unit"] is not None and row["unit_active"]
        assert row["merged_into"] is None
        assert row["province_code"] == row["commune_province"]
        assert row["kind"] == row["category_kind"]
        expected_types = {"to_giac", "tin_bao"} if row["kind"] == "crime" else {"phan_anh"}
        assert row["tip_type"] in expected_types
        if row["lat"] is not None:
            with_point += 1
            assert locator.contains(row["commune_code"], row["lat"], row["lon"]), row
    assert 0.6 * TIPS < with_point < 0.8 * TIPS
    provinces = _rows(sync_engine, "SELECT count(DISTINCT province_code) AS n FROM tips")
    assert provinces[0]["n"] == _rows(sync_engine, "SELECT count(*) AS n FROM provinces")[0]["n"]
    categories = _rows(sync_engine, "SELECT count(DISTINCT category_code) AS n FROM tips")
    assert categories[0]["n"] == _rows(sync_engine, "SELECT count(*) AS n FROM categories")[0]["n"]


def test_register_numbers_are_gapless_per_unit_and_year(
    generated: list[GenerationReport], sync_engine: Engine
) -> None:
    entries = _rows(
        sync_engine,
        "SELECT id, tip_id, unit_code, year, seq, register_number, registered_at "
        "FROM register_entries",
    )
    by_book: dict[tuple[str, int], list[int]] = defaultdict(list)
    latest: dict[str, Any] = {}
    for entry in entries:
        assert entry["register_number"] == (
            f"{entry['unit_code']}/{entry['year']}/{entry['seq']:06d}"
        )
        local_year = (_as_utc(entry["registered_at"]) + timedelta(hours=7)).year
        assert entry["year"] == local_year
        by_book[(entry["unit_code"], entry["year"])].append(entry["seq"])
        current = latest.get(entry["tip_id"])
        if current is None or _as_utc(entry["registered_at"]) > _as_utc(current["registered_at"]):
            latest[entry["tip_id"]] = entry
    counters = {
        (r["unit_code"], r["year"]): r["last_number"]
        for r in _rows(sync_engine, "SELECT unit_code, year, last_number FROM register_counters")
    }
    assert counters.keys() == by_book.keys()
    for book, numbers in by_book.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), book
        assert counters[book] == len(numbers)
    tips = _rows(sync_engine, "SELECT id, register_number, assigned_unit_code FROM tips")
    for tip in tips:
        entry = latest[tip["id"]]
        assert tip["register_number"] == entry["register_number"]
        assert tip["assigned_unit_code"] == entry["unit_code"]


def test_the_province_rule_is_stored_for_every_generated_tip(
    generated: list[GenerationReport], sync_engine: Engine
) -> None:
    """The generator writes ``tip_provinces`` as intake and transfers do: the rule (the place,
    the unit holding it, every unit whose register it is in), computed here in plain SQL."""
    by_rule = {
        (r["tip_id"], r["province_code"])
        for r in _rows(
            sync_engine,
            "SELECT id AS tip_id, province_code FROM tips "
            "UNION SELECT t.id, u.province_code FROM tips t "
            "JOIN police_units u ON u.code = t.assigned_unit_code "
            "UNION SELECT r.tip_id, u.province_code FROM register_entries r "
            "JOIN police_units u ON u.code = r.unit_code",
        )
    }
    stored = _rows(
        sync_engine,
        "SELECT p.tip_id, p.province_code, p.first_received_at, t.first_received_at AS own "
        "FROM tip_provinces p JOIN tips t ON t.id = p.tip_id",
    )
    assert {(r["tip_id"], r["province_code"]) for r in stored} == by_rule
    assert len({r["tip_id"] for r in stored}) == TIPS
    assert all(_as_utc(r["first_received_at"]) == _as_utc(r["own"]) for r in stored)


def test_statuses_outcomes_and_timelines_are_consistent(
    generated: list[GenerationReport], sync_engine: Engine
) -> None:
    tips = {r["id"]: r for r in _rows(sync_engine, "SELECT * FROM tips")}
    events: dict[str, list[Any]] = defaultdict(list)
    for event in _rows(sync_engine, "SELECT * FROM tip_events ORDER BY at, id"):
        events[event["tip_id"]].append(event)
    transfers: dict[str, int] = defaultdict(int)
    entries: dict[str, int] = defaultdict(int)
    for row in _rows(sync_engine, "SELECT tip_id FROM register_entries"):
        entries[row["tip_id"]] += 1
    statuses: set[str] = set()
    for tip_id, tip in tips.items():
        status, kind, outcome = tip["status"], tip["kind"], tip["outcome"]
        statuses.add(status)
        assert status in set(TipStatus) - {TipStatus.transferred}
        if status == "resolved":
            assert outcome in OUTCOMES[CategoryKind(kind)]
        elif status == "suspended":
            assert kind == "crime" and outcome == "suspended"
        else:
            assert outcome is None
        assert not (status == "rejected" and kind == "crime")  # no refusal of crime tips
        assert (tip["closed_at"] is not None) == (status in TERMINAL_STATUSES)
        if status == "merged":
            target = tips[tip["merged_into_id"]]
            assert target["status"] != "merged"
        else:
            assert tip["merged_into_id"] is None

        timeline = events[tip_id]
        first = timeline[0]
        assert first["type"] == "tip.created" and first["to_status"] == "received"
        assert _as_utc(first["at"]) == _as_utc(tip["created_at"])
        current = "received"
        for event in timeline[1:]:
            if event["to_status"] is not None:
                assert event["from_status"] == current, (tip_id, event["type"])
                current = event["to_status"]
            if event["type"] == "tip.transferred":
                transfers[tip_id] += 1
        assert current == status
        assert all(_as_utc(e["at"]) <= NOW for e in timeline)
        changes = [e for e in timeline if e["type"] not in ("tip.overdue", "tip.duplicate_merged")]
        assert _as_utc(tip["updated_at"]) == max(_as_utc(e["at"]) for e in changes)
        assert entries[tip_id] == 1 + transfers[tip_id]
        if transfers[tip_id]:
            assert tip["assigned_unit_code"].startswith("CAT-")
            assert tip["transfer_due_at"] is None
        if tip["acknowledged_at"] is not None:
            assert _as_utc(tip["acknowledged_at"]) >= _as_utc(tip["created_at"])
    assert {"in_progress", "resolved", "rejected", "referred", "merged", "suspended"} <= statuses
    feed = _rows(sync_engine, "SELECT count(*) AS n FROM tip_events WHERE feed_position <> id")
    assert feed[0]["n"] == 0


def test_reporters_are_encrypted_and_search_text_is_folded(
    generated: list[GenerationReport], sync_engine: Engine
) -> None:
    cipher = DataCipher([TEST_DATA_KEY])
    identities = {
        r["tip_id"]: r
        for r in _rows(sync_engine, "SELECT tip_id, key_id, ciphertext FROM reporter_identities")
    }
    tips = _rows(
        sync_engine, "SELECT id, anonymous, channel, description, reference, search_text FROM tips"
    )
    for tip in tips:
        assert tip["search_text"] == fold(f"{tip['description']} {tip['reference']}")
        identity = identities.get(tip["id"])
        assert (identity is None) == bool(tip["anonymous"])
        if identity is not None:
            plain = cipher.decrypt(
                identity["key_id"], bytes(identity["ciphertext"]), aad=tip["id"].encode()
            )
            person = json.loads(plain)
            assert person["full_name"]
            if tip["channel"] == "front":
                assert person["organization_name"]
    assert 0.3 * TIPS < len(identities) < 0.5 * TIPS


async def test_a_server_on_generated_data_has_nothing_to_catch_up_and_reads_it(
    settings: Settings, sync_engine: Engine, app: Any, client: Any, db: Any
) -> None:
    clean_transactional_tables(sync_engine)
    generate_tips(settings, tips=300, seed=3, now=NOW)
    async with app.state.sessionmaker() as session:
        assert await emit_overdue(session, now=NOW, settings=settings) == 0
        assert await sequence_pending(session) == 0
    transferred = _rows(
        sync_engine,
        "SELECT t.id FROM tips t JOIN reporter_identities r ON r.tip_id = t.id "
        "WHERE t.assigned_unit_code LIKE 'CAT-%-CSDT' AND t.channel <> 'front' LIMIT 1",
    )[0]["id"]
    admin = await make_user(db, role="admin")
    headers = auth_headers(app, admin)

    page = await client.get("/api/v1/tips", params={"limit": 200}, headers=headers)
    assert page.status_code == 200
    assert len(page.json()["items"]) == 200 and page.json()["next_cursor"]

    detail = await client.get(f"/api/v1/tips/{transferred}", headers=headers)
    assert detail.status_code == 200
    record = detail.json()
    assert [e["unit_code"] for e in record["register_entries"]][-1].endswith("-CSDT")
    assert len(record["register_entries"]) == 2

    revealed = await client.post(
        f"/api/v1/tips/{transferred}/reporter/reveal",
        json={"reason": "Kiểm tra dữ liệu sinh tự động"},
        headers=headers,
    )
    assert revealed.status_code == 200
    assert revealed.json()["reporter"]["full_name"]


def test_generation_is_refused_in_production_mode(tmp_path: Any) -> None:
    production = Settings(
        mode=Mode.production,
        database_url=f"sqlite:///{tmp_path / 'prod.db'}",
        var_dir=tmp_path,
        secret_key="a-real-secret-key-0123456789abcdef",
        receipt_key="a-real-receipt-key-0123456789abcdef",
        data_keys=[TEST_DATA_KEY],
    )
    with pytest.raises(GenerationRefused):
        generate_tips(production, tips=10)
    assert not (tmp_path / "prod.db").exists()
