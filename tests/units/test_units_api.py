"""GET /api/v1/categories, /api/v1/units, /api/v1/units/{code}, and intake's routing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from app.units.models import Category, PoliceUnit
from app.units.routing import Routing
from app.units.service import (
    UnknownCategory,
    invalidate_reference_cache,
    route_with,
    units_snapshot,
)


async def test_categories(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/categories")
    assert response.status_code == 200
    categories = response.json()
    assert len(categories) == 14
    assert categories[0]["code"] == "violent_crime"
    assert categories[-1]["code"] == "other"
    drugs = next(c for c in categories if c["code"] == "drugs")
    assert drugs["name"] == "Ma túy"
    assert drugs["name_en"] == "Drugs"
    assert drugs["kind"] == "crime"
    assert drugs["description"]
    kinds = {c["code"]: c["kind"] for c in categories}
    assert kinds["neighbour_dispute"] == "security_order"


@pytest.fixture
def inactive_gambling_category(sync_engine: Engine) -> Iterator[None]:
    table = Category.__table__
    with sync_engine.begin() as conn:
        conn.execute(
            update(table).where(table.c.code == "gambling_prostitution").values(active=False)
        )
    yield
    with sync_engine.begin() as conn:
        conn.execute(
            update(table).where(table.c.code == "gambling_prostitution").values(active=True)
        )


@pytest.mark.usefixtures("inactive_gambling_category")
async def test_inactive_category_is_neither_listed_nor_routable(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    response = await client.get("/api/v1/categories")
    assert "gambling_prostitution" not in [c["code"] for c in response.json()]
    with pytest.raises(UnknownCategory):
        await route_tip(
            db, commune_code="26740", province_code="79", category_code="gambling_prostitution"
        )


async def test_units_of_a_province_by_kind(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/units", params={"province_code": "79", "kind": "department"}
    )
    assert response.status_code == 200
    units = response.json()
    assert [u["code"] for u in units] == [
        "CAT-79-ANCT",
        "CAT-79-CSDT",
        "CAT-79-PA05",
        "CAT-79-PC04",
        "CAT-79-PC07",
        "CAT-79-PC08",
    ]
    assert {u["parent_code"] for u in units} == {"CAT-79"}
    response = await client.get("/api/v1/units", params={"province_code": "79"})
    assert len(response.json()) == 168 + 1 + 6
    response = await client.get("/api/v1/units", params={"kind": "provincial"})
    assert len(response.json()) == 34


async def test_one_unit(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/units/CAX-26732")
    assert response.status_code == 200
    assert response.json() == {
        "code": "CAX-26732",
        "name": "Công an đặc khu Côn Đảo",
        "kind": "commune",
        "department": None,
        "province_code": "79",
        "commune_code": "26732",
        "parent_code": "CAT-79",
        "remote": True,
        "active": True,
    }


async def test_unknown_unit_and_bad_kind(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/units/CAX-99999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    response = await client.get("/api/v1/units", params={"kind": "district"})
    assert response.status_code == 422


async def route_tip(
    db: AsyncSession, *, commune_code: str | None, province_code: str, category_code: str
) -> tuple[object, Routing]:
    """Routing as intake does it (app.tips.intake): on the units snapshot, active units only."""
    invalidate_reference_cache()  # fixtures below change units behind the cache's back
    category, routing = route_with(
        await units_snapshot(db),
        commune_code=commune_code,
        province_code=province_code,
        category_code=category_code,
    )
    return category, routing


async def test_route_tip(db: AsyncSession) -> None:
    category, routing = await route_tip(
        db, commune_code="26740", province_code="79", category_code="drugs"
    )
    assert category.code == "drugs"
    assert routing == Routing("CAX-26740", ("CAT-79-PC04",))
    _, routing = await route_tip(
        db, commune_code=None, province_code="79", category_code="public_disorder"
    )
    assert routing == Routing("CAT-79", ())


async def test_route_tip_unknown_category(db: AsyncSession) -> None:
    with pytest.raises(UnknownCategory) as raised:
        await route_tip(db, commune_code="26740", province_code="79", category_code="nope")
    assert (raised.value.status, raised.value.code) == (422, "unknown_category")
    assert raised.value.errors is not None
    assert raised.value.errors[0][0] == "category_code"


@pytest.fixture
def inactive_commune_police(sync_engine: Engine) -> Iterator[None]:
    table = PoliceUnit.__table__
    with sync_engine.begin() as conn:
        conn.execute(update(table).where(table.c.code == "CAX-26740").values(active=False))
    yield
    with sync_engine.begin() as conn:
        conn.execute(update(table).where(table.c.code == "CAX-26740").values(active=True))
    invalidate_reference_cache()


@pytest.mark.usefixtures("inactive_commune_police")
async def test_route_tip_skips_inactive_units(db: AsyncSession) -> None:
    _, routing = await route_tip(
        db, commune_code="26740", province_code="79", category_code="drugs"
    )
    assert routing == Routing("CAT-79", ("CAT-79-PC04",))
