"""API.md's "Who is told what", the parts test_rules.py leaves: the urgent alert on every
channel of every recipient at once, acknowledged by the holding unit; the reporter's
acknowledgement and outcome notices; and that no notice, on any channel or in any language,
holds a description, a name, an officer or the receipt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app import background
from app.notifications import jobs as notification_jobs
from app.notifications import worker
from tests.accounts.helpers import auth_headers, make_user
from tests.notifications.helpers import INBOX, deliveries, inbox_types, run_worker, with_settings
from tests.notifications.peers import http_peer, json_bodies
from tests.tips.helpers import DESCRIPTION, TRACK, payload
from tests.triage.helpers import (
    DUTY_DESK,
    UNIT_B,
    move,
    set_tip,
    submit,
    submit_security,
)

SECRET = "gateway-secret-0123456789"
REPORTER_NAME = "Trần Thị Bích"
REPORTER_PHONE = "0901 222 333"


async def _prefs(client, headers, **body) -> None:
    r = await client.patch("/api/v1/auth/me", json=body, headers=headers)
    assert r.status_code == 200, r.text


async def test_urgent_alert_on_every_channel_at_once_and_the_holding_unit_acknowledges(
    app, client, db, staff
):
    settings = with_settings(
        app,
        smtp_url="smtp://127.0.0.1:9",
        sms_gateway_url="http://127.0.0.1:9/sms",
        sms_gateway_secret=SECRET,
        notify_rate_per_hour=1,
    )
    desk = await make_user(db, role="unit_lead", unit_code=DUTY_DESK, province_code="79")
    desk_id, desk_headers = desk.id, auth_headers(app, desk)
    both = {"email": "x@congan.example", "phone": "0912345678", "notify_channels": ["email", "sms"]}
    await _prefs(client, staff.headers["lead_a"], **both)
    await _prefs(client, desk_headers, **both)
    await submit(client)  # a tip.new takes lead_a's hourly allowance
    tip = await submit(client, urgent=True)
    now = datetime.now(UTC)
    await worker.expand_all(app.state.sessionmaker, settings=settings, cipher=app.state.cipher)
    urgent = await deliveries(db, type="tip.urgent")
    got = sorted((d.user_id, d.channel, d.status, d.urgent) for d in urgent)
    assert got == sorted(
        (user, channel, "pending", True)
        for user in (desk_id, staff["lead_a"].id)
        for channel in ("email", "sms")
    )
    # Due at once (the runner's outbox loop ticks every 2 s), not rate limited.
    assert all(d.next_attempt_at <= now + timedelta(seconds=10) for d in urgent)
    # Someone of the holding unit (not only the duty desk) takes the alert up: no escalation.
    url = f"/api/v1/tips/{tip['id']}/alerts/acknowledge"
    r = await client.post(url, headers=staff.headers["officer_a"])
    assert r.status_code == 200, r.text
    async with app.state.sessionmaker() as session:
        later = now + timedelta(hours=2)
        assert await notification_jobs.escalate_unacknowledged(
            session, now=later, settings=settings
        ) == (0)
        await session.commit()
    assert await inbox_types(db, staff["supervisor_79"].id) == []


async def _walk(client, staff, crime, security) -> None:
    """Everything that tells someone, on two tips: assignment, both directions of the
    conversation, acknowledgement, status changes and outcomes."""
    lead, officer = staff.headers["lead_a"], staff.headers["officer_a"]
    for tip in (crime, security):
        base = f"/api/v1/tips/{tip['id']}"
        r = await client.post(
            f"{base}/assign", json={"assignee_id": staff["officer_a"].id}, headers=lead
        )
        assert r.status_code == 200, r.text
        r = await client.post(f"{base}/acknowledge", headers=officer)
        assert r.status_code == 200, r.text
        r = await client.post(
            f"{base}/messages", json={"body": "Anh Nguyễn Văn Tâm sẽ gọi lại."}, headers=officer
        )
        assert r.status_code == 201, r.text
        r = await client.post(
            f"{TRACK}/messages",
            json={"body": "Biển số xe 59X1-12345."},
            headers={"X-Tip-Receipt": tip["receipt"]},
        )
        assert r.status_code == 201, r.text
        r = await client.post(f"{base}/transitions", json=move("verifying"), headers=officer)
        assert r.status_code == 200, r.text
    outcomes = ((crime, "not_prosecuted"), (security, "handled"))
    for tip, outcome in outcomes:
        r = await client.post(
            f"/api/v1/tips/{tip['id']}/transitions",
            json=move("resolved", outcome=outcome, outcome_summary="Đã làm việc với ông Hùng."),
            headers=officer,
        )
        assert r.status_code == 200, r.text


async def test_no_notice_holds_a_description_name_officer_or_receipt(app, client, db, staff):
    for name in ("lead_a", "officer_a", "supervisor_79"):
        await _prefs(client, staff.headers[name], phone="0912345678", notify_channels=["sms"])
    with http_peer("/sms") as gateway:
        settings = with_settings(app, sms_gateway_url=gateway.url, sms_gateway_secret=SECRET)
        reporter = {"full_name": REPORTER_NAME, "phone": REPORTER_PHONE}
        crime = await submit(client, payload(anonymous=False, reporter=reporter))
        security = await submit_security(client, notify={"phone": REPORTER_PHONE, "locale": "en"})
        # Overdue, then escalated: the assignee, the leads and the supervisors are told.
        late = await submit(client, payload(anonymous=False, reporter=reporter))
        await client.post(
            f"/api/v1/tips/{late['id']}/assign",
            json={"assignee_id": staff["officer_a"].id},
            headers=staff.headers["lead_a"],
        )
        deadline = datetime.now(UTC) - timedelta(hours=1)
        await set_tip(db, late["id"], due_at=deadline, acknowledge_by=deadline)
        await background.run_once(app.state.sessionmaker, settings=settings)
        later = deadline + timedelta(hours=settings.escalate_after_hours, minutes=1)
        async with app.state.sessionmaker() as session:
            await notification_jobs.escalate_overdue(session, now=later, settings=settings)
            await session.commit()
        await _walk(client, staff, crime, security)
        await run_worker(app, settings=settings, now=datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
        await run_worker(app, settings=settings)
    sent = json_bodies(gateway)
    to_reporter = [b["text"] for b in sent if b["to"] == REPORTER_PHONE]
    to_staff = [b["text"] for b in sent if b["to"] != REPORTER_PHONE]
    inbox: list[str] = []
    types: set[str] = set()
    for name in ("lead_a", "officer_a", "supervisor_79"):
        for lang in ("vi", "en"):
            headers = {**staff.headers[name], "Accept-Language": lang}
            items = (await client.get(INBOX, headers=headers)).json()["items"]
            inbox += [f"{i['title']}\n{i['body']}" for i in items]
            types |= {i["type"] for i in items}
    assert types == {
        "tip.new",
        "tip.assigned",
        "tip.reporter_message",
        "tip.overdue",
        "tip.acknowledge_overdue",
        "tip.escalated",
    }
    # The reporters: acknowledged, a staff message, processing, the outcome (crime tip: with
    # the complaint deadline; the security tip's outcome has none), on each tip.
    assert len(to_reporter) == 8, to_reporter
    assert sum("Đơn vị đã xác nhận tiếp nhận tin báo." in t for t in to_reporter) == 1
    assert sum("The police unit acknowledged your report." in t for t in to_reporter) == 1
    assert [t for t in to_reporter if "Khiếu nại" in t or "Complaint" in t] == [
        f"TinBáo {crime['reference']}: Kết quả: không khởi tố. Khiếu nại trước 16/12/2026. "
        "Tra cứu bằng mã biên nhận trên TinBáo."
    ]
    assert f"TinBáo {security['reference']}: Outcome: handled. " in " ".join(to_reporter)
    assert len(to_staff) >= 8
    officers = [staff[n].full_name for n in ("lead_a", "officer_a", "officer_a2")]
    forbidden = [
        DESCRIPTION,
        "hẻm 12",
        "Hẻm 12",
        REPORTER_NAME,
        REPORTER_PHONE,
        "222 333",
        "Nguyễn Văn Tâm",
        "59X1",
        "ông Hùng",
        *officers,
        "Người dùng",
        *(t["receipt"] for t in (crime, security, late)),
    ]
    for text in to_reporter + to_staff + inbox:
        assert not [f for f in forbidden if f in text], text


async def test_a_transferred_tip_is_new_to_the_receiving_units_leads(app, client, db, staff):
    """The holding unit's leads: after a transfer the receiving unit holds the tip (it enters
    it in its own register), so its leads are told of it as of a new tip. The reporter, who
    reads "processing" after a hand-over, is told when that changes their public status."""
    with http_peer("/sms") as gateway:
        settings = with_settings(app, sms_gateway_url=gateway.url, sms_gateway_secret=SECRET)
        tip = await submit(client, notify={"phone": REPORTER_PHONE})
        moving = await submit(client, notify={"phone": "0901 999 888"})
        r = await client.post(
            f"/api/v1/tips/{moving['id']}/transitions",
            json=move("verifying"),
            headers=staff.headers["officer_a"],
        )
        assert r.status_code == 200, r.text
        await run_worker(app, settings=settings)
        for t in (tip, moving):
            r = await client.post(
                f"/api/v1/tips/{t['id']}/transfer",
                json={"unit_code": UNIT_B, "reason": "Địa bàn phường Tân Định"},
                headers=staff.headers["lead_a"],
            )
            assert r.status_code == 200, r.text
        await run_worker(app, settings=settings)
    assert await inbox_types(db, staff["lead_b"].id) == ["tip.new", "tip.new"]
    assert await inbox_types(db, staff["officer_b"].id) == []  # not opted in
    assert await inbox_types(db, staff["lead_a"].id) == ["tip.new", "tip.new"]  # at intake
    items = (await client.get(INBOX, headers=staff.headers["lead_b"])).json()["items"]
    assert sorted(i["reference"] for i in items) == sorted([tip["reference"], moving["reference"]])
    assert all(UNIT_B in i["body"] for i in items)
    texts = [(b["to"], b["text"]) for b in json_bodies(gateway)]
    processing = "Tin báo đang được xử lý."
    # received -> processing by the transfer; the other was already processing (told once).
    assert [to for to, text in texts if processing in text] == ["0901 999 888", REPORTER_PHONE]


async def test_an_alert_acknowledged_before_the_worker_ran_is_not_escalated(app, client, db, staff):
    """The alert is raised when the worker expands the tip.urgent row (every 2 s); a duty
    desk that acknowledges first is not overridden by it, and its users are still told."""
    desk = await make_user(db, role="officer", unit_code=DUTY_DESK, province_code="79")
    desk_id, desk_headers = desk.id, auth_headers(app, desk)
    plain = await submit(client)
    r = await client.post(f"/api/v1/tips/{plain['id']}/alerts/acknowledge", headers=desk_headers)
    assert r.status_code == 404  # raised no alert (and not the desk's tip)
    tip = await submit(client, urgent=True)
    r = await client.post(f"/api/v1/tips/{tip['id']}/alerts/acknowledge", headers=desk_headers)
    assert r.status_code == 200, r.text
    assert r.json()["escalated"] is False
    await run_worker(app)
    assert await inbox_types(db, desk_id) == ["tip.urgent"]
    assert await inbox_types(db, staff["lead_a"].id, tip["id"]) == ["tip.urgent"]
    later = datetime.now(UTC) + timedelta(hours=1)
    async with app.state.sessionmaker() as session:
        done = await notification_jobs.escalate_unacknowledged(
            session, now=later, settings=app.state.settings
        )
        await session.commit()
    assert done == 0
    await run_worker(app)
    assert await inbox_types(db, staff["supervisor_79"].id) == []
