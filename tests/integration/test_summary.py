"""stats/summary and front/stats against figures computed by hand: a fixture with transfers
between provinces, a reclassification, a merged duplicate, back-dated walk-ins and Front
reports. Rows and events are written as the services write them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts.models import MovementModel, Organization
from app.core.time import as_utc
from app.tips.models import RegisterEntry, Tip
from app.tips.provinces import record_provinces
from app.units.models import Category, PoliceUnit
from tests.accounts.helpers import auth_headers, make_organization, make_user
from tests.integration.helpers import (
    BA_DINH_UNIT,
    HANOI,
    HCMC,
    SAI_GON_UNIT,
    THU_DAU_MOT_UNIT,
    event_row,
    make_tips,
    vn,
)
from tests.tips.helpers import TIPS, identified

SUMMARY = "/api/v1/stats/summary"
FRONT_STATS = "/api/v1/front/stats"
MODEL = "camera_an_ninh"


@dataclass
class Fixture:
    tips: dict[str, Any]
    province_org: Organization
    commune_org: Organization
    women: Organization
    youth: Organization


def register(tip: Any, unit: str, at: Any) -> RegisterEntry:
    return RegisterEntry(
        tip_id=tip.id,
        unit_code=unit,
        year=at.year,
        seq=secrets.randbelow(10**8),
        register_number=f"{unit}/{at.year}/{secrets.token_hex(5)}",
        registered_at=at,
    )


async def org(db, name: str, kind: str, parent: Organization | None = None) -> Organization:
    created = await make_organization(db, name=name, kind=kind, province_code=HCMC)
    if parent is not None:
        created.parent_id = parent.id
        await db.commit()
    return created


@pytest.fixture
async def reviewed(db) -> Fixture:
    province_org = await org(db, "Ủy ban MTTQ Thành phố Hồ Chí Minh", "mttq")
    commune_org = await org(db, "Ủy ban MTTQ phường Sài Gòn", "mttq", province_org)
    women = await org(db, "Hội LHPN phường Sài Gòn", "member_org", commune_org)
    youth = await org(db, "Đoàn Thanh niên phường Sài Gòn", "member_org", commune_org)
    names = [
        "a",  # HCMC, Sài Gòn, drugs, mobile, received 10 Jul 2026
        "b",  # took place in Hà Nội, received by Ba Đình 1 Aug, transferred to Sài Gòn 2 Sep
        "c",  # took place in HCMC, received by Sài Gòn 5 Aug, transferred to Ba Đình 6 Aug
        "d",  # drugs reclassified as public disorder (tip.corrected)
        "e",  # a's duplicate, merged into it
        "f",  # walk-in keyed in 1 Jul 2026, received 30 Jun 2026 (H1)
        "g",  # walk-in keyed in 1 Jan 2027, received 31 Dec 2026
        "h",  # Front report of the women's union, a movement model, resolved
        "i",  # HCMC, 23:30 on 31 Dec 2025 (Vietnam): not 2026
        "j",  # Hà Nội only
        "k",  # Front report of the youth union, Thủ Dầu Một, in progress
        "l",  # Front report of the commune committee, 2025: outside 2026
    ]
    specs: list[dict[str, Any]] = [
        {"first_received_at": vn("2026-07-10 09:00")},
        {
            "first_received_at": vn("2026-08-01 10:00"),
            "received_at": vn("2026-09-02 10:00"),
            "commune_code": "00004",
            "province_code": HANOI,
            "category_code": "theft_fraud",
            "channel": "hotline",
        },
        {
            "unit": BA_DINH_UNIT,
            "first_received_at": vn("2026-08-05 10:00"),
            "received_at": vn("2026-08-06 10:00"),
            "commune_code": "26740",
            "province_code": HCMC,
            "status": "verifying",
        },
        {
            "first_received_at": vn("2026-09-15 08:00"),
            "category_code": "public_disorder",
            "kind": "security_order",
            "tip_type": "phan_anh",
            "status": "in_progress",
        },
        {"first_received_at": vn("2026-07-10 09:30"), "status": "merged"},
        {
            "created_at": vn("2026-07-01 09:00"),
            "first_received_at": vn("2026-06-30 16:00"),
            "channel": "walk_in",
            "status": "resolved",
            "outcome": "prosecuted",
        },
        {
            "created_at": vn("2027-01-01 08:00"),
            "first_received_at": vn("2026-12-31 20:00"),
            "channel": "walk_in",
            "category_code": "public_disorder",
            "kind": "security_order",
            "tip_type": "phan_anh",
        },
        {
            "first_received_at": vn("2026-10-20 08:00"),
            "channel": "front",
            "tip_type": "tin_bao",
            "organization_id": women.id,
            "movement_model": MODEL,
            "status": "resolved",
            "outcome": "not_prosecuted",
        },
        {"first_received_at": vn("2025-12-31 23:30")},
        {"unit": BA_DINH_UNIT, "first_received_at": vn("2026-07-20 08:00")},
        {
            "unit": THU_DAU_MOT_UNIT,
            "first_received_at": vn("2026-11-03 08:00"),
            "channel": "front",
            "tip_type": "tin_bao",
            "organization_id": youth.id,
            "status": "in_progress",
        },
        {
            "first_received_at": vn("2025-06-01 08:00"),
            "channel": "front",
            "tip_type": "tin_bao",
            "organization_id": commune_org.id,
        },
    ]
    for spec in specs:
        spec.setdefault("created_at", spec["first_received_at"])
        spec.setdefault("received_at", spec["first_received_at"])
    rows = await make_tips(db, specs)
    tips = dict(zip(names, rows, strict=True))
    tips["e"].merged_into_id = tips["a"].id
    db.add_all(
        [
            register(tips["b"], BA_DINH_UNIT, vn("2026-08-01 10:00")),
            register(tips["b"], SAI_GON_UNIT, vn("2026-09-02 10:00")),
            register(tips["c"], SAI_GON_UNIT, vn("2026-08-05 10:00")),
            register(tips["c"], BA_DINH_UNIT, vn("2026-08-06 10:00")),
            register(tips["a"], SAI_GON_UNIT, vn("2026-07-10 09:00")),
            event_row(
                tips["b"],
                "tip.transferred",
                at=vn("2026-09-02 10:00"),
                from_status="verifying",
                to_status="received",
                data={"from_unit": BA_DINH_UNIT, "to_unit": SAI_GON_UNIT},
            ),
            event_row(
                tips["d"],
                "tip.corrected",
                at=vn("2026-09-15 12:00"),
                data={
                    "changes": {
                        "category_code": {"from": "drugs", "to": "public_disorder"},
                        "kind": {"from": "crime", "to": "security_order"},
                    }
                },
            ),
            event_row(
                tips["e"],
                "tip.merged",
                at=vn("2026-07-11 09:00"),
                from_status="received",
                to_status="merged",
                data={"into_id": tips["a"].id},
            ),
        ]
    )
    await record_provinces(db, [t.id for t in rows])  # as entering a register does
    await db.commit()
    return Fixture(tips, province_org, commune_org, women, youth)


def counts(body: dict[str, Any]) -> dict[Any, int]:
    return {g["key"]: g["count"] for g in body["groups"]}


async def get(client, headers, path=SUMMARY, **params):
    r = await client.get(path, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_province_year_by_receipt_time(client, db, app, reviewed):
    headers = auth_headers(app, await make_user(db, role="province_supervisor", province_code=HCMC))

    year = await get(client, headers, period="year:2026", group_by="month")
    # HCMC 2026: a, b (held now), c (took place), d, e, f (received 30 Jun), g (received
    # 31 Dec, keyed in 2027), h, k = 9; i was received in 2025 (Vietnamese time), j is
    # Hà Nội's, l is 2025's.
    assert year["total"] == 9
    assert counts(year) == {
        "2026-06": 1,
        "2026-07": 2,
        "2026-08": 2,  # b on its first receipt, not on its transfer in September
        "2026-09": 1,
        "2026-10": 1,
        "2026-11": 1,
        "2026-12": 1,
    }
    assert list(counts(year)) == sorted(counts(year))
    h1 = await get(client, headers, period="half:2026-H1", group_by="channel")
    assert counts(h1) == {"walk_in": 1}  # f, on its day of receipt
    h2 = await get(client, headers, period="half:2026-H2", group_by="unit")
    # a, b, d, e, g, h at Sài Gòn; c at Ba Đình; k at Thủ Dầu Một
    assert counts(h2) == {SAI_GON_UNIT: 6, BA_DINH_UNIT: 1, THU_DAU_MOT_UNIT: 1}
    assert h2["total"] == 8
    by_province = await get(client, headers, period="year:2026", group_by="province")
    assert counts(by_province) == {HCMC: 8, HANOI: 1}  # b took place in Hà Nội
    hanoi_admin = auth_headers(app, await make_user(db, role="admin"))
    hanoi = await get(client, hanoi_admin, period="year:2026", province_code=HANOI, group_by="unit")
    # b (took place, held before), c (held now), j
    assert counts(hanoi) == {SAI_GON_UNIT: 1, BA_DINH_UNIT: 2}
    everywhere = await get(client, hanoi_admin, period="year:2026", group_by="status")
    assert everywhere["total"] == 10  # 9 + j: b and c are counted once each


async def test_corrections_merges_and_filters(client, db, app, reviewed):
    headers = auth_headers(app, await make_user(db, role="analyst", province_code=HCMC))

    by_category = await get(client, headers, period="year:2026", group_by="category")
    # d counts under its new category; e (merged) counts once, as received
    assert counts(by_category) == {"drugs": 6, "public_disorder": 2, "theft_fraud": 1}
    assert [g["key"] for g in by_category["groups"]] == ["drugs", "public_disorder", "theft_fraud"]
    names = dict((await db.execute(select(Category.code, Category.name))).tuples().all())
    assert {g["key"]: g["label"] for g in by_category["groups"]} == {
        code: names[code] for code in ("drugs", "public_disorder", "theft_fraud")
    }
    by_status = await get(client, headers, period="year:2026", group_by="status")
    assert counts(by_status) == {
        "received": 3,  # a, b, g
        "verifying": 1,
        "in_progress": 2,
        "merged": 1,
        "resolved": 2,  # f, h
    }
    assert all(g["label"] is None for g in by_status["groups"])

    async def total(**filters):
        return (await get(client, headers, period="year:2026", **filters))["total"]

    assert await total(kind="security_order") == 2
    assert await total(kind="crime") == 7
    assert await total(channel="front") == 2
    assert await total(channel="walk_in") == 2  # f, g
    assert await total(tip_type="tin_bao") == 2
    assert await total(outcome="not_prosecuted") == 1
    assert await total(status="merged") == 1
    assert await total(category_code="public_disorder", channel="walk_in") == 1
    assert await total(unit_code=SAI_GON_UNIT) == 7


async def test_two_dimensions_with_labels(client, db, app, reviewed):
    headers = auth_headers(app, await make_user(db, role="province_supervisor", province_code=HCMC))

    body = await get(client, headers, period="year:2026", group_by="category,unit")
    assert body["group_by"] == ["category", "unit"]
    assert counts(body) == {
        f"drugs|{SAI_GON_UNIT}": 4,  # a, e, f, h
        f"drugs|{BA_DINH_UNIT}": 1,  # c
        f"drugs|{THU_DAU_MOT_UNIT}": 1,  # k
        f"public_disorder|{SAI_GON_UNIT}": 2,  # d, g
        f"theft_fraud|{SAI_GON_UNIT}": 1,  # b
    }
    first = body["groups"][0]
    assert first["keys"] == {"category": "drugs", "unit": SAI_GON_UNIT}
    unit_name = await db.scalar(select(PoliceUnit.name).where(PoliceUnit.code == SAI_GON_UNIT))
    category_name = await db.scalar(select(Category.name).where(Category.code == "drugs"))
    assert first["labels"] == {"category": category_name, "unit": unit_name}
    assert first["label"] == f"{category_name} | {unit_name}"

    timed = await get(client, headers, period="year:2026", group_by="month,channel")
    # months in order; within a month largest first, then by key
    assert [g["key"] for g in timed["groups"]][:4] == [
        "2026-06|walk_in",
        "2026-07|mobile",
        "2026-08|hotline",
        "2026-08|mobile",
    ]
    assert counts(timed)["2026-07|mobile"] == 2

    models = await get(client, headers, period="year:2026", group_by="organization,movement_model")
    model_name = await db.scalar(select(MovementModel.name).where(MovementModel.code == MODEL))
    women, youth = reviewed.women, reviewed.youth
    assert counts(models) == {f"{women.id}|{MODEL}": 1, f"{youth.id}|": 1, "|": 7}
    labelled = {g["key"]: g["labels"] for g in models["groups"]}
    assert labelled[f"{women.id}|{MODEL}"] == {
        "organization": women.name,
        "movement_model": model_name,
    }
    assert labelled["|"] == {"organization": None, "movement_model": None}
    assert next(g for g in models["groups"] if g["key"] == "|")["label"] is None
    assert next(g for g in models["groups"] if g["key"] == f"{youth.id}|")["label"] == (
        f"{youth.name} | "
    )


@pytest.mark.parametrize(
    "group_by", ["weekday", "category,unit,status", "unit,unit", "category,", ",unit"]
)
async def test_bad_group_by_is_422(client, db, app, group_by):
    headers = auth_headers(app, await make_user(db, role="admin"))

    r = await client.get(SUMMARY, params={"group_by": group_by}, headers=headers)

    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["group_by"]


async def test_bad_filter_is_422(client, db, app):
    headers = auth_headers(app, await make_user(db, role="admin"))

    for params in ({"kind": "murder"}, {"channel": "fax"}, {"status": "lost"}, {"colour": "x"}):
        r = await client.get(SUMMARY, params=params, headers=headers)
        assert r.status_code == 422, params


# --- front/stats --------------------------------------------------------------------------


async def test_front_committee_sees_its_subtree(client, db, app, reviewed):
    async def member(organization: Organization) -> dict[str, str]:
        return auth_headers(
            app, await make_user(db, role="front_member", organization_id=organization.id)
        )

    province, commune = await member(reviewed.province_org), await member(reviewed.commune_org)
    women, youth = await member(reviewed.women), await member(reviewed.youth)

    def by_org(body):
        return {g["key"]: (g["count"], g["label"]) for g in body["groups"]}

    year = {"period": "year:2026"}
    expected = {
        reviewed.women.id: (1, reviewed.women.name),
        reviewed.youth.id: (1, reviewed.youth.name),
    }
    assert by_org(await get(client, province, FRONT_STATS, **year)) == expected
    assert by_org(await get(client, commune, FRONT_STATS, **year)) == expected
    all_time = await get(client, commune, FRONT_STATS)
    assert all_time["total"] == 3  # l (2025) is the committee's own
    assert by_org(await get(client, women, FRONT_STATS, **year)) == {
        reviewed.women.id: (1, reviewed.women.name)
    }
    outcome = await get(client, province, FRONT_STATS, group_by="status,outcome", **year)
    assert counts(outcome) == {"resolved|not_prosecuted": 1, "in_progress|": 1}
    model = await get(client, province, FRONT_STATS, group_by="movement_model", **year)
    assert counts(model) == {MODEL: 1, None: 1}
    narrowed = await get(client, province, FRONT_STATS, organization_id=reviewed.youth.id, **year)
    assert narrowed["total"] == 1

    # A member organization sees neither its parent's nor a sibling's figures.
    for target in (reviewed.commune_org.id, reviewed.youth.id, reviewed.province_org.id, "x"):
        r = await client.get(FRONT_STATS, params={"organization_id": target}, headers=women)
        assert (r.status_code, r.json()["code"]) == (404, "not_found"), target
    r = await client.get(FRONT_STATS, params={"organization_id": reviewed.women.id}, headers=youth)
    assert r.status_code == 404
    # Dimensions outside the Front's list, and other roles.
    r = await client.get(FRONT_STATS, params={"group_by": "unit"}, headers=women)
    assert r.status_code == 422
    analyst = auth_headers(app, await make_user(db, role="analyst", province_code=HCMC))
    assert (await client.get(FRONT_STATS, headers=analyst)).status_code == 403
    assert (await client.get(FRONT_STATS)).status_code == 401


async def test_back_dated_walk_in_counts_on_its_receipt_day(client, db, app, reviewed):
    headers = auth_headers(app, await make_user(db, role="province_supervisor", province_code=HCMC))

    june_30 = await get(client, headers, period="day:2026-06-30", group_by="day")
    july_1 = await get(client, headers, period="day:2026-07-01")
    assert counts(june_30) == {"2026-06-30": 1}
    assert july_1["total"] == 0
    assert reviewed.tips["f"].created_at - reviewed.tips["f"].first_received_at > timedelta(
        hours=16
    )


async def test_walk_in_through_the_api_keeps_its_receipt_across_a_transfer(client, db, app):
    officer = await make_user(db, role="officer", unit_code=SAI_GON_UNIT, province_code=HCMC)
    supervisor = auth_headers(
        app, await make_user(db, role="province_supervisor", province_code=HCMC)
    )
    received = "2026-06-30T23:00:00+07:00"  # written down the evening before it is keyed in
    created = await client.post(
        TIPS,
        json=identified(channel="walk_in", intake_record={"received_at": received}),
        headers=auth_headers(app, officer),
    )
    assert created.status_code == 201, created.text
    tip_id = created.json()["id"]
    moved = await client.post(
        f"/api/v1/tips/{tip_id}/transfer",
        json={"unit_code": "CAT-79-CSDT", "reason": "Chuyển CQĐT theo thẩm quyền"},
        headers=supervisor,
    )
    assert moved.status_code == 200, moved.text

    tip = await db.get(Tip, tip_id, populate_existing=True)
    assert as_utc(tip.first_received_at) == datetime.fromisoformat(received)
    assert as_utc(tip.received_at) > as_utc(tip.first_received_at)  # the new unit's receipt
    june = await get(client, supervisor, period="day:2026-06-30", group_by="unit")
    assert counts(june) == {"CAT-79-CSDT": 1}


async def test_a_tip_the_province_only_held_before_counts_there(client, db, app):
    # Took place in Hà Nội, held now by Ba Đình; Sài Gòn (HCMC) held it before.
    handed_on, older = await make_tips(
        db,
        [
            {
                "unit": BA_DINH_UNIT,
                "first_received_at": vn("2026-01-01 00:30"),
                "created_at": vn("2026-01-01 00:30"),
            },
            {
                "unit": BA_DINH_UNIT,
                "first_received_at": vn("2025-12-31 23:00"),
                "created_at": vn("2025-12-31 23:00"),
            },
        ],
    )
    db.add_all(
        [
            register(handed_on, SAI_GON_UNIT, vn("2026-01-01 00:30")),
            register(handed_on, BA_DINH_UNIT, vn("2026-01-02 08:00")),
            register(older, SAI_GON_UNIT, vn("2025-12-31 23:00")),
            register(older, BA_DINH_UNIT, vn("2026-01-02 09:00")),
        ]
    )
    await record_provinces(db, [handed_on.id, older.id])  # as entering a register does
    await db.commit()
    headers = auth_headers(app, await make_user(db, role="analyst", province_code=HCMC))

    y2026 = await get(client, headers, period="year:2026", group_by="province")
    y2025 = await get(client, headers, period="year:2025", group_by="unit")
    all_time = await get(client, headers)

    assert counts(y2026) == {HANOI: 1}  # counted once, where it took place
    assert counts(y2025) == {BA_DINH_UNIT: 1}
    assert all_time["total"] == 2
