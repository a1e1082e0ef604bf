"""Provinces and communes, pre-2025 commune codes, and where a tip's place is.

A commune code is read the way the API promises: a code that exists today means today's
commune (a commune retired by a later merger resolves to its successor); a code that exists
only as a pre-2025 code goes through the old→new mapping, and ``legacy_commune_code`` forces
that mapping (138 codes mean one commune today and another before 2025). An old commune split
among several is decided by a point when the point falls in one of them, else the answer is
422 ``ambiguous_commune`` listing the candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.admin_units import boundaries as boundaries_geo
from app.admin_units.fold import fold
from app.admin_units.geo import CommuneLocator
from app.admin_units.models import Commune, LegacyCommune, Province
from app.admin_units.places import (
    MAX_MERGER_HOPS,
    PLACE_CACHE_TTL_SECONDS,
    AmbiguousCommune,
    LocationNotFound,
    Named,
    PlaceNotLocated,
    PlaceSnapshot,
    ResolvedPlace,
    UnknownCommune,
    current_province,
    invalidate_place_cache,
    place_snapshot,
    resolve_place,
)
from app.admin_units.schemas import CommuneOut, CommuneRef, LegacyInfo, ProvinceOut
from app.core.errors import NotFound, msg

__all__ = [  # besides the reads: app.admin_units.places, where intake finds them too
    "PLACE_CACHE_TTL_SECONDS",
    "AmbiguousCommune",
    "LocationNotFound",
    "PlaceNotLocated",
    "PlaceSnapshot",
    "ResolvedPlace",
    "UnknownCommune",
    "current_province",
    "invalidate_place_cache",
    "place_snapshot",
    "resolve_place",
]

COMMUNE_LIST_MAX = 500


# --- reads -------------------------------------------------------------------------------


async def list_provinces(session: AsyncSession) -> list[ProvinceOut]:
    provinces = (await session.scalars(select(Province).order_by(Province.code))).all()
    return [
        ProvinceOut(
            code=p.code, name=p.full_name, short_name=p.name, name_en=p.name_en, type=p.type
        )
        for p in provinces
    ]


async def list_communes(
    session: AsyncSession, *, province_code: str | None, q: str | None, limit: int
) -> list[CommuneOut]:
    """Communes ordered by name; with ``q``, names containing it regardless of diacritics.

    A search also finds pre-2025 communes by their old names (after today's communes), each
    with the commune it became, so "ben nghe" finds the former "Phường Bến Nghé".
    """
    folded = fold(q) if q else ""
    stmt = select(Commune).order_by(Commune.merged_into.is_not(None), Commune.name_folded)
    if province_code:
        stmt = stmt.where(Commune.province_code == province_code)
    if folded:
        stmt = stmt.where(Commune.name_folded.contains(folded, autoescape=True))
    communes = (await session.scalars(stmt.limit(limit))).all()
    items = [await _commune_out(session, c) for c in communes]
    if folded and len(items) < limit:
        items += await _search_legacy(
            session, folded=folded, province_code=province_code, limit=limit - len(items)
        )
    return items


async def get_commune(session: AsyncSession, *, code: str, legacy: bool = False) -> CommuneOut:
    """Today's commune for ``code``; else (or with ``legacy``) the pre-2025 commune.

    Raises NotFound, or AmbiguousCommune for a commune split by a change-set or a pre-2025
    commune that was split.
    """
    places = await place_snapshot(session)
    if not legacy:
        commune = await session.get(Commune, code)
        if commune is not None:
            candidates = places.candidates(code)
            if len(candidates) > 1:
                raise AmbiguousCommune(candidates)
            return await _commune_out(session, commune)
    rows = await _legacy_rows(session, code)
    successors = places.successors([row.new_code for row in rows])
    if not successors:
        raise NotFound(msg("admin_units.commune_not_found"))
    if len(successors) > 1:
        raise AmbiguousCommune(successors)
    return _legacy_out(rows[0], successors)


async def locate_commune(
    session: AsyncSession, *, locator: CommuneLocator, lat: float, lon: float
) -> CommuneOut:
    places = await place_snapshot(session)
    located = places.locate(locator, lat, lon)
    commune = await session.get(Commune, located.code) if located else None
    if commune is None:
        raise LocationNotFound(msg("admin_units.point_outside"))
    return await _commune_out(session, commune)


async def boundaries(
    session: AsyncSession, *, locator: CommuneLocator, province_code: str | None
) -> dict[str, Any]:
    """GeoJSON of today's communes of ``province_code``, or of every province's outline.

    Raises NotFound for an unknown province.
    """
    found = boundaries_geo.cached(locator, province_code)
    if found is not None:
        return found
    if province_code is None:
        provinces = {p.code: p.full_name for p in (await session.scalars(select(Province))).all()}
        current = select(Commune.code, Commune.province_code).where(Commune.merged_into.is_(None))
        homes: dict[str, str] = dict((await session.execute(current)).tuples().all())
        collection = await anyio.to_thread.run_sync(
            boundaries_geo.province_boundaries, locator, provinces, homes
        )
    else:
        if await session.get(Province, province_code) is None:
            raise NotFound(msg("admin_units.province_not_found"))
        stmt = (
            select(Commune.code, Commune.full_name)
            .where(Commune.province_code == province_code, Commune.merged_into.is_(None))
            .order_by(Commune.code)
        )
        communes = [(code, name) for code, name in (await session.execute(stmt)).all()]
        collection = await anyio.to_thread.run_sync(
            boundaries_geo.commune_boundaries, locator, communes
        )
    return boundaries_geo.remember(locator, province_code, collection)


# --- helpers -----------------------------------------------------------------------------


async def _current(session: AsyncSession, code: str) -> Commune | None:
    """The commune with ``code``, following later mergers to today's successor."""
    commune = await session.get(Commune, code)
    hops = 0
    while commune is not None and commune.merged_into and hops < MAX_MERGER_HOPS:
        commune = await session.get(Commune, commune.merged_into)
        hops += 1
    return commune


async def _legacy_rows(session: AsyncSession, old_code: str) -> Sequence[LegacyCommune]:
    stmt = (
        select(LegacyCommune)
        .where(LegacyCommune.old_code == old_code)
        .order_by(LegacyCommune.new_code)
    )
    return (await session.scalars(stmt)).all()


async def _legacy_successors(session: AsyncSession, rows: Sequence[LegacyCommune]) -> list[Commune]:
    """Today's communes a pre-2025 commune became (deduplicated after later mergers)."""
    found: dict[str, Commune] = {}
    for row in rows:
        commune = await _current(session, row.new_code)
        if commune is not None:
            found.setdefault(commune.code, commune)
    return sorted(found.values(), key=lambda c: c.code)


async def _commune_out(session: AsyncSession, commune: Commune) -> CommuneOut:
    successor = await _current(session, commune.code) if commune.merged_into else None
    target = successor or commune
    return CommuneOut(
        code=commune.code,
        name=commune.full_name,
        short_name=commune.name,
        name_en=commune.name_en,
        type=commune.type,
        province_code=target.province_code,
        merged_into=successor.code if successor else None,
    )


_OLD_PREFIXES = (("Thị trấn ", "thi_tran"), ("Phường ", "phuong"), ("Xã ", "xa"))


def _legacy_out(row: LegacyCommune, successors: Sequence[Named]) -> CommuneOut:
    short_name, type_ = row.old_name, "xa"
    for prefix, prefix_type in _OLD_PREFIXES:
        if row.old_name.startswith(prefix):
            short_name, type_ = row.old_name[len(prefix) :], prefix_type
            break
    single = successors[0] if len(successors) == 1 else None
    return CommuneOut(
        code=row.old_code,
        name=row.old_name,
        short_name=short_name,
        type=type_,
        province_code=(single or successors[0]).province_code,
        merged_into=single.code if single else None,
        legacy=LegacyInfo(
            district_name=row.old_district_name,
            province_code=row.old_province_code,
            province_name=row.old_province_name,
        ),
        candidates=(
            None if single else [CommuneRef(code=c.code, name=c.full_name) for c in successors]
        ),
    )


async def _search_legacy(
    session: AsyncSession, *, folded: str, province_code: str | None, limit: int
) -> list[CommuneOut]:
    stmt = (
        select(LegacyCommune)
        .where(LegacyCommune.name_folded.contains(folded, autoescape=True))
        .order_by(LegacyCommune.name_folded, LegacyCommune.old_code, LegacyCommune.new_code)
    )
    if province_code:
        in_province = select(Commune.code).where(Commune.province_code == province_code)
        old_codes = select(LegacyCommune.old_code).where(LegacyCommune.new_code.in_(in_province))
        stmt = stmt.where(LegacyCommune.old_code.in_(old_codes))
    by_code: dict[str, list[LegacyCommune]] = {}
    for row in (await session.scalars(stmt)).all():
        by_code.setdefault(row.old_code, []).append(row)
    # One query for the successors; the lookups below then hit the identity map.
    new_codes = {row.new_code for rows in by_code.values() for row in rows}
    if new_codes:
        (await session.scalars(select(Commune).where(Commune.code.in_(new_codes)))).all()
    items: list[CommuneOut] = []
    for old_code, rows in by_code.items():
        successors = await _legacy_successors(session, rows)
        if not successors:
            continue
        # An unchanged commune would only repeat today's entry.
        if [s.code for s in successors] == [old_code] and successors[0].name_folded == fold(
            rows[0].old_name
        ):
            continue
        items.append(_legacy_out(rows[0], successors))
        if len(items) >= limit:
            break
    return items
