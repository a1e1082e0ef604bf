"""Object-level authorization for tips: who may see a tip, and who may act on it.

Seeing (the SQL clause every tip lookup and list goes through):

* ``admin`` — every tip;
* ``officer`` / ``unit_lead`` — tips assigned to their unit; read-only, tips their unit watches
  (a department's copy, e.g. PC04 on drug tips) and tips their unit held before a transfer
  (every unit that held a tip has an entry in its register, so the former unit keeps sight of
  what it handed on, which is how it answers for its part of the history);
* ``province_supervisor`` / ``analyst`` (users and analyst API keys) — their province's tips
  (app.tips.provinces: the place is in it, or one of its units holds or held the tip);
* ``front_member`` — tips of their organization and of the organizations below it, and only
  through ``/api/v1/front/tips``.

Acting (changing status, assignment, deadlines, writing messages, revealing the reporter):
``admin`` on every tip; ``province_supervisor`` on tips a unit of their province holds now (a
tip handed to another province stays readable to them, read-only); ``officer`` and
``unit_lead`` on tips assigned to their unit and on urgent tips their unit (the duty desk) was
alerted to. Notes: also the units that watch the tip (routing copy, duty desk). A tip the
caller can see but not act on (watched, formerly held, moved out of the province; any tip for
an analyst) answers 403 ``forbidden`` with ``reason`` ``read_only`` (``out_of_province`` for
a supervisor); a tip the caller cannot see answers 404, like one that
does not exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.accounts.organizations import organization_subtree
from app.core.errors import Forbidden, msg
from app.core.principal import Principal
from app.tips.models import RegisterEntry, Tip, TipWatcher, WatchReason
from app.tips.provinces import in_province
from app.units.models import PoliceUnit

UNIT_ROLES = frozenset({Role.officer.value, Role.unit_lead.value})
PROVINCE_ROLES = frozenset({Role.province_supervisor.value, Role.analyst.value})

# Role gates of the triage endpoints (checked before the tip is looked up).
READERS = (Role.admin, Role.province_supervisor, Role.unit_lead, Role.officer, Role.analyst)
# Analysts never get personal data: not the reporter's messages nor the attachments.
PERSONAL_DATA_READERS = (Role.admin, Role.province_supervisor, Role.unit_lead, Role.officer)
ACTORS = PERSONAL_DATA_READERS
LEADS = (Role.admin, Role.province_supervisor, Role.unit_lead)
UNIT_MEMBERS = (Role.unit_lead, Role.officer)

# The duty desk alerted to an urgent tip acts on it like the holding unit (API.md).
ALERTED = frozenset({WatchReason.urgent.value})
# Watching units that may add notes (a department's copy, the duty desk, a manual watch).
NOTING_WATCHERS = frozenset(
    {WatchReason.routing.value, WatchReason.urgent.value, WatchReason.manual.value}
)


def visible_tips_clause(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause on ``Tip`` limiting rows to what ``principal`` may see."""
    role = principal.role
    if role == Role.admin and principal.kind == "user":
        return true()
    if role in UNIT_ROLES and principal.unit_code:
        unit = principal.unit_code
        return or_(
            Tip.assigned_unit_code == unit,
            exists().where(TipWatcher.tip_id == Tip.id, TipWatcher.unit_code == unit),
            exists().where(RegisterEntry.tip_id == Tip.id, RegisterEntry.unit_code == unit),
        )
    if role in PROVINCE_ROLES and principal.province_code:
        return in_province(principal.province_code)
    if role == Role.front_member and principal.organization_id:
        # A committee sees its own tips and those of the organizations below it.
        return Tip.organization_id.in_(organization_subtree(principal.organization_id))
    return false()


class ReadOnlyTip(Forbidden):
    """The caller sees the tip but may not change it: 403 ``forbidden`` (the stable code)
    with ``"reason": "read_only"``, or ``"out_of_province"`` for a supervisor whose province
    no longer holds the tip."""

    def __init__(self, *, out_of_province: bool = False) -> None:
        reason = "out_of_province" if out_of_province else "read_only"
        key = "scope.out_of_province" if out_of_province else "scope.read_only"
        super().__init__(msg(key), extra={"reason": reason})


async def _watches(session: AsyncSession, tip: Tip, unit: str, reasons: frozenset[str]) -> bool:
    found = await session.scalar(
        select(TipWatcher.unit_code).where(
            TipWatcher.tip_id == tip.id,
            TipWatcher.unit_code == unit,
            TipWatcher.reason.in_(sorted(reasons)),
        )
    )
    return found is not None


async def holding_province(session: AsyncSession, tip: Tip) -> str | None:
    """The province of the unit that holds the tip now."""
    return await session.scalar(
        select(PoliceUnit.province_code).where(PoliceUnit.code == tip.assigned_unit_code)
    )


async def can_act(session: AsyncSession, principal: Principal, tip: Tip) -> bool:
    """May ``principal`` change ``tip``? (It must already be visible to them.)

    Admin: always. A supervisor: while a unit of their province holds the tip (one handed to
    another province stays readable to them, read-only). Officers and leads: tips their unit
    holds, and urgent tips their unit (the provincial duty desk) was alerted to.
    """
    if principal.kind != "user":
        return False
    if principal.role == Role.admin:
        return True
    if principal.role == Role.province_supervisor:
        province = await holding_province(session, tip)
        return province is not None and province == principal.province_code
    if principal.role in UNIT_ROLES and principal.unit_code:
        if tip.assigned_unit_code == principal.unit_code:
            return True
        return tip.urgent and await _watches(session, tip, principal.unit_code, ALERTED)
    return False


async def ensure_can_act(session: AsyncSession, principal: Principal, tip: Tip) -> None:
    """403 for a visible tip the caller may not change (see :class:`ReadOnlyTip`)."""
    if not await can_act(session, principal, tip):
        raise ReadOnlyTip(out_of_province=principal.role == Role.province_supervisor)


async def ensure_can_note(session: AsyncSession, principal: Principal, tip: Tip) -> None:
    """Notes: whoever may act, and the units that watch the tip (a department's copy, the
    duty desk; not a former holder, whose sight is read-only)."""
    if await can_act(session, principal, tip):
        return
    if (
        principal.kind == "user"
        and principal.role in UNIT_ROLES
        and principal.unit_code
        and await _watches(session, tip, principal.unit_code, NOTING_WATCHERS)
    ):
        return
    raise ReadOnlyTip(out_of_province=principal.role == Role.province_supervisor)


def sees_personal_data(principal: Principal) -> bool:
    """Analysts (and machine clients) never receive reporter data or free-text from people."""
    return principal.kind == "user" and principal.role in PERSONAL_DATA_READERS
