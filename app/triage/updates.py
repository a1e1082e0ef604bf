"""How the workflow changes a tip: a conditional UPDATE guarded by what the change was decided
on (the status, the unit, the assignee, the due date). When another request changed the tip in
between, the UPDATE matches nothing and the caller gets 409 instead of a lost update."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.core.errors import msg
from app.tips.models import (
    Tip,
)
from app.tips.provinces import record_columns
from app.triage.errors import StaleTip, TipClosed
from app.triage.workflow import (
    is_terminal,
)


async def apply_guarded(
    session: AsyncSession, tip: Tip, guard: Sequence[ColumnElement[bool]], values: dict[str, Any]
) -> None:
    """UPDATE the tip only if ``guard`` still holds; 409 when another request got there first.

    The in-memory object is brought up to date without marking it dirty, and the copies of
    the changed columns on the tip's province rows with it (app.tips.provinces).
    """
    result = await session.execute(
        update(Tip)
        .where(Tip.id == tip.id, *guard)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleTip(msg("triage.changed_meanwhile"))
    await record_columns(session, [tip.id], changed=values)
    for key, value in values.items():
        set_committed_value(tip, key, value)


def first_response(tip: Tip, now: datetime) -> dict[str, Any]:
    """Fields set on the first staff action on a tip."""
    return {"updated_at": now, "first_response_at": tip.first_response_at or now}


def ensure_open(tip: Tip) -> None:
    if is_terminal(tip.status):
        raise TipClosed(msg("triage.closed", status=tip.status))
