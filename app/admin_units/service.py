"""Provinces and communes, pre-2025 commune codes, and where a tip's place is.

A commune code is read the way the API promises: a code that exists today means today's
commune (a commune retired by a later merger resolves to its successor); a code that exists
only as a pre-2025 code goes through the old→new mapping, and ``legacy_commune_code`` forces
that mapping (138 codes mean one commune today and another before 2025). An old commune split
among several is decided by a point when the point falls in one of them, else the answer is
422 ``ambiguous_commune`` listing the candidates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.admin_units import boundaries as boundaries_geo
from app.admin_units.fold import fold
from app.admin_units.geo import CommuneLocator
from app.admin_units.models import Commune, CommuneBoundary, CommuneSplit, LegacyCommune, Province
from app.admin_units.schemas import CommuneOut, CommuneRef, LegacyInfo, ProvinceOut
from app.core.errors import AppError, NotFound, ValidationFailed, msg
from app.core.snapshots import SnapshotCache

# A merger chain longer than this is a data error (a cycle), not history.
_MAX_MERGER_HOPS = 16

COMMUNE_LIST_MAX = 500

# Intake resolves places from a per-process snapshot of the (reference) province, commune and
# legacy tables, like the working calendar (app.units.deadlines): cached per database for
# this long; ``invalidate_place_cache()`` after writing those tables applies a change at once
# in this process (other worker processes pick it up within the TTL).
PLACE_CACHE_TTL_SECONDS = 60.0


class _Named(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def full_name(self) -> str: ...
    @property
    def province_code(self) -> str: ...


class AmbiguousCommune(AppError):
    """A pre-2025 code that was split, with no point to decide: the body lists candidates."""

    status, code = 422, "ambiguous_commune"

    def __init__(self, candidates: Sequence[_Named], *, field: str | None = None) -> None:
        message = msg("ambiguous_commune")
        super().__init__(
            message,
            errors=[(field, message)] if field else None,
            extra={"candidates": [{"code": c.code, "name": c.full_name} for c in candidates]},
        )


class UnknownCommune(AppError):
    status, code = 422, "unknown_commune"

    def __init__(self, *, field: str) -> None:
        message = msg("unknown_commune")
        super().__init__(message, errors=[(field, message)])


class LocationNotFound(NotFound):
    """``GET /admin-units/locate``: the point is in no commune."""

    code = "location_not_found"


class PlaceNotLocated(AppError):
    """Intake: only a point was given and it is in no commune."""

    status, code = 422, "location_not_found"

    def __init__(self) -> None:
        message = msg("location_not_found")
        super().__init__(message, errors=[("location", message)])


@dataclass(frozen=True)
class ResolvedPlace:
    commune_code: str
    province_code: str
    # A code and a point were both given and the point is not in that commune.
    location_mismatch: bool
    # The commune was found through the pre-2025 → 2025 mapping.
    resolved_from_legacy: bool


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
        raise NotFound(("Không có xã/phường nào có mã này.", "No commune has this code."))
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
        raise LocationNotFound(
            ("Vị trí không thuộc xã/phường nào.", "The point is not in any commune.")
        )
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
            raise NotFound(("Không có tỉnh/thành phố nào có mã này.", "No province has this code."))
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


# --- the place of a tip ------------------------------------------------------------------


async def resolve_place(
    session: AsyncSession,
    *,
    locator: CommuneLocator,
    commune_code: str | None,
    legacy_commune_code: str | None,
    lat: float | None,
    lon: float | None,
) -> ResolvedPlace:
    """Today's commune for a tip's place (see the module docstring for the rules).

    Raises UnknownCommune (422 ``unknown_commune``), AmbiguousCommune (422
    ``ambiguous_commune`` with ``candidates``), PlaceNotLocated (422 ``location_not_found``)
    or ValidationFailed (no place at all, half a point, out-of-range coordinates, or both a
    commune code and a legacy code).
    """
    places = await place_snapshot(session)
    point = _checked_point(lat, lon)
    located = places.locate(locator, *point) if point is not None else None

    if commune_code and legacy_commune_code:
        raise ValidationFailed(errors=[("location.legacy_commune_code", msg("place.one_code"))])

    if not commune_code and not legacy_commune_code:
        if point is None:
            raise ValidationFailed(errors=[("location", msg("place.required"))])
        if located is None:
            raise PlaceNotLocated()
        return ResolvedPlace(located.code, located.province_code, False, False)

    resolved_from_legacy = bool(legacy_commune_code)
    field = "location.legacy_commune_code" if resolved_from_legacy else "location.commune_code"
    code = legacy_commune_code or commune_code or ""
    commune: _CommuneRow | None = None
    if not resolved_from_legacy and code in places.communes:
        candidates = places.candidates(code)
        if len(candidates) == 1:
            commune = candidates[0]
        elif located is not None and located.code in {c.code for c in candidates}:
            commune = located
        else:  # a commune split by a change-set, with no point inside one of its parts
            raise AmbiguousCommune(candidates, field=field)
    if commune is None:
        new_codes = places.legacy.get(code)
        if not new_codes:
            raise UnknownCommune(field=field)
        resolved_from_legacy = True
        successors = places.successors(new_codes)
        if not successors:
            raise UnknownCommune(field=field)
        if len(successors) == 1:
            commune = successors[0]
        elif located is not None and located.code in {s.code for s in successors}:
            commune = located
        else:
            raise AmbiguousCommune(successors, field=field)
    mismatch = point is not None and (located is None or located.code != commune.code)
    return ResolvedPlace(commune.code, commune.province_code, mismatch, resolved_from_legacy)


@dataclass(frozen=True)
class _CommuneRow:
    code: str
    province_code: str
    merged_into: str | None
    full_name: str


@dataclass(frozen=True)
class PlaceSnapshot:
    """The provinces, communes and pre-2025 → 2025 mapping, as plain values."""

    province_codes: frozenset[str]
    communes: Mapping[str, _CommuneRow]
    legacy: Mapping[str, tuple[str, ...]]  # old code → new codes, ordered
    # Provinces merged away by a change-set → the province they became part of.
    province_merged_into: Mapping[str, str] = field(default_factory=dict)
    # Communes split by a change-set → the communes they became.
    splits: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Boundaries applied by change-sets, checked before the shipped ones.
    overlay: CommuneLocator | None = None

    def locate(self, locator: CommuneLocator, lat: float, lon: float) -> _CommuneRow | None:
        """Today's commune containing the point: the applied boundaries first, then the
        shipped ones (following mergers); None at sea, or in a split commune's area that none
        of its parts covers."""
        code = (self.overlay.locate(lat, lon) if self.overlay else None) or locator.locate(lat, lon)
        found = self.candidates(code) if code else []
        return found[0] if len(found) == 1 else None

    def candidates(self, code: str) -> list[_CommuneRow]:
        """Today's communes standing for ``code``: one, or the parts of a split commune (through
        every later merger and split)."""
        found: dict[str, _CommuneRow] = {}
        pending, hops = [code], 0
        while pending and hops < _MAX_MERGER_HOPS * 8:
            hops += 1
            commune = self.current(pending.pop())
            if commune is None:
                continue
            if commune.code in self.splits:
                pending.extend(self.splits[commune.code])
            else:
                found.setdefault(commune.code, commune)
        return sorted(found.values(), key=lambda c: c.code)

    def current(self, code: str) -> _CommuneRow | None:
        """The commune with ``code``, following later mergers to today's successor."""
        commune = self.communes.get(code)
        hops = 0
        while commune is not None and commune.merged_into and hops < _MAX_MERGER_HOPS:
            commune = self.communes.get(commune.merged_into)
            hops += 1
        return commune

    def successors(self, new_codes: Sequence[str]) -> list[_CommuneRow]:
        found: dict[str, _CommuneRow] = {}
        for new_code in new_codes:
            for commune in self.candidates(new_code):
                found.setdefault(commune.code, commune)
        return sorted(found.values(), key=lambda c: c.code)


def invalidate_place_cache() -> None:
    """Forget cached place snapshots (call after writing provinces, communes or legacy rows)."""
    _place_cache.invalidate()


async def place_snapshot(session: AsyncSession) -> PlaceSnapshot:
    """The reference tables intake resolves places with (cached per database for a short TTL)."""
    return await _place_cache.get(session)


async def _load_place_snapshot(session: AsyncSession) -> PlaceSnapshot:
    province_rows = (await session.execute(select(Province.code, Province.merged_into))).all()
    provinces = [code for code, _ in province_rows]
    communes = (
        await session.execute(
            select(Commune.code, Commune.province_code, Commune.merged_into, Commune.full_name)
        )
    ).all()
    legacy: dict[str, list[str]] = {}
    for old_code, new_code in (
        await session.execute(
            select(LegacyCommune.old_code, LegacyCommune.new_code).order_by(
                LegacyCommune.old_code, LegacyCommune.new_code
            )
        )
    ).all():
        legacy.setdefault(old_code, []).append(new_code)
    splits: dict[str, list[str]] = {}
    for code, successor in (
        await session.execute(
            select(CommuneSplit.code, CommuneSplit.successor_code).order_by(
                CommuneSplit.code, CommuneSplit.successor_code
            )
        )
    ).all():
        splits.setdefault(code, []).append(successor)
    boundaries = (
        await session.execute(
            select(CommuneBoundary.commune_code, CommuneBoundary.geometry).order_by(
                CommuneBoundary.commune_code
            )
        )
    ).all()
    overlay = None
    if boundaries:
        overlay = CommuneLocator(
            [code for code, _ in boundaries],
            np.array([shapely.from_wkb(wkb) for _, wkb in boundaries], dtype=object),
        )
    return PlaceSnapshot(
        province_codes=frozenset(provinces),
        province_merged_into={code: into for code, into in province_rows if into},
        communes={row.code: _CommuneRow(*row) for row in communes},
        legacy={old: tuple(new) for old, new in legacy.items()},
        splits={code: tuple(parts) for code, parts in splits.items()},
        overlay=overlay,
    )


_place_cache = SnapshotCache(_load_place_snapshot, ttl_seconds=PLACE_CACHE_TTL_SECONDS)


async def current_province(session: AsyncSession, *, code: str) -> str | None:
    """Today's province for ``code`` (following mergers applied by change-sets), or None."""
    places = await place_snapshot(session)
    if code not in places.province_codes:
        return None
    hops = 0
    while code in places.province_merged_into and hops < _MAX_MERGER_HOPS:
        code, hops = places.province_merged_into[code], hops + 1
    return code


def _checked_point(lat: float | None, lon: float | None) -> tuple[float, float] | None:
    if lat is None and lon is None:
        return None
    for name, value, bound in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        if value is None or not math.isfinite(value) or abs(value) > bound:
            raise ValidationFailed(errors=[(f"location.{name}", msg("place.point", name=name))])
    assert lat is not None and lon is not None
    return lat, lon


# --- helpers -----------------------------------------------------------------------------


async def _current(session: AsyncSession, code: str) -> Commune | None:
    """The commune with ``code``, following later mergers to today's successor."""
    commune = await session.get(Commune, code)
    hops = 0
    while commune is not None and commune.merged_into and hops < _MAX_MERGER_HOPS:
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


def _legacy_out(row: LegacyCommune, successors: Sequence[_Named]) -> CommuneOut:
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
