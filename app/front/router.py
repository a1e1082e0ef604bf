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
from app.integration import summary
from app.integration.dependencies import SummaryFilters
from app.integration.periods import PERIOD_HELP, PERIOD_SCHEMA, resolve_window
from app.integration.schemas import StatsSummary, summary_response
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


FRONT_GROUP_BY_HELP = (
    "One dimension, or two joined by a comma, of: "
    + ", ".join(d.value for d in summary.FRONT_DIMENSIONS)
    + " (default organization)."
)


@router.get("/stats", response_model=StatsSummary, responses=problem_responses(401, 403, 404, 422))
async def front_stats(
    session: SessionDep,
    principal: FrontMember,
    filters: SummaryFilters,
    group_by: Annotated[str | None, Query(max_length=40, description=FRONT_GROUP_BY_HELP)] = None,
    organization_id: Annotated[
        str | None,
        Query(
            max_length=36,
            description="One organization of the caller's subtree (and those below it); "
            "default: the caller's own. Any other answers 404.",
        ),
    ] = None,
    period: Annotated[
        str | None, Query(max_length=40, description=PERIOD_HELP, json_schema_extra=PERIOD_SCHEMA)
    ] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Annotated[str | None, Query(max_length=40)] = None,
) -> StatsSummary:
    """Counts of the tips reported by the caller's organization and the organizations and
    committees below it, in the shape of ``stats/summary`` (same window, filters and
    counting rules: by the time of first receipt, each tip once). A member organization
    sees neither its parent's nor a sibling's figures: ``organization_id`` outside the
    caller's subtree answers 404 like an unknown one. Front members only."""
    window = resolve_window(period=period, from_=from_, to=to)
    dimensions = summary.parse_dimensions(
        group_by, allowed=summary.FRONT_DIMENSIONS, default=summary.Dimension.organization
    )
    organizations = await service.stats_subtree(
        session, principal=principal, organization_id=organization_id
    )
    groups, total = await summary.summarize(
        session,
        filters=summary.Filters(organizations=organizations, values=filters),
        window=window,
        dimensions=dimensions,
    )
    return summary_response(groups, total, dimensions, window)
