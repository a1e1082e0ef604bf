"""The province rule's stored rows (``tip_provinces``, app.tips.provinces) equal the rule
evaluated on the data (``in_province``), after the writes that change what it reads:
intake, transfers there and back, a correction of the place that re-routes, one that does
not, a merge of duplicates, and a change-set merging two provinces (units change province).
Their copies of the tip's columns (``MIRRORED``) equal the tip's after every one of those
and after transitions (status, outcome) and a correction of the category (kind, type).
Statistics read the stored rows: their totals per province equal the rule's counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from app.admin_units.models import Province
from app.core.time import local_day, utcnow
from app.integration.periods import parse_period
from app.tips.models import Tip, TipProvince
from app.tips.provinces import MIRRORED, in_province, provinces_of_tips
from tests.accounts.helpers import auth_headers, make_user
from tests.triage.helpers import CSDT, make_staff, move, submit, submit_security

HANOI_COMMUNE = {"commune_code": "00070"}
SAI_GON = {"commune_code": "26740"}
TAN_DINH = {"commune_code": "26737"}
LAI_CHAU, DIEN_BIEN = "12", "11"


async def _post(client: Any, path: str, body: dict[str, Any], headers: Any) -> dict[str, Any]:
    r = await client.post(path, json=body, headers=headers)
    assert r.status_code in (200, 201), r.text
    return r.json()  # type: ignore[no-any-return]


async def _transfer(client: Any, tip: dict[str, Any], unit: str, headers: Any) -> None:
    body = {"unit_code": unit, "reason": "Chuyển đơn vị có thẩm quyền"}
    await _post(client, f"/api/v1/tips/{tip['id']}/transfer", body, headers)


async def _correct_place(client: Any, tip: dict[str, Any], location: Any, headers: Any) -> None:
    body = {"location": location, "reason": "Địa điểm ghi nhầm"}
    await _post(client, f"/api/v1/tips/{tip['id']}/corrections", body, headers)


async def _stored(db: Any) -> set[tuple[str, str]]:
    db.expire_all()
    rows = await db.execute(select(TipProvince.tip_id, TipProvince.province_code))
    return set(rows.tuples())


async def _by_rule(db: Any) -> set[tuple[str, str]]:
    """The rule itself (the queue's OR form), for every province."""
    pairs: set[tuple[str, str]] = set()
    for code in await db.scalars(select(Province.code)):
        ids = await db.scalars(select(Tip.id).where(in_province(code)))
        pairs |= {(tip_id, code) for tip_id in ids}
    return pairs


async def _check(db: Any) -> set[tuple[str, str]]:
    stored = await _stored(db)
    assert stored == await _by_rule(db)
    ids = set(await db.scalars(select(Tip.id)))
    as_data = await provinces_of_tips(db, ids)
    assert stored == {(t, p) for t, provinces in as_data.items() for p in provinces}
    # The copied receipt time is the tip's own.
    mismatched = await db.scalar(
        select(func.count())
        .select_from(TipProvince)
        .join(Tip, Tip.id == TipProvince.tip_id)
        .where(Tip.first_received_at != TipProvince.first_received_at)
    )
    assert mismatched == 0
    # So are the copied columns, on every row of the tip.
    copies = [
        getattr(TipProvince, stored).is_distinct_from(getattr(Tip, column))
        for column, stored in MIRRORED.items()
    ]
    stale = await db.execute(
        select(TipProvince.tip_id, TipProvince.province_code)
        .join(Tip, Tip.id == TipProvince.tip_id)
        .where(or_(*copies))
    )
    assert stale.all() == []
    return stored


async def test_stored_provinces_follow_every_write(app, client, db):  # type: ignore[no-untyped-def]
    staff = await make_staff(db, app)
    admin = staff.headers["admin"]
    # Placed in Hà Nội, handed to 79's investigation agency: 01 and 79.
    away = await submit(client, location=HANOI_COMMUNE)
    await _transfer(client, away, CSDT, admin)
    # There and back: 79 keeps what its unit held.
    back = await submit(client, location=HANOI_COMMUNE)
    await _transfer(client, back, CSDT, admin)
    await _transfer(client, back, back["assigned_unit"]["code"], admin)
    # A correction of the place that re-routes to Hà Nội's commune police.
    moved = await submit(client, location=SAI_GON)
    await _correct_place(client, moved, HANOI_COMMUNE, admin)
    # A correction of the place that does not re-route (held by CSDT): the place changes only.
    placed = await submit(client, location=HANOI_COMMUNE)
    await _transfer(client, placed, CSDT, admin)
    await _correct_place(client, placed, TAN_DINH, admin)
    # A duplicate merged into another tip.
    dup = await submit(client, location=SAI_GON)
    into = await submit(client, location=SAI_GON)
    await _post(
        client, f"/api/v1/tips/{dup['id']}/merge", {"into_id": into["id"]}, staff.headers["admin"]
    )
    # Lai Châu's tip, before and after Lai Châu merges into Điện Biên (its units move).
    communes = (
        await client.get("/api/v1/admin-units/communes", params={"province_code": LAI_CHAU})
    ).json()
    lai_chau = await submit(client, location={"commune_code": communes[0]["code"]})
    # Transitions to an outcome (status, outcome), and a correction of the category (kind,
    # type): the copies follow.
    walked = await submit(client)
    officer = staff.headers["officer_a"]
    for step in (
        move("verifying"),
        move("in_progress"),
        move("resolved", outcome="prosecuted", outcome_summary="Đã khởi tố vụ án."),
    ):
        await _post(client, f"/api/v1/tips/{walked['id']}/transitions", step, officer)
    recast = await submit_security(client)
    body = {"category_code": "violent_crime", "reason": "Thực chất là cố ý gây thương tích"}
    await _post(client, f"/api/v1/tips/{recast['id']}/corrections", body, staff.headers["lead_a"])

    before = await _check(db)
    rows = await db.execute(
        select(TipProvince.status, TipProvince.outcome).where(TipProvince.tip_id == walked["id"])
    )
    assert rows.tuples().all() == [("resolved", "prosecuted")]
    rows = await db.execute(
        select(TipProvince.category_code, TipProvince.kind, TipProvince.tip_type).where(
            TipProvince.tip_id == recast["id"]
        )
    )
    assert rows.tuples().all() == [("violent_crime", "crime", "to_giac")]
    merged = await db.scalars(select(TipProvince.status).where(TipProvince.tip_id == dup["id"]))
    assert set(merged) == {"merged"}
    assert {p for t, p in before if t == away["id"]} == {"01", "79"}
    assert {p for t, p in before if t == back["id"]} == {"01", "79"}
    assert {p for t, p in before if t == moved["id"]} == {"01", "79"}
    assert {p for t, p in before if t == placed["id"]} == {"01", "79"}
    assert {p for t, p in before if t == lai_chau["id"]} == {LAI_CHAU}

    body = {
        "effective_at": "2026-12-01T00:00:00+07:00",
        "dry_run": False,
        "changes": [
            {
                "type": "merge_provinces",
                "from": [DIEN_BIEN, LAI_CHAU],
                "into": {"code": DIEN_BIEN, "name": "Điện Biên", "type": "tinh"},
            }
        ],
    }
    await _post(client, "/api/v1/admin-units/change-sets", body, admin)
    after = await _check(db)
    assert {p for t, p in after if t == lai_chau["id"]} == {LAI_CHAU, DIEN_BIEN}

    # Statistics (which read the stored rows) count what the rule counts, province by province.
    national = auth_headers(app, await make_user(db, role="admin"))
    period = f"year:{local_day(utcnow()).year}"
    window = parse_period(period)
    expected = {"01": 4, "79": 8, LAI_CHAU: 1, DIEN_BIEN: 1}
    for code, tips in expected.items():
        r = await client.get(
            "/api/v1/stats/summary",
            params={"province_code": code, "period": period, "group_by": "status,category"},
            headers=national,
        )
        assert r.status_code == 200, r.text
        in_window = [
            in_province(code),
            Tip.first_received_at >= window.start,
            Tip.first_received_at < window.end,
        ]
        by_rule = await db.scalar(select(func.count()).select_from(Tip).where(*in_window))
        assert r.json()["total"] == by_rule == tips
        # The groups (read from the copies) are the tips' own columns' groups.
        groups = await db.execute(
            select(Tip.status, Tip.category_code, func.count())
            .where(*in_window)
            .group_by(Tip.status, Tip.category_code)
        )
        assert {
            (g["keys"]["status"], g["keys"]["category"], g["count"]) for g in r.json()["groups"]
        } == set(groups.tuples())
