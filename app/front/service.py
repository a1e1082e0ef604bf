"""Front organizations' view of the tips they reported."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.principal import Principal
from app.core.errors import ValidationFailed
from app.core.pagination import decode_cursor, encode_cursor
from app.front.schemas import FrontTip, FrontTipPage
from app.tips.models import PublicStatus, Tip, TipStatus
from app.tips.status import public_status_for
from app.triage.scope import visible_tips_clause
from app.triage.times import as_utc


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed(errors=[("cursor", ("Con trỏ không hợp lệ", "Invalid cursor"))])


def _after(cursor: str) -> ColumnElement[bool]:
    values = decode_cursor(cursor)
    if len(values) != 2 or not all(isinstance(v, str) for v in values):
        raise _bad_cursor()
    try:
        created_at = as_utc(datetime.fromisoformat(values[0]))
    except ValueError as exc:
        raise _bad_cursor() from exc
    return or_(Tip.created_at < created_at, and_(Tip.created_at == created_at, Tip.id < values[1]))


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
        next_cursor = encode_cursor([as_utc(page[-1].created_at).isoformat(), page[-1].id])
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
