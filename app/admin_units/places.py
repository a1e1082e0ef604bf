"""The place of a tip: a commune code (today's, or a pre-2025 one that leads to its heir), a
point, or both, resolved against a per-process snapshot of the reference tables
(app.admin_units.service reads them for the API and re-exports these names)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.admin_units.geo import CommuneLocator
from app.admin_units.models import Commune, CommuneBoundary, CommuneSplit, LegacyCommune, Province
from app.core.errors import AppError, NotFound, ValidationFailed, msg
from app.core.snapshots import SnapshotCache

# A merger chain longer than this is a data error (a cycle), not history.
MAX_MERGER_HOPS = 16

# Intake resolves places from a per-process snapshot of the (reference) province, commune and
# legacy tables, like the working calendar (app.units.deadlines): cached per database for
# this long; ``invalidate_place_cache()`` after writing those tables applies a change at once
# in this process (other worker processes pick it up within the TTL).
PLACE_CACHE_TTL_SECONDS = 60.0


class Named(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def full_name(self) -> str: ...
    @property
    def province_code(self) -> str: ...


class AmbiguousCommune(AppError):
    """A pre-2025 code that was split, with no point to decide: the body lists candidates."""

    status, code = 422, "ambiguous_commune"

    def __init__(self, candidates: Sequence[Named], *, field: str | None = None) -> None:
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
        while pending and hops < MAX_MERGER_HOPS * 8:
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
        while commune is not None and commune.merged_into and hops < MAX_MERGER_HOPS:
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
    while code in places.province_merged_into and hops < MAX_MERGER_HOPS:
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
