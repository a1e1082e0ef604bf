"""Protection requests: sealed, told to the unit's leads at once, read by leads and above
with every read audited, status visible to the reporter, content never."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEntry
from app.complaints.models import Complaint, ProtectionRequest
from app.core.security import DataCipher
from app.privacy.rotation import count_by_key, reencrypt_all
from app.tips import followup_sealing as sealing
from app.tips.models import TipEvent
from tests.complaints.helpers import (
    COMPLAINTS,
    PROTECTION,
    TRACK,
    decision,
    pin_clock,
    receipt,
    resolve,
)
from tests.notifications.helpers import inbox_types, run_worker
from tests.triage.helpers import make_staff, submit

BODY = "Tôi bị đe dọa sau khi báo tin; xin bảo vệ cho con gái tôi Phạm Thu Hà."


async def _audits(db: AsyncSession, action: str, request_id: str) -> list[AuditEntry]:
    db.expire_all()
    return list(
        await db.scalars(
            select(AuditEntry).where(
                AuditEntry.action == action, AuditEntry.object_id == request_id
            )
        )
    )


async def test_protection_request_round_trip(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    staff = await make_staff(db, app)
    created = await submit(client)
    r = await client.post(PROTECTION, json={"body": BODY}, headers=receipt(created))
    assert r.status_code == 201, r.text
    request_id = r.json()["id"]
    assert r.json()["status"] == "received"

    db.expire_all()
    row = await db.get(ProtectionRequest, request_id)
    assert row is not None and "Phạm Thu Hà".encode() not in row.ciphertext
    # On no timeline (the change feed and analysts see timelines).
    types = set(await db.scalars(select(TipEvent.type).where(TipEvent.tip_id == created["id"])))
    assert not any("protection" in t for t in types)
    assert len(await _audits(db, "protection_request.filed", request_id)) == 1

    await run_worker(app)
    assert "protection_request.new" in await inbox_types(db, staff["lead_a"].id, created["id"])
    assert "protection_request.new" not in await inbox_types(db, staff["officer_a"].id)

    tracked = await client.get(TRACK, headers=receipt(created))
    assert tracked.json()["protection_requests"] == [
        {
            "id": request_id,
            "filed_at": r.json()["filed_at"],
            "status": "received",
            "decided_at": None,
        }
    ]
    assert "Phạm" not in tracked.text

    base = f"/api/v1/tips/{created['id']}/protection-requests"
    events = f"/api/v1/tips/{created['id']}/events"
    for name in ("officer_a", "analyst_79", "analyst_key_79", "front"):
        r = await client.get(base, headers=staff.headers[name])
        assert r.status_code == 403, (name, r.text)
    for name in ("lead_b", "supervisor_01"):
        assert (await client.get(base, headers=staff.headers[name])).status_code == 404
    assert "Phạm" not in (await client.get(events, headers=staff.headers["analyst_79"])).text
    assert await _audits(db, "protection_request.read", request_id) == []

    for n, name in enumerate(("lead_a", "supervisor_79", "admin"), start=1):
        r = await client.get(base, headers=staff.headers[name])
        assert r.status_code == 200, (name, r.text)
        assert [x["body"] for x in r.json()] == [BODY]
        assert r.headers["cache-control"] == "no-store"
        reads = await _audits(db, "protection_request.read", request_id)
        assert len(reads) == n and reads[-1].actor_id == staff[name].id
        assert BODY not in str(reads[-1].data) and reads[-1].reason is None


async def test_deciding_a_protection_request(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    staff = await make_staff(db, app)
    created = await submit(client)
    r = await client.post(PROTECTION, json={"body": BODY}, headers=receipt(created))
    request_id = r.json()["id"]
    url = f"/api/v1/tips/{created['id']}/protection-requests/{request_id}/status"

    r = await client.post(url, json={"status": "granted"}, headers=staff.headers["officer_a"])
    assert r.status_code == 403
    r = await client.post(url, json={"status": "maybe"}, headers=staff.headers["lead_a"])
    assert r.status_code == 422
    r = await client.post(url, json={"status": "ended"}, headers=staff.headers["lead_a"])
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    assert r.json()["allowed"] == ["granted", "refused"]

    r = await client.post(url, json={"status": "granted"}, headers=staff.headers["lead_a"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "granted" and r.json()["decided_by_id"] == staff["lead_a"].id
    decided = await _audits(db, "protection_request.decided", request_id)
    assert [(a.data["from"], a.data["to"]) for a in decided] == [("received", "granted")]
    assert len(await _audits(db, "protection_request.read", request_id)) == 1

    tracked = (await client.get(TRACK, headers=receipt(created))).json()
    assert tracked["protection_requests"][0]["status"] == "granted"
    assert tracked["protection_requests"][0]["decided_at"] is not None

    r = await client.post(url, json={"status": "refused"}, headers=staff.headers["lead_a"])
    assert r.status_code == 409
    r = await client.post(url, json={"status": "ended"}, headers=staff.headers["supervisor_79"])
    assert r.status_code == 200 and r.json()["status"] == "ended"

    other = await submit(client)
    wrong_tip = f"/api/v1/tips/{other['id']}/protection-requests/{request_id}/status"
    r = await client.post(wrong_tip, json={"status": "granted"}, headers=staff.headers["lead_a"])
    assert r.status_code == 404


async def test_key_rotation_reseals_complaints_and_protection_requests(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    staff = await make_staff(db, app)
    created = await submit(client)
    await client.post(PROTECTION, json={"body": BODY}, headers=receipt(created))
    await resolve(client, created["id"], staff.headers["officer_a"], "not_prosecuted")
    event = await decision(db, created["id"])
    pin_clock(app, event.at + timedelta(days=1))
    r = await client.post(COMPLAINTS, json={"body": "Khiếu nại."}, headers=receipt(created))
    assert r.status_code == 201, r.text

    new_key = DataCipher.generate_key("k2027")
    ring = DataCipher([new_key, *app.state.settings.data_keys])
    report = await reencrypt_all(app.state.sessionmaker, cipher=ring)
    assert report.ok
    assert report.reencrypted["tip_complaints"] == 1
    assert report.reencrypted["protection_requests"] == 1
    db.expire_all()
    counts = await count_by_key(db)
    assert counts["tip_complaints"] == {"k2027": 1}
    assert counts["protection_requests"] == {"k2027": 1}
    only_new = DataCipher([new_key])
    complaint = await db.scalar(select(Complaint))
    protection = await db.scalar(select(ProtectionRequest))
    assert complaint is not None and protection is not None
    assert (
        sealing.open_text(
            only_new, sealing.COMPLAINT, complaint.id, complaint.key_id, complaint.ciphertext
        )
        == "Khiếu nại."
    )
    assert (
        sealing.open_text(
            only_new, sealing.PROTECTION, protection.id, protection.key_id, protection.ciphertext
        )
        == BODY
    )
