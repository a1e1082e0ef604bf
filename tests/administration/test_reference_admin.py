"""Categories and routing, police units, the working calendar and movement models, changed
through the API: who may, what it does to intake, and the audit and feed entries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEntry
from app.tips.models import Tip, TipEvent
from tests.accounts.helpers import auth_headers, make_organization, make_user
from tests.tips.helpers import TIPS, payload

# Places only this module uses (the change-set tests use others).
DA_NANG = "48"
HAI_CHAU = "20194"  # a ward of Đà Nẵng
HUE = "46"


async def _headers(db: AsyncSession, app: Any, role: str, **scope: Any) -> dict[str, str]:
    return auth_headers(app, await make_user(db, role=role, **scope))


async def _commune_of(client: httpx.AsyncClient, province: str) -> str:
    r = await client.get("/api/v1/admin-units/communes", params={"province_code": province})
    return r.json()[0]["code"]


async def _feed_kinds(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    items = (await client.get("/api/v1/events", params={"limit": 1000}, headers=headers)).json()
    return [e["data"] for e in items["items"] if e["type"] == "reference.changed"]


async def test_a_province_rule_overrides_the_national_one(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    admin = await _headers(db, app, "admin")
    supervisor = await _headers(db, app, "province_supervisor", province_code=DA_NANG)
    officer = await _headers(db, app, "officer", unit_code="CAT-48")
    commune = await _commune_of(client, DA_NANG)
    other = await _commune_of(client, HUE)
    rule = {"route_to": "PC04", "watch_departments": []}
    url = f"/api/v1/categories/drugs/provinces/{DA_NANG}"

    assert (await client.put(url, json=rule, headers=officer)).status_code == 403
    assert (
        await client.put(f"/api/v1/categories/drugs/provinces/{HUE}", json=rule, headers=supervisor)
    ).status_code == 403
    r = await client.put(url, json=rule, headers=supervisor)
    assert r.status_code == 200, r.text

    here = await client.post(TIPS, json=payload(location={"commune_code": commune}))
    assert here.json()["assigned_unit"]["code"] == "CAT-48-PC04"
    there = await client.post(TIPS, json=payload(location={"commune_code": other}))
    assert there.json()["assigned_unit"]["code"] == f"CAX-{other}"  # national rule elsewhere
    listed = (await client.get("/api/v1/categories/drugs/provinces", headers=admin)).json()
    assert [r["province_code"] for r in listed] == [DA_NANG]

    assert (await client.delete(url, headers=supervisor)).status_code == 204
    back = await client.post(TIPS, json=payload(location={"commune_code": commune}))
    assert back.json()["assigned_unit"]["code"] == f"CAX-{commune}"
    # The first tip stays where it was routed: a rule never moves old tips.
    db.expire_all()
    first = await db.get(Tip, here.json()["id"])
    assert first is not None and first.assigned_unit_code == "CAT-48-PC04"

    actions = (
        await db.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == "drugs").order_by(AuditEntry.id)
        )
    ).all()
    assert actions == ["category.province_rule_set", "category.province_rule_deleted"]
    assert {"kind": "category", "code": "drugs"} in await _feed_kinds(client, admin)


async def test_categories_are_created_edited_and_deactivated(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    admin = await _headers(db, app, "admin")
    supervisor = await _headers(db, app, "province_supervisor", province_code=DA_NANG)
    analyst = await _headers(db, app, "analyst", province_code=DA_NANG)
    body = {
        "code": "illegal_mining",
        "name": "Khai thác khoáng sản trái phép",
        "name_en": "Illegal mining",
        "kind": "crime",
        "description": "Khai thác cát, vàng trái phép",
        "route_to": "CSDT",
    }
    for who in (supervisor, analyst):
        assert (await client.post("/api/v1/categories", json=body, headers=who)).status_code == 403
    r = await client.post("/api/v1/categories", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert (await client.post("/api/v1/categories", json=body, headers=admin)).status_code == 409
    codes = [c["code"] for c in (await client.get("/api/v1/categories")).json()]
    assert "illegal_mining" in codes
    commune = await _commune_of(client, DA_NANG)
    tip = await client.post(
        TIPS, json=payload(category_code="illegal_mining", location={"commune_code": commune})
    )
    assert tip.status_code == 201 and tip.json()["assigned_unit"]["code"] == "CAT-48-CSDT"

    r = await client.patch(
        "/api/v1/categories/illegal_mining", json={"active": False}, headers=admin
    )
    assert r.status_code == 200 and r.json()["active"] is False
    refused = await client.post(
        TIPS, json=payload(category_code="illegal_mining", location={"commune_code": commune})
    )
    assert refused.status_code == 422
    db.expire_all()
    old = await db.get(Tip, tip.json()["id"])
    assert old is not None and old.category_code == "illegal_mining"
    bad = await client.patch(
        "/api/v1/categories/illegal_mining", json={"route_to": "nowhere"}, headers=admin
    )
    assert bad.status_code == 422


async def test_units_edited_and_never_routed_to_when_inactive(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    admin = await _headers(db, app, "admin")
    supervisor = await _headers(db, app, "province_supervisor", province_code=DA_NANG)
    other_supervisor = await _headers(db, app, "province_supervisor", province_code=HUE)
    unit = f"CAX-{HAI_CHAU}"
    r = await client.patch(
        f"/api/v1/units/{unit}",
        json={"name": "Công an phường Hải Châu", "remote": True},
        headers=supervisor,
    )
    assert r.status_code == 200 and r.json()["remote"] is True
    assert (
        await client.patch(f"/api/v1/units/{unit}", json={"active": False}, headers=supervisor)
    ).status_code == 403
    assert (
        await client.patch(
            f"/api/v1/units/{unit}", json={"remote": False}, headers=other_supervisor
        )
    ).status_code == 403
    assert (
        await client.patch("/api/v1/units/CAT-48", json={"active": False}, headers=admin)
    ).status_code == 409

    r = await client.patch(f"/api/v1/units/{unit}", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    # Intake's fallback: the commune police is inactive, so the duty desk receives the tip.
    tip = await client.post(TIPS, json=payload(location={"commune_code": HAI_CHAU}))
    assert tip.status_code == 201
    assert tip.json()["assigned_unit"]["code"] == "CAT-48"
    await client.patch(f"/api/v1/units/{unit}", json={"active": True}, headers=admin)
    tip = await client.post(TIPS, json=payload(location={"commune_code": HAI_CHAU}))
    assert tip.json()["assigned_unit"]["code"] == unit

    created = await client.post(
        "/api/v1/units",
        json={
            "code": "CAT-48-PK02",
            "name": "Phòng Cảnh sát cơ động",
            "kind": "department",
            "department": "ANCT",
            "province_code": DA_NANG,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.json()["parent_code"] == "CAT-48"
    assert (await client.get("/api/v1/units/CAT-48-PK02")).status_code == 200
    cycle = await client.patch(
        "/api/v1/units/CAT-48", json={"parent_code": "CAT-48-PK02"}, headers=admin
    )
    assert cycle.status_code == 422


async def test_calendar_years_confirmed_and_deadlines_recomputed(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    admin = await _headers(db, app, "admin")
    officer = await _headers(db, app, "officer", unit_code="CAT-48")
    shipped = (await client.get("/api/v1/calendar/2027")).json()
    assert shipped["confirmed"] is False and shipped["days"]
    assert (await client.get("/api/v1/calendar/2026")).json()["confirmed"] is True

    commune = await _commune_of(client, DA_NANG)
    r = await client.post(TIPS, json=payload(location={"commune_code": commune}))
    tip_id = r.json()["id"]
    # Received on Wednesday 30 Dec 2026: 3 working days (1 Jan a holiday) → Tue 5 Jan 2027.
    received = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)
    tip = await db.get(Tip, tip_id)
    assert tip is not None
    tip.received_at = received
    tip.acknowledge_by = datetime(2027, 1, 5, 16, 59, 59, tzinfo=UTC)
    await db.commit()

    days = [
        {"date": "2027-01-01", "kind": "holiday", "name": "Tết Dương lịch"},
        {"date": "2027-01-04", "kind": "holiday", "name": "Nghỉ bù (thử nghiệm)"},
    ]
    assert (
        await client.put("/api/v1/calendar/2027", json={"days": days}, headers=officer)
    ).status_code == 403
    bad = await client.put(
        "/api/v1/calendar/2027",
        json={"days": [{"date": "2028-01-01", "kind": "holiday", "name": "x"}]},
        headers=admin,
    )
    assert bad.status_code == 422
    r = await client.put("/api/v1/calendar/2027", json={"days": days}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["confirmed"] is True and r.json()["recomputed_tips"] >= 1
    assert [d["date"] for d in r.json()["days"]] == ["2027-01-01", "2027-01-04"]
    db.expire_all()
    tip = await db.get(Tip, tip_id)
    assert tip is not None
    assert tip.acknowledge_by == datetime(2027, 1, 6, 16, 59, 59, tzinfo=UTC)
    events = (
        await db.scalars(
            select(TipEvent).where(
                TipEvent.tip_id == tip_id, TipEvent.type == "tip.deadline_recomputed"
            )
        )
    ).all()
    assert len(events) == 1 and events[0].data["deadline"] == "acknowledge_by"
    assert {"kind": "calendar", "code": "2027"} in await _feed_kinds(client, admin)
    # Replacing again with the same days moves nothing.
    again = await client.put("/api/v1/calendar/2027", json={"days": days}, headers=admin)
    assert again.json()["recomputed_tips"] == 0


async def test_movement_models_are_a_list(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    admin = await _headers(db, app, "admin")
    supervisor = await _headers(db, app, "province_supervisor", province_code=DA_NANG)
    national = (await client.get("/api/v1/movement-models")).json()
    assert {
        "code": "camera_an_ninh",
        "name": "Camera an ninh",
        "province_code": None,
        "active": True,
    } in national

    r = await client.post(
        "/api/v1/movement-models",
        json={"code": "ben_thuyen_an_toan", "name": "Bến thuyền an toàn"},
        headers=supervisor,
    )
    assert r.status_code == 201, r.text
    assert r.json()["province_code"] == DA_NANG  # a supervisor's model is their province's
    assert (
        await client.post(
            "/api/v1/movement-models",
            json={"code": "x_national", "name": "Toàn quốc", "province_code": HUE},
            headers=supervisor,
        )
    ).status_code == 403
    assert (
        await client.patch(
            "/api/v1/movement-models/camera_an_ninh", json={"name": "x"}, headers=supervisor
        )
    ).status_code == 403
    listed = (await client.get("/api/v1/movement-models", params={"province_code": HUE})).json()
    assert "ben_thuyen_an_toan" not in {m["code"] for m in listed}

    commune = await _commune_of(client, DA_NANG)
    org = await make_organization(db, name="MTTQ Đà Nẵng", kind="mttq", province_code=DA_NANG)
    member = auth_headers(app, await make_user(db, role="front_member", organization_id=org.id))
    other_org = await make_organization(db, name="MTTQ Huế", kind="mttq", province_code=HUE)
    other = auth_headers(
        app, await make_user(db, role="front_member", organization_id=other_org.id)
    )

    def front(model: str) -> dict[str, Any]:
        body = payload(channel="front", movement_model=model, location={"commune_code": commune})
        body.pop("anonymous")
        return body

    ok = await client.post(TIPS, json=front("ben_thuyen_an_toan"), headers=member)
    assert ok.status_code == 201, ok.text
    assert (await client.post(TIPS, json=front("camera_an_ninh"), headers=other)).status_code == 201
    refused = await client.post(TIPS, json=front("ben_thuyen_an_toan"), headers=other)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "movement_model"
    assert (
        await client.post(TIPS, json=front("Camera an ninh"), headers=member)
    ).status_code == 422
    await client.patch(
        "/api/v1/movement-models/ben_thuyen_an_toan", json={"active": False}, headers=admin
    )
    assert (
        await client.post(TIPS, json=front("ben_thuyen_an_toan"), headers=member)
    ).status_code == 422
