"""Retention: the reporter identity of a tip closed longer than
TINBAO_RETENTION_REPORTER_DAYS is purged by the scheduler; open tips never are."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from app import background
from app.core.config import Settings
from app.privacy.retention import purge_expired_reporters
from tests.privacy.helpers import (
    ADDRESS,
    EMAIL,
    NAME,
    PHONE,
    audit_entries,
    identity_of,
    submit_reporter,
)
from tests.triage.helpers import set_tip, submit

NOW = datetime(2031, 11, 20, 3, 0, tzinfo=UTC)


async def test_purges_only_identities_of_tips_closed_past_the_retention(app, client, db):
    days = app.state.settings.retention_reporter_days
    assert days == 1825  # the documented default

    expired = await submit_reporter(client)
    await set_tip(
        db,
        expired["id"],
        status="resolved",
        outcome="prosecuted",
        closed_at=NOW - timedelta(days=days, hours=1),
    )
    recent = await submit_reporter(client)
    await set_tip(db, recent["id"], status="rejected", closed_at=NOW - timedelta(days=days - 1))
    # Received long ago and still open: never purged, whatever its dates say.
    still_open = await submit_reporter(client)
    await set_tip(
        db,
        still_open["id"],
        status="in_progress",
        created_at=NOW - timedelta(days=3 * days),
        closed_at=NOW - timedelta(days=2 * days),
    )
    anonymous = await submit(client)
    await set_tip(db, anonymous["id"], status="resolved", closed_at=NOW - timedelta(days=2 * days))

    async with app.state.sessionmaker() as session:
        assert await purge_expired_reporters(session, now=NOW, settings=app.state.settings) == 1
        await session.commit()

    gone = await identity_of(db, expired["id"])
    assert gone.ciphertext is None and gone.purged_at is not None
    assert (await identity_of(db, recent["id"])).ciphertext is not None
    assert (await identity_of(db, still_open["id"])).ciphertext is not None

    [entry] = await audit_entries(db, "reporter_identity.purged")
    assert entry.object_type == "tip" and entry.object_id == expired["id"]
    assert entry.actor_label == "system" and entry.reason == "retention"
    assert entry.data["reference"] == expired["reference"]
    dumped = json.dumps(entry.data, ensure_ascii=False)
    for secret in (NAME, PHONE, EMAIL, ADDRESS):
        assert secret not in dumped

    # Nothing more to do: a second run purges nothing and writes nothing.
    async with app.state.sessionmaker() as session:
        assert await purge_expired_reporters(session, now=NOW, settings=app.state.settings) == 0
        await session.commit()
    assert len(await audit_entries(db, "reporter_identity.purged")) == 1


async def test_the_scheduler_runs_the_purge_with_the_configured_retention(app, client, db):
    tip = await submit_reporter(client)
    await set_tip(db, tip["id"], status="resolved", closed_at=NOW - timedelta(days=31))
    settings: Settings = app.state.settings.model_copy(update={"retention_reporter_days": 30})

    result = await background.run_once(app.state.sessionmaker, settings=settings, now=NOW)
    assert result["purge_expired_reporters"] == "ok: 1"
    assert (await identity_of(db, tip["id"])).ciphertext is None


def test_retention_setting_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TINBAO_RETENTION_REPORTER_DAYS", "365")
    assert Settings(var_dir=tmp_path).retention_reporter_days == 365
    monkeypatch.setenv("TINBAO_RETENTION_REPORTER_DAYS", "0")
    with pytest.raises(ValueError, match="retention_reporter_days"):
        Settings(var_dir=tmp_path)
