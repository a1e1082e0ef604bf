"""Data-subject requests: reporters (through /track) or staff file them; unit leads and
supervisors in scope handle them within the legal deadlines; every step is audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.tips.dependencies import get_now
from app.tips.models import ReporterNotifyContact
from tests.privacy.helpers import (
    ADDRESS,
    EMAIL,
    NAME,
    PHONE,
    REQUESTS,
    TRACK_REQUESTS,
    at,
    audit_entries,
    identity_of,
    receipt_headers,
    submit_reporter,
)
from tests.triage.helpers import make_staff, set_tip, submit

# Friday 20 November 2026, 10:00 in Hà Nội / HCMC.
FRIDAY = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
REASON = "Người báo tin yêu cầu qua tin nhắn ngày 20/11"


@pytest.fixture
def clock(app):
    now = {"value": FRIDAY}
    app.dependency_overrides[get_now] = lambda: now["value"]
    yield now
    app.dependency_overrides.pop(get_now, None)


async def close(db, tip_id: str, when: datetime = FRIDAY) -> None:
    await set_tip(db, tip_id, status="resolved", outcome="not_prosecuted", closed_at=when)


async def test_reporter_access_request_end_to_end(app, client, db, clock):
    staff = await make_staff(db, app)
    tip = await submit_reporter(client)

    r = await client.post(TRACK_REQUESTS, json={"kind": "access"}, headers=receipt_headers(tip))
    assert r.status_code == 201, r.text
    filed = r.json()
    assert filed["kind"] == "access" and filed["status"] == "pending"
    # Answer within 2 working days (Fri → Tue), done within 15 days.
    assert at(filed["answer_by"]) == at("2026-11-24T23:59:59+07:00")
    assert at(filed["due_at"]) == at("2026-12-05T23:59:59+07:00")
    assert filed["contact_data"] is None
    assert r.headers["cache-control"] == "no-store"

    # The unit lead sees it in the list, without any contact data.
    r = await client.get(REQUESTS, headers=staff.headers["lead_a"])
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert item["id"] == filed["id"] and item["reference"] == tip["reference"]
    assert item["source"] == "reporter" and item["overdue"] is False
    for secret in (NAME, PHONE, EMAIL, ADDRESS):
        assert secret not in r.text

    r = await client.post(f"{REQUESTS}/{filed['id']}/acknowledge", headers=staff.headers["lead_a"])
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    r = await client.post(f"{REQUESTS}/{filed['id']}/complete", headers=staff.headers["lead_a"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed" and r.json()["completed_at"]
    assert PHONE not in r.text and NAME not in r.text  # staff never get the data this way

    # The reporter now sees the contact data held, through the receipt header only.
    r = await client.get(TRACK_REQUESTS, headers=receipt_headers(tip))
    assert r.status_code == 200
    [mine] = r.json()
    assert mine["status"] == "completed"
    assert mine["contact_data"] == {
        "full_name": NAME,
        "phone": PHONE,
        "email": EMAIL,
        "address": ADDRESS,
        "organization_name": None,
    }
    assert r.headers["cache-control"] == "no-store"

    # ... for 30 days.
    clock["value"] = FRIDAY + timedelta(days=31)
    r = await client.get(TRACK_REQUESTS, headers=receipt_headers(tip))
    assert r.json()[0]["contact_data"] is None

    # Completing twice is refused; the audit log holds the steps and no personal data.
    r = await client.post(f"{REQUESTS}/{filed['id']}/complete", headers=staff.headers["lead_a"])
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    actions = [
        "privacy_request.filed",
        "privacy_request.acknowledged",
        "privacy_request.completed",
    ]
    for action in actions:
        [entry] = await audit_entries(db, action)
        assert entry.object_id == filed["id"]
        dumped = json.dumps(entry.data, ensure_ascii=False) + (entry.reason or "")
        for secret in (NAME, PHONE, EMAIL, ADDRESS):
            assert secret not in dumped
    [filed_entry] = await audit_entries(db, "privacy_request.filed")
    assert filed_entry.actor_label == "reporter"


async def _notify_contact(db, tip_id: str) -> ReporterNotifyContact | None:
    db.expire_all()
    return await db.get(ReporterNotifyContact, tip_id)


async def test_erasure_is_refused_while_the_tip_is_open_and_done_once_closed(
    app, client, db, clock
):
    staff = await make_staff(db, app)
    tip = await submit_reporter(client)
    r = await client.post(TRACK_REQUESTS, json={"kind": "erasure"}, headers=receipt_headers(tip))
    assert r.status_code == 201
    request_id = r.json()["id"]

    r = await client.post(
        f"{REQUESTS}/{request_id}/complete",
        headers={**staff.headers["supervisor_79"], "Accept-Language": "en"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "refused"
    assert r.json()["refusal_reason"] == "tip_open"
    assert "still being handled" in r.json()["refusal_message"]
    assert (await identity_of(db, tip["id"])).ciphertext is not None
    assert await _notify_contact(db, tip["id"]) is not None  # the reporter's own, from intake
    [refused] = await audit_entries(db, "privacy_request.refused")
    assert refused.data["refusal_reason"] == "tip_open"
    assert refused.data["identity_erased"] is False
    r = await client.get(TRACK_REQUESTS, headers=receipt_headers(tip))
    assert r.json()[0]["status"] == "refused" and r.json()[0]["refusal_message"]

    # Once the tip is closed, the reporter asks again and the identity is erased.
    await close(db, tip["id"])
    r = await client.post(TRACK_REQUESTS, json={"kind": "erasure"}, headers=receipt_headers(tip))
    assert r.status_code == 201
    r = await client.post(f"{REQUESTS}/{r.json()['id']}/complete", headers=staff.headers["lead_a"])
    assert r.status_code == 200 and r.json()["status"] == "completed"
    identity = await identity_of(db, tip["id"])
    assert identity.ciphertext is None and identity.purged_at is not None
    assert await _notify_contact(db, tip["id"]) is None  # no more notices to them either
    [completed] = await audit_entries(db, "privacy_request.completed")
    assert completed.data["identity_erased"] is True

    # Nothing is left to reveal, nor to ask for.
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/reporter/reveal",
        json={"reason": "Cần liên hệ lại người báo tin"},
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 404
    r = await client.post(TRACK_REQUESTS, json={"kind": "access"}, headers=receipt_headers(tip))
    assert r.status_code == 409 and r.json()["code"] == "no_reporter_identity"


async def test_what_reporters_cannot_file(app, client, db, clock):
    anonymous = await submit(client)
    r = await client.post(
        TRACK_REQUESTS, json={"kind": "access"}, headers=receipt_headers(anonymous)
    )
    assert r.status_code == 409 and r.json()["code"] == "no_reporter_identity"

    tip = await submit_reporter(client)
    r = await client.post(TRACK_REQUESTS, json={"kind": "access"}, headers=receipt_headers(tip))
    assert r.status_code == 201
    again = await client.post(TRACK_REQUESTS, json={"kind": "access"}, headers=receipt_headers(tip))
    assert again.status_code == 409 and again.json()["code"] == "privacy_request_open"
    assert again.json()["request_id"] == r.json()["id"]

    for body in ({"kind": "correction"}, {}, {"kind": "access", "extra": 1}):
        r = await client.post(TRACK_REQUESTS, json=body, headers=receipt_headers(tip))
        assert r.status_code == 422, body
    for headers in ({}, {"X-Tip-Receipt": "K7QM-2X9P-4HTR-ZW8C-VN3D"}):
        assert (await client.get(TRACK_REQUESTS, headers=headers)).status_code == 404
        r = await client.post(TRACK_REQUESTS, json={"kind": "access"}, headers=headers)
        assert r.status_code == 404


async def test_staff_filing_and_scope(app, client, db, clock):
    staff = await make_staff(db, app)
    tip = await submit_reporter(client)  # a drug tip at unit A, watched by PC04
    body = {"tip_id": tip["id"], "kind": "access", "note": REASON}

    r = await client.post(REQUESTS, json=body, headers=staff.headers["officer_b"])
    assert r.status_code == 404  # not their unit's: as if it did not exist
    r = await client.post(REQUESTS, json=body, headers=staff.headers["officer_pc04"])
    assert r.status_code == 403  # watching is reading, not acting
    for name in ("analyst_79", "front"):
        r = await client.post(REQUESTS, json=body, headers=staff.headers[name])
        assert r.status_code == 403, name
    assert (await client.post(REQUESTS, json=body)).status_code == 401

    r = await client.post(REQUESTS, json=body, headers=staff.headers["officer_a"])
    assert r.status_code == 201, r.text
    filed = r.json()
    assert filed["source"] == "staff" and filed["note"] == REASON
    [entry] = await audit_entries(db, "privacy_request.filed")
    assert entry.actor_id == staff["officer_a"].id and REASON not in json.dumps(entry.data)

    # Handling: leads of the tip's unit, supervisors of the province, admins.
    visible = {"lead_a", "supervisor_79", "admin"}
    for name in ("lead_a", "lead_b", "supervisor_79", "supervisor_01", "admin"):
        r = await client.get(REQUESTS, headers=staff.headers[name])
        assert r.status_code == 200
        assert [i["id"] for i in r.json()["items"]] == ([filed["id"]] if name in visible else [])
        r = await client.get(f"{REQUESTS}/{filed['id']}", headers=staff.headers[name])
        assert r.status_code == (200 if name in visible else 404), name
    for name in ("officer_a", "analyst_79", "analyst_key_79", "front"):
        assert (await client.get(REQUESTS, headers=staff.headers[name])).status_code == 403
        r = await client.post(f"{REQUESTS}/{filed['id']}/complete", headers=staff.headers[name])
        assert r.status_code == 403, name
    r = await client.post(f"{REQUESTS}/{filed['id']}/complete", headers=staff.headers["lead_b"])
    assert r.status_code == 404

    # An anonymous tip holds nothing to ask for.
    anonymous = await submit(client)
    r = await client.post(
        REQUESTS,
        json={"tip_id": anonymous["id"], "kind": "erasure"},
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 409 and r.json()["code"] == "no_reporter_identity"


async def test_deadlines_and_overdue_filter(app, client, db, clock):
    staff = await make_staff(db, app)
    early = await submit_reporter(client)
    await client.post(TRACK_REQUESTS, json={"kind": "access"}, headers=receipt_headers(early))
    clock["value"] = FRIDAY + timedelta(days=3)  # Monday: the first is not overdue yet
    late = await submit_reporter(client)
    await client.post(TRACK_REQUESTS, json={"kind": "erasure"}, headers=receipt_headers(late))

    lead = staff.headers["lead_a"]
    items = (await client.get(REQUESTS, headers=lead)).json()["items"]
    assert [i["overdue"] for i in items] == [False, False]
    assert [i["reference"] for i in items] == [early["reference"], late["reference"]]

    # Wednesday: the first was due an answer by Tuesday night.
    clock["value"] = FRIDAY + timedelta(days=5)
    r = await client.get(REQUESTS, params={"overdue": "true"}, headers=lead)
    assert [i["reference"] for i in r.json()["items"]] == [early["reference"]]
    assert r.json()["items"][0]["overdue"] is True
    r = await client.get(REQUESTS, params={"overdue": "false"}, headers=lead)
    assert [i["reference"] for i in r.json()["items"]] == [late["reference"]]

    # Acknowledged meets the answer deadline; the 15-day deadline still runs.
    await client.post(f"{REQUESTS}/{items[0]['id']}/acknowledge", headers=lead)
    r = await client.get(REQUESTS, params={"overdue": "true"}, headers=lead)
    assert r.json()["items"] == []
    clock["value"] = FRIDAY + timedelta(days=16)
    r = await client.get(REQUESTS, params={"overdue": "true"}, headers=lead)
    assert [i["reference"] for i in r.json()["items"]] == [early["reference"], late["reference"]]

    # Filters and pages.
    r = await client.get(REQUESTS, params={"kind": "erasure"}, headers=lead)
    assert [i["reference"] for i in r.json()["items"]] == [late["reference"]]
    r = await client.get(REQUESTS, params={"status": "acknowledged"}, headers=lead)
    assert [i["reference"] for i in r.json()["items"]] == [early["reference"]]
    page = (await client.get(REQUESTS, params={"limit": 1}, headers=lead)).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = await client.get(REQUESTS, params={"cursor": page["next_cursor"]}, headers=lead)
    assert [i["reference"] for i in rest.json()["items"]] == [late["reference"]]
    assert rest.json()["next_cursor"] is None
    r = await client.get(REQUESTS, params={"cursor": "not-a-cursor"}, headers=lead)
    assert r.status_code == 422
