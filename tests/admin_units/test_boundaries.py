"""GET /api/v1/admin-units/boundaries: simplified GeoJSON from the shipped geometries."""

from __future__ import annotations

import httpx
import shapely
from shapely.geometry import shape

from app.admin_units.geo import get_locator

URL = "/api/v1/admin-units/boundaries"


async def test_communes_of_a_province(client: httpx.AsyncClient) -> None:
    response = await client.get(URL, params={"province_code": "79"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    assert "max-age" in response.headers["cache-control"]
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert len(features) == 168  # Ho Chi Minh City's communes today
    sai_gon = features["26740"]
    assert sai_gon["properties"] == {"code": "26740", "name": "Phường Sài Gòn"}
    drawn = shape(sai_gon["geometry"])
    assert drawn.is_valid
    # Simplified, yet still the same place: the shipped boundary and the drawn one overlap
    # almost entirely, and the drawn one has fewer points.
    shipped = get_locator().geometry("26740")
    assert shipped is not None
    overlap = shapely.intersection(drawn, shipped).area / shipped.area
    assert overlap > 0.95
    assert shapely.get_num_coordinates(drawn) < shapely.get_num_coordinates(shipped)
    # Coordinates are rounded to 1e-4 degree.
    ring = sai_gon["geometry"]["coordinates"][0]
    lon, lat = ring[0] if isinstance(ring[0][0], float) else ring[0][0]
    assert round(lon, 4) == lon and round(lat, 4) == lat
    # A point known to be in the commune is inside its drawn boundary.
    assert drawn.contains(shapely.Point(106.7009, 10.7769))


async def test_province_outlines(client: httpx.AsyncClient) -> None:
    response = await client.get(URL)
    assert response.status_code == 200
    features = response.json()["features"]
    assert len(features) == 34
    # Every outline is a valid geometry (the communes do not form an exact coverage: a plain
    # coverage union of them drew self-intersecting outlines, which GEOS 3.13 failed to round).
    invalid = [f["id"] for f in features if not shape(f["geometry"]).is_valid]
    assert invalid == []
    hcmc = next(f for f in features if f["id"] == "79")
    assert hcmc["properties"]["name"] == "Thành phố Hồ Chí Minh"
    assert shape(hcmc["geometry"]).contains(shapely.Point(106.7009, 10.7769))


async def test_unknown_province_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(URL, params={"province_code": "00"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
