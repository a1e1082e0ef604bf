"""Fatherland Front organizations: the tips they reported, as the reporter sees them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.accounts.dependencies import require_roles
from app.accounts.models import Role
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.principal import Principal
from app.front import service
from app.front.schemas import FrontTipPage
from app.tips.models import PublicStatus

router = APIRouter(prefix="/front", tags=["front"])

FrontMember = Annotated[Principal, Depends(require_roles(Role.front_member))]


@router.get("/tips", response_model=FrontTipPage, responses=problem_responses(401, 403, 422))
async def list_front_tips(
    session: SessionDep,
    principal: FrontMember,
    public_status: PublicStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> FrontTipPage:
    """The caller's organization's tips, newest first: reference, category, public status,
    outcome and its summary, and the movement model the report came from. Front members
    only; no internal notes, officers or reporter data."""
    return await service.list_front_tips(
        session, principal=principal, public_status=public_status, limit=limit, cursor=cursor
    )
