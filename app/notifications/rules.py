"""Who is told what: API.md's "Who is told what", as one table of audiences per cause.

:func:`notices_for` is pure: from a cause (its type, the timeline row, the tip) it lists the
notices to make, each with its audience. :func:`resolve_users` turns staff audiences into the
users they are now. Reporter notices go to the tip's notice contact (app.notifications.contacts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.tips.status import public_status_for
from app.units.models import PoliceUnit


class Audience(StrEnum):
    unit_leads = "unit_leads"  # the holding unit's leads
    unit_new_tip_officers = "unit_new_tip_officers"  # officers of the unit who opted in
    duty_desk = "duty_desk"  # every user of the alerted duty desk
    assignee = "assignee"
    assignee_else_leads = "assignee_else_leads"
    supervisors = "supervisors"  # the province's supervisors (the holding unit's province)
    reporter = "reporter"


@dataclass(frozen=True)
class Notice:
    type: str  # a template key: a staff type (tip.new, ...) or reporter.<kind>
    audiences: tuple[Audience, ...]
    urgent: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    # The unit whose leads/officers the audiences mean; None: the unit holding the tip now.
    unit_code: str | None = None


@dataclass(frozen=True)
class CauseView:
    """What a rule may look at: the cause, its timeline row's fields, the tip's state."""

    type: str
    data: dict[str, Any]
    tip_urgent: bool = False
    actor_id: str | None = None
    public: bool = False
    public_status: str | None = None
    to_status: str | None = None
    from_status: str | None = None


_OVERDUE = (Audience.assignee, Audience.unit_leads)


def notices_for(cause: CauseView) -> list[Notice]:
    # long: the table of API.md's "Who is told what", one branch per cause, read as a table
    kind, data = cause.type, cause.data
    if kind == "tip.created":
        # An urgent tip's leads are told by its tip.urgent alert instead.
        return (
            []
            if cause.tip_urgent
            else [Notice("tip.new", (Audience.unit_leads, Audience.unit_new_tip_officers))]
        )
    if kind == "tip.transferred" and data.get("to_unit"):
        # The receiving unit holds a new tip (entered in its own register): its leads are told
        # as for a new one; the unit of this hand-over, even if the tip moved on since.
        notices = [
            Notice(
                "tip.new",
                (Audience.unit_leads, Audience.unit_new_tip_officers),
                unit_code=str(data["to_unit"]),
            )
        ]
        # The reporter reads "processing" after a hand-over: told when that is a change.
        before = public_status_for(cause.from_status) if cause.from_status else None
        if cause.public and cause.public_status and before != cause.public_status:
            notices.append(
                Notice(
                    "reporter.status",
                    (Audience.reporter,),
                    values={"public_status": cause.public_status},
                )
            )
        return notices
    if kind == "tip.rerouted" and data.get("to_unit"):
        # Moved by an administrative change-set: new to the receiving unit as after a
        # transfer; the reporter's public status does not change, so nothing for them.
        return [
            Notice(
                "tip.new",
                (Audience.unit_leads, Audience.unit_new_tip_officers),
                unit_code=str(data["to_unit"]),
            )
        ]
    if kind == "tip.urgent":
        return [Notice("tip.urgent", (Audience.duty_desk, Audience.unit_leads), urgent=True)]
    if kind == "tip.escalated":
        urgent = data.get("reason") == "urgent_unacknowledged"
        return [
            Notice(
                "tip.escalated",
                (Audience.supervisors,),
                urgent=urgent,
                values={"level": data.get("level", 1)},
            )
        ]
    if kind == "tip.assigned":
        assignee = data.get("assignee_id")
        if assignee is None or assignee == cause.actor_id:
            return []  # a claim: nobody to tell but oneself
        return [Notice("tip.assigned", (Audience.assignee,))]
    if kind == "tip.message_added":
        if data.get("direction") == "from_reporter":
            return [Notice("tip.reporter_message", (Audience.assignee_else_leads,))]
        return [Notice("reporter.message", (Audience.reporter,))]
    if kind in ("tip.overdue", "tip.acknowledge_overdue"):
        return [Notice(kind, _OVERDUE)]
    if kind in ("privacy_request.due", "protection_request.new", "tip.complaint_filed"):
        return [Notice(kind, (Audience.unit_leads,))]
    if kind == "tip.acknowledged":
        if data.get("by") == "transition":
            return []  # the transition's own status notice tells the reporter
        return [Notice("reporter.acknowledged", (Audience.reporter,))]
    if kind == "tip.status_changed" and cause.public:
        if cause.to_status == "resolved" and data.get("outcome"):
            return [
                Notice(
                    "reporter.outcome", (Audience.reporter,), values={"outcome": data["outcome"]}
                )
            ]
        return [
            Notice(
                "reporter.status",
                (Audience.reporter,),
                values={"public_status": cause.public_status},
            )
        ]
    return []


async def _users(session: AsyncSession, *conditions: Any) -> list[User]:
    rows = await session.scalars(select(User).where(User.disabled.is_(False), *conditions))
    return list(rows)


async def resolve_users(
    session: AsyncSession,
    audiences: Sequence[Audience],
    *,
    unit_code: str,
    assignee_id: str | None,
    data: dict[str, Any],
) -> list[User]:
    """The users the staff audiences stand for now, each once, in a stable order."""
    found: dict[str, User] = {}

    async def leads() -> list[User]:
        return await _users(session, User.role == Role.unit_lead, User.unit_code == unit_code)

    for audience in audiences:
        users: list[User] = []
        if audience == Audience.unit_leads:
            users = await leads()
        elif audience == Audience.unit_new_tip_officers:
            users = await _users(
                session,
                User.role == Role.officer,
                User.unit_code == unit_code,
                User.notify_new_tips.is_(True),
            )
        elif audience == Audience.duty_desk:
            desk = data.get("alerted_unit_code")
            if desk:
                users = await _users(session, User.unit_code == desk)
        elif audience in (Audience.assignee, Audience.assignee_else_leads):
            assignee = data.get("assignee_id") if audience == Audience.assignee else assignee_id
            if assignee:
                users = await _users(session, User.id == assignee)
            if not users and audience == Audience.assignee_else_leads:
                users = await leads()
        elif audience == Audience.supervisors:
            province = await session.scalar(
                select(PoliceUnit.province_code).where(PoliceUnit.code == unit_code)
            )
            users = await _users(
                session, User.role == Role.province_supervisor, User.province_code == province
            )
        for user in users:
            found.setdefault(user.id, user)
    return sorted(found.values(), key=lambda u: u.id)
