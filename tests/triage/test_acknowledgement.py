"""Acknowledgement (Joint Circular 01/2017 art. 14(1)) and the 24-hour classification check:
the endpoint, the first transition, the record's flag, and the once-only scheduler events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app import background
from app.notifications.models import NotificationCause
from app.triage import jobs
from tests.tips.helpers import TRACK
from tests.triage.helpers import events_of, load_tip, make_staff, move, set_tip, submit


async def test_acknowledge_sets_the_date_tells_the_reporter_once(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    url = f"/api/v1/tips/{tip['id']}/acknowledge"
    h = staff.headers["officer_a"]
    r = await client.post(url, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["acknowledged_at"] is not None and body["acknowledge_overdue"] is False
    assert body["status"] == "received"  # acknowledging is not a status change
    again = await client.post(url, headers=h)
    assert again.status_code == 200
    assert again.json()["acknowledged_at"] == body["acknowledged_at"]
    events = await events_of(db, tip["id"], "tip.acknowledged")
    assert len(events) == 1 and events[0].public
    causes = list(
        await db.scalars(
            select(NotificationCause).where(
                NotificationCause.tip_id == tip["id"], NotificationCause.type == "tip.acknowledged"
            )
        )
    )
    assert len(causes) == 1
    # The reporter reads it on /track, in their language.
    track = await client.get(
        TRACK, headers={"X-Tip-Receipt": tip["receipt"], "Accept-Language": "en"}
    )
    messages = [item["message"] for item in track.json()["timeline"]]
    assert "The police unit acknowledged receipt of your report." in messages
    # Watchers and other units may not acknowledge.
    other = await submit(client)
    r = await client.post(
        f"/api/v1/tips/{other['id']}/acknowledge", headers=staff.headers["officer_pc04"]
    )
    assert r.status_code == 403
    r = await client.post(
        f"/api/v1/tips/{other['id']}/acknowledge", headers=staff.headers["officer_b"]
    )
    assert r.status_code == 404


async def test_first_transition_acknowledges_and_classifies(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    row = await load_tip(db, tip["id"])
    assert row.acknowledged_at is None and row.classified_at is None
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/transitions",
        json=move("verifying"),
        headers=staff.headers["officer_a"],
    )
    assert r.status_code == 200
    assert r.json()["acknowledged_at"] is not None and r.json()["classified_at"] is not None
    (ack,) = await events_of(db, tip["id"], "tip.acknowledged")
    assert ack.data == {"by": "transition"} and not ack.public


async def test_overdue_acknowledgement_is_flagged(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    await set_tip(db, tip["id"], acknowledge_by=datetime.now(UTC) - timedelta(minutes=1))
    r = await client.get(f"/api/v1/tips/{tip['id']}", headers=staff.headers["officer_a"])
    assert r.json()["acknowledge_overdue"] is True
    await client.post(f"/api/v1/tips/{tip['id']}/acknowledge", headers=staff.headers["officer_a"])
    r = await client.get(f"/api/v1/tips/{tip['id']}", headers=staff.headers["officer_a"])
    assert r.json()["acknowledge_overdue"] is False


async def test_concurrent_runs_emit_each_check_once_per_tip(app, client, db):
    staff = await make_staff(db, app)
    past = datetime.now(UTC) - timedelta(hours=1)
    late = [await submit(client) for _ in range(3)]
    for tip in late:
        await set_tip(db, tip["id"], acknowledge_by=past, classify_by=past)
    acknowledged = await submit(client)
    await client.post(
        f"/api/v1/tips/{acknowledged['id']}/acknowledge", headers=staff.headers["officer_a"]
    )
    await set_tip(db, acknowledged["id"], acknowledge_by=past, classify_by=past)
    classified = await submit(client)
    await client.post(
        f"/api/v1/tips/{classified['id']}/transitions",
        json=move("verifying"),
        headers=staff.headers["officer_a"],
    )
    await set_tip(db, classified["id"], acknowledge_by=past, classify_by=past)
    on_time = await submit(client)

    settings = app.state.settings
    results = await asyncio.gather(
        background.run_once(app.state.sessionmaker, settings=settings),
        background.run_once(app.state.sessionmaker, settings=settings),
        # Run the checks themselves concurrently too, bypassing the lease.
        *(
            jobs.run_job(app.state.sessionmaker, job, settings=settings, holder=f"h{i}")
            for i, job in enumerate(j for j in background.JOBS if j.name.endswith("_overdue"))
        ),
    )
    assert results
    for tip in late:
        assert len(await events_of(db, tip["id"], "tip.acknowledge_overdue")) == 1
        assert len(await events_of(db, tip["id"], "tip.classify_overdue")) == 1
    assert await events_of(db, acknowledged["id"], "tip.acknowledge_overdue") == []
    assert len(await events_of(db, acknowledged["id"], "tip.classify_overdue")) == 1
    assert await events_of(db, classified["id"], "tip.classify_overdue") == []
    assert await events_of(db, classified["id"], "tip.acknowledge_overdue") == []
    assert await events_of(db, on_time["id"], "tip.acknowledge_overdue") == []
    assert await events_of(db, on_time["id"], "tip.classify_overdue") == []

    # Later runs add nothing.
    again = await background.run_once(app.state.sessionmaker, settings=settings)
    assert again["emit_acknowledge_overdue"] == "ok: 0"
    assert again["emit_classify_overdue"] == "ok: 0"


async def test_two_sessions_marking_the_same_tip_write_one_event(app, client, db):
    """Without the lease: two check runs in separate transactions at once."""
    await make_staff(db, app)
    tip = await submit(client)
    past = datetime.now(UTC) - timedelta(hours=1)
    await set_tip(db, tip["id"], acknowledge_by=past)
    now = datetime.now(UTC)

    async def run() -> int:
        async with app.state.sessionmaker() as session:
            count = await jobs.emit_acknowledge_overdue(
                session, now=now, settings=app.state.settings
            )
            await session.commit()
            return count

    counts = await asyncio.gather(run(), run())
    assert sorted(counts) == [0, 1]
    assert len(await events_of(db, tip["id"], "tip.acknowledge_overdue")) == 1
