"""Every kind of reference change writes an audit entry and a ``reference.changed`` event on the
feed; a commune moved to another province takes its police with it and no tip moves; a merger
into an inactive unit is refused. Places of Lạng Sơn (20) and Thái Nguyên (19), which no other
test of this package touches."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEntry
from app.tips.models import Tip
from app.units.models import PoliceUnit
from tests.accounts.helpers import auth_headers, make_user
from tests.tips.helpers import TIPS, payload

LANG_SON, THAI_NGUYEN = "20", "19"
DONG_KINH, LUONG_VAN_TRI, TAM_THANH, RENAMED = "05977", "05983", "05986", "06001"
CHANGE_SETS = "/api/v1/admin-units/change-sets"


async def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


async def test_every_reference_change_is_audited_and_on_the_feed(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    admin = auth_headers(app, await make_user(db, role="admin"))
    supervisor = auth_headers(
        app, await make_user(db, role="province_supervisor", province_code=LANG_SON)
    )
    # The shipped 2028 is a default nobody confirmed; PUT confirms it (same days: none move).
    shipped = await _ok(await client.get("/api/v1/calendar/2028"))
    assert shipped["confirmed"] is False and shipped["days"]
    days = [{k: d[k] for k in ("date", "kind", "name")} for d in shipped["days"]]
    category = {
        "code": "illegal_logging",
        "name": "Khai thác gỗ trái phép",
        "name_en": "Illegal logging",
        "kind": "crime",
        "description": "Chặt phá rừng trái phép",
        "route_to": "CSDT",
    }
    unit = {
        "code": "CAT-20-PK02",
        "name": "Phòng Cảnh sát cơ động",
        "kind": "department",
        "department": "ANCT",
        "province_code": LANG_SON,
    }
    steps: list[tuple[str, str, str, httpx.Response]] = [
        # (kind, code, audit action, response)
        (
            "category",
            "illegal_logging",
            "category.created",
            await client.post("/api/v1/categories", json=category, headers=admin),
        ),
        (
            "category",
            "illegal_logging",
            "category.updated",
            await client.patch(
                "/api/v1/categories/illegal_logging", json={"resolve_days": 30}, headers=admin
            ),
        ),
        (
            "category",
            "illegal_logging",
            "category.province_rule_set",
            await client.put(
                f"/api/v1/categories/illegal_logging/provinces/{LANG_SON}",
                json={"route_to": "duty_desk", "watch_departments": []},
                headers=supervisor,
            ),
        ),
        (
            "unit",
            "CAT-20-PK02",
            "unit.created",
            await client.post("/api/v1/units", json=unit, headers=admin),
        ),
        (
            "unit",
            "CAT-20-PK02",
            "unit.updated",
            await client.patch(
                "/api/v1/units/CAT-20-PK02", json={"parent_code": "CAT-20-CSDT"}, headers=admin
            ),
        ),
        (
            "unit",
            f"CAX-{DONG_KINH}",
            "unit.updated",
            await client.patch(
                f"/api/v1/units/CAX-{DONG_KINH}", json={"remote": True}, headers=supervisor
            ),
        ),
        (
            "calendar",
            "2028",
            "calendar.replaced",
            await client.put("/api/v1/calendar/2028", json={"days": days}, headers=admin),
        ),
        (
            "movement_model",
            "cho_bien_gioi_an_toan",
            "movement_model.created",
            await client.post(
                "/api/v1/movement-models",
                json={"code": "cho_bien_gioi_an_toan", "name": "Chợ biên giới an toàn"},
                headers=supervisor,
            ),
        ),
        (
            "movement_model",
            "cho_bien_gioi_an_toan",
            "movement_model.updated",
            await client.patch(
                "/api/v1/movement-models/cho_bien_gioi_an_toan",
                json={"name": "Chợ biên giới bình yên"},
                headers=supervisor,
            ),
        ),
    ]
    for _, _, _, response in steps:
        assert response.status_code in (200, 201), response.text
    assert (await client.get("/api/v1/calendar/2028")).json()["confirmed"] is True
    assert (await client.get("/api/v1/units/CAT-20-PK02")).json()["parent_code"] == "CAT-20-CSDT"
    applied = await _ok(
        await client.post(
            CHANGE_SETS,
            json={
                "effective_at": "2026-12-01T00:00:00+07:00",
                "dry_run": False,
                "changes": [
                    {
                        "type": "rename_commune",
                        "code": RENAMED,
                        "name": "Đoàn Kết Mới",
                        "commune_type": "xa",
                    }
                ],
            },
            headers=admin,
        ),
        201,
    )
    steps.append(
        ("admin_units", applied["id"], "admin_units.change_set_applied", httpx.Response(201))
    )

    audited = {
        (row.object_type, row.object_id, row.action)
        for row in (
            await db.scalars(
                select(AuditEntry).where(
                    AuditEntry.object_id.in_({code for _, code, _, _ in steps})
                )
            )
        ).all()
    }
    feed = await _ok(await client.get("/api/v1/events", params={"limit": 1000}, headers=admin))
    published = [e["data"] for e in feed["items"] if e["type"] == "reference.changed"]
    for kind, code, action, _ in steps:
        assert (kind, code, action) in audited, (kind, code, action)
        assert {"kind": kind, "code": code} in published, (kind, code)


async def test_a_commune_moved_to_another_province_keeps_its_tips(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    admin = auth_headers(app, await make_user(db, role="admin"))
    tip = await _ok(
        await client.post(
            TIPS,
            json=payload(category_code="public_disorder", location={"commune_code": TAM_THANH}),
        ),
        201,
    )
    body = {
        "effective_at": "2026-12-01T00:00:00+07:00",
        "dry_run": False,
        "changes": [{"type": "move_commune", "code": TAM_THANH, "province_code": THAI_NGUYEN}],
    }
    report = await _ok(await client.post(CHANGE_SETS, json=body, headers=admin), 201)
    assert report["reroutes"] == [] and report["communes_retired"] == []
    commune = await _ok(await client.get(f"/api/v1/admin-units/communes/{TAM_THANH}"))
    assert commune["province_code"] == THAI_NGUYEN
    listed = await _ok(
        await client.get("/api/v1/admin-units/communes", params={"province_code": THAI_NGUYEN})
    )
    assert TAM_THANH in {c["code"] for c in listed}
    unit = await _ok(await client.get(f"/api/v1/units/CAX-{TAM_THANH}"))
    assert (unit["province_code"], unit["parent_code"]) == (THAI_NGUYEN, f"CAT-{THAI_NGUYEN}")
    db.expire_all()
    row = await db.get(Tip, tip["id"])
    assert row is not None and row.assigned_unit_code == f"CAX-{TAM_THANH}"
    assert row.register_number == tip["register_number"]
    # New tips there now count for the new province.
    new = await _ok(
        await client.post(
            TIPS,
            json=payload(category_code="public_disorder", location={"commune_code": TAM_THANH}),
        ),
        201,
    )
    db.expire_all()
    added = await db.get(Tip, new["id"])
    assert added is not None and added.province_code == THAI_NGUYEN


async def test_a_merger_into_an_inactive_unit_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    """No tip is routed to an inactive unit, a change-set's move included: the merger is
    refused (all or nothing) until the successor's police is active again."""
    admin = auth_headers(app, await make_user(db, role="admin"))
    survivor = f"CAX-{DONG_KINH}"
    tip = await _ok(
        await client.post(
            TIPS,
            json=payload(category_code="public_disorder", location={"commune_code": LUONG_VAN_TRI}),
        ),
        201,
    )
    await _ok(
        await client.patch(f"/api/v1/units/{survivor}", json={"active": False}, headers=admin)
    )
    body = {
        "effective_at": "2026-12-01T00:00:00+07:00",
        "dry_run": False,
        "changes": [
            {
                "type": "merge_communes",
                "from": [DONG_KINH, LUONG_VAN_TRI],
                "into": {"code": DONG_KINH, "name": "Đông Kinh", "type": "phuong"},
            }
        ],
    }
    refused = await client.post(CHANGE_SETS, json=body, headers=admin)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "changes.0"
    db.expire_all()
    row = await db.get(Tip, tip["id"])
    assert row is not None and row.assigned_unit_code == f"CAX-{LUONG_VAN_TRI}"
    retired = await db.get(PoliceUnit, f"CAX-{LUONG_VAN_TRI}")
    assert retired is not None and retired.active
    # Active again, the same change-set applies and the tip moves.
    await _ok(await client.patch(f"/api/v1/units/{survivor}", json={"active": True}, headers=admin))
    await _ok(await client.post(CHANGE_SETS, json=body, headers=admin), 201)
    db.expire_all()
    row = await db.get(Tip, tip["id"])
    assert row is not None and row.assigned_unit_code == survivor
