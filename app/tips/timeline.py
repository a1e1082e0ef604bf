"""The one writer of a tip's timeline (``TipEvent`` rows).

Every place that records something about a tip — intake, the reporter's follow-up, the staff
workflow, the scheduler — calls :func:`record_event`, so whatever must happen with each event
(the change feed, notifications, the audit chain) has one place to hook in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization
from app.core.principal import Principal
from app.tips.models import Tip, TipEvent
from app.tips.status import public_status_for

# Who acted when no staff member or API key did.
Actor = Principal | Literal["reporter", "system"]


# Events a tip's reporter causes by filing it: a Front organization's tips show the
# organization there, never the member who typed it (app.triage.record masks older rows).
FILER_EVENTS = frozenset({"tip.created", "tip.urgent"})


def filer_label(organization: Organization | None) -> str:
    """The timeline label of a Front organization filing a tip (its name, as stored: 64)."""
    return (organization.name if organization is not None else "organization")[:64]


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
    public_message: str | None = None,
    public_status: str | None = None,
    actor_label: str | None = None,
) -> TipEvent:
    """Add a timeline entry to the session (the caller flushes).

    A public entry reaches the reporter's /track timeline as the tip's current public status
    with a neutral message (app.tips.status), or ``public_message`` (a line staff wrote for the
    reporter); ``public_status`` overrides the status shown (a transfer shows ``processing``,
    never a second ``received``). Notes never reach the reporter. ``unit_code`` defaults to the
    unit holding the tip; ``actor_label`` overrides the label (see :func:`filer_label`).
    """
    staff = actor if isinstance(actor, Principal) else None
    event = TipEvent(
        tip_id=tip.id,
        type=type,
        at=at,
        actor_id=staff.id if staff is not None and staff.kind == "user" else None,
        actor_label=actor_label or (staff.label if staff is not None else actor),
        unit_code=unit_code or tip.assigned_unit_code,
        from_status=from_status,
        to_status=to_status,
        public=public,
        public_status=(public_status or public_status_for(tip.status)) if public else None,
        public_message=public_message if public else None,
        note=note,
        data=data or {},
    )
    session.add(event)
    return event


async def record_internal_events(
    session: AsyncSession,
    *,
    type: str,
    at: datetime,
    actor_id: str | None,
    actor_label: str,
    rows: Sequence[tuple[str, str, dict[str, Any]]],
) -> list[tuple[int, str | None, str, datetime]]:
    """Many internal entries (never shown on /track) at once, ``rows`` of (tip id, unit
    code, data), in one multi-row INSERT: a change-set moving thousands of tips. Answers
    (id, tip_id, type, at) per row, in order. A Core insert is not seen by the session's
    flush listener (app.notifications.hooks): the caller hands these to ``record_causes``."""
    result = await session.execute(
        insert(TipEvent).returning(
            TipEvent.id, TipEvent.tip_id, TipEvent.type, TipEvent.at, sort_by_parameter_order=True
        ),
        [
            {
                "tip_id": tip_id,
                "type": type,
                "at": at,
                "actor_id": actor_id,
                "actor_label": actor_label,
                "unit_code": unit_code,
                "public": False,
                "data": data,
                "created_at": at,
                "updated_at": at,
            }
            for tip_id, unit_code, data in rows
        ],
    )
    return [(id_, tip_id, type_, at_) for id_, tip_id, type_, at_ in result.tuples()]


def record_feed_event(
    session: AsyncSession,
    *,
    type: str,
    at: datetime,
    actor_id: str | None,
    actor_label: str,
    data: dict[str, Any],
) -> TipEvent:
    """A change-feed entry that belongs to no tip (``reference.changed``): same table and
    numbering as the timeline, so the feed reads both in one order (the caller flushes)."""
    event = TipEvent(
        tip_id=None, type=type, at=at, actor_id=actor_id, actor_label=actor_label, data=data
    )
    session.add(event)
    return event
