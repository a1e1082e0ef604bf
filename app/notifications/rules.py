"""Who is told what: API.md's "Who is told what", as one table of audiences per cause.

:func:`notices_for` is pure: from a cause (its type, the timeline row, the tip) it lists the
notices to make, each with its audience. :class:`Directory` turns staff audiences into the
users they are now. Reporter notices go to the tip's notice contact (app.notifications.contacts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, or_, select
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


@dataclass(frozen=True)
class Staff:
    """A user as expansion needs one: who, where, and how they want to be told."""

    id: str
    role: str
    unit_code: str | None
    province_code: str | None
    notify_new_tips: bool
    notify_channels: list[str]
    email: str | None
    phone: str | None
    web_push: dict[str, Any] | None


_STAFF_COLUMNS = (
    User.id,
    User.role,
    User.unit_code,
    User.province_code,
    User.notify_new_tips,
    User.notify_channels,
    User.email,
    User.phone,
    User.web_push,
)


class Directory:
    """The enabled users audiences stand for, read once per expansion pass: every user of
    a unit (its leads, its opted-in officers, a duty desk) with one query for all the units
    of a batch (:meth:`prefetch`), assignees by id, a province's supervisors; plain rows, no
    ORM objects. A pass is one transaction, so what it reads is what each cause would have
    read on its own."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._by_unit: dict[str, list[Staff]] = {}
        self._by_id: dict[str, Staff] = {}
        self._ids_read: set[str] = set()
        self._supervisors: dict[str, list[Staff]] = {}

    async def _read(self, *conditions: Any) -> list[Staff]:
        rows = await self._session.execute(
            select(*_STAFF_COLUMNS).where(User.disabled.is_(False), or_(*conditions))
        )
        return [Staff(**row._mapping) for row in rows]

    async def prefetch(self, *, unit_codes: Iterable[str], user_ids: Iterable[str]) -> None:
        """Read, in one query, every user of ``unit_codes`` and the users ``user_ids`` not
        read yet."""
        units = sorted(set(unit_codes) - self._by_unit.keys())
        ids = sorted(set(user_ids) - self._ids_read)
        if not units and not ids:
            return
        conditions = [User.unit_code.in_(units)] if units else []
        conditions += [User.id.in_(ids)] if ids else []
        for unit in units:
            self._by_unit[unit] = []
        self._ids_read.update(ids)
        reading = set(units)
        for user in await self._read(*conditions):
            self._by_id[user.id] = user
            if user.unit_code in reading:
                self._by_unit[user.unit_code].append(user)

    async def unit(self, unit_code: str) -> list[Staff]:
        await self.prefetch(unit_codes=[unit_code], user_ids=())
        return self._by_unit[unit_code]

    async def user(self, user_id: str) -> Staff | None:
        if user_id in self._by_id:
            return self._by_id[user_id]
        await self.prefetch(unit_codes=(), user_ids=[user_id])
        return self._by_id.get(user_id)

    async def supervisors(self, unit_code: str) -> list[Staff]:
        """The supervisors of the province ``unit_code`` belongs to."""
        if unit_code not in self._supervisors:
            province = await self._session.scalar(
                select(PoliceUnit.province_code).where(PoliceUnit.code == unit_code)
            )
            self._supervisors[unit_code] = await self._read(
                and_(User.role == Role.province_supervisor, User.province_code == province)
            )
        return self._supervisors[unit_code]

    async def resolve(
        self,
        audiences: Sequence[Audience],
        *,
        unit_code: str,
        assignee_id: str | None,
        data: dict[str, Any],
    ) -> list[Staff]:
        """The users the staff audiences stand for now, each once, in a stable order."""
        found: dict[str, Staff] = {}
        for audience in audiences:
            for user in await self._audience(
                audience, unit_code=unit_code, assignee_id=assignee_id, data=data
            ):
                found.setdefault(user.id, user)
        return sorted(found.values(), key=lambda u: u.id)

    async def _audience(
        self, audience: Audience, *, unit_code: str, assignee_id: str | None, data: dict[str, Any]
    ) -> list[Staff]:
        if audience == Audience.unit_leads:
            return await self._leads(unit_code)
        if audience == Audience.unit_new_tip_officers:
            return [
                u
                for u in await self.unit(unit_code)
                if u.role == Role.officer and u.notify_new_tips
            ]
        if audience == Audience.duty_desk:
            desk = data.get("alerted_unit_code")
            return await self.unit(str(desk)) if desk else []
        if audience in (Audience.assignee, Audience.assignee_else_leads):
            assignee = data.get("assignee_id") if audience == Audience.assignee else assignee_id
            user = await self.user(str(assignee)) if assignee else None
            if user is not None:
                return [user]
            return await self._leads(unit_code) if audience == Audience.assignee_else_leads else []
        if audience == Audience.supervisors:
            return await self.supervisors(unit_code)
        return []

    async def _leads(self, unit_code: str) -> list[Staff]:
        return [u for u in await self.unit(unit_code) if u.role == Role.unit_lead]


def units_to_read(notice: Notice, *, unit_code: str, data: dict[str, Any]) -> list[str]:
    """The units whose users ``notice``'s audiences may mean (for :meth:`Directory.prefetch`)."""
    units = [unit_code]
    desk = data.get("alerted_unit_code")
    if Audience.duty_desk in notice.audiences and desk:
        units.append(str(desk))
    return units
