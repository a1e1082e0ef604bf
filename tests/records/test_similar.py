"""GET /tips/{id}/similar: possible duplicates, in scope, best first (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.admin_units.geo import get_locator
from app.triage.similar import distance_m
from tests.tips.helpers import (
    LONG_DESCRIPTION,
    SAI_GON,
    SAI_GON_POINT,
    TAN_DINH_POINT,
    TIPS,
    jpeg_bytes,
    payload,
    post_multipart,
)
from tests.triage.helpers import Staff, set_tip, submit

TEXT = "Nhóm thanh niên tụ tập sử dụng ma túy ở cuối hẻm 12 đường Lê Lợi mỗi tối."
TAN_DINH = "26737"
HANOI = "00070"


def _at(commune: str, point: tuple[float, float] | None = None) -> dict[str, Any]:
    location: dict[str, Any] = {"commune_code": commune, "address": "Hẻm 12"}
    if point:
        location["lat"], location["lon"] = point
    return location


async def _similar(client: httpx.AsyncClient, tip_id: str, headers: dict[str, str]) -> Any:
    r = await client.get(f"{TIPS}/{tip_id}/similar", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_possible_duplicates_best_first(
    client: httpx.AsyncClient, db: AsyncSession, staff: Staff
) -> None:
    near = (SAI_GON_POINT[0] + 0.001, SAI_GON_POINT[1])  # about 111 m north
    tip = await submit(client, description=TEXT, location=_at(SAI_GON, SAI_GON_POINT))
    twin = await submit(
        client,
        description="Thanh niên tụ tập sử dụng ma tuý ở cuối hẻm 12 Lê Lợi mỗi tối",
        location=_at(SAI_GON, near),
    )
    neighbour = await submit(client, description=TEXT, location=_at(TAN_DINH, TAN_DINH_POINT))
    unrelated = await submit(
        client,
        category_code="public_disorder",
        description="Quán karaoke mở nhạc quá to sau 23 giờ làm mất trật tự khu phố.",
        location=_at(SAI_GON),
    )
    far_away = await submit(client, description=TEXT, location=_at(HANOI))
    old = await submit(client, description=TEXT, location=_at(SAI_GON, SAI_GON_POINT))
    await set_tip(db, old["id"], created_at=datetime.now(UTC) - timedelta(days=60))
    merged = await submit(client, description=TEXT, location=_at(SAI_GON, SAI_GON_POINT))
    await set_tip(db, merged["id"], status="merged")

    found = await _similar(client, tip["id"], staff.headers["admin"])
    ids = [s["id"] for s in found]
    assert ids == [twin["id"], neighbour["id"]]
    for excluded in (tip, unrelated, far_away, old, merged):
        assert excluded["id"] not in ids
    first, second = found
    assert set(first) == {"id", "reference", "score", "distance_m", "created_at", "status"}
    assert first["reference"] == twin["reference"] and first["status"] == "received"
    assert 0 < second["score"] < first["score"] <= 1
    assert first["distance_m"] == pytest.approx(111, abs=5)
    assert second["distance_m"] == pytest.approx(distance_m(*SAI_GON_POINT, *TAN_DINH_POINT), abs=1)
    assert TAN_DINH in get_locator().neighbours(SAI_GON)

    # Without points the place is the commune: the twin keeps first place, no distance.
    await set_tip(db, twin["id"], lat=None, lon=None)
    found = await _similar(client, tip["id"], staff.headers["admin"])
    assert found[0]["id"] == twin["id"] and found[0]["distance_m"] is None


async def test_only_within_the_callers_scope(client: httpx.AsyncClient, staff: Staff) -> None:
    tip = await submit(client, description=TEXT, location=_at(SAI_GON))
    twin = await submit(client, description=TEXT, location=_at(SAI_GON))
    other_unit = await submit(client, description=TEXT, location=_at(TAN_DINH))

    as_a = [s["id"] for s in await _similar(client, tip["id"], staff.headers["officer_a"])]
    assert as_a == [twin["id"]]  # Tân Định's tip is not officer A's to see
    as_b = await _similar(client, other_unit["id"], staff.headers["officer_b"])
    assert as_b == []
    supervisor = await _similar(client, tip["id"], staff.headers["supervisor_79"])
    assert {s["id"] for s in supervisor} == {twin["id"], other_unit["id"]}
    analyst = await _similar(client, tip["id"], staff.headers["analyst_79"])
    assert {s["id"] for s in analyst} == {twin["id"], other_unit["id"]}

    r = await client.get(f"{TIPS}/{tip['id']}/similar", headers=staff.headers["officer_b"])
    assert r.status_code == 404
    r = await client.get(f"{TIPS}/{tip['id']}/similar", headers=staff.headers["supervisor_01"])
    assert r.status_code == 404
    r = await client.get(f"{TIPS}/{tip['id']}/similar", headers=staff.headers["front"])
    assert r.status_code == 403
    r = await client.get(
        f"{TIPS}/{tip['id']}/similar", params={"limit": 0}, headers=staff.headers["admin"]
    )
    assert r.status_code == 422
    r = await client.get(
        f"{TIPS}/{tip['id']}/similar", params={"limit": 1}, headers=staff.headers["admin"]
    )
    assert [s["id"] for s in r.json()] == [twin["id"]]


async def test_a_tip_without_a_commune_is_compared_within_its_province(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    body = payload(
        description=LONG_DESCRIPTION,
        location={"province_code": "79", "address": "gần chợ"},
        location_unknown=True,
    )
    r = await post_multipart(client, body, [("anh.jpg", jpeg_bytes(), "image/jpeg")])
    assert r.status_code == 201, r.text
    unknown = r.json()
    same_words = await submit(client, description=LONG_DESCRIPTION, location=_at(TAN_DINH))
    other_province = await submit(client, description=LONG_DESCRIPTION, location=_at(HANOI))
    found = await _similar(client, unknown["id"], staff.headers["admin"])
    assert [s["id"] for s in found] == [same_words["id"]]
    assert found[0]["distance_m"] is None
    assert other_province["id"] not in [s["id"] for s in found]
