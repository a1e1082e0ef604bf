"""GET /api/v1/admin-units/...: provinces, commune search, today's and pre-2025 codes, locate."""

from __future__ import annotations

import httpx
import pytest

BASE = "/api/v1/admin-units"


async def test_provinces(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/provinces")
    assert response.status_code == 200
    provinces = response.json()
    assert len(provinces) == 34
    hcmc = next(p for p in provinces if p["code"] == "79")
    assert hcmc["name"] == "Thành phố Hồ Chí Minh"
    assert hcmc["type"] == "thanh_pho"
    assert {p["type"] for p in provinces} == {"tinh", "thanh_pho"}
    assert sum(p["type"] == "thanh_pho" for p in provinces) == 7


@pytest.mark.parametrize("q", ["ben thanh", "Bến Thành", "BEN THÀNH", "  bến   thành "])
async def test_commune_search_ignores_diacritics_and_case(
    client: httpx.AsyncClient, q: str
) -> None:
    response = await client.get(f"{BASE}/communes", params={"province_code": "79", "q": q})
    assert response.status_code == 200
    today = [c for c in response.json() if c["legacy"] is None]
    assert [(c["code"], c["name"]) for c in today] == [("26743", "Phường Bến Thành")]


async def test_commune_search_matches_other_tone_placement(client: httpx.AsyncClient) -> None:
    # The data spells "Yên Hoà"; a user types "Yên Hòa".
    response = await client.get(f"{BASE}/communes", params={"q": "Yên Hòa"})
    assert "00175" in [c["code"] for c in response.json() if c["legacy"] is None]


async def test_commune_search_finds_a_pre_2025_name(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/communes", params={"province_code": "79", "q": "ben nghe"})
    assert response.status_code == 200
    [found] = [c for c in response.json() if c["name"] == "Phường Bến Nghé"]
    assert found["merged_into"] == "26740"
    assert found["province_code"] == "79"
    assert found["legacy"]["district_name"] == "Quận 1"


async def test_commune_search_shows_a_split_pre_2025_commune_with_candidates(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(f"{BASE}/communes", params={"q": "nguyen thai binh"})
    [found] = [c for c in response.json() if c["code"] == "26746"]
    assert found["merged_into"] is None
    assert [c["code"] for c in found["candidates"]] == ["26740", "26743"]


async def test_communes_of_a_province_ordered_by_name(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/communes", params={"province_code": "79"})
    communes = response.json()
    assert len(communes) == 168
    assert {c["province_code"] for c in communes} == {"79"}
    assert all(c["legacy"] is None and c["merged_into"] is None for c in communes)
    names = [c["name"] for c in communes]
    assert names.index("Phường Bến Thành") < names.index("Phường Sài Gòn")


async def test_commune_list_is_capped_by_limit(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/communes", params={"limit": 5})
    assert len(response.json()) == 5
    response = await client.get(f"{BASE}/communes", params={"limit": 0})
    assert response.status_code == 422


async def test_todays_code(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/communes/26740")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "26740"
    assert body["name"] == "Phường Sài Gòn"
    assert body["type"] == "phuong"
    assert body["province_code"] == "79"
    assert body["merged_into"] is None
    assert body["legacy"] is None


async def test_old_code_answers_merged_into(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/communes/26734")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Phường Tân Định"
    assert body["merged_into"] == "26737"
    assert body["province_code"] == "79"
    assert body["legacy"]["province_name"] == "Thành phố Hồ Chí Minh"


async def test_old_code_of_a_merged_province_reports_todays_province(
    client: httpx.AsyncClient,
) -> None:
    # Phường Phú Thọ (Thủ Dầu Một, Bình Dương 74) is part of Phường Thủ Dầu Một, in Thành phố
    # Hồ Chí Minh (79) since 2025.
    response = await client.get(f"{BASE}/communes/25753")
    body = response.json()
    assert (body["name"], body["merged_into"], body["province_code"]) == (
        "Phường Phú Thọ",
        "25747",
        "79",
    )
    assert body["legacy"] == {
        "district_name": "Thành phố Thủ Dầu Một",
        "province_code": "74",
        "province_name": "Tỉnh Bình Dương",
    }


async def test_legacy_flag_reads_a_code_as_pre_2025(client: httpx.AsyncClient) -> None:
    # 26740 is Phường Sài Gòn today and was Phường Bến Nghé before 2025.
    response = await client.get(f"{BASE}/communes/26740", params={"legacy": "true"})
    body = response.json()
    assert (body["name"], body["merged_into"]) == ("Phường Bến Nghé", "26740")
    # 00025 (Giảng Võ today) was Ngọc Khánh, split among three communes.
    response = await client.get(f"{BASE}/communes/00025", params={"legacy": "true"})
    assert response.status_code == 422
    assert [c["code"] for c in response.json()["candidates"]] == ["00008", "00025", "00199"]


async def test_split_old_code_is_ambiguous(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/communes/26746", headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "ambiguous_commune"
    assert body["candidates"] == [
        {"code": "26740", "name": "Phường Sài Gòn"},
        {"code": "26743", "name": "Phường Bến Thành"},
    ]


async def test_unknown_code_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/communes/99999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.usefixtures("ben_thanh_merged_into_sai_gon")
async def test_code_retired_by_a_later_merger(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/communes/26743")
    body = response.json()
    assert (body["name"], body["merged_into"]) == ("Phường Bến Thành", "26740")
    response = await client.get(f"{BASE}/communes", params={"province_code": "79"})
    codes = [c["code"] for c in response.json()]
    assert codes[-1] == "26743"  # retired communes come after today's


async def test_locate_inside(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/locate", params={"lat": 10.7769, "lon": 106.7009})
    assert response.status_code == 200
    assert response.json()["code"] == "26740"
    assert response.json()["province_code"] == "79"


async def test_locate_island_special_zone(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/locate", params={"lat": 8.700285, "lon": 106.606242})
    assert (response.json()["code"], response.json()["type"]) == ("26732", "dac_khu")


async def test_locate_outside_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{BASE}/locate", params={"lat": 35.68, "lon": 139.77})
    assert response.status_code == 404
    assert response.json()["code"] == "location_not_found"


@pytest.mark.parametrize(
    "params",
    [{"lat": 91, "lon": 106}, {"lat": 10, "lon": 181}, {"lat": "x", "lon": 106}, {"lat": 10}],
)
async def test_locate_rejects_bad_coordinates(client: httpx.AsyncClient, params: dict) -> None:
    response = await client.get(f"{BASE}/locate", params=params)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
