"""Corrections (POST /tips/{id}/corrections): what may change, who may change it, how it is
recorded, how the clocks and the routing follow; and a property over random sequences."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.time import as_utc
from app.triage.deadlines import compute_deadlines, load_calendar
from app.units.models import Category, PoliceUnit
from tests.triage.helpers import (
    DUTY_DESK,
    UNIT_A,
    UNIT_B,
    events_of,
    load_tip,
    make_staff,
    move,
    submit,
    submit_security,
)

TAN_DINH = "26737"


def _url(tip: dict[str, Any]) -> str:
    return f"/api/v1/tips/{tip['id']}/corrections"


async def test_security_report_found_to_be_a_crime_gets_crime_clocks(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_security(client)
    row = await load_tip(db, tip["id"])
    assert row.transfer_due_at is None
    received = as_utc(row.received_at)
    body = {"category_code": "violent_crime", "reason": "Thực chất là cố ý gây thương tích"}
    # An officer may not switch between crime and security/order.
    r = await client.post(_url(tip), json=body, headers=staff.headers["officer_a"])
    assert r.status_code == 403
    assert (await load_tip(db, tip["id"])).kind == "security_order"

    r = await client.post(_url(tip), json=body, headers=staff.headers["lead_a"])
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["kind"] == "crime" and out["category_code"] == "violent_crime"
    assert out["tip_type"] == "to_giac"
    assert out["classified_at"] is not None
    row = await load_tip(db, tip["id"])
    # Crime clocks from receipt; at a commune police the 24 h limit to forward.
    assert as_utc(row.due_at) == received + timedelta(days=20)
    assert as_utc(row.transfer_due_at) == received + timedelta(hours=24)
    (event,) = await events_of(db, tip["id"], "tip.corrected")
    changes = event.data["changes"]
    assert changes["category_code"] == {"from": "public_disorder", "to": "violent_crime"}
    assert changes["kind"] == {"from": "security_order", "to": "crime"}
    assert changes["tip_type"] == {"from": "phan_anh", "to": "to_giac"}
    assert changes["transfer_due_at"]["from"] is None
    assert event.note == body["reason"] and event.actor_id == staff["lead_a"].id
    assert not event.public

    # And back: a crime tip found to be a security/order matter loses the forward limit.
    r = await client.post(
        _url(tip),
        json={"category_code": "neighbour_dispute", "reason": "Chỉ là mâu thuẫn hàng xóm"},
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 200
    row = await load_tip(db, tip["id"])
    assert row.kind == "security_order" and row.tip_type == "phan_anh"
    assert row.transfer_due_at is None
    assert as_utc(row.due_at) == received + timedelta(days=15)


async def test_officer_corrections_and_what_they_record(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client, urgent=False)
    h = staff.headers["officer_a"]
    # Nothing differs: 422; no reason: 422.
    r = await client.post(_url(tip), json={"priority": 0, "reason": "Không đổi"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "nothing_to_correct"
    r = await client.post(_url(tip), json={"priority": 2}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    # Crime category to crime category, priority, urgency: officers may.
    r = await client.post(
        _url(tip),
        json={"category_code": "theft_fraud", "priority": 2, "urgent": True, "reason": "Sai"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["urgent"] is True and r.json()["priority"] == 2
    (event,) = await events_of(db, tip["id"], "tip.corrected")
    assert event.data["changes"]["urgent"] == {"from": False, "to": True}
    assert event.data["changes"]["priority"] == {"from": 0, "to": 2}
    assert "kind" not in event.data["changes"]
    # Made urgent: the duty desk is alerted, and may act on it.
    alerts = await events_of(db, tip["id"], "tip.urgent")
    assert alerts and alerts[-1].data["alerted_unit_code"] == DUTY_DESK
    # tip_type is for leads, and kien_nghi_khoi_to is settable here.
    body = {"tip_type": "kien_nghi_khoi_to", "reason": "Kiến nghị khởi tố của cơ quan"}
    assert (await client.post(_url(tip), json=body, headers=h)).status_code == 403
    r = await client.post(_url(tip), json=body, headers=staff.headers["lead_a"])
    assert r.status_code == 200 and r.json()["tip_type"] == "kien_nghi_khoi_to"
    # A type that does not fit the kind: 422.
    r = await client.post(
        _url(tip), json={"tip_type": "phan_anh", "reason": "Sai"}, headers=staff.headers["lead_a"]
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "tip_type"
    # Read-only units may not correct; closed tips neither.
    r = await client.post(
        _url(tip), json={"priority": 5, "reason": "Sai"}, headers=staff.headers["officer_pc04"]
    )
    assert r.status_code == 403


async def test_place_in_another_commune_reroutes_with_history(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client, location={"commune_code": "26740", "address": "Số 1 Lê Lợi"})
    h = staff.headers["officer_a"]
    r = await client.post(
        _url(tip),
        json={
            "location": {"commune_code": TAN_DINH, "address": "Hẻm 5 Hai Bà Trưng"},
            "reason": "Địa điểm ghi nhầm phường",
        },
        headers=h,
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["assigned_unit"]["code"] == UNIT_B
    assert out["location"]["commune_code"] == TAN_DINH
    assert [e["unit_code"] for e in out["register_entries"]] == [UNIT_A, UNIT_B]
    assert out["status"] == "received" and out["id"] == tip["id"]
    (corrected,) = await events_of(db, tip["id"], "tip.corrected")
    changes = corrected.data["changes"]
    assert changes["location.commune_code"] == {"from": "26740", "to": TAN_DINH}
    assert changes["location.address"] == {"from": None, "to": None, "masked": True}
    assert "Hai Bà Trưng" not in str(corrected.data) and "Lê Lợi" not in str(corrected.data)
    (moved,) = await events_of(db, tip["id"], "tip.transferred")
    assert moved.data["from_unit"] == UNIT_A and moved.data["to_unit"] == UNIT_B
    assert moved.data["correction"] is True
    # The new unit acts; the former one may only read.
    assert (
        await client.post(f"/api/v1/tips/{tip['id']}/claim", headers=staff.headers["officer_b"])
    ).status_code == 200
    r = await client.post(_url(tip), json={"priority": 3, "reason": "Sai"}, headers=h)
    assert r.status_code == 403
    # Clocks at the new unit follow its receipt.
    row = await load_tip(db, tip["id"])
    assert as_utc(row.transfer_due_at) == as_utc(row.received_at) + timedelta(hours=24)


async def test_closed_tip_cannot_be_corrected(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_security(client)
    h = staff.headers["lead_a"]
    await client.post(
        f"/api/v1/tips/{tip['id']}/transitions",
        json=move("rejected", note="Không thuộc thẩm quyền"),
        headers=h,
    )
    r = await client.post(_url(tip), json={"priority": 3, "reason": "Sai"}, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "tip_closed"


CATEGORIES = ["drugs", "theft_fraud", "violent_crime", "public_disorder", "neighbour_dispute"]
step_st = st.one_of(
    st.sampled_from(CATEGORIES).map(lambda c: ("correct", {"category_code": c})),
    st.integers(min_value=0, max_value=9).map(lambda p: ("correct", {"priority": p})),
    st.booleans().map(lambda u: ("correct", {"urgent": u})),
    st.sampled_from(["verifying", "in_progress", "awaiting_info", "suspended"]).map(
        lambda to: ("move", {"to": to})
    ),
)
WALKS: list[list[tuple[str, dict[str, Any]]]] = []


@settings(max_examples=10, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(step_st, min_size=3, max_size=10))
def _collect(walk: list[tuple[str, dict[str, Any]]]) -> None:
    WALKS.append(walk)


_collect()


async def test_deadlines_equal_the_pure_function_of_the_final_state(app, client, db):
    staff = await make_staff(db, app)
    h = staff.headers["lead_a"]
    for i, walk in enumerate(WALKS):
        tip = await (submit(client) if i % 2 else submit_security(client))
        resumed = False
        for action, body in walk:
            if action == "correct":
                url = _url(tip)
                r = await client.post(url, json={**body, "reason": "Sửa sai"}, headers=h)
                assert r.status_code in (200, 409, 422), r.text
            else:
                row = await load_tip(db, tip["id"])
                if row.status == "suspended" and body["to"] == "in_progress":
                    resumed = True  # resuming sets its own one-month limit (art. 149)
                url = f"/api/v1/tips/{tip['id']}/transitions"
                r = await client.post(url, json=body, headers=h)
                assert r.status_code in (200, 409), r.text
        if resumed:
            continue
        row = await load_tip(db, tip["id"])
        unit = await db.get(PoliceUnit, row.assigned_unit_code)
        category = await db.get(Category, row.category_code)
        assert unit is not None and category is not None
        expected = compute_deadlines(
            kind=row.kind,
            unit_kind=unit.kind,
            unit_remote=unit.remote,
            acknowledge_working_days=category.acknowledge_working_days,
            resolve_days=category.resolve_days,
            received_at=as_utc(row.received_at),
            calendar=await load_calendar(db),
        )
        assert as_utc(row.due_at) == expected.due_at, walk
        assert (row.transfer_due_at and as_utc(row.transfer_due_at)) == expected.transfer_due_at
        assert row.kind == category.kind
