"""Complaints against a decision not to prosecute: the 15-day window, the record, the notice
to the unit's leads, and who reads them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.models import Complaint
from app.core.time import LOCAL_TZ, to_local
from app.notifications.models import NotificationCause, NotificationDelivery
from app.tips.models import TipEvent
from tests.complaints.helpers import COMPLAINTS, TRACK, decision, pin_clock, receipt, resolve
from tests.notifications.helpers import inbox_types, run_worker
from tests.triage.helpers import make_staff, submit

BODY = "Tôi không đồng ý: nhân chứng Trần Thị Bích đã thấy rõ việc mua bán."


def _end_of_local_day(day: Any) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL_TZ)


async def _decided(app: Any, client: httpx.AsyncClient, db: AsyncSession, outcome: str) -> Any:
    staff = await make_staff(db, app)
    created = await submit(client)
    await resolve(client, created["id"], staff.headers["officer_a"], outcome)
    return staff, created, await decision(db, created["id"])


async def test_complaint_within_fifteen_days_is_recorded_sealed_and_told_to_the_leads(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    staff, created, event = await _decided(app, client, db, "not_prosecuted")
    last_day = to_local(event.at).date() + timedelta(days=15)
    pin_clock(app, _end_of_local_day(last_day))

    tracked = await client.get(TRACK, headers=receipt(created))
    assert tracked.json()["complaint_deadline"] == last_day.isoformat()
    assert tracked.json()["complaints"] == []

    r = await client.post(COMPLAINTS, json={"body": BODY}, headers=receipt(created))
    assert r.status_code == 201, r.text
    complaint_id = r.json()["id"]

    db.expire_all()
    row = await db.get(Complaint, complaint_id)
    assert row is not None and row.decision_event_id == event.id
    assert "Trần Thị Bích".encode() not in row.ciphertext and b"nh\xc3\xa2n" not in row.ciphertext
    filed = list(
        await db.scalars(
            select(TipEvent).where(
                TipEvent.tip_id == created["id"], TipEvent.type == "tip.complaint_filed"
            )
        )
    )
    assert len(filed) == 1 and filed[0].note is None
    assert "Bích" not in str(filed[0].data) and filed[0].data["complaint_id"] == complaint_id

    await run_worker(app)
    assert "tip.complaint_filed" in await inbox_types(db, staff["lead_a"].id, created["id"])
    assert "tip.complaint_filed" not in await inbox_types(db, staff["officer_a2"].id)

    tracked = await client.get(TRACK, headers=receipt(created))
    assert [c["id"] for c in tracked.json()["complaints"]] == [complaint_id]
    assert BODY not in tracked.text

    # Staff in scope read it (with its text); analysts and keys never do.
    base = f"/api/v1/tips/{created['id']}/complaints"
    for name in ("officer_a", "lead_a", "supervisor_79", "admin"):
        r = await client.get(base, headers=staff.headers[name])
        assert r.status_code == 200, (name, r.text)
        assert [c["body"] for c in r.json()] == [BODY]
    record = f"/api/v1/tips/{created['id']}"
    r = await client.get(record, headers=staff.headers["officer_a"])
    assert [c["id"] for c in r.json()["complaints"]] == [complaint_id]
    r = await client.get(record, headers=staff.headers["analyst_79"])
    assert r.json()["complaints"] is None
    for name, expected in (
        ("analyst_79", 403),
        ("analyst_key_79", 403),
        ("front", 403),
        ("officer_b", 404),
        ("supervisor_01", 404),
    ):
        r = await client.get(base, headers=staff.headers[name])
        assert r.status_code == expected, (name, r.text)
        assert BODY not in r.text

    again = await client.post(COMPLAINTS, json={"body": "Lần hai."}, headers=receipt(created))
    assert again.status_code == 409 and again.json()["code"] == "complaint_already_filed"


async def test_the_window_closes_at_the_end_of_the_fifteenth_day(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _, created, event = await _decided(app, client, db, "not_prosecuted")
    last_day = to_local(event.at).date() + timedelta(days=15)
    pin_clock(app, datetime.combine(last_day + timedelta(days=1), time(0, 0), tzinfo=LOCAL_TZ))

    tracked = await client.get(TRACK, headers=receipt(created))
    assert tracked.json()["complaint_deadline"] is None
    r = await client.post(
        COMPLAINTS, json={"body": BODY}, headers={**receipt(created), "Accept-Language": "en"}
    )
    assert r.status_code == 409
    assert r.json()["code"] == "complaint_window_closed"
    assert r.json()["complaint_deadline"] == last_day.isoformat()
    assert r.headers["content-language"] == "en"
    db.expire_all()
    assert (await db.scalars(select(Complaint))).all() == []


async def test_a_later_delivered_notice_moves_the_window_to_the_deadline_it_gave(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """The reporter was e-mailed the outcome three days after the decision: the deadline in
    that notice holds."""
    _, created, event = await _decided(app, client, db, "not_prosecuted")
    cause = await db.scalar(
        select(NotificationCause).where(NotificationCause.tip_event_id == event.id)
    )
    assert cause is not None
    told = event.at + timedelta(days=3)
    db.add(
        NotificationDelivery(
            cause_id=cause.id,
            type="reporter.outcome",
            recipient=f"reporter:{created['id']}",
            tip_id=created["id"],
            channel="email",
            status="delivered",
            delivered_at=told,
        )
    )
    await db.commit()
    last_day = to_local(told).date() + timedelta(days=15)
    pin_clock(app, _end_of_local_day(last_day))
    tracked = await client.get(TRACK, headers=receipt(created))
    assert tracked.json()["complaint_deadline"] == last_day.isoformat()
    r = await client.post(COMPLAINTS, json={"body": BODY}, headers=receipt(created))
    assert r.status_code == 201, r.text


async def test_no_complaint_before_a_decision_not_to_prosecute(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    staff = await make_staff(db, app)
    open_tip = await submit(client)
    r = await client.post(COMPLAINTS, json={"body": BODY}, headers=receipt(open_tip))
    assert r.status_code == 409 and r.json()["code"] == "complaint_not_open"
    assert (await client.get(TRACK, headers=receipt(open_tip))).json()["complaint_deadline"] is None

    prosecuted = await submit(client)
    await resolve(client, prosecuted["id"], staff.headers["officer_a"], "prosecuted")
    r = await client.post(COMPLAINTS, json={"body": BODY}, headers=receipt(prosecuted))
    assert r.status_code == 409 and r.json()["code"] == "complaint_not_open"


async def test_bad_bodies_and_receipts(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _, created, _ = await _decided(app, client, db, "not_prosecuted")
    for body in ({}, {"body": "   "}, {"body": "x" * 5001}, {"body": "ok", "extra": 1}):
        r = await client.post(COMPLAINTS, json=body, headers=receipt(created))
        assert r.status_code == 422, (body, r.text)
    r = await client.post(
        COMPLAINTS, json={"body": BODY}, headers={"X-Tip-Receipt": "AAAA-BBBB-CCCC-DDDD-EEEE"}
    )
    assert r.status_code == 404


async def test_the_reporter_of_a_merged_duplicate_complains_about_the_decision(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    staff = await make_staff(db, app)
    officer = staff.headers["officer_a"]
    duplicate = await submit(client)
    kept = await submit(client)
    r = await client.post(
        f"/api/v1/tips/{duplicate['id']}/merge",
        json={"into_id": kept["id"], "note": "Cùng một vụ."},
        headers=officer,
    )
    assert r.status_code == 200, r.text
    r = await client.post(COMPLAINTS, json={"body": BODY}, headers=receipt(duplicate))
    assert r.status_code == 409 and r.json()["code"] == "complaint_not_open"

    await resolve(client, kept["id"], officer, "not_prosecuted")
    event = await decision(db, kept["id"])
    pin_clock(app, event.at + timedelta(days=2))
    tracked = await client.get(TRACK, headers=receipt(duplicate))
    last_day = to_local(event.at).date() + timedelta(days=15)
    assert tracked.json()["complaint_deadline"] == last_day.isoformat()
    r = await client.post(COMPLAINTS, json={"body": BODY}, headers=receipt(duplicate))
    assert r.status_code == 201, r.text
    db.expire_all()
    row = await db.get(Complaint, r.json()["id"])
    assert row is not None
    assert (row.tip_id, row.decision_event_id) == (duplicate["id"], event.id)
