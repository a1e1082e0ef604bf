"""The hash chain: intact after appends (also concurrent ones), and any edit, deletion or
reordering done behind the application's back is found."""

from __future__ import annotations

import asyncio

import anyio
from sqlalchemy import select, text
from typer.testing import CliRunner

from app.audit import service as audit
from app.audit.models import AuditEntry
from app.cli import cli
from tests.accounts.helpers import auth_headers, make_user

VERIFY = "/api/v1/audit/verify"


async def append(db, count: int, *, action: str = "test.action") -> None:
    for i in range(count):
        await audit.record(db, actor=None, action=action, object_id=f"obj-{i}", data={"i": i})
    await db.commit()


async def verify_via_api(client, app, admin) -> dict:
    r = await client.get(VERIFY, headers=auth_headers(app, admin))
    assert r.status_code == 200
    return r.json()


async def test_empty_log_verifies(db):
    result = await audit.verify(db)
    assert (result.ok, result.checked, result.first_bad_id) == (True, 0, None)


async def test_entries_chain_from_64_zeros(db):
    await append(db, 3)

    entries = (await db.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars().all()

    assert [e.id for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == "0" * 64
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    assert entries[0].actor_label == "system"


async def test_edited_entry_is_detected(client, db, app):
    admin = await make_user(db, role="admin")
    await append(db, 5)
    assert await verify_via_api(client, app, admin) == {
        "ok": True,
        "checked": 5,
        "first_bad_id": None,
        "last_hash": (await db.execute(select(AuditEntry.hash).where(AuditEntry.id == 5))).scalar(),
        "events_checked": 0,
        "first_bad_event_position": None,
        "events_head_hash": None,
    }

    await db.execute(text("UPDATE audit_entries SET reason = 'covered up' WHERE id = 3"))
    await db.commit()

    result = await verify_via_api(client, app, admin)
    assert (result["ok"], result["first_bad_id"], result["checked"]) == (False, 3, 3)


async def test_edited_data_is_detected(db):
    await append(db, 3)
    await db.execute(text("UPDATE audit_entries SET actor_label = 'someone' WHERE id = 1"))
    await db.commit()

    result = await audit.verify(db)

    assert (result.ok, result.first_bad_id) == (False, 1)


async def test_deleted_entry_is_detected(client, db, app):
    admin = await make_user(db, role="admin")
    await append(db, 5)

    await db.execute(text("DELETE FROM audit_entries WHERE id = 2"))
    await db.commit()

    result = await verify_via_api(client, app, admin)
    assert (result["ok"], result["first_bad_id"]) == (False, 3)


async def test_reordered_entries_are_detected(db):
    await append(db, 4)

    # Swap entries 2 and 3 (their ids), as someone rewriting history might.
    await db.execute(text("UPDATE audit_entries SET id = 1000 WHERE id = 2"))
    await db.execute(text("UPDATE audit_entries SET id = 2 WHERE id = 3"))
    await db.execute(text("UPDATE audit_entries SET id = 3 WHERE id = 1000"))
    await db.commit()

    result = await audit.verify(db)
    assert (result.ok, result.first_bad_id) == (False, 2)


async def test_appends_keep_the_chain_valid(app, db, is_postgres):
    """On PostgreSQL, many transactions append at once (the advisory lock serializes them);
    SQLite runs the same appends one after another."""

    async def one_append(i: int) -> None:
        async with app.state.sessionmaker() as session:
            await audit.record(session, actor=None, action="test.concurrent", object_id=str(i))
            await asyncio.sleep(0.01)  # hold the transaction open: invite interleaving
            await session.commit()

    if is_postgres:
        await asyncio.gather(*(one_append(i) for i in range(16)))
    else:
        for i in range(16):
            await one_append(i)

    result = await audit.verify(db)
    assert (result.ok, result.checked) == (True, 16)
    prev_hashes = (await db.execute(select(AuditEntry.prev_hash))).scalars().all()
    assert len(set(prev_hashes)) == 16  # no two entries chained onto the same predecessor


async def test_rolled_back_append_leaves_no_gap(app, db):
    await append(db, 2)
    async with app.state.sessionmaker() as session:
        await audit.record(session, actor=None, action="test.rolled_back")
        await session.rollback()
    await append(db, 1)

    result = await audit.verify(db)
    assert (result.ok, result.checked) == (True, 3)


async def test_cli_verify_exits_nonzero_when_tampered(db, settings, monkeypatch, tmp_path):
    from app.core.config import get_settings

    monkeypatch.setenv("TINBAO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TINBAO_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        await append(db, 3)
        ok = await anyio.to_thread.run_sync(runner.invoke, cli, ["audit", "verify"])
        assert ok.exit_code == 0, ok.output
        assert "ok: 3 entries" in ok.output

        await db.execute(text("UPDATE audit_entries SET object_id = 'x' WHERE id = 2"))
        await db.commit()
        bad = await anyio.to_thread.run_sync(runner.invoke, cli, ["audit", "verify"])
        assert bad.exit_code == 1
        assert "entry 2" in bad.output
    finally:
        get_settings.cache_clear()
