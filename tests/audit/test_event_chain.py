"""The audit chain covers tip events: an edited or deleted event is found; anchors outside the
database find the deletion of the newest entries and events."""

from __future__ import annotations

import asyncio
import json
import stat

import anyio
import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from app.audit import anchor as anchors
from app.audit import events
from app.audit.models import AuditEntry
from app.background import JOBS
from app.cli import cli
from app.core.db import utcnow
from app.integration.worker import sync_feed
from app.tips.models import TipEvent
from app.triage.jobs import run_job
from tests.accounts.helpers import auth_headers, make_user
from tests.integration.helpers import BA_DINH_UNIT, event_row, make_tip
from tests.integration.receiver import running_receiver
from tests.tips.helpers import TIPS, payload

VERIFY = "/api/v1/audit/verify"


async def tips_with_a_transfer(client, db, app) -> TipEvent:
    for _ in range(3):
        assert (await client.post(TIPS, json=payload())).status_code == 201
    tip = await make_tip(db)
    transfer = event_row(
        tip, "tip.transferred", data={"from_unit": tip.assigned_unit_code, "to_unit": BA_DINH_UNIT}
    )
    db.add(transfer)
    await db.commit()
    transfer_id = transfer.id
    await sync_feed(app.state.sessionmaker)
    query = select(TipEvent).where(TipEvent.id == transfer_id)
    return (await db.scalars(query.execution_options(populate_existing=True))).one()


async def verify_api(client, app, admin) -> dict:
    r = await client.get(VERIFY, headers=auth_headers(app, admin))
    assert r.status_code == 200
    return r.json()


async def test_events_are_chained_when_sequenced(client, db, app):
    admin = await make_user(db, role="admin")
    transfer = await tips_with_a_transfer(client, db, app)
    rows = (
        await db.scalars(
            select(TipEvent)
            .order_by(TipEvent.feed_position)
            .execution_options(populate_existing=True)
        )
    ).all()
    assert all(r.chain_hash for r in rows) and len(rows) >= 4
    assert rows[0].chain_hash == events.event_hash("0" * 64, rows[0], rows[0].feed_position)
    assert rows[1].chain_hash == events.event_hash(
        rows[0].chain_hash, rows[1], rows[1].feed_position
    )
    result = await verify_api(client, app, admin)
    assert result["ok"] is True and result["events_checked"] == len(rows)
    assert result["events_head_hash"] == rows[-1].chain_hash
    assert transfer.chain_hash is not None


@pytest.mark.parametrize(
    "tamper",
    [
        'UPDATE tip_events SET data = \'{"to_unit": "CAX-00001"}\' WHERE id = :id',
        "UPDATE tip_events SET unit_code = 'CAX-00001' WHERE id = :id",
        "UPDATE tip_events SET note = 'rewritten' WHERE id = :id",
    ],
)
async def test_an_edited_transfer_event_no_longer_verifies(client, db, app, tamper):
    admin = await make_user(db, role="admin")
    transfer = await tips_with_a_transfer(client, db, app)
    await db.execute(text(tamper), {"id": transfer.id})
    await db.commit()
    result = await verify_api(client, app, admin)
    assert result["ok"] is False
    assert result["first_bad_event_position"] == transfer.feed_position
    assert result["first_bad_id"] is None  # the audit log itself is intact


async def test_a_deleted_event_breaks_the_next(client, db, app):
    admin = await make_user(db, role="admin")
    await tips_with_a_transfer(client, db, app)
    rows = (
        await db.scalars(
            select(TipEvent)
            .order_by(TipEvent.feed_position)
            .execution_options(populate_existing=True)
        )
    ).all()
    victim, following = rows[1], rows[2]
    await db.execute(text("DELETE FROM tip_events WHERE id = :id"), {"id": victim.id})
    await db.commit()
    result = await verify_api(client, app, admin)
    assert result["ok"] is False and result["first_bad_event_position"] == following.feed_position


async def test_concurrent_intake_chains_every_event(client, db, app):
    admin = await make_user(db, role="admin")
    responses = await asyncio.gather(*(client.post(TIPS, json=payload()) for _ in range(12)))
    assert all(r.status_code == 201 for r in responses)
    await sync_feed(app.state.sessionmaker)
    result = await verify_api(client, app, admin)
    count = len((await db.scalars(select(TipEvent))).all())
    assert result["ok"] is True and result["events_checked"] == count >= 12


@pytest.fixture
def cli_env(settings, monkeypatch, tmp_path):
    from app.core.config import get_settings

    anchor_file = tmp_path / "anchors" / "tinbao.anchors"
    monkeypatch.setenv("TINBAO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TINBAO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("TINBAO_AUDIT_ANCHOR_FILE", str(anchor_file))
    get_settings.cache_clear()
    yield anchor_file
    get_settings.cache_clear()


async def run_cli(*args: str):
    return await anyio.to_thread.run_sync(CliRunner().invoke, cli, list(args))


async def test_anchor_detects_deletion_of_the_newest_entries_and_events(client, db, app, cli_env):
    await tips_with_a_transfer(client, db, app)
    await make_user(db, role="admin")  # and some audit entries:
    from app.audit import service as audit

    for i in range(4):
        await audit.record(db, actor=None, action="test.action", object_id=f"o{i}")
    await db.commit()

    anchored = await run_cli("audit", "anchor")
    assert anchored.exit_code == 0, anchored.output
    line = json.loads(cli_env.read_text().strip().splitlines()[-1])
    assert stat.S_IMODE(cli_env.stat().st_mode) == 0o600
    sealed = (
        await db.scalars(select(AuditEntry).where(AuditEntry.action == "audit.anchored"))
    ).one()
    assert line["audit_id"] == sealed.id and line["audit_hash"] == sealed.hash
    assert sealed.data["events_hash"] == line["events_hash"] is not None
    ok = await run_cli("audit", "verify", "--anchors", str(cli_env))
    assert ok.exit_code == 0, ok.output
    assert "1 anchors match" in ok.output

    # Someone with database access deletes the newest audit entries and tip events.
    await db.execute(text("DELETE FROM audit_entries WHERE id >= :id"), {"id": sealed.id - 2})
    await db.execute(
        text("DELETE FROM webhook_deliveries WHERE feed_position >= :p"),
        {"p": line["events_position"]},
    )
    await db.execute(
        text("DELETE FROM tip_events WHERE feed_position >= :p"), {"p": line["events_position"]}
    )
    await db.commit()
    # The shortened chains still verify on their own...
    alone = await run_cli("audit", "verify")
    assert alone.exit_code == 0, alone.output
    # ...but not against the anchor.
    caught = await run_cli("audit", "verify", "--anchors", str(cli_env))
    assert caught.exit_code == 1
    assert f"audit entry {sealed.id}" in caught.output and "missing" in caught.output
    assert f"tip event {line['events_position']}" in caught.output


async def test_cli_verify_reports_an_edited_event(client, db, app, cli_env):
    transfer = await tips_with_a_transfer(client, db, app)
    await db.execute(
        text("UPDATE tip_events SET to_status = 'closed' WHERE id = :id"), {"id": transfer.id}
    )
    await db.commit()
    bad = await run_cli("audit", "verify")
    assert bad.exit_code == 1
    assert f"tip event {transfer.feed_position}" in bad.output


async def test_daily_job_anchors_to_the_file_and_the_webhook(client, db, app, settings, tmp_path):
    await tips_with_a_transfer(client, db, app)
    anchor_file = tmp_path / "daily.anchors"
    (job,) = [j for j in JOBS if j.name == "audit_anchor"]
    with running_receiver() as receiver:
        configured = settings.model_copy(
            update={"audit_anchor_file": anchor_file, "audit_anchor_webhook_url": receiver.url}
        )
        outcome = await run_job(app.state.sessionmaker, job, settings=configured, holder="t")
        again = await run_job(app.state.sessionmaker, job, settings=configured, holder="t")
    assert outcome.startswith("ok")
    assert again == "skipped"  # once a day
    written = anchors.read_anchors(anchor_file.read_text().splitlines())
    assert len(written) == 1 and len(receiver.requests) == 1
    assert json.loads(receiver.requests[0].body) == json.loads(written[0].as_json())
    assert await anchors.check_anchors(db, written) == []
    assert utcnow()  # the clock is the app's
