"""The shipped boundaries: every commune's inside point locates to it, fast enough, and
points outside Vietnam locate nowhere."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import shapely

from app.admin_units.geo import GEOMETRY_FILE, CommuneLocator, get_locator

DATA = Path(__file__).resolve().parents[2] / "app" / "admin_units" / "data"


@pytest.fixture(scope="module")
def inside_points() -> list[tuple[str, float, float]]:
    with (DATA / "communes.csv").open(encoding="utf-8") as f:
        return [
            (r["code"], float(r["inside_lat"]), float(r["inside_lon"])) for r in csv.DictReader(f)
        ]


def test_shipped_geometry_is_compact_and_covers_every_commune(
    inside_points: list[tuple[str, float, float]],
) -> None:
    assert GEOMETRY_FILE.stat().st_size < 10 * 1024 * 1024
    locator = get_locator()
    assert len(locator) == 3321
    assert sorted(locator.codes) == sorted(code for code, _, _ in inside_points)


def test_every_commune_inside_point_locates_to_that_commune(
    inside_points: list[tuple[str, float, float]],
) -> None:
    locator = get_locator()
    wrong = [code for code, lat, lon in inside_points if locator.locate(lat, lon) != code]
    assert wrong == []


def test_locate_many_agrees_with_locate(inside_points: list[tuple[str, float, float]]) -> None:
    locator = get_locator()
    lats = [lat for _, lat, _ in inside_points] + [35.68, 12.0]
    lons = [lon for _, _, lon in inside_points] + [139.69, 112.0]
    assert locator.locate_many(lats, lons) == [code for code, _, _ in inside_points] + [None, None]


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (35.6812, 139.7671),  # Tokyo
        (13.7563, 100.5018),  # Bangkok
        (11.5564, 104.9282),  # Phnom Penh, just across the border
        (14.0, 110.5),  # South China Sea, between the coast and the Paracels
        (float("nan"), 106.7),
    ],
)
def test_points_outside_vietnam_locate_nowhere(lat: float, lon: float) -> None:
    assert get_locator().locate(lat, lon) is None


def test_well_known_places() -> None:
    locator = get_locator()
    assert locator.locate(10.7769, 106.7009) == "26740"  # Nhà hát Thành phố, Phường Sài Gòn
    assert locator.locate(21.0285, 105.8542) == "00070"  # Hồ Gươm, Phường Hoàn Kiếm
    assert locator.contains("26740", 10.7769, 106.7009)
    assert not locator.contains("00070", 10.7769, 106.7009)
    assert not locator.contains("99999", 10.7769, 106.7009)


def test_locator_needs_one_code_per_geometry() -> None:
    square = shapely.box(106.0, 10.0, 106.1, 10.1)
    with pytest.raises(ValueError):
        CommuneLocator(["00001", "00002"], np.array([shapely.multipolygons([square])]))
