"""The one writer of a tip's timeline (``TipEvent`` rows).

Every place that records something about a tip — intake, the reporter's follow-up, the staff
workflow, the scheduler — calls :func:`record_event`, so whatever must happen with each event
(the change feed, notifications, the audit chain) has one place to hook in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.principal import Principal
from app.tips.models import Tip, TipEvent
from app.tips.status import public_status_for

# Who acted when no staff member or API key did.
Actor = Principal | Literal["reporter", "system"]


def record_event(
    session: AsyncSession,
    *,
    tip: Tip,
    type: str,
    actor: Actor,
    at: datetime,
    data: dict[str, Any] | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
    public: bool = False,
    unit_code: str | None = None,
) -> TipEvent:
    """Add a timeline entry to the session (the caller flushes).

    A public entry reaches the reporter's /track timeline as the tip's current public status
    with a neutral message (app.tips.status); notes never do. ``unit_code`` defaults to the
    unit holding the tip.
    """
    staff = actor if isinstance(actor, Principal) else None
    event = TipEvent(
        tip_id=tip.id,
        type=type,
        at=at,
        actor_id=staff.id if staff is not None and staff.kind == "user" else None,
        actor_label=staff.label if staff is not None else actor,
        unit_code=unit_code or tip.assigned_unit_code,
        from_status=from_status,
        to_status=to_status,
        public=public,
        public_status=public_status_for(tip.status) if public else None,
        public_message=None,
        note=note,
        data=data or {},
    )
    session.add(event)
    return event
