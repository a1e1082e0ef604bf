"""resolve_place: the rules intake applies to a tip's place (API.md, "Citizen and
Front-member intake")."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.admin_units.geo import get_locator
from app.admin_units.service import (
    AmbiguousCommune,
    PlaceNotLocated,
    ResolvedPlace,
    UnknownCommune,
    resolve_place,
)
from app.core.errors import ValidationFailed

# Points inside today's communes (their shipped inside points).
SAI_GON = (10.779947, 106.702495)  # 26740 Phường Sài Gòn
BEN_THANH = (10.771434, 106.69415)  # 26743 Phường Bến Thành
TAN_DINH = (10.790895, 106.695003)  # 26737 Phường Tân Định
AT_SEA = (12.0, 112.0)
COMMUNES_CSV = Path(__file__).resolve().parents[2] / "app" / "admin_units" / "data" / "communes.csv"


async def resolve(
    db: AsyncSession,
    *,
    commune_code: str | None = None,
    legacy_commune_code: str | None = None,
    point: tuple[float, float] | None = None,
) -> ResolvedPlace:
    return await resolve_place(
        db,
        locator=get_locator(),
        commune_code=commune_code,
        legacy_commune_code=legacy_commune_code,
        lat=point[0] if point else None,
        lon=point[1] if point else None,
    )


async def test_todays_code(db: AsyncSession) -> None:
    assert await resolve(db, commune_code="26740") == ResolvedPlace("26740", "79", False, False)


async def test_todays_code_with_an_agreeing_point(db: AsyncSession) -> None:
    place = await resolve(db, commune_code="26740", point=SAI_GON)
    assert place == ResolvedPlace("26740", "79", False, False)


async def test_code_wins_over_a_disagreeing_point_and_is_flagged(db: AsyncSession) -> None:
    place = await resolve(db, commune_code="26740", point=TAN_DINH)
    assert place == ResolvedPlace("26740", "79", True, False)
    place = await resolve(db, commune_code="26740", point=AT_SEA)
    assert place.location_mismatch is True


async def test_old_code_is_mapped(db: AsyncSession) -> None:
    # 26734 was Phường Tân Định (Quận 1) before 2025; today it is part of 26737.
    assert await resolve(db, commune_code="26734") == ResolvedPlace("26737", "79", False, True)


async def test_old_code_from_a_merged_province(db: AsyncSession) -> None:
    # Phường Phúc Xá (Hà Nội) → Phường Hồng Hà.
    place = await resolve(db, commune_code="00001")
    assert (place.commune_code, place.province_code, place.resolved_from_legacy) == (
        "00097",
        "01",
        True,
    )


async def test_split_old_code_without_a_point_is_ambiguous(db: AsyncSession) -> None:
    with pytest.raises(AmbiguousCommune) as raised:
        await resolve(db, commune_code="26746")
    assert raised.value.status == 422
    assert raised.value.extra["candidates"] == [
        {"code": "26740", "name": "Phường Sài Gòn"},
        {"code": "26743", "name": "Phường Bến Thành"},
    ]
    assert raised.value.errors is not None
    assert raised.value.errors[0][0] == "location.commune_code"


async def test_a_point_decides_a_split_old_code(db: AsyncSession) -> None:
    assert await resolve(db, commune_code="26746", point=BEN_THANH) == ResolvedPlace(
        "26743", "79", False, True
    )
    assert await resolve(db, commune_code="26746", point=SAI_GON) == ResolvedPlace(
        "26740", "79", False, True
    )


async def test_a_point_outside_every_candidate_does_not_decide(db: AsyncSession) -> None:
    with pytest.raises(AmbiguousCommune):
        await resolve(db, commune_code="26746", point=TAN_DINH)


async def test_legacy_commune_code_forces_the_old_meaning(db: AsyncSession) -> None:
    # 00025 is Phường Giảng Võ today; before 2025 it was Phường Ngọc Khánh, split among
    # 00008 Ngọc Hà, 00025 Giảng Võ and 00199 Láng.
    lang_point = _inside("00199")
    place = await resolve(db, commune_code="00025", point=lang_point)
    assert place == ResolvedPlace("00025", "01", True, False)
    place = await resolve(db, legacy_commune_code="00025", point=lang_point)
    assert place == ResolvedPlace("00199", "01", False, True)
    with pytest.raises(AmbiguousCommune) as raised:
        await resolve(db, legacy_commune_code="00025")
    assert [c["code"] for c in raised.value.extra["candidates"]] == ["00008", "00025", "00199"]
    assert raised.value.errors is not None
    assert raised.value.errors[0][0] == "location.legacy_commune_code"


async def test_legacy_code_that_never_existed(db: AsyncSession) -> None:
    # 26740 is both; 33333 never was a commune code.
    with pytest.raises(UnknownCommune) as raised:
        await resolve(db, legacy_commune_code="33333")
    assert raised.value.errors == [("location.legacy_commune_code", raised.value.detail)]


async def test_unknown_code(db: AsyncSession) -> None:
    with pytest.raises(UnknownCommune) as raised:
        await resolve(db, commune_code="99999", point=SAI_GON)
    assert raised.value.status == 422
    assert raised.value.code == "unknown_commune"
    assert raised.value.errors is not None
    assert raised.value.errors[0][0] == "location.commune_code"


async def test_only_a_point(db: AsyncSession) -> None:
    assert await resolve(db, point=BEN_THANH) == ResolvedPlace("26743", "79", False, False)


async def test_only_a_point_outside_every_commune(db: AsyncSession) -> None:
    with pytest.raises(PlaceNotLocated) as raised:
        await resolve(db, point=AT_SEA)
    assert (raised.value.status, raised.value.code) == (422, "location_not_found")
    assert raised.value.errors is not None
    assert raised.value.errors[0][0] == "location"


@pytest.mark.usefixtures("ben_thanh_merged_into_sai_gon")
async def test_a_commune_retired_by_a_later_merger_resolves_to_its_successor(
    db: AsyncSession,
) -> None:
    assert await resolve(db, commune_code="26743") == ResolvedPlace("26740", "79", False, False)
    # The shipped boundary of 26743 still locates; the point follows the merger too.
    assert await resolve(db, point=BEN_THANH) == ResolvedPlace("26740", "79", False, False)
    # A split whose candidates merged since is no longer ambiguous.
    assert await resolve(db, commune_code="26746") == ResolvedPlace("26740", "79", False, True)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "location"),
        ({"commune_code": "26740", "legacy_commune_code": "26740"}, "location.legacy_commune_code"),
    ],
)
async def test_invalid_place(db: AsyncSession, kwargs: dict, field: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await resolve(db, **kwargs)
    assert raised.value.errors is not None
    assert raised.value.errors[0][0] == field


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [(10.7, None, "location.lon"), (None, 106.7, "location.lat"), (95.0, 106.7, "location.lat")],
)
async def test_invalid_point(
    db: AsyncSession, lat: float | None, lon: float | None, field: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await resolve_place(
            db,
            locator=get_locator(),
            commune_code="26740",
            legacy_commune_code=None,
            lat=lat,
            lon=lon,
        )
    assert raised.value.errors is not None
    assert raised.value.errors[0][0] == field


def _inside(code: str) -> tuple[float, float]:
    """The shipped inside point of a commune."""
    with COMMUNES_CSV.open(encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["code"] == code)
    return float(row["inside_lat"]), float(row["inside_lon"])


async def test_empty_legacy_code_is_ignored(db: AsyncSession) -> None:
    place = await resolve(db, commune_code="26740", legacy_commune_code="")
    assert place == ResolvedPlace("26740", "79", False, False)
