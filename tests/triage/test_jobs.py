"""The scheduler: leases, and tip.overdue exactly once per tip and deadline."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app import background
from app.core.time import as_utc
from app.tips.models import IdempotencyRecord
from app.triage import jobs
from app.triage.models import JobLock
from tests.triage.helpers import (
    events_of,
    load_tip,
    make_staff,
    move,
    set_tip,
    submit,
    submit_security,
)


async def test_concurrent_runs_emit_one_overdue_event_per_tip(app, client, db):
    staff = await make_staff(db, app)
    past = datetime.now(UTC) - timedelta(hours=1)
    late = [await submit_security(client) for _ in range(3)]
    on_time = await submit_security(client)
    suspended = await submit(client)
    for tip in late:
        await set_tip(db, tip["id"], due_at=past)
    h = staff.headers["officer_a"]
    for to in ("verifying", "suspended"):
        await client.post(f"/api/v1/tips/{suspended['id']}/transitions", json=move(to), headers=h)
    await set_tip(db, suspended["id"], due_at=past, transfer_due_at=None)

    settings = app.state.settings
    results = await asyncio.gather(
        background.run_once(app.state.sessionmaker, settings=settings),
        background.run_once(app.state.sessionmaker, settings=settings),
    )
    assert sorted(r["emit_overdue"] for r in results) in (["ok: 0", "ok: 3"], ["ok: 3", "skipped"])
    for tip in late:
        events = await events_of(db, tip["id"], "tip.overdue")
        assert len(events) == 1
        assert events[0].data["deadline"] == "due_at" and not events[0].public
        row = await load_tip(db, tip["id"])
        assert as_utc(row.overdue_notified_for) == as_utc(past)
    assert await events_of(db, on_time["id"], "tip.overdue") == []
    assert await events_of(db, suspended["id"], "tip.overdue") == []

    # Run again: nothing new. The lease was released.
    again = await background.run_once(app.state.sessionmaker, settings=settings)
    assert again["emit_overdue"] == "ok: 0"
    db.expire_all()
    lock = await db.get(JobLock, "emit_overdue")
    assert lock is not None and lock.holder is None and lock.lease_until is None
    assert lock.last_result == "ok: 0"


async def test_extended_deadline_that_passes_again_is_reported_again(app, client, db):
    await make_staff(db, app)
    tip = await submit_security(client)
    first = datetime.now(UTC) - timedelta(days=2)
    await set_tip(db, tip["id"], due_at=first)
    now = datetime.now(UTC)
    await background.run_once(app.state.sessionmaker, settings=app.state.settings, now=now)
    await set_tip(db, tip["id"], due_at=first + timedelta(days=1))
    await background.run_once(app.state.sessionmaker, settings=app.state.settings, now=now)
    events = await events_of(db, tip["id"], "tip.overdue")
    assert [e.data["due_at"] for e in events] == [
        first.isoformat(),
        (first + timedelta(days=1)).isoformat(),
    ]


async def test_unforwarded_crime_tip_is_reported(app, client, db):
    await make_staff(db, app)
    tip = await submit(client)
    row = await load_tip(db, tip["id"])
    later = as_utc(row.transfer_due_at) + timedelta(minutes=1)
    result = await background.run_once(
        app.state.sessionmaker, settings=app.state.settings, now=later
    )
    assert result["emit_overdue"] == "ok: 1"
    (event,) = await events_of(db, tip["id"], "tip.overdue")
    assert event.data["deadline"] == "transfer_due_at"


async def test_a_held_lease_skips_the_job(app, db):
    now = datetime.now(UTC)
    async with app.state.sessionmaker() as session:
        assert await jobs.acquire_lease(session, name="emit_overdue", holder="other", now=now)
        await session.commit()
    result = await background.run_once(app.state.sessionmaker, settings=app.state.settings)
    assert result["emit_overdue"] == "skipped"
    # The lease runs out: the next worker takes over.
    result = await background.run_once(
        app.state.sessionmaker,
        settings=app.state.settings,
        now=now + jobs.LEASE + timedelta(seconds=1),
    )
    assert result["emit_overdue"].startswith("ok")


async def test_expired_idempotency_records_are_purged(app, client, db):
    r = await client.post(
        "/api/v1/tips",
        json={
            "category_code": "drugs",
            "description": "Có người bán ma túy ở cuối hẻm 12 mỗi tối.",
            "location": {"commune_code": "26740"},
            "anonymous": True,
        },
        headers={"Idempotency-Key": "purge-retry-key-0001"},
    )
    assert r.status_code == 201
    db.expire_all()
    assert len(list(await db.scalars(select(IdempotencyRecord)))) == 1
    result = await background.run_once(
        app.state.sessionmaker,
        settings=app.state.settings,
        now=datetime.now(UTC) + timedelta(hours=25),
    )
    assert result["purge_idempotency"] == "ok: 1"
    db.expire_all()
    assert list(await db.scalars(select(IdempotencyRecord))) == []


async def test_scheduler_starts_and_stops_with_the_app(app, settings):
    from app.main import create_app

    enabled = settings.model_copy(
        update={"scheduler_enabled": True, "scheduler_interval_seconds": 3600}
    )
    scheduled = create_app(enabled)
    async with scheduled.router.lifespan_context(scheduled):
        task = scheduled.state.runner
        assert not task.done()
        for _ in range(100):  # the first pass runs at once
            async with app.state.sessionmaker() as session:
                lock = await session.get(JobLock, "emit_overdue")
            if lock is not None and lock.last_run_at is not None:
                break
            await asyncio.sleep(0.05)
        assert lock is not None and lock.last_result == "ok: 0"
    assert task.done()
    assert scheduled.state.runner is None


def test_cli_run_once(settings, sync_engine, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from app.cli import cli
    from app.core.config import get_settings
    from tests.conftest import clean_transactional_tables

    monkeypatch.setenv("TINBAO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TINBAO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TINBAO_MEDIA_DIR", str(tmp_path / "media"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["jobs", "run-once"])
    finally:
        get_settings.cache_clear()
        clean_transactional_tables(sync_engine)  # the job_locks rows it wrote
    assert result.exit_code == 0, result.output
    assert "emit_overdue: ok: 0" in result.output
    assert "purge_idempotency: ok" in result.output
