"""Transfer (same tip, new unit, new register entry, history kept) and merge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core.time import as_utc
from tests.tips.helpers import TRACK
from tests.triage.helpers import (
    CON_DAO,
    CSDT,
    UNIT_A,
    UNIT_B,
    events_of,
    load_tip,
    make_staff,
    move,
    submit,
    submit_security,
)


async def test_transfer_to_the_investigation_agency(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    assert tip["transfer_due_at"] is not None  # a commune must forward a crime tip
    base = f"/api/v1/tips/{tip['id']}"
    h = staff.headers["officer_a"]
    await client.post(f"{base}/claim", headers=h)
    await client.post(
        f"{base}/transitions", json=move("verifying", note="Xác minh ban đầu"), headers=h
    )

    before = datetime.now(UTC)
    r = await client.post(
        f"{base}/transfer",
        json={"unit_code": CSDT, "reason": "Chuyển CQĐT theo thẩm quyền"},
        headers=h,
    )
    after = datetime.now(UTC)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == tip["id"] and body["reference"] == tip["reference"]
    assert body["status"] == "received"
    assert body["assigned_unit"]["code"] == CSDT
    assert body["assignee"] is None
    assert body["transfer_due_at"] is None
    assert body["register_number"].startswith(f"{CSDT}/")
    assert [e["unit_code"] for e in body["register_entries"]] == [UNIT_A, CSDT]
    assert body["register_entries"][0]["register_number"] == tip["register_number"]
    # Due 20 days after the hand-over.
    row = await load_tip(db, tip["id"])
    assert before + timedelta(days=20) <= as_utc(row.due_at) <= after + timedelta(days=20)
    assert before <= as_utc(row.received_at) <= after

    # The new unit sees it at received, with the earlier history.
    r = await client.get(base, headers=staff.headers["officer_csdt"])
    assert r.status_code == 200
    types = [e["type"] for e in r.json()["timeline"]]
    assert (
        types.index("tip.created")
        < types.index("tip.status_changed")
        < types.index("tip.transferred")
    )
    transferred = next(e for e in r.json()["timeline"] if e["type"] == "tip.transferred")
    assert transferred["data"]["from_unit"] == UNIT_A and transferred["data"]["to_unit"] == CSDT
    assert transferred["from_status"] == "verifying" and transferred["to_status"] == "received"
    queue = (await client.get("/api/v1/tips", headers=staff.headers["officer_csdt"])).json()
    assert [t["id"] for t in queue["items"]] == [tip["id"]]

    # The former unit keeps read-only sight.
    r = await client.get(base, headers=h)
    assert r.status_code == 200
    r = await client.post(f"{base}/transitions", json=move("verifying"), headers=h)
    assert r.status_code == 403
    # The new unit acts on it.
    r = await client.post(f"{base}/claim", headers=staff.headers["officer_csdt"])
    assert r.status_code == 200

    # The reporter's receipt still works and shows the new unit.
    track = (await client.get(TRACK, headers={"X-Tip-Receipt": tip["receipt"]})).json()
    assert track["assigned_unit"]["code"] == CSDT
    assert "Chuyển CQĐT" not in str(track)


async def test_transfer_to_a_remote_commune_gives_48_hours(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    before = datetime.now(UTC)
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/transfer",
        json={"unit_code": CON_DAO, "reason": "Địa bàn Côn Đảo"},
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 200, r.text
    row = await load_tip(db, tip["id"])
    assert as_utc(row.transfer_due_at) >= before + timedelta(hours=48)
    assert as_utc(row.transfer_due_at) <= datetime.now(UTC) + timedelta(hours=48)


async def test_security_report_transfer_restarts_its_period(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_security(client)
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/transfer",
        json={"unit_code": UNIT_B, "reason": "Sự việc xảy ra ở phường Tân Định"},
        headers=staff.headers["officer_a"],
    )
    assert r.status_code == 200
    row = await load_tip(db, tip["id"])
    assert row.transfer_due_at is None
    assert as_utc(row.due_at) > datetime.now(UTC) + timedelta(days=14)
    r = await client.get(f"/api/v1/tips/{tip['id']}", headers=staff.headers["officer_b"])
    assert r.status_code == 200 and r.json()["status"] == "received"


async def test_transfer_to_unknown_or_same_unit_is_422(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    url = f"/api/v1/tips/{tip['id']}/transfer"
    h = staff.headers["officer_a"]
    for unit in ("CAX-99999", UNIT_A):
        r = await client.post(url, json={"unit_code": unit, "reason": "Lý do chuyển"}, headers=h)
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "unit_code"
    r = await client.post(url, json={"unit_code": CSDT}, headers=h)
    assert r.status_code == 422
    assert (await load_tip(db, tip["id"])).assigned_unit_code == UNIT_A
    assert await events_of(db, tip["id"], "tip.transferred") == []


async def test_closed_tip_cannot_be_transferred(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_security(client)
    h = staff.headers["officer_a"]
    await client.post(
        f"/api/v1/tips/{tip['id']}/transitions", json=move("rejected", note="Trùng lặp"), headers=h
    )
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/transfer",
        json={"unit_code": UNIT_B, "reason": "Lý do"},
        headers=h,
    )
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"


async def test_merge_into_a_visible_tip(app, client, db):
    staff = await make_staff(db, app)
    main = await submit(client)
    dup = await submit(client)
    h = staff.headers["officer_a"]
    url = f"/api/v1/tips/{dup['id']}/merge"

    assert (await client.post(url, json={"into_id": dup["id"]}, headers=h)).status_code == 422
    # A tip in another unit (invisible to this officer) is not found: 404, as a missing id.
    elsewhere = await submit(client, location={"commune_code": "26737"})
    r = await client.post(url, json={"into_id": elsewhere["id"]}, headers=h)
    missing = await client.post(
        url, json={"into_id": "01900000-0000-7000-8000-000000000000"}, headers=h
    )
    assert r.status_code == missing.status_code == 404
    assert r.json() == missing.json()
    assert elsewhere["id"] not in r.text and elsewhere["reference"] not in r.text

    r = await client.post(url, json={"into_id": main["id"], "note": "Cùng vụ việc"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "merged"
    assert r.json()["merged_into_id"] == main["id"]
    assert r.json()["closed_at"] is not None
    # Already merged: the table refuses.
    r = await client.post(url, json={"into_id": main["id"]}, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    # Nothing may be merged into a merged tip.
    third = await submit(client)
    r = await client.post(
        f"/api/v1/tips/{third['id']}/merge", json={"into_id": dup["id"]}, headers=h
    )
    assert r.status_code == 422
    assert [e.data["from_id"] for e in await events_of(db, main["id"], "tip.duplicate_merged")] == [
        dup["id"]
    ]
    merged = await events_of(db, dup["id"], "tip.merged")
    assert merged[0].data["into_id"] == main["id"] and merged[0].note == "Cùng vụ việc"
