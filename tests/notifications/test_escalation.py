"""Escalation to the province's supervisors (API.md, "Who is told what"): tips still overdue for
resolution or for acknowledgement TINBAO_ESCALATE_AFTER_HOURS after the deadline (level 1,
then 2 at twice the delay), and urgent alerts nobody acknowledged; once per tip and level even
with two runs at once. The clock is passed in; nothing sleeps."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from app import background
from app.notifications import jobs as notification_jobs
from tests.accounts.helpers import make_user
from tests.integration.receiver import running_receiver
from tests.integration.test_webhooks import subscribe, work
from tests.notifications.helpers import INBOX, inbox_types, run_worker
from tests.triage.helpers import (
    DUTY_DESK,
    events_of,
    load_tip,
    move,
    set_tip,
    submit,
    submit_security,
)


async def _run(app, job, now: datetime) -> int:
    async with app.state.sessionmaker() as session:
        done = await job(session, now=now, settings=app.state.settings)
        await session.commit()
    return done


async def _ack_late(app, now: datetime) -> int:
    return await _run(app, notification_jobs.escalate_acknowledge_overdue, now)


async def _assign(client, staff, tip) -> None:
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/assign",
        json={"assignee_id": staff["officer_a"].id},
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 200, r.text


async def test_acknowledge_overdue_tells_assignee_leads_then_supervisors(app, client, db, staff):
    tip = await submit(client)
    await _assign(client, staff, tip)
    deadline = datetime.now(UTC) - timedelta(hours=1)
    await set_tip(db, tip["id"], acknowledge_by=deadline)
    result = await background.run_once(app.state.sessionmaker, settings=app.state.settings)
    assert result["emit_acknowledge_overdue"] == "ok: 1"
    assert result["notify_escalate_acknowledge_overdue"] == "ok: 0"  # not 24 h late yet
    await run_worker(app)
    assert "tip.acknowledge_overdue" in await inbox_types(db, staff["officer_a"].id)
    assert "tip.acknowledge_overdue" in await inbox_types(db, staff["lead_a"].id)
    assert "tip.acknowledge_overdue" not in await inbox_types(db, staff["officer_a2"].id)
    assert await inbox_types(db, staff["supervisor_79"].id) == []

    hours = app.state.settings.escalate_after_hours
    assert hours == 24
    assert await _ack_late(app, deadline + timedelta(hours=hours - 1)) == 0
    assert await _ack_late(app, deadline + timedelta(hours=hours, minutes=1)) == 1
    assert (await load_tip(db, tip["id"])).escalation_level == 1
    assert await _ack_late(app, deadline + timedelta(hours=hours + 3)) == 0  # once
    assert await _ack_late(app, deadline + timedelta(hours=2 * hours, minutes=1)) == 1
    assert (await load_tip(db, tip["id"])).escalation_level == 2
    assert await _ack_late(app, deadline + timedelta(hours=10 * hours)) == 0  # no level 3
    events = await events_of(db, tip["id"], "tip.escalated")
    assert [(e.data["level"], e.data["reason"], e.public) for e in events] == [
        (1, "acknowledge_overdue", False),
        (2, "acknowledge_overdue", False),
    ]
    await run_worker(app)
    assert await inbox_types(db, staff["supervisor_79"].id) == ["tip.escalated", "tip.escalated"]
    assert await inbox_types(db, staff["supervisor_01"].id) == []  # another province's
    assert "tip.escalated" not in await inbox_types(db, staff["lead_a"].id)
    items = (
        await client.get(INBOX, headers={**staff.headers["supervisor_79"], "Accept-Language": "en"})
    ).json()["items"]
    assert [i["reference"] for i in items] == [tip["reference"]] * 2
    assert [i["body"].split("(level ")[1] for i in items] == ["2).", "1)."]
    # Visible on the record and through the queue's filter.
    r = await client.get(f"/api/v1/tips/{tip['id']}", headers=staff.headers["lead_a"])
    assert r.json()["escalation_level"] == 2
    r = await client.get(
        "/api/v1/tips", params={"escalated": "true"}, headers=staff.headers["supervisor_79"]
    )
    assert [(i["id"], i["escalation_level"]) for i in r.json()["items"]] == [(tip["id"], 2)]


async def test_acknowledged_closed_or_not_yet_reported_tips_are_not_escalated(
    app, client, db, staff
):
    deadline = datetime.now(UTC) - timedelta(hours=1)
    acknowledged, closed, unreported, late = [await submit_security(client) for _ in range(4)]
    for tip in (acknowledged, closed, late):
        await set_tip(db, tip["id"], acknowledge_by=deadline)
    assert (await background.run_once(app.state.sessionmaker, settings=app.state.settings))[
        "emit_acknowledge_overdue"
    ] == "ok: 3"
    h = staff.headers["lead_a"]
    r = await client.post(f"/api/v1/tips/{acknowledged['id']}/acknowledge", headers=h)
    assert r.status_code == 200, r.text
    r = await client.post(
        f"/api/v1/tips/{closed['id']}/transitions",
        json=move("rejected", note="Không thuộc thẩm quyền"),
        headers=h,
    )
    assert r.status_code == 200, r.text
    # Past the deadline, but its tip.acknowledge_overdue was never written: the assignee and
    # leads are told first, the supervisors only after.
    await set_tip(db, unreported["id"], acknowledge_by=deadline)
    later = deadline + timedelta(hours=3 * app.state.settings.escalate_after_hours)
    assert await _ack_late(app, later) == 1
    for tip in (acknowledged, closed, unreported):
        assert await events_of(db, tip["id"], "tip.escalated") == []
        assert (await load_tip(db, tip["id"])).escalation_level == 0
    # A run that comes after twice the delay takes level 2 at once: one notice, not two.
    [event] = await events_of(db, late["id"], "tip.escalated")
    assert event.data == {"level": 2, "reason": "acknowledge_overdue"}


async def test_an_already_escalated_tip_is_told_again_only_at_the_next_level(
    app, client, db, staff
):
    """The level is the tip's: an urgent alert nobody acknowledged took level 1, so a late
    acknowledgement escalates it again only at level 2."""
    await make_user(db, role="officer", unit_code=DUTY_DESK, province_code="79")
    tip = await submit(client, urgent=True)
    await run_worker(app)
    start = datetime.now(UTC)
    assert await _run(app, notification_jobs.escalate_unacknowledged, start + timedelta(minutes=16))
    deadline = start - timedelta(hours=1)
    await set_tip(db, tip["id"], acknowledge_by=deadline)
    await background.run_once(app.state.sessionmaker, settings=app.state.settings)
    hours = app.state.settings.escalate_after_hours
    assert await _ack_late(app, deadline + timedelta(hours=hours, minutes=1)) == 0
    assert await _ack_late(app, deadline + timedelta(hours=2 * hours, minutes=1)) == 1
    events = await events_of(db, tip["id"], "tip.escalated")
    assert [(e.data["level"], e.data["reason"]) for e in events] == [
        (1, "urgent_unacknowledged"),
        (2, "acknowledge_overdue"),
    ]


async def test_concurrent_runs_escalate_each_tip_once_per_level(app, client, db, staff):
    """Two scheduler passes at once, and the escalation jobs themselves run twice at once in
    separate transactions (bypassing the lease): one tip.escalated per tip and level."""
    await make_user(db, role="officer", unit_code=DUTY_DESK, province_code="79")
    deadline = datetime.now(UTC) - timedelta(hours=1)
    unacknowledged = [await submit(client) for _ in range(3)]
    overdue = [await submit_security(client) for _ in range(3)]
    urgent = await submit(client, urgent=True)
    for tip in unacknowledged:
        await set_tip(db, tip["id"], acknowledge_by=deadline)
    for tip in overdue:
        await client.post(f"/api/v1/tips/{tip['id']}/acknowledge", headers=staff.headers["lead_a"])
        await set_tip(db, tip["id"], due_at=deadline)
    settings = app.state.settings
    await background.run_once(app.state.sessionmaker, settings=settings)
    await run_worker(app)  # raises the urgent alert
    hours = settings.escalate_after_hours
    late_jobs = (
        notification_jobs.escalate_acknowledge_overdue,
        notification_jobs.escalate_overdue,
        notification_jobs.escalate_unacknowledged,
    )
    for level in (1, 2):
        now = deadline + timedelta(hours=level * hours, minutes=1)
        counts = await asyncio.gather(
            background.run_once(app.state.sessionmaker, settings=settings, now=now),
            background.run_once(app.state.sessionmaker, settings=settings, now=now),
            *(_run(app, job, now) for job in late_jobs for _ in range(2)),
        )
        assert counts
        for tip in unacknowledged + overdue:
            events = await events_of(db, tip["id"], "tip.escalated")
            assert [e.data["level"] for e in events] == list(range(1, level + 1)), tip
            assert (await load_tip(db, tip["id"])).escalation_level == level
        assert len(await events_of(db, urgent["id"], "tip.escalated")) == 1
    reasons = {
        e.data["reason"]
        for tip in unacknowledged + overdue
        for e in await events_of(db, tip["id"], "tip.escalated")
    }
    assert reasons == {"acknowledge_overdue", "overdue"}
    await run_worker(app)
    # 6 tips x 2 levels + the urgent alert, each told to the supervisor once.
    assert len(await inbox_types(db, staff["supervisor_79"].id)) == 13


async def test_escalation_is_on_the_feed_and_webhooks_without_personal_data(app, client, db, staff):
    tip = await submit(client)
    with running_receiver() as receiver:
        await subscribe(
            client, staff.headers["supervisor_79"], receiver.url, events=["tip.escalated"]
        )
        deadline = datetime.now(UTC) - timedelta(hours=1)
        await set_tip(db, tip["id"], acknowledge_by=deadline)
        await background.run_once(app.state.sessionmaker, settings=app.state.settings)
        hours = app.state.settings.escalate_after_hours
        assert await _ack_late(app, deadline + timedelta(hours=hours, minutes=1)) == 1
        await work(app)
        [got] = receiver.requests
    sent = json.loads(got.body)
    assert sent["type"] == "tip.escalated" and sent["tip_id"] == tip["id"]
    assert sent["data"]["level"] == 1
    r = await client.get("/api/v1/events", headers=staff.headers["supervisor_79"])
    [item] = [i for i in r.json()["items"] if i["type"] == "tip.escalated"]
    assert item["tip_id"] == tip["id"] and item["data"]["level"] == 1
    assert "hẻm" not in json.dumps(item) and tip["receipt"] not in json.dumps(item)
