"""Role gates and load-or-404 dependencies for the tip routes.

Order matters and is fixed here: the role gate runs first (a role that may never call the
endpoint gets 403 whatever the id), then the scoped lookup (an id outside the caller's scope
answers 404), then, for changes, the write check (a tip the caller may only read answers 403).
See app.scope.visibility for who sees and who acts on what.
"""

# No `from __future__ import annotations` here: FastAPI must evaluate the annotations of the
# nested loader, which refer to its closure (`gate`).
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Path

from app.accounts.dependencies import require_roles
from app.core.db import SessionDep
from app.core.principal import Principal
from app.scope import visibility as scope
from app.tips.models import Tip
from app.triage.record import get_visible_tip

TipId = Annotated[str, Path(max_length=36, description="The tip's id.")]

_readers = require_roles(*scope.READERS)
_personal_readers = require_roles(*scope.PERSONAL_DATA_READERS)
_actors = require_roles(*scope.ACTORS)
_leads = require_roles(*scope.LEADS)
_unit_members = require_roles(*scope.UNIT_MEMBERS)

Reader = Annotated[Principal, Depends(_readers)]
PersonalDataReader = Annotated[Principal, Depends(_personal_readers)]
Actor = Annotated[Principal, Depends(_actors)]
Lead = Annotated[Principal, Depends(_leads)]
UnitMember = Annotated[Principal, Depends(_unit_members)]


def _tip_loader(
    gate: Callable[..., Awaitable[Principal]], *, act: bool, note: bool = False
) -> Callable[..., Awaitable[Tip]]:
    async def load(
        tip_id: TipId,
        session: SessionDep,
        principal: Annotated[Principal, Depends(gate)],
    ) -> Tip:
        tip = await get_visible_tip(session, principal=principal, tip_id=tip_id)
        if note:
            await scope.ensure_can_note(session, principal, tip)
        elif act:
            await scope.ensure_can_act(session, principal, tip)
        return tip

    return load


# A tip the caller may read (staff roles and analysts).
CurrentTip = Annotated[Tip, Depends(_tip_loader(_readers, act=False))]
# ... and may read personal data of (messages, attachments): not analysts.
PersonalDataTip = Annotated[Tip, Depends(_tip_loader(_personal_readers, act=False))]
# A tip the caller may change: handled by their unit, or in their province (supervisors).
ActionableTip = Annotated[Tip, Depends(_tip_loader(_actors, act=True))]
# A tip the caller may add an internal note to: one they may change, or one their unit
# watches (a department's copy, the alerted duty desk).
NotableTip = Annotated[Tip, Depends(_tip_loader(_actors, act=True, note=True))]
# The same, for leads and above (assign, extend deadlines, reveal the reporter).
LeadTip = Annotated[Tip, Depends(_tip_loader(_leads, act=True))]
# The same, for an officer or lead of the tip's own unit (claim).
UnitTip = Annotated[Tip, Depends(_tip_loader(_unit_members, act=True))]
