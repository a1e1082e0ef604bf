"""Who is told what (API.md), through the API and the worker, with a controllable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app import background
from app.notifications import jobs as notification_jobs
from app.notifications.models import NotificationCause
from tests.accounts.helpers import auth_headers, make_user
from tests.notifications.helpers import INBOX, inbox_types, run_worker
from tests.tips.helpers import count
from tests.triage.helpers import (
    DUTY_DESK,
    load_tip,
    set_tip,
    submit,
)


async def test_new_tip_tells_the_units_leads_and_opted_in_officers(app, client, db, staff):
    r = await client.patch(
        "/api/v1/auth/me", json={"notify_new_tips": True}, headers=staff.headers["officer_a2"]
    )
    assert r.status_code == 200 and r.json()["notify_new_tips"] is True
    tip = await submit(client)
    assert await count(db, NotificationCause) >= 1  # written with the tip
    await run_worker(app)
    assert await inbox_types(db, staff["lead_a"].id) == ["tip.new"]
    assert await inbox_types(db, staff["officer_a2"].id) == ["tip.new"]
    assert await inbox_types(db, staff["officer_a"].id) == []
    assert await inbox_types(db, staff["lead_b"].id) == []
    r = await client.get(INBOX, params={"unread": "true"}, headers=staff.headers["lead_a"])
    assert r.status_code == 200
    body = r.json()
    assert body["unread"] == 1
    [item] = body["items"]
    assert item["reference"] == tip["reference"] and item["tip_id"] == tip["id"]
    assert item["read_at"] is None and tip["reference"] in item["title"]
    assert "hẻm" not in item["body"]  # never the description
    english = await client.get(INBOX, headers={**staff.headers["lead_a"], "Accept-Language": "en"})
    assert english.json()["items"][0]["title"].startswith("New tip")


async def test_inbox_read_and_read_all(app, client, db, staff):
    for _ in range(3):
        await submit(client)
    await run_worker(app)
    headers = staff.headers["lead_a"]
    items = (await client.get(INBOX, headers=headers)).json()["items"]
    assert len(items) == 3
    r = await client.post(f"{INBOX}/{items[0]['id']}/read", headers=headers)
    assert r.status_code == 200 and r.json()["read_at"] is not None
    assert (await client.get(INBOX, headers=headers)).json()["unread"] == 2
    assert (await client.get(INBOX, params={"unread": "true"}, headers=headers)).json()["items"][0][
        "id"
    ] != items[0]["id"]
    # Someone else's notice is not found.
    r = await client.post(f"{INBOX}/{items[1]['id']}/read", headers=staff.headers["lead_b"])
    assert r.status_code == 404
    r = await client.post(f"{INBOX}/read-all", headers=headers)
    assert r.json() == {"marked": 2}
    assert (await client.get(INBOX, headers=headers)).json()["unread"] == 0


async def test_urgent_alert_tells_duty_desk_and_leads_then_escalates(app, client, db, staff):
    desk = await make_user(db, role="officer", unit_code=DUTY_DESK, province_code="79")
    tip = await submit(client, urgent=True)
    await run_worker(app)
    assert await inbox_types(db, desk.id) == ["tip.urgent"]
    assert await inbox_types(db, staff["lead_a"].id) == ["tip.urgent"]  # not also tip.new
    assert await inbox_types(db, staff["supervisor_79"].id) == []

    start = datetime.now(UTC)
    settings = app.state.settings
    # 14 minutes: not yet.
    assert await _escalate_unack(app, start + timedelta(minutes=14)) == 0
    assert await _escalate_unack(app, start + timedelta(minutes=16)) == 1
    assert await _escalate_unack(app, start + timedelta(minutes=17)) == 0  # once
    await run_worker(app)
    assert await inbox_types(db, staff["supervisor_79"].id) == ["tip.escalated"]
    assert await inbox_types(db, staff["supervisor_01"].id) == []
    assert (await load_tip(db, tip["id"])).escalation_level == 1
    assert settings.urgent_ack_minutes == 15


async def test_acknowledged_urgent_alert_is_not_escalated(app, client, db, staff):
    desk = await make_user(db, role="officer", unit_code=DUTY_DESK, province_code="79")
    tip = await submit(client, urgent=True)
    url = f"/api/v1/tips/{tip['id']}/alerts/acknowledge"
    await run_worker(app)
    r = await client.post(url, headers=staff.headers["officer_b"])
    assert r.status_code == 404  # not in scope
    r = await client.post(url, headers=staff.headers["supervisor_79"])
    assert r.status_code == 403
    r = await client.post(url, headers=auth_headers(app, desk))
    assert r.status_code == 200, r.text
    assert r.json()["escalated"] is False
    later = datetime.now(UTC) + timedelta(hours=1)
    assert await _escalate_unack(app, later) == 0
    await run_worker(app)
    assert await inbox_types(db, staff["supervisor_79"].id) == []


async def _escalate_unack(app, now: datetime) -> int:
    async with app.state.sessionmaker() as session:
        done = await notification_jobs.escalate_unacknowledged(
            session, now=now, settings=app.state.settings
        )
        await session.commit()
    return done


async def _escalate_overdue(app, now: datetime) -> int:
    async with app.state.sessionmaker() as session:
        done = await notification_jobs.escalate_overdue(
            session, now=now, settings=app.state.settings
        )
        await session.commit()
    return done


async def test_assigned_and_reporter_message(app, client, db, staff):
    tip = await submit(client)
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/assign",
        json={"assignee_id": staff["officer_a"].id},
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 200, r.text
    await run_worker(app)
    assert await inbox_types(db, staff["officer_a"].id) == ["tip.assigned"]
    r = await client.post(
        "/api/v1/track/messages",
        json={"body": "Tôi có thêm ảnh chụp biển số xe."},
        headers={"X-Tip-Receipt": tip["receipt"]},
    )
    assert r.status_code == 201, r.text
    await run_worker(app)
    assert await inbox_types(db, staff["officer_a"].id) == ["tip.assigned", "tip.reporter_message"]
    assert "tip.reporter_message" not in await inbox_types(db, staff["lead_a"].id)


async def test_reporter_message_without_assignee_goes_to_leads(app, client, db, staff):
    tip = await submit(client)
    await client.post(
        "/api/v1/track/messages",
        json={"body": "Thêm thông tin về nhóm người."},
        headers={"X-Tip-Receipt": tip["receipt"]},
    )
    await run_worker(app)
    assert await inbox_types(db, staff["lead_a"].id) == ["tip.new", "tip.reporter_message"]


async def test_claim_tells_nobody(app, client, db, staff):
    tip = await submit(client)
    r = await client.post(f"/api/v1/tips/{tip['id']}/claim", headers=staff.headers["officer_a"])
    assert r.status_code == 200, r.text
    await run_worker(app)
    assert await inbox_types(db, staff["officer_a"].id) == []


async def test_overdue_then_escalation_levels(app, client, db, staff):
    tip = await submit(client)
    await client.post(
        f"/api/v1/tips/{tip['id']}/assign",
        json={"assignee_id": staff["officer_a"].id},
        headers=staff.headers["lead_a"],
    )
    deadline = datetime.now(UTC) - timedelta(hours=1)
    await set_tip(db, tip["id"], due_at=deadline)
    result = await background.run_once(app.state.sessionmaker, settings=app.state.settings)
    assert result["emit_overdue"] == "ok: 1"
    await run_worker(app)
    assert "tip.overdue" in await inbox_types(db, staff["officer_a"].id)
    assert "tip.overdue" in await inbox_types(db, staff["lead_a"].id)
    assert await inbox_types(db, staff["supervisor_79"].id) == []

    hours = app.state.settings.escalate_after_hours
    assert await _escalate_overdue(app, deadline + timedelta(hours=hours - 1)) == 0
    assert await _escalate_overdue(app, deadline + timedelta(hours=hours, minutes=1)) == 1
    assert (await load_tip(db, tip["id"])).escalation_level == 1
    assert await _escalate_overdue(app, deadline + timedelta(hours=hours + 2)) == 0
    assert await _escalate_overdue(app, deadline + timedelta(hours=2 * hours, minutes=1)) == 1
    assert (await load_tip(db, tip["id"])).escalation_level == 2
    # Visible on the record and the queue, and the queue's escalated=true filter.
    lead = staff.headers["lead_a"]
    other = await submit(client)
    r = await client.get(f"/api/v1/tips/{tip['id']}", headers=lead)
    assert r.json()["escalation_level"] == 2
    r = await client.get("/api/v1/tips", params={"escalated": "true"}, headers=lead)
    assert [(i["id"], i["escalation_level"]) for i in r.json()["items"]] == [(tip["id"], 2)]
    r = await client.get("/api/v1/tips", params={"escalated": "false"}, headers=lead)
    assert [i["id"] for i in r.json()["items"]] == [other["id"]]
    r = await client.get(
        "/api/v1/tips", params={"escalated": "true"}, headers=staff.headers["supervisor_79"]
    )
    assert [i["id"] for i in r.json()["items"]] == [tip["id"]]
    assert await _escalate_overdue(app, deadline + timedelta(hours=10 * hours)) == 0
    await run_worker(app)
    assert await inbox_types(db, staff["supervisor_79"].id) == ["tip.escalated", "tip.escalated"]
    items = (
        await client.get(INBOX, headers={**staff.headers["supervisor_79"], "Accept-Language": "en"})
    ).json()["items"]
    assert [i["body"].split("(level ")[1] for i in items] == ["2).", "1)."]


async def test_privacy_and_protection_rules_tell_the_leads(app, client, db, staff):
    from app.notifications.service import enqueue

    tip = await submit(client)
    async with app.state.sessionmaker() as session:
        now = datetime.now(UTC)
        assert await enqueue(session, type="protection_request.new", tip_id=tip["id"], at=now) == 1
        for _ in range(2):
            await enqueue(
                session,
                type="privacy_request.due",
                tip_id=tip["id"],
                at=now,
                dedupe_key="privacy_request.due:x:answer_by",
            )
        await session.commit()
    await run_worker(app)
    assert await inbox_types(db, staff["lead_a"].id, tip["id"]) == [
        "tip.new",
        "protection_request.new",
        "privacy_request.due",
    ]
    assert await inbox_types(db, staff["officer_a"].id) == []


async def test_admin_and_supervisor_set_staff_contacts(app, client, db, staff):
    url = f"/api/v1/users/{staff['officer_a'].id}"
    r = await client.patch(url, json={"email": "a@congan.example"}, headers=staff.headers["admin"])
    assert r.status_code == 200 and r.json()["email"] == "a@congan.example"
    r = await client.patch(
        url, json={"phone": "0912345678"}, headers=staff.headers["supervisor_79"]
    )
    assert r.status_code == 200 and r.json()["phone"] == "0912345678"
    r = await client.patch(url, json={"phone": "not a phone"}, headers=staff.headers["admin"])
    assert r.status_code == 422
    r = await client.patch(url, json={"email": None}, headers=staff.headers["admin"])
    assert r.json()["email"] is None
    r = await client.patch(url, json={"phone": "0999999999"}, headers=staff.headers["lead_a"])
    assert r.status_code == 403


async def test_preferences_validate(app, client, db, staff):
    h = staff.headers["officer_a"]
    r = await client.patch("/api/v1/auth/me", json={"notify_channels": ["fax"]}, headers=h)
    assert r.status_code == 422
    r = await client.patch("/api/v1/auth/me", json={"locale": "fr"}, headers=h)
    assert r.status_code == 422
    r = await client.patch(
        "/api/v1/auth/me",
        json={"locale": "en", "notify_channels": ["sms", "sms"], "phone": "0912345678"},
        headers=h,
    )
    assert r.status_code == 200
    assert r.json() == {
        "email": None,
        "phone": "0912345678",
        "locale": "en",
        "notify_channels": ["sms"],
        "web_push": False,
        "notify_new_tips": False,
    }
    r = await client.patch("/api/v1/auth/me", json={}, headers=staff.headers["analyst_key_79"])
    assert r.status_code == 403


async def test_privacy_request_reminder_once_per_deadline(app, client, db, staff):
    from app.privacy.models import PrivacyRequest

    tip = await submit(client)
    now = datetime.now(UTC)
    db.add(
        PrivacyRequest(
            tip_id=tip["id"],
            kind="access",
            status="pending",
            source="reporter",
            answer_by=now + timedelta(days=2),
            due_at=now + timedelta(days=15),
        )
    )
    await db.commit()
    settings = app.state.settings

    async def remind(at: datetime) -> int:
        async with app.state.sessionmaker() as session:
            done = await notification_jobs.remind_privacy_requests(
                session, now=at, settings=settings
            )
            await session.commit()
        return done

    assert await remind(now) == 0
    assert await remind(now + timedelta(days=1, hours=1)) == 1  # a day before answer_by
    assert await remind(now + timedelta(days=1, hours=2)) == 0  # once
    assert await remind(now + timedelta(days=14, hours=1)) == 1  # then before due_at
    await run_worker(app)
    assert await inbox_types(db, staff["lead_a"].id, tip["id"]) == [
        "tip.new",
        "privacy_request.due",
        "privacy_request.due",
    ]
