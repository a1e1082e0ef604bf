"""Public reference data: provinces, communes (today's and pre-2025 codes), point → commune."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from app.admin_units import service
from app.admin_units.dependencies import LocatorDep
from app.admin_units.schemas import CommuneOut, ProvinceOut
from app.core.db import SessionDep
from app.core.errors import problem_responses

router = APIRouter(prefix="/admin-units", tags=["admin_units"])


@router.get("/provinces", response_model=list[ProvinceOut])
async def list_provinces(session: SessionDep) -> list[ProvinceOut]:
    """The 34 provinces and centrally-run cities, by code."""
    return await service.list_provinces(session)


@router.get("/communes", response_model=list[CommuneOut], responses=problem_responses(422))
async def list_communes(
    session: SessionDep,
    province_code: Annotated[str | None, Query(max_length=2)] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Part of the name, with or without Vietnamese diacritics "
            "(`ben nghe` finds `Phường Bến Nghé`). A search also returns pre-2025 communes "
            "whose old name matches (after today's), with `legacy` and `merged_into` set.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.COMMUNE_LIST_MAX)] = 200,
) -> list[CommuneOut]:
    """Communes ordered by official name (a plain list of at most `limit` items; a province
    has fewer than 200 communes, so `province_code` alone lists all of its communes)."""
    return await service.list_communes(session, province_code=province_code, q=q, limit=limit)


@router.get("/locate", response_model=CommuneOut, responses=problem_responses(404, 422))
async def locate(
    session: SessionDep,
    locator: LocatorDep,
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
) -> CommuneOut:
    """The commune containing the point (WGS 84); 404 `location_not_found` when there is none."""
    return await service.locate_commune(session, locator=locator, lat=lat, lon=lon)


@router.get("/communes/{code}", response_model=CommuneOut, responses=problem_responses(404, 422))
async def get_commune(
    session: SessionDep,
    code: Annotated[str, Path(max_length=5)],
    legacy: Annotated[
        bool,
        Query(
            description="Read `code` as a pre-2025 code even when a commune has it today "
            "(138 codes mean one commune today and another before 2025)."
        ),
    ] = False,
) -> CommuneOut:
    """Today's commune for `code`; a code retired by a merger answers its old name with
    `merged_into`. A pre-2025 code split among several communes answers 422
    `ambiguous_commune` with `candidates: [{code, name}]`."""
    return await service.get_commune(session, code=code, legacy=legacy)


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"


@router.get(
    "/boundaries",
    response_class=GeoJSONResponse,
    responses={
        200: {
            "description": "A GeoJSON FeatureCollection (RFC 7946, WGS 84). Each feature has "
            "`id` and `properties.code` (commune or province code) and `properties.name`.",
            "content": {"application/geo+json": {"schema": {"type": "object"}}},
        },
        **problem_responses(404, 422),
    },
)
async def boundaries(
    session: SessionDep,
    locator: LocatorDep,
    province_code: Annotated[
        str | None,
        Query(
            max_length=2,
            description="Today's communes of this province; without it, every province's outline.",
        ),
    ] = None,
) -> Any:
    """Simplified boundaries drawn from the shipped commune geometries (communes about 100 m,
    provinces about 500 m, coordinates to 1e-4 degree), for maps that need no tile server.
    Public reference data, cacheable for a day."""
    collection = await service.boundaries(session, locator=locator, province_code=province_code)
    return GeoJSONResponse(collection, headers={"Cache-Control": "public, max-age=86400"})
