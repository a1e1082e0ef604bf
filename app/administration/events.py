"""The one way a reference change is recorded: an audit entry, a ``reference.changed`` event on
the feed, and the reference caches of this worker dropped once the transaction commits (other
workers refresh within the caches' TTL)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.admin_units.service import invalidate_place_cache
from app.audit import service as audit
from app.core.db import utcnow
from app.core.principal import Principal
from app.integration.models import FeedEventType
from app.tips.timeline import record_feed_event
from app.units.deadlines import invalidate_calendar_cache
from app.units.service import invalidate_reference_cache


class ReferenceKind(StrEnum):
    category = "category"
    unit = "unit"
    calendar = "calendar"
    movement_model = "movement_model"
    admin_units = "admin_units"


_PENDING = "tinbao.reference_changed"


def _invalidate_all(session: Session) -> None:
    session.info.pop(_PENDING, None)
    invalidate_reference_cache()
    invalidate_calendar_cache()
    invalidate_place_cache()


async def reference_changed(
    session: AsyncSession,
    *,
    actor: Principal | None,
    kind: ReferenceKind,
    code: str,
    action: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Record one change of reference data in the caller's transaction (flushed).
    ``actor`` None is the command line (``tinbao admin-units apply``)."""
    label = actor.label if actor else "cli"
    await audit.record(
        session,
        actor=actor,
        actor_label=label,
        action=action,
        object_type=kind.value,
        object_id=code,
        data=data,
    )
    record_feed_event(
        session,
        type=FeedEventType.reference_changed.value,
        at=utcnow(),
        actor_id=actor.id if actor and actor.kind == "user" else None,
        actor_label=label[:64],
        data={"kind": kind.value, "code": code},
    )
    await session.flush()
    sync_session = session.sync_session
    if _PENDING not in sync_session.info:
        sync_session.info[_PENDING] = True
        event.listen(sync_session, "after_commit", _invalidate_all, once=True)
