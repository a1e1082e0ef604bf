"""Where notifications hook into the rest of the app: timeline rows become outbox rows.

Every timeline row (``TipEvent``) whose type someone must be told about gets a
``NotificationCause`` row, inserted by a flush listener in the same flush, hence the same
transaction, as the event itself: a tip that commits has its outbox row, a rolled-back one has
none. The listener costs one INSERT per notifying event and reads nothing; who is told is
decided later by the worker (app.notifications.fanout). Nothing in app.tips or app.triage
imports this package; :func:`install` is called when the app (or a standalone runner) starts.
Sessions opened with ``info={"notifications": False}`` (TINBAO_NOTIFICATIONS_ENABLED=false)
write no outbox rows.

Timeline rows written by a Core INSERT are not in ``session.new``, so the flush listener never
sees them; :func:`record_causes` writes their outbox rows in one multi-row INSERT of the same
transaction. Intake's rows (app.tips.timeline.insert_events) reach it through the timeline's
own listener, which :func:`install` registers; an administrative change-set moving thousands
of tips passes its rows to it itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.notifications.models import NotificationCause
from app.tips import timeline
from app.tips.models import TipEvent

# Timeline types that may notify someone (staff or the reporter); app.notifications.rules
# decides whom, when the cause is expanded.
NOTIFYING_EVENTS = frozenset(
    {
        "tip.created",
        "tip.transferred",
        "tip.rerouted",  # moved by an administrative change-set (written in bulk)
        "tip.urgent",
        "tip.assigned",
        "tip.message_added",
        "tip.status_changed",
        "tip.acknowledged",
        "tip.overdue",
        "tip.acknowledge_overdue",
        "tip.escalated",
        "privacy_request.due",
        "protection_request.new",
        "tip.complaint_filed",
    }
)


def _cause_rows(events: Iterable[tuple[int, str | None, str, datetime]]) -> list[dict[str, Any]]:
    """Outbox rows for timeline rows given as (id, tip_id, type, at), in event order."""
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "type": type_,
            "tip_id": tip_id,
            "tip_event_id": event_id,
            "at": at,
            "data": {},
            "created_at": now,
            "updated_at": now,
        }
        for event_id, tip_id, type_, at in events
        if type_ in NOTIFYING_EVENTS
    ]
    rows.sort(key=lambda row: row["tip_event_id"])
    return rows


def _after_flush(session: Session, _context: Any) -> None:
    if session.info.get("notifications") is False:
        return
    rows = _cause_rows(
        (obj.id, obj.tip_id, obj.type, obj.at) for obj in session.new if isinstance(obj, TipEvent)
    )
    if rows:
        session.connection().execute(insert(NotificationCause), rows)


async def record_causes(
    session: AsyncSession, events: Iterable[tuple[int, str | None, str, datetime]]
) -> int:
    """Outbox rows for timeline rows inserted in bulk, given as (id, tip_id, type, at): one
    multi-row INSERT in the caller's transaction; how many. Nothing when the session writes
    no outbox rows (``info={"notifications": False}``)."""
    if session.sync_session.info.get("notifications") is False:
        return 0
    rows = _cause_rows(events)
    if rows:
        await session.execute(insert(NotificationCause), rows)
    return len(rows)


def install() -> None:
    """Register the flush listener, and the listener of timeline rows intake inserts by a
    Core INSERT (app.tips.timeline.insert_events), once per process."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
    timeline.on_events_inserted(record_causes)


def configure(sessionmaker: async_sessionmaker[AsyncSession], *, enabled: bool) -> None:
    """Mark the sessions of ``sessionmaker`` as writing outbox rows or not."""
    info = dict(sessionmaker.kw.get("info") or {})
    info["notifications"] = enabled
    sessionmaker.configure(info=info)
