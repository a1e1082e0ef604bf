"""The one writer of a tip's timeline (``TipEvent`` rows).

Every place that records something about a tip — intake, the reporter's follow-up, the staff
workflow, the scheduler — calls :func:`record_event`, so whatever must happen with each event
(the change feed, notifications, the audit chain) has one place to hook in. Intake writes its
entries by a Core INSERT instead (:func:`insert_events`, no unit of work): what a flush
listener does for the others, a listener of :func:`on_events_inserted` does for those. The
change feed and the audit chain need no hook: the sequencer numbers and chains every
committed row without a feed position, however it was inserted (app.integration.feed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization
from app.core.principal import Principal
from app.core.rows import Rows
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


def event_values(
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
) -> dict[str, Any]:
    """The columns of a timeline entry (by attribute name), for :func:`record_event` or a
    Core INSERT (:func:`insert_events`).

    A public entry reaches the reporter's /track timeline as the tip's current public status
    with a neutral message (app.tips.status), or ``public_message`` (a line staff wrote for the
    reporter); ``public_status`` overrides the status shown (a transfer shows ``processing``,
    never a second ``received``). Notes never reach the reporter. ``unit_code`` defaults to the
    unit holding the tip; ``actor_label`` overrides the label (see :func:`filer_label`).
    """
    staff = actor if isinstance(actor, Principal) else None
    return {
        "tip_id": tip.id,
        "type": type,
        "at": at,
        "actor_id": staff.id if staff is not None and staff.kind == "user" else None,
        "actor_label": actor_label or (staff.label if staff is not None else actor),
        "unit_code": unit_code or tip.assigned_unit_code,
        "from_status": from_status,
        "to_status": to_status,
        "public": public,
        "public_status": (public_status or public_status_for(tip.status)) if public else None,
        "public_message": public_message if public else None,
        "note": note,
        "data": data or {},
    }


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
    """Add a timeline entry to the session (the caller flushes); the keywords are those of
    :func:`event_values`, which says what they mean."""
    values = event_values(
        tip=tip,
        type=type,
        actor=actor,
        at=at,
        data=data,
        from_status=from_status,
        to_status=to_status,
        note=note,
        public=public,
        unit_code=unit_code,
        public_message=public_message,
        public_status=public_status,
        actor_label=actor_label,
    )
    event = TipEvent(**values)
    session.add(event)
    return event


# (id, tip_id, type, at) of a timeline row written by a Core INSERT.
InsertedEvent = tuple[int, str | None, str, datetime]
EventsListener = Callable[[AsyncSession, Sequence[InsertedEvent]], Awaitable[object]]
_EVENT_ROWS = Rows(TipEvent)
_INSERT_EVENTS = _EVENT_ROWS.table.insert().returning(
    TipEvent.id, TipEvent.tip_id, TipEvent.type, TipEvent.at, sort_by_parameter_order=True
)
_LISTENERS: list[EventsListener] = []


def on_events_inserted(listener: EventsListener) -> None:
    """Call ``listener`` with the rows :func:`insert_events` writes, in the same transaction:
    what a flush listener is for events added to the session (app.notifications.hooks
    installs its outbox writer here too). Once per listener."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


async def insert_events(
    session: AsyncSession, events: Sequence[dict[str, Any]]
) -> list[InsertedEvent]:
    """Write timeline entries (:func:`event_values`) by one Core INSERT, never through the
    unit of work, and hand them to the listeners of :func:`on_events_inserted`; answers
    (id, tip_id, type, at) per entry, in order."""
    if not events:
        return []
    result = await session.execute(_INSERT_EVENTS, [_EVENT_ROWS.row(e) for e in events])
    inserted: list[InsertedEvent] = list(result.tuples())
    for listener in _LISTENERS:
        await listener(session, inserted)
    return inserted


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
    flush listener (app.notifications.hooks), and unlike :func:`insert_events` this calls
    no listener (the change-set CLI runs without ``hooks.install``): the caller hands these
    to ``record_causes``."""
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
