"""``tinbao dev generate``: fill the configured database with realistic synthetic tips.

Reads the reference data from the database (communes, units, categories, calendar; the
communes' inside points from the shipped CSV), creates one Front organization per province
with a disabled member who files its tips (so Front statistics have something to count),
then writes batches of tips (app.devdata.synth) in one transaction each
(app.devdata.bulk), and finally refreshes the planner statistics.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from app.accounts.models import Organization, OrganizationKind, Role, User
from app.admin_units.geo import GEOMETRY_FILE, decode_geometries
from app.admin_units.models import Commune, LegacyCommune, MergeType, Province
from app.core.config import Mode, Settings
from app.core.db import make_sync_engine, new_id
from app.core.security import DataCipher
from app.core.time import utcnow
from app.devdata.bulk import BulkWriter, vacuum_analyze
from app.devdata.shapes import (
    CategoryRef,
    CommuneRef,
    FrontRef,
    ReferenceData,
    point_pools,
)
from app.devdata.synth import Synthesizer
from app.reference_data import ADMIN_UNITS_DATA
from app.tips.models import RegisterCounter, Tip
from app.units.deadlines import WorkingCalendar
from app.units.models import (
    CalendarDay,
    CalendarDayKind,
    Category,
    CategoryProvinceRule,
    PoliceUnit,
    UnitKind,
)
from app.units.routing import CategoryRule

DEFAULT_BATCH = 20_000
FRONT_USERNAME = "devdata-front-{province}"
# Not an Argon2 hash: no password ever matches (pwdlib reports an unknown hash).
NO_LOGIN_HASH = "!devdata-no-login"


class GenerationRefused(RuntimeError):
    pass


@dataclass
class GenerationReport:
    tips: int = 0
    rows: int = 0
    seconds: float = 0.0  # generating and writing, without the final VACUUM/ANALYZE
    finish_seconds: float = 0.0
    rows_by_table: dict[str, int] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def tips_per_second(self) -> float:
        return self.tips / self.seconds if self.seconds else 0.0


def _inside_points() -> dict[str, tuple[float, float]]:
    with (ADMIN_UNITS_DATA / "communes.csv").open(encoding="utf-8", newline="") as f:
        return {
            row["code"]: (float(row["inside_lat"]), float(row["inside_lon"]))
            for row in csv.DictReader(f)
            if row.get("inside_lat") and row.get("inside_lon")
        }


@cache
def _point_pools(seed: int) -> dict[str, list[tuple[float, float]]]:
    """Points inside each shipped commune (about a second of geometry: once per process)."""
    boundaries = decode_geometries(GEOMETRY_FILE.read_bytes())
    return point_pools(boundaries, _inside_points(), seed=seed)


def load_reference(conn: Connection) -> ReferenceData:
    """What the generator needs from the database, as plain values."""
    # long: one plain read per reference table the generator needs, in a row
    communes = [
        CommuneRef(code=c.code, province_code=c.province_code, full_name=c.full_name, type=c.type)
        for c in conn.execute(
            select(Commune.code, Commune.province_code, Commune.full_name, Commune.type)
            .where(Commune.merged_into.is_(None))
            .order_by(Commune.code)
        )
    ]
    if not communes:
        raise GenerationRefused(
            "no communes in the database: run `tinbao migrate` and `tinbao load-reference-data`"
        )
    categories = [
        CategoryRef(
            code=c.code,
            kind=c.kind,
            rule=CategoryRule(
                code=c.code,
                kind=c.kind,
                route_to=c.route_to,
                watch_departments=tuple(c.watch_departments or ()),
            ),
            acknowledge_working_days=c.acknowledge_working_days,
            resolve_days=c.resolve_days,
        )
        for c in conn.execute(
            select(
                Category.code,
                Category.kind,
                Category.route_to,
                Category.watch_departments,
                Category.acknowledge_working_days,
                Category.resolve_days,
            )
            .where(Category.active.is_(True))
            .order_by(Category.code)
        )
    ]
    units = conn.execute(
        select(PoliceUnit.code, PoliceUnit.remote, PoliceUnit.kind).where(
            PoliceUnit.active.is_(True)
        )
    ).all()
    days = conn.execute(select(CalendarDay.day, CalendarDay.kind)).all()
    legacy: dict[str, list[str]] = {}
    for old_code, new_code in conn.execute(
        select(LegacyCommune.old_code, LegacyCommune.new_code)
        .where(
            LegacyCommune.merge_type != MergeType.partial.value,
            LegacyCommune.old_code != LegacyCommune.new_code,
        )
        .order_by(LegacyCommune.old_code)
    ):
        legacy.setdefault(new_code, []).append(old_code)
    counters = {
        (unit, year): last
        for unit, year, last in conn.execute(
            select(RegisterCounter.unit_code, RegisterCounter.year, RegisterCounter.last_number)
        )
    }
    active = {c.code for c in communes}
    kinds = {c.code: c.kind for c in categories}
    province_rules = {
        (r.category_code, r.province_code): CategoryRule.province_override(
            r, kinds[r.category_code]
        )
        for r in conn.execute(select(CategoryProvinceRule))
        if r.category_code in kinds
    }
    return ReferenceData(
        communes=communes,
        categories=categories,
        unit_codes=frozenset(code for code, _, _ in units),
        remote_units=frozenset(code for code, remote, _ in units if remote),
        commune_units=frozenset(code for code, _, kind in units if kind == UnitKind.commune),
        calendar=WorkingCalendar(
            holidays=frozenset(d for d, kind in days if kind == CalendarDayKind.holiday),
            working_days=frozenset(d for d, kind in days if kind == CalendarDayKind.working_day),
        ),
        inside_points={k: v for k, v in _inside_points().items() if k in active},
        legacy_codes=legacy,
        counters=counters,
        province_rules=province_rules,
    )


def ensure_front_members(conn: Connection) -> dict[str, FrontRef]:
    """One Front committee per province and a disabled member who files its tips (created
    once; found again by username on later runs). Nobody can log in as these members."""
    provinces = conn.execute(select(Province.code, Province.full_name)).all()
    usernames = {FRONT_USERNAME.format(province=code): code for code, _ in provinces}
    existing = {
        u.username: u
        for u in conn.execute(
            select(User.id, User.username, User.full_name, User.organization_id).where(
                User.username.in_(list(usernames))
            )
        )
    }
    organization_names = dict(
        conn.execute(select(Organization.id, Organization.name)).tuples().all()
    )
    now = utcnow()
    front: dict[str, FrontRef] = {}
    for code, province_name in provinces:
        username = FRONT_USERNAME.format(province=code)
        found = existing.get(username)
        if found is not None and found.organization_id in organization_names:
            front[code] = FrontRef(
                organization_id=found.organization_id,
                organization_name=organization_names[found.organization_id],
                user_id=found.id,
                username=username,
                full_name=found.full_name,
            )
            continue
        if found is not None:
            continue  # changed by hand since: leave it alone, no Front tips there
        organization = {
            "id": new_id(),
            "name": f"Ủy ban MTTQ Việt Nam {province_name}",
            "kind": OrganizationKind.mttq.value,
            "province_code": code,
            "commune_code": None,
            "created_at": now,
            "updated_at": now,
        }
        user = {
            "id": new_id(),
            "username": username,
            "password_hash": NO_LOGIN_HASH,
            "full_name": f"Thành viên MTTQ {province_name}",
            "role": Role.front_member.value,
            "unit_code": None,
            "province_code": None,
            "organization_id": organization["id"],
            "disabled": True,
            "token_version": 0,
            "last_login_at": None,
            "created_at": now,
            "updated_at": now,
        }
        conn.execute(insert(Organization), [organization])
        conn.execute(insert(User), [user])
        front[code] = FrontRef(
            organization_id=str(organization["id"]),
            organization_name=str(organization["name"]),
            user_id=str(user["id"]),
            username=username,
            full_name=str(user["full_name"]),
        )
    return front


def generate_tips(
    settings: Settings,
    *,
    tips: int,
    seed: int = 1,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[GenerationReport], None] | None = None,
) -> GenerationReport:
    """Add ``tips`` synthetic tips to the configured database (see app.devdata.synth for
    what they look like). Refused in production mode. Not for a database a server is taking
    tips into at the same time (register numbers and ids are reserved per batch)."""
    if settings.mode is Mode.production:
        raise GenerationRefused("refusing to generate synthetic tips in production mode")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    engine = make_sync_engine(settings)
    report = GenerationReport()
    try:
        with engine.connect() as conn:
            with conn.begin():
                reference = load_reference(conn)
                reference.front = ensure_front_members(conn)
                if conn.execute(select(func.count()).select_from(Tip)).scalar_one():
                    reference.taken_references = set(conn.execute(select(Tip.reference)).scalars())
            points = _point_pools(seed)
            synth = Synthesizer(
                reference, cipher=DataCipher(settings.data_keys), points=points, now=now, seed=seed
            )
            writer = BulkWriter(conn)
            started = time.perf_counter()
            created = synth.creation_times(tips)
            for start in range(0, len(created), batch_size):
                batch = synth.batch_for(created[start : start + batch_size])
                with conn.begin():
                    report.rows += writer.write(batch)
                for name, rows in (
                    ("tips", batch.tips),
                    ("reporter_identities", batch.identities),
                    ("register_entries", batch.entries),
                    ("tip_events", batch.events),
                    ("tip_watchers", batch.watchers),
                ):
                    report.rows_by_table[name] = report.rows_by_table.get(name, 0) + len(rows)
                report.tips += len(batch.tips)
                report.seconds = time.perf_counter() - started
                if progress is not None:
                    progress(report)
        finished = time.perf_counter()
        vacuum_analyze(engine)
        report.finish_seconds = time.perf_counter() - finished
    finally:
        engine.dispose()
    return report
