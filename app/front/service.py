"""Front organizations' view of the tips they reported."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.organizations import organization_subtree
from app.core.cursor import Str, Time, decode_cursor, encode_cursor
from app.core.errors import NotFound, msg
from app.core.principal import Principal
from app.front.schemas import FrontTip, FrontTipPage
from app.scope.visibility import visible_tips_clause
from app.tips.models import PublicStatus, Tip, TipStatus
from app.tips.status import public_status_for


def _after(cursor: str) -> ColumnElement[bool]:
    created_at, tip_id = decode_cursor(cursor, Time(), Str())
    return or_(Tip.created_at < created_at, and_(Tip.created_at == created_at, Tip.id < tip_id))


async def list_front_tips(
    session: AsyncSession,
    *,
    principal: Principal,
    public_status: PublicStatus | None,
    limit: int,
    cursor: str | None,
) -> FrontTipPage:
    """The caller's organization's tips, newest first, with public status and outcome."""
    query = select(Tip).where(visible_tips_clause(principal))
    if public_status is not None:
        statuses = [s.value for s in TipStatus if public_status_for(s) == public_status]
        query = query.where(Tip.status.in_(statuses))
    if cursor:
        query = query.where(_after(cursor))
    query = query.order_by(Tip.created_at.desc(), Tip.id.desc()).limit(limit + 1)
    rows = list(await session.scalars(query))
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit and page:
        next_cursor = encode_cursor([page[-1].created_at, page[-1].id])
    return FrontTipPage(
        items=[
            FrontTip(
                reference=tip.reference,
                category_code=tip.category_code,
                public_status=public_status_for(tip.status),
                outcome=tip.outcome,
                outcome_summary=tip.outcome_summary,
                movement_model=tip.movement_model,
                created_at=tip.created_at,
                updated_at=tip.updated_at,
            )
            for tip in page
        ],
        next_cursor=next_cursor,
    )


_ORGANIZATION_NOT_FOUND = msg("front.organization_not_found")


async def stats_subtree(
    session: AsyncSession, *, principal: Principal, organization_id: str | None
) -> Select[tuple[str]]:
    """The organizations a Front member's figures cover: its own subtree, or the subtree of
    one organization inside it (an organization outside it: 404, as if unknown)."""
    own = principal.organization_id
    if own is None:
        raise NotFound(_ORGANIZATION_NOT_FOUND)
    if organization_id is None or organization_id == own:
        return organization_subtree(own)
    inside = await session.scalar(
        select(func.count()).where(organization_subtree(own).subquery().c.id == organization_id)
    )
    if not inside:
        raise NotFound(_ORGANIZATION_NOT_FOUND)
    return organization_subtree(organization_id)
