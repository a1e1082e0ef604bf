"""The one writer of a tip's timeline (``TipEvent`` rows).

Every place that records something about a tip — intake, the reporter's follow-up, the staff
workflow, the scheduler — calls :func:`record_event`, so whatever must happen with each event
(the change feed, notifications, the audit chain) has one place to hook in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import FromClause, Insert
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
    event = TipEvent(
        **event_values(
            tip_id=tip.id,
            tip_status=tip.status,
            assigned_unit_code=tip.assigned_unit_code,
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
    )
    session.add(event)
    return event


def event_values(
    *,
    tip_id: str,
    tip_status: str,
    assigned_unit_code: str,
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
    """The column values of a timeline entry (see :func:`record_event`); intake inserts them
    with Core statements, everything else through :func:`record_event`."""
    staff = actor if isinstance(actor, Principal) else None
    return {
        "tip_id": tip_id,
        "type": type,
        "at": at,
        "actor_id": staff.id if staff is not None and staff.kind == "user" else None,
        "actor_label": actor_label or (staff.label if staff is not None else actor),
        "unit_code": unit_code or assigned_unit_code,
        "from_status": from_status,
        "to_status": to_status,
        "public": public,
        "public_status": (public_status or public_status_for(tip_status)) if public else None,
        "public_message": public_message if public else None,
        "note": note,
        "data": data or {},
        "created_at": at,
        "updated_at": at,
    }


# What must be written with timeline rows inserted by Core statements (intake), which the ORM
# flush listeners (app.notifications.hooks) do not see: given the session, the inserted rows
# (a FROM clause with columns id, type, tip_id, at) and the time, an ``INSERT … SELECT`` to
# run in the same transaction (on PostgreSQL, in the same statement), or None.
InsertedEventsFollower = Callable[[AsyncSession, FromClause, datetime], Insert | None]
_followers: list[InsertedEventsFollower] = []


def follow_inserted_events(follower: InsertedEventsFollower) -> None:
    """Register ``follower`` (once) for timeline rows inserted by Core statements."""
    if follower not in _followers:
        _followers.append(follower)


def inserted_events_followers(
    session: AsyncSession, events: FromClause, now: datetime
) -> list[Insert]:
    """The statements the registered followers want written with ``events``."""
    statements = (follower(session, events, now) for follower in _followers)
    return [statement for statement in statements if statement is not None]
