"""Intake writes every row by Core INSERTs: no unit-of-work flush on POST /api/v1/tips, and
the rows (and the outbox rows of its timeline) are those a flush would have written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.media.models import Attachment
from app.notifications.models import NotificationCause
from app.tips.models import (
    IntakeRecord,
    RegisterEntry,
    ReporterIdentity,
    ReporterNotifyContact,
    TipEvent,
    TipWatcher,
)
from tests.accounts.helpers import auth_headers, make_user
from tests.tips.helpers import identified, jpeg_bytes, post_multipart


@pytest.fixture
def flushes() -> Iterator[list[int]]:
    """Each unit-of-work flush (a ``before_flush`` with something pending), of any session."""
    seen: list[int] = []

    def count(session: Session, _context: Any, _instances: Any) -> None:
        seen.append(len(session.new) + len(session.dirty) + len(session.deleted))

    event.listen(Session, "before_flush", count)
    yield seen
    event.remove(Session, "before_flush", count)


async def test_intake_runs_no_unit_of_work_flush(
    app: Any, client: httpx.AsyncClient, db: AsyncSession, flushes: list[int]
) -> None:
    # Every kind of row intake writes: identity and contact, watchers (urgent: the duty desk
    # too), two timeline entries, a file, a staff intake's record, the idempotency record.
    officer = await make_user(db, role="officer", unit_code="CAX-26740", province_code="79")
    await db.commit()
    body = identified(
        channel="walk_in",
        urgent=True,
        intake_record={"recorded": True, "notes": "Có ghi âm."},
    )
    headers = {**auth_headers(app, officer), "Idempotency-Key": "core-intake-no-flush-01"}
    flushes.clear()
    response = await post_multipart(
        client, body, [("a.jpg", jpeg_bytes(), "image/jpeg")], headers=headers
    )
    assert response.status_code == 201, response.text
    assert flushes == []

    created = response.json()
    tip_id = created["id"]
    entry = await db.scalar(select(RegisterEntry).where(RegisterEntry.tip_id == tip_id))
    assert entry is not None and entry.register_number == created["register_number"]
    assert entry.created_at is not None and entry.updated_at is not None
    assert await db.get(ReporterIdentity, tip_id) is not None
    assert await db.get(ReporterNotifyContact, tip_id) is not None
    record = await db.get(IntakeRecord, tip_id)
    assert record is not None and record.recorded is True and record.created_at is not None
    watchers = list(await db.scalars(select(TipWatcher).where(TipWatcher.tip_id == tip_id)))
    assert {w.unit_code for w in watchers} == {u["code"] for u in created["watching_units"]}
    attachment = await db.scalar(select(Attachment).where(Attachment.tip_id == tip_id))
    assert attachment is not None and attachment.created_at is not None
    assert [a["id"] for a in created["attachments"]] == [attachment.id]

    events = list(
        await db.scalars(select(TipEvent).where(TipEvent.tip_id == tip_id).order_by(TipEvent.id))
    )
    assert [e.type for e in events] == ["tip.created", "tip.urgent"]
    assert all(e.created_at is not None and e.feed_position is None for e in events)
    causes = list(
        await db.scalars(
            select(NotificationCause)
            .where(NotificationCause.tip_id == tip_id)
            .order_by(NotificationCause.id)
        )
    )
    assert [(c.tip_event_id, c.type) for c in causes] == [(e.id, e.type) for e in events]

    replay = await post_multipart(
        client, body, [("a.jpg", jpeg_bytes(), "image/jpeg")], headers=headers
    )
    assert replay.status_code == 201 and replay.json() == created
    assert flushes == []
