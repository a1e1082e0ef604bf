"""The full record, the masked reporter, the audited reveal, and what analysts never get."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.audit.models import AuditEntry
from tests.tips.helpers import jpeg_bytes, post_multipart
from tests.triage.helpers import PC04, UNIT_A, events_of, make_staff, submit, submit_identified

REASON = "Cần liên hệ người báo tin để xác minh địa điểm"


async def test_full_record(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_identified(client, persons_involved="Một nhóm thanh niên")
    r = await client.get(f"/api/v1/tips/{tip['id']}", headers=staff.headers["officer_a"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kind"] == "crime" and body["tip_type"] == "to_giac"
    assert body["status"] == "received" and body["public_status"] == "received"
    assert body["assigned_unit"]["code"] == UNIT_A and body["assigned_unit"]["name"]
    assert [u["code"] for u in body["watching_units"]] == [PC04]
    assert body["assignee"] is None
    assert body["register_number"] == tip["register_number"]
    assert body["register_entries"] == [
        {
            "unit_code": UNIT_A,
            "register_number": tip["register_number"],
            "registered_at": body["register_entries"][0]["registered_at"],
        }
    ]
    assert datetime.fromisoformat(body["acknowledge_by"]) == datetime.fromisoformat(
        tip["acknowledge_by"]
    )
    assert body["transfer_due_at"] and body["due_at"]
    assert body["overdue"] is False
    assert body["reporter"] == {"masked": True}
    assert body["persons_involved"] == "Một nhóm thanh niên"
    assert "Nguyễn Văn A" not in r.text and "0912" not in r.text
    assert body["timeline"][0]["type"] == "tip.created"
    assert body["location"]["commune_code"] == "26740"
    assert body["created_at"].endswith("+07:00")

    events = (
        await client.get(f"/api/v1/tips/{tip['id']}/events", headers=staff.headers["officer_a"])
    ).json()
    assert [e["type"] for e in events] == [e["type"] for e in body["timeline"]]


async def test_anonymous_tip_and_attachment_download(app, client, db):
    staff = await make_staff(db, app)
    from tests.tips.helpers import payload

    r = await post_multipart(client, payload(), [("anh.jpg", jpeg_bytes(), "image/jpeg")])
    assert r.status_code == 201, r.text
    tip = r.json()
    detail = (
        await client.get(f"/api/v1/tips/{tip['id']}", headers=staff.headers["officer_a"])
    ).json()
    assert detail["reporter"] == {"anonymous": True}
    (attachment,) = detail["attachments"]
    assert set(attachment) == {"id", "filename", "content_type", "size", "uploaded_by"}
    assert attachment["uploaded_by"] == "reporter"

    url = f"/api/v1/tips/{tip['id']}/attachments/{attachment['id']}"
    r = await client.get(url, headers=staff.headers["officer_a"])
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.content[:2] == b"\xff\xd8" and len(r.content) == attachment["size"]
    # Out of scope: not found; analysts: no files.
    assert (await client.get(url, headers=staff.headers["officer_b"])).status_code == 404
    assert (await client.get(url, headers=staff.headers["analyst_79"])).status_code == 403
    other = await submit(client)
    r = await client.get(
        f"/api/v1/tips/{other['id']}/attachments/{attachment['id']}",
        headers=staff.headers["officer_a"],
    )
    assert r.status_code == 404

    r = await client.post(
        f"/api/v1/tips/{tip['id']}/reporter/reveal",
        json={"reason": REASON},
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 404  # nothing to reveal


async def test_reveal_is_audited(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_identified(client)
    url = f"/api/v1/tips/{tip['id']}/reporter/reveal"

    r = await client.post(url, json={"reason": "ngắn"}, headers=staff.headers["lead_a"])
    assert r.status_code == 422
    r = await client.post(url, json={}, headers=staff.headers["lead_a"])
    assert r.status_code == 422

    r = await client.post(url, json={"reason": REASON}, headers=staff.headers["lead_a"])
    assert r.status_code == 200, r.text
    assert r.json() == {
        "reporter": {
            "full_name": "Nguyễn Văn A",
            "phone": "0912 345 678",
            "email": None,
            "address": None,
            "organization_name": None,
            "organization_tax_code": None,
        }
    }

    db.expire_all()
    entries = list(await db.scalars(select(AuditEntry).where(AuditEntry.object_id == tip["id"])))
    assert len(entries) == 1
    entry = entries[0]
    assert entry.actor_id == staff["lead_a"].id
    assert entry.action == "tip.reporter_revealed" and entry.object_type == "tip"
    assert entry.reason == REASON
    assert "Nguyễn" not in str(entry.data) and "0912" not in str(entry.data)
    revealed = await events_of(db, tip["id"], "tip.reporter_revealed")
    assert len(revealed) == 1 and not revealed[0].public
    assert revealed[0].actor_id == staff["lead_a"].id

    # The record itself stays masked.
    detail = (await client.get(f"/api/v1/tips/{tip['id']}", headers=staff.headers["lead_a"])).json()
    assert detail["reporter"] == {"masked": True}


async def test_who_may_reveal(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_identified(client)
    url = f"/api/v1/tips/{tip['id']}/reporter/reveal"
    expected = {
        "officer_a": 403,  # not a lead
        "analyst_79": 403,
        "analyst_key_79": 403,
        "front": 403,
        "lead_b": 404,  # another unit
        "supervisor_01": 404,
        "supervisor_79": 200,
        "admin": 200,
    }
    for name, status in expected.items():
        r = await client.post(url, json={"reason": REASON}, headers=staff.headers[name])
        assert r.status_code == status, (name, r.text)
    db.expire_all()
    entries = list(
        await db.scalars(select(AuditEntry).where(AuditEntry.action == "tip.reporter_revealed"))
    )
    assert sorted(e.actor_id for e in entries) == sorted(
        [staff["supervisor_79"].id, staff["admin"].id]
    )


async def test_analyst_never_sees_reporter_data(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_identified(client, persons_involved="Đối tượng tên Lê Văn C")
    base = f"/api/v1/tips/{tip['id']}"
    await client.post(
        f"{base}/notes",
        json={"body": "Ghi chú nội bộ về Lê Văn C"},
        headers=staff.headers["officer_a"],
    )
    await client.post(
        f"{base}/messages", json={"body": "Xin chào"}, headers=staff.headers["officer_a"]
    )
    for name in ("analyst_79", "analyst_key_79"):
        h = staff.headers[name]
        r = await client.get(base, headers=h)
        assert r.status_code == 200
        body = r.json()
        assert body["reporter"] is None
        assert body["persons_involved"] is None
        assert "Lê Văn C" not in r.text and "Nguyễn Văn A" not in r.text
        assert all(e["note"] is None for e in body["timeline"])
        events = await client.get(f"{base}/events", headers=h)
        assert events.status_code == 200 and "Lê Văn C" not in events.text
        assert (await client.get(f"{base}/messages", headers=h)).status_code == 403
        queue = await client.get("/api/v1/tips", headers=h)
        assert queue.status_code == 200 and tip["id"] in queue.text
        assert "Nguyễn" not in queue.text
