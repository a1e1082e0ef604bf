"""Administration endpoints: reference data is data (API.md). HTTP only; the services own the
rules of who may change what."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from app.accounts import movement_models as movement_model_reads
from app.accounts.dependencies import require_roles
from app.accounts.models import MovementModel, Role
from app.administration import calendar, categories, changesets, movement_models
from app.administration.schemas import (
    CalendarIn,
    CalendarOut,
    CategoryAdminOut,
    CategoryCreate,
    CategoryFields,
    ChangeSetIn,
    ChangeSetOut,
    ChangeSetPage,
    MovementModelCreate,
    MovementModelOut,
    MovementModelPatch,
    ProvinceRuleIn,
    ProvinceRuleOut,
    UnitCreate,
    UnitPatch,
)
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import MAX_LIMIT
from app.core.principal import Principal
from app.units.models import Category, CategoryProvinceRule, PoliceUnit
from app.units.schemas import UnitOut

router = APIRouter(tags=["administration"])

Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
AdminOrSupervisor = Annotated[
    Principal, Depends(require_roles(Role.admin, Role.province_supervisor))
]
CategoryCode = Annotated[str, Path(max_length=40)]
ProvinceCode = Annotated[str, Path(min_length=2, max_length=2, pattern=r"^[0-9]{2}$")]
UnitCode = Annotated[str, Path(max_length=32)]
Year = Annotated[int, Path(ge=2000, le=2100)]


@router.post(
    "/categories",
    response_model=CategoryAdminOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_category(session: SessionDep, actor: Admin, body: CategoryCreate) -> Category:
    """Add a category with its national routing (admin)."""
    return await categories.create_category(session, actor=actor, data=body)


@router.patch(
    "/categories/{code}",
    response_model=CategoryAdminOut,
    responses=problem_responses(401, 403, 404, 422),
)
async def update_category(
    session: SessionDep, actor: Admin, code: CategoryCode, body: CategoryFields
) -> Category:
    """Edit a category; `active: false` refuses it at intake (old tips keep it). Routing
    changes apply to tips received afterwards, never to tips already routed."""
    return await categories.update_category(session, actor=actor, code=code, data=body)


@router.get(
    "/categories/{code}/provinces",
    response_model=list[ProvinceRuleOut],
    responses=problem_responses(401, 403, 404),
)
async def list_province_rules(
    session: SessionDep, _actor: AdminOrSupervisor, code: CategoryCode
) -> Sequence[CategoryProvinceRule]:
    """The provinces that route this category by a rule of their own."""
    return await categories.list_province_rules(session, code=code)


@router.put(
    "/categories/{code}/provinces/{province_code}",
    response_model=ProvinceRuleOut,
    responses=problem_responses(401, 403, 404, 422),
)
async def put_province_rule(
    session: SessionDep,
    actor: AdminOrSupervisor,
    code: CategoryCode,
    province_code: ProvinceCode,
    body: ProvinceRuleIn,
) -> CategoryProvinceRule:
    """A province's own routing of the category, overriding the national rule there (admin;
    supervisors for their province)."""
    return await categories.put_province_rule(
        session, actor=actor, code=code, province_code=province_code, data=body
    )


@router.delete(
    "/categories/{code}/provinces/{province_code}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def delete_province_rule(
    session: SessionDep, actor: AdminOrSupervisor, code: CategoryCode, province_code: ProvinceCode
) -> Response:
    """Drop a province's own rule: the national rule applies there again."""
    await categories.delete_province_rule(
        session, actor=actor, code=code, province_code=province_code
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/units",
    response_model=UnitOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_unit(session: SessionDep, actor: Admin, body: UnitCreate) -> PoliceUnit:
    """Add a police unit (admin)."""
    return await categories.create_unit(session, actor=actor, data=body)


@router.patch(
    "/units/{code}",
    response_model=UnitOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def update_unit(
    session: SessionDep, actor: AdminOrSupervisor, code: UnitCode, body: UnitPatch
) -> PoliceUnit:
    """Rename a unit, set `remote`, `active` or `parent_code` (admin; supervisors `name` and
    `remote` of their province's units). No tip is routed to an inactive unit; a provincial
    duty desk cannot be deactivated (it is every tip's fallback)."""
    return await categories.update_unit(session, actor=actor, code=code, data=body)


@router.get("/calendar/{year}", response_model=CalendarOut, responses=problem_responses(422))
async def get_calendar(session: SessionDep, year: Year) -> CalendarOut:
    """The year's holidays and swapped working days; `confirmed` is false for shipped
    defaults nobody confirmed yet."""
    return await calendar.get_calendar(session, year=year)


@router.put(
    "/calendar/{year}",
    response_model=CalendarOut,
    responses=problem_responses(401, 403, 422),
)
async def replace_calendar(
    session: SessionDep, actor: Admin, year: Year, body: CalendarIn
) -> CalendarOut:
    """Replace the year's calendar and confirm it (admin). Open tips not yet acknowledged
    whose `acknowledge_by` moves get the new date and a `tip.deadline_recomputed` event."""
    return await calendar.replace_calendar(session, actor=actor, year=year, data=body)


@router.get("/movement-models", response_model=list[MovementModelOut])
async def list_movement_models(
    session: SessionDep,
    province_code: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    include_inactive: bool = False,
) -> Sequence[MovementModel]:
    """National movement models and, with `province_code`, that province's (else all)."""
    return await movement_model_reads.list_models(
        session, province_code=province_code, include_inactive=include_inactive
    )


@router.post(
    "/movement-models",
    response_model=MovementModelOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_movement_model(
    session: SessionDep, actor: AdminOrSupervisor, body: MovementModelCreate
) -> MovementModel:
    """Add a model: admins national or any province's; supervisors their province's."""
    return await movement_models.create_model(session, actor=actor, data=body)


@router.patch(
    "/movement-models/{code}",
    response_model=MovementModelOut,
    responses=problem_responses(401, 403, 404, 422),
)
async def update_movement_model(
    session: SessionDep,
    actor: AdminOrSupervisor,
    code: Annotated[str, Path(max_length=40)],
    body: MovementModelPatch,
) -> MovementModel:
    return await movement_models.update_model(session, actor=actor, code=code, data=body)


@router.post(
    "/admin-units/change-sets",
    response_model=ChangeSetOut,
    responses={
        201: {"model": ChangeSetOut, "description": "Applied"},
        **problem_responses(401, 403, 409, 422),
    },
)
async def apply_change_set(
    request: Request, response: Response, session: SessionDep, actor: Admin, body: ChangeSetIn
) -> ChangeSetOut:
    """Apply an administrative change-set all or nothing (admin). `dry_run: true` (the
    default) answers 200 with the report and changes nothing; applying answers 201."""
    result = await changesets.apply(session, actor=actor, data=body)
    if not body.dry_run:
        response.status_code = status.HTTP_201_CREATED
    return result


@router.get(
    "/admin-units/change-sets",
    response_model=ChangeSetPage,
    responses=problem_responses(401, 403, 422),
)
async def list_change_sets(
    session: SessionDep,
    _actor: Admin,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ChangeSetPage:
    """Applied change-sets, newest first."""
    return await changesets.list_change_sets(session, limit=limit, cursor=cursor)
