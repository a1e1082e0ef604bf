"""Where notifications hook into the rest of the app: timeline rows become outbox rows.

Every timeline row (``TipEvent``) whose type someone must be told about gets a
``NotificationCause`` row, inserted by a flush listener in the same flush, hence the same
transaction, as the event itself: a tip that commits has its outbox row, a rolled-back one has
none. The listener costs one INSERT per notifying event and reads nothing; who is told is
decided later by the worker (app.notifications.fanout). Nothing in app.tips or app.triage
imports this package; :func:`install` is called when the app (or a standalone runner) starts.
Sessions opened with ``info={"notifications": False}`` (TINBAO_NOTIFICATIONS_ENABLED=false)
write no outbox rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.notifications.models import NotificationCause
from app.tips.models import TipEvent

# Timeline types that may notify someone (staff or the reporter); app.notifications.rules
# decides whom, when the cause is expanded.
NOTIFYING_EVENTS = frozenset(
    {
        "tip.created",
        "tip.transferred",
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


def _after_flush(session: Session, _context: Any) -> None:
    if session.info.get("notifications") is False:
        return
    rows: list[dict[str, Any]] = [
        {
            "type": obj.type,
            "tip_id": obj.tip_id,
            "tip_event_id": obj.id,
            "at": obj.at,
            "data": {},
            "created_at": utcnow(),
            "updated_at": utcnow(),
        }
        for obj in session.new
        if isinstance(obj, TipEvent) and obj.type in NOTIFYING_EVENTS
    ]
    if rows:
        rows.sort(key=lambda row: row["tip_event_id"])
        session.connection().execute(insert(NotificationCause), rows)


def install() -> None:
    """Register the flush listener once per process."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def configure(sessionmaker: async_sessionmaker[AsyncSession], *, enabled: bool) -> None:
    """Mark the sessions of ``sessionmaker`` as writing outbox rows or not."""
    info = dict(sessionmaker.kw.get("info") or {})
    info["notifications"] = enabled
    sessionmaker.configure(info=info)
