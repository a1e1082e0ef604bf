"""Object-level authorization for tips: who may see a tip, and who may act on it.

Seeing (the SQL clause every tip lookup and list goes through):

* ``admin`` — every tip;
* ``officer`` / ``unit_lead`` — tips assigned to their unit; read-only, tips their unit watches
  (a department's copy, e.g. PC04 on drug tips) and tips their unit held before a transfer
  (every unit that held a tip has an entry in its register, so the former unit keeps sight of
  what it handed on, which is how it answers for its part of the history);
* ``province_supervisor`` / ``analyst`` (users and analyst API keys) — their province's tips
  (app.scope.province: the place is in it, or one of its units holds or held the tip);
* ``front_member`` — tips of their organization and of the organizations below it, and only
  through ``/api/v1/front/tips``.

Acting (changing status, assignment, deadlines, writing notes and messages, revealing the
reporter): ``admin`` and ``province_supervisor`` on what they see; ``officer`` and
``unit_lead`` only on tips assigned to their unit. A tip the caller can see but not act on
(watched, formerly held; any tip for an analyst) answers 403 ``forbidden``; a tip the caller
cannot see answers 404, like one that does not exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, true

from app.accounts.models import Role
from app.accounts.organizations import organization_subtree
from app.core.errors import Forbidden, msg
from app.core.principal import Principal
from app.scope.province import in_province
from app.tips.models import RegisterEntry, Tip, TipWatcher

UNIT_ROLES = frozenset({Role.officer.value, Role.unit_lead.value})
PROVINCE_ROLES = frozenset({Role.province_supervisor.value, Role.analyst.value})

# Role gates of the triage endpoints (checked before the tip is looked up).
READERS = (Role.admin, Role.province_supervisor, Role.unit_lead, Role.officer, Role.analyst)
# Analysts never get personal data: not the reporter's messages nor the attachments.
PERSONAL_DATA_READERS = (Role.admin, Role.province_supervisor, Role.unit_lead, Role.officer)
ACTORS = PERSONAL_DATA_READERS
LEADS = (Role.admin, Role.province_supervisor, Role.unit_lead)
UNIT_MEMBERS = (Role.unit_lead, Role.officer)


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


def can_act(principal: Principal, tip: Tip) -> bool:
    """May ``principal`` change ``tip``? (It must already be visible to them.)"""
    if principal.kind != "user":
        return False
    if principal.role in (Role.admin, Role.province_supervisor):
        return True
    if principal.role in UNIT_ROLES:
        return principal.unit_code is not None and tip.assigned_unit_code == principal.unit_code
    return False


def ensure_can_act(principal: Principal, tip: Tip) -> None:
    if not can_act(principal, tip):
        raise Forbidden(msg("scope.read_only"))


def sees_personal_data(principal: Principal) -> bool:
    """Analysts (and machine clients) never receive reporter data or free-text from people."""
    return principal.kind == "user" and principal.role in PERSONAL_DATA_READERS
