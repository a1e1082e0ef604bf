"""Simplified boundaries as GeoJSON, drawn from the shipped commune geometries.

For maps that must work on an offline intranet (no tile server): the communes of one province,
or the outlines of every province, simplified (about 100 m for communes, 500 m for provinces)
and rounded to 1e-4 degree, so a province's communes weigh a few hundred kilobytes. Built in a
thread on first use and cached per (locator, province) — the shapes change only with the
locator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely
import shapely.errors

from app.admin_units.geo import CommuneLocator

COMMUNE_TOLERANCE_DEG = 0.001  # about 110 m
PROVINCE_TOLERANCE_DEG = 0.005  # about 550 m
DECIMALS = 4

_cache: dict[tuple[int, str | None], dict[str, Any]] = {}


def _rounded(geometry: Any) -> dict[str, Any]:
    """GeoJSON geometry with coordinates rounded to DECIMALS (repaired if rounding broke it)."""
    snapped = shapely.set_precision(geometry, 10**-DECIMALS)
    if snapped.is_empty:
        snapped = geometry
    mapping: dict[str, Any] = shapely.geometry.mapping(snapped)
    return mapping


def _feature(code: str, name: str, geometry: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": code,
        "properties": {"code": code, "name": name},
        "geometry": _rounded(geometry),
    }


def commune_boundaries(
    locator: CommuneLocator, communes: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """A FeatureCollection of the given (code, name) communes that have a boundary."""
    found = [(code, name, locator.geometry(code)) for code, name in communes]
    kept = [(code, name, geometry) for code, name, geometry in found if geometry is not None]
    simplified = _simplified([geometry for _, _, geometry in kept], COMMUNE_TOLERANCE_DEG)
    features = [
        _feature(code, name, geometry)
        for (code, name, _), geometry in zip(kept, simplified, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def _simplified(geometries: Sequence[Any], tolerance: float) -> Sequence[Any]:
    """Simplified as a coverage (neighbours keep their shared edges, no gaps or slivers);
    one by one if the coverage cannot be simplified as a whole."""
    if not geometries:
        return []
    array = np.array(geometries, dtype=object)
    try:
        return list(shapely.coverage_simplify(array, tolerance))
    except shapely.errors.GEOSException:
        return list(shapely.simplify(array, tolerance, preserve_topology=True))


def _dissolved(parts: Sequence[Any]) -> Any:
    """The parts' union. ``coverage_union_all`` is fast but trusts the parts to form a valid
    coverage, and the shipped communes do not quite (neighbours overlap or leave slivers): on
    such input it returns self-intersecting outlines, which GEOS 3.13 (shapely 2.1's wheels)
    then refuses to round. So an invalid result is redone by the full overlay on the grid."""
    array = np.array(parts, dtype=object)
    try:
        dissolved = shapely.coverage_union_all(array)
    except shapely.errors.GEOSException:
        dissolved = None
    if dissolved is None or not dissolved.is_valid:
        dissolved = shapely.union_all(array, grid_size=10**-DECIMALS)
    return dissolved


def province_boundaries(
    locator: CommuneLocator, provinces: Mapping[str, str], commune_province: Mapping[str, str]
) -> dict[str, Any]:
    """A FeatureCollection of province outlines: each province's communes dissolved."""
    homes: list[str] = []
    geometries: list[Any] = []
    for code, province_code in commune_province.items():
        geometry = locator.geometry(code)
        if geometry is not None and province_code in provinces:
            homes.append(province_code)
            geometries.append(geometry)
    by_province: dict[str, list[Any]] = {}
    for province_code, simplified in zip(
        homes, _simplified(geometries, PROVINCE_TOLERANCE_DEG), strict=True
    ):
        by_province.setdefault(province_code, []).append(simplified)
    features = [
        _feature(province_code, name, _dissolved(by_province[province_code]))
        for province_code, name in sorted(provinces.items())
        if province_code in by_province
    ]
    return {"type": "FeatureCollection", "features": features}


def cached(locator: CommuneLocator, province_code: str | None) -> dict[str, Any] | None:
    return _cache.get((id(locator), province_code))


def remember(
    locator: CommuneLocator, province_code: str | None, collection: dict[str, Any]
) -> dict[str, Any]:
    _cache[(id(locator), province_code)] = collection
    return collection
