"""Public reference data: police units and tip categories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.units import service
from app.units.models import Category, PoliceUnit, UnitKind
from app.units.schemas import CategoryOut, UnitOut

router = APIRouter(tags=["units"])


@router.get("/categories", response_model=list[CategoryOut])
async def list_categories(session: SessionDep) -> Sequence[Category]:
    """The active tip categories, in display order."""
    return await service.list_categories(session)


@router.get("/units", response_model=list[UnitOut], responses=problem_responses(422))
async def list_units(
    session: SessionDep,
    province_code: Annotated[str | None, Query(max_length=2)] = None,
    kind: UnitKind | None = None,
) -> Sequence[PoliceUnit]:
    """Police units ordered by code (a plain list; filter by province and kind)."""
    return await service.list_units(session, province_code=province_code, kind=kind)


@router.get("/units/{code}", response_model=UnitOut, responses=problem_responses(404))
async def get_unit(session: SessionDep, code: Annotated[str, Path(max_length=32)]) -> PoliceUnit:
    return await service.get_unit(session, code=code)
