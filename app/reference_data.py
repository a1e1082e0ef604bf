"""Load the shipped reference data: provinces, communes, the pre-2025 → 2025 commune mapping,
police units, tip categories and the working-day calendar.

Called by ``tinbao load-reference-data`` and once per test session; idempotent, a few seconds
at most (bulk upserts, one ``executemany`` per table).

What a reload does to existing rows (nothing is ever deleted):

- Official reference data (provinces, communes, the old→new mapping, police units) is
  upserted: missing rows are inserted; names and official attributes of existing rows are
  updated when the shipped data differs (so an update of the shipped files takes effect).
  Columns an admin owns are never touched on an existing row: ``communes.merged_into``
  (mergers applied as data), ``police_units.remote``/``active`` and a unit's place in the
  hierarchy (only its ``name`` is refreshed).
- Admin-owned data (``categories``, ``calendar_days``, ``calendar_years``,
  ``movement_models``) is insert-only: the shipped files seed missing rows; an existing row,
  perhaps edited by an admin, is left exactly as it is.

Data files: ``app/admin_units/data/*.csv`` (built by ``scripts/build_reference_data.py``),
``app/units/data/categories.csv`` and ``app/triage/data/calendar_days.csv``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Table, or_
from sqlalchemy.engine import Connection

from app.accounts.models import MovementModel
from app.admin_units.fold import fold
from app.admin_units.models import Commune, CommuneType, LegacyCommune, Province
from app.core import dialect
from app.core.time import utcnow
from app.units.models import CalendarDay, CalendarYear, Category, PoliceUnit, UnitKind
from app.units.routing import commune_unit_code, department_unit_code, provincial_unit_code

APP_DIR = Path(__file__).resolve().parent
ADMIN_UNITS_DATA = APP_DIR / "admin_units" / "data"
CATEGORIES_FILE = APP_DIR / "units" / "data" / "categories.csv"
CALENDAR_FILE = APP_DIR / "triage" / "data" / "calendar_days.csv"
# Which shipped years are confirmed: future years are defaults until an admin confirms them.
CALENDAR_YEARS_FILE = APP_DIR / "triage" / "data" / "calendar_years.csv"
MOVEMENT_MODELS_FILE = APP_DIR / "accounts" / "data" / "movement_models.csv"

# Provincial departments that matter for routing, by code suffix (CAT-<province>-<suffix>).
DEPARTMENTS: dict[str, str] = {
    "CSDT": "Cơ quan Cảnh sát điều tra",
    "PA05": "Phòng An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao",
    "PC04": "Phòng Cảnh sát điều tra tội phạm về ma túy",
    "PC07": "Phòng Cảnh sát phòng cháy, chữa cháy và cứu nạn, cứu hộ",
    "PC08": "Phòng Cảnh sát giao thông",
    "ANCT": "Phòng An ninh chính trị nội bộ",
}


def police_name(full_name: str) -> str:
    """ "Phường Bến Nghé" → "Công an phường Bến Nghé"; "Tỉnh Cao Bằng" → "Công an tỉnh Cao Bằng"."""
    return f"Công an {full_name[:1].lower()}{full_name[1:]}"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    update: Iterable[str] = (),
) -> None:
    """Insert rows; on a primary-key conflict update ``update`` columns when they differ."""
    if not rows:
        return
    stmt = dialect.insert(conn, table)
    key = [c.name for c in table.primary_key.columns]
    columns = list(update)
    if columns:
        stmt = stmt.on_conflict_do_update(
            index_elements=key,
            set_={**{c: stmt.excluded[c] for c in columns}, "updated_at": stmt.excluded.updated_at},
            where=or_(*(table.c[c].is_distinct_from(stmt.excluded[c]) for c in columns)),
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=key)
    conn.execute(stmt, list(rows))


def load_reference_data(conn: Connection) -> dict[str, int]:
    """Load every reference table; returns the number of shipped rows per table."""
    # long: one table after another in foreign-key order, each a few lines reading its CSV,
    # all in the caller's transaction; split up, the order would no longer read at a glance.
    now = utcnow()
    stamps = {"created_at": now, "updated_at": now}

    provinces = [
        {
            "code": r["code"],
            "name": r["name"],
            "full_name": r["full_name"],
            "name_en": r["name_en"],
            "type": r["type"],
            "name_folded": fold(r["full_name"]),
            **stamps,
        }
        for r in _read(ADMIN_UNITS_DATA / "provinces.csv")
    ]
    _upsert(
        conn,
        Province.__table__,  # type: ignore[arg-type]
        provinces,
        update=("name", "full_name", "name_en", "type", "name_folded"),
    )

    communes = [
        {
            "code": r["code"],
            "name": r["name"],
            "full_name": r["full_name"],
            "name_en": r["name_en"],
            "type": r["type"],
            "province_code": r["province_code"],
            "name_folded": fold(r["full_name"]),
            "merged_into": None,
            **stamps,
        }
        for r in _read(ADMIN_UNITS_DATA / "communes.csv")
    ]
    _upsert(
        conn,
        Commune.__table__,  # type: ignore[arg-type]
        communes,
        update=("name", "full_name", "name_en", "type", "province_code", "name_folded"),
    )

    legacy = [
        {
            "old_code": r["old_code"],
            "new_code": r["new_code"],
            "old_name": r["old_name"],
            "name_folded": fold(r["old_name"]),
            "old_district_name": r["old_district_name"],
            "old_province_code": r["old_province_code"],
            "old_province_name": r["old_province_name"],
            "merge_type": r["merge_type"],
            **stamps,
        }
        for r in _read(ADMIN_UNITS_DATA / "old_to_new.csv")
        if r["old_code"]
    ]
    _upsert(
        conn,
        LegacyCommune.__table__,  # type: ignore[arg-type]
        legacy,
        update=(
            "old_name",
            "name_folded",
            "old_district_name",
            "old_province_code",
            "old_province_name",
            "merge_type",
        ),
    )

    units = _police_units(provinces, communes, stamps)
    _upsert(conn, PoliceUnit.__table__, units, update=("name",))  # type: ignore[arg-type]

    categories = [
        {
            "code": r["code"],
            "name": r["name"],
            "name_en": r["name_en"],
            "kind": r["kind"],
            "description": r["description"],
            "route_to": r["route_to"],
            "watch_departments": r["watch_departments"].split(),
            "acknowledge_working_days": int(r["acknowledge_working_days"]),
            "resolve_days": int(r["resolve_days"]),
            "sort_order": int(r["sort_order"]),
            "active": True,
            **stamps,
        }
        for r in _read(CATEGORIES_FILE)
    ]
    _upsert(conn, Category.__table__, categories)  # type: ignore[arg-type]

    calendar = [
        {"day": date.fromisoformat(r["day"]), "kind": r["kind"], "name": r["name"], **stamps}
        for r in _read(CALENDAR_FILE)
    ]
    _upsert(conn, CalendarDay.__table__, calendar)  # type: ignore[arg-type]

    calendar_years = [
        {"year": int(r["year"]), "confirmed": r["confirmed"] == "true", **stamps}
        for r in _read(CALENDAR_YEARS_FILE)
    ]
    _upsert(conn, CalendarYear.__table__, calendar_years)  # type: ignore[arg-type]

    movement_models = [
        {
            "code": r["code"],
            "name": r["name"],
            "name_folded": fold(r["name"]),
            "province_code": None,
            "active": True,
            **stamps,
        }
        for r in _read(MOVEMENT_MODELS_FILE)
    ]
    _upsert(conn, MovementModel.__table__, movement_models)  # type: ignore[arg-type]

    return {
        "provinces": len(provinces),
        "communes": len(communes),
        "legacy_communes": len(legacy),
        "police_units": len(units),
        "categories": len(categories),
        "calendar_days": len(calendar),
        "calendar_years": len(calendar_years),
        "movement_models": len(movement_models),
    }


def _police_units(
    provinces: list[dict[str, Any]], communes: list[dict[str, Any]], stamps: dict[str, Any]
) -> list[dict[str, Any]]:
    """Provincial police first (parents), then their departments, then commune police."""
    units: list[dict[str, Any]] = []
    common = {"remote": False, "active": True, **stamps}
    for p in provinces:
        provincial = provincial_unit_code(p["code"])
        units.append(
            {
                "code": provincial,
                "name": police_name(p["full_name"]),
                "kind": UnitKind.provincial.value,
                "department": None,
                "province_code": p["code"],
                "commune_code": None,
                "parent_code": None,
                **common,
            }
        )
        for suffix, title in DEPARTMENTS.items():
            units.append(
                {
                    "code": department_unit_code(p["code"], suffix),
                    "name": f"{title} {police_name(p['full_name'])}",
                    "kind": UnitKind.department.value,
                    "department": suffix,
                    "province_code": p["code"],
                    "commune_code": None,
                    "parent_code": provincial,
                    **common,
                }
            )
    for c in communes:
        units.append(
            {
                "code": commune_unit_code(c["code"]),
                "name": police_name(c["full_name"]),
                "kind": UnitKind.commune.value,
                "department": None,
                "province_code": c["province_code"],
                "commune_code": c["code"],
                "parent_code": provincial_unit_code(c["province_code"]),
                **common,
                # Island special zones: 48 hours to forward crime tips instead of 24.
                "remote": c["type"] == CommuneType.dac_khu.value,
            }
        )
    return units
