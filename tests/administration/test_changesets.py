"""Administrative change-sets with real shapes: a merger of two communes, a split with two
boundaries, a province renamed and retyped (the Đồng Nai case)."""

from __future__ import annotations

from typing import Any

import httpx
import shapely
from shapely.geometry import box, mapping
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.admin_units.geo import get_locator
from app.admin_units.models import Commune
from app.tips.models import RegisterEntry, Tip, TipEvent
from app.units.models import PoliceUnit
from tests.accounts.helpers import auth_headers, make_user
from tests.tips.helpers import TIPS, TRACK, payload

CHANGE_SETS = "/api/v1/admin-units/change-sets"
# Hà Nội: Phường Ba Đình and Phường Ngọc Hà merge into Ba Đình.
BA_DINH, NGOC_HA = "00004", "00008"
# Pre-2025 codes: 00006 (Vĩnh Phúc) became Ngọc Hà; 00016 (old Ngọc Hà) was split between
# Ba Đình and Ngọc Hà, so it is ambiguous until the two merge.
VINH_PHUC_OLD, OLD_NGOC_HA = "00006", "00016"
# Hồ Chí Minh City: Phường Tân Định is split in two.
TAN_DINH = "26737"


async def _admin(db: AsyncSession, app: Any) -> dict[str, str]:
    return auth_headers(app, await make_user(db, role="admin"))


async def _tip(
    client: httpx.AsyncClient, commune: str, point: tuple[float, float] | None = None
) -> dict[str, Any]:
    location: dict[str, Any] = {"commune_code": commune}
    if point is not None:
        location |= {"lat": point[0], "lon": point[1]}
    r = await client.post(TIPS, json=payload(category_code="public_disorder", location=location))
    assert r.status_code == 201, r.text
    return r.json()


async def _merge_provinces(
    client: httpx.AsyncClient, headers: dict[str, str], *, into: str, retired: str, name: str
) -> httpx.Response:
    """Apply a change-set merging province ``retired`` into ``into`` (a tỉnh named ``name``)."""
    body = {
        "effective_at": "2026-12-01T00:00:00+07:00",
        "dry_run": False,
        "changes": [
            {
                "type": "merge_provinces",
                "from": [into, retired],
                "into": {"code": into, "name": name, "type": "tinh"},
            }
        ],
    }
    return await client.post(CHANGE_SETS, json=body, headers=headers)


async def _close(db: AsyncSession, tip_id: str) -> None:
    tip = await db.get(Tip, tip_id)
    assert tip is not None
    tip.status = "resolved"
    await db.commit()


def _inside(code: str) -> tuple[float, float]:
    locator = get_locator()
    point = locator._geometries[locator._index[code]].representative_point()
    return point.y, point.x


async def test_merge_two_communes(client: httpx.AsyncClient, db: AsyncSession, app: Any) -> None:
    headers = await _admin(db, app)
    open_a = await _tip(client, BA_DINH)
    open_b = [await _tip(client, NGOC_HA) for _ in range(3)]
    closed_b = await _tip(client, NGOC_HA)
    await _close(db, closed_b["id"])
    before = await client.get("/api/v1/admin-units/communes", params={"province_code": "01"})
    # Before the merger, the old Ngọc Hà code is ambiguous.
    r = await client.post(TIPS, json=payload(location={"legacy_commune_code": OLD_NGOC_HA}))
    assert r.status_code == 422 and r.json()["code"] == "ambiguous_commune"

    body = {
        "effective_at": "2026-12-01T00:00:00+07:00",
        "note": "Nghị quyết sáp nhập",
        "changes": [
            {
                "type": "merge_communes",
                "from": [BA_DINH, NGOC_HA],
                "into": {"code": BA_DINH, "name": "Ba Đình", "type": "phuong"},
            }
        ],
    }
    dry = await client.post(CHANGE_SETS, json=body, headers=headers)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["dry_run"] is True and report["id"] is None
    assert report["communes_retired"] == [NGOC_HA]
    assert report["units_retired"] == [f"CAX-{NGOC_HA}"]
    assert report["reroutes"] == [
        {"from_unit": f"CAX-{NGOC_HA}", "to_unit": f"CAX-{BA_DINH}", "open_tips": 3}
    ]
    # The dry run changed nothing.
    db.expire_all()
    assert (await db.get(Commune, NGOC_HA)).merged_into is None  # type: ignore[union-attr]
    assert (await db.get(PoliceUnit, f"CAX-{NGOC_HA}")).active  # type: ignore[union-attr]
    assert (await client.get(CHANGE_SETS, headers=headers)).json()["items"] == []

    applied = await client.post(CHANGE_SETS, json={**body, "dry_run": False}, headers=headers)
    assert applied.status_code == 201, applied.text
    assert {k: v for k, v in applied.json().items() if k in report} | {
        "dry_run": True,
        "id": None,
        "applied_at": None,
        "applied_by": None,
    } == report | {"applied_at": None, "applied_by": None}
    change_set_id = applied.json()["id"]

    db.expire_all()
    assert (await db.get(PoliceUnit, f"CAX-{NGOC_HA}")).active is False  # type: ignore[union-attr]
    for tip in open_b:
        row = await db.get(Tip, tip["id"])
        assert row is not None and row.assigned_unit_code == f"CAX-{BA_DINH}"
        assert row.reference == tip["reference"]
        entries = (
            await db.scalars(
                select(RegisterEntry)
                .where(RegisterEntry.tip_id == tip["id"])
                .order_by(RegisterEntry.id)
            )
        ).all()
        assert [e.unit_code for e in entries] == [f"CAX-{NGOC_HA}", f"CAX-{BA_DINH}"]
        assert entries[0].register_number == tip["register_number"]  # history kept
        assert row.register_number == entries[1].register_number
        events = (
            await db.scalars(
                select(TipEvent).where(
                    TipEvent.tip_id == tip["id"], TipEvent.type == "tip.rerouted"
                )
            )
        ).all()
        assert len(events) == 1 and events[0].data["change_set_id"] == change_set_id
        # The receipt still works, and shows the new unit.
        track = await client.get(TRACK, headers={"X-Tip-Receipt": tip["receipt"]})
        assert track.status_code == 200
        assert track.json()["assigned_unit"]["code"] == f"CAX-{BA_DINH}"
    # Register numbers at the new unit are gapless after Ba Đình's own tip.
    numbers = sorted(
        (
            await db.scalars(
                select(RegisterEntry.seq).where(RegisterEntry.unit_code == f"CAX-{BA_DINH}")
            )
        ).all()
    )
    assert numbers == list(range(1, 5))
    closed = await db.get(Tip, closed_b["id"])
    assert closed is not None and closed.assigned_unit_code == f"CAX-{NGOC_HA}"
    untouched = await db.get(Tip, open_a["id"])
    assert untouched is not None and untouched.register_number == open_a["register_number"]

    # Codes keep resolving: the retired code and pre-2025 codes lead to the successor.
    commune = (await client.get(f"/api/v1/admin-units/communes/{NGOC_HA}")).json()
    assert commune["merged_into"] == BA_DINH
    for legacy in (VINH_PHUC_OLD, OLD_NGOC_HA):
        r = await client.post(TIPS, json=payload(location={"legacy_commune_code": legacy}))
        assert r.status_code == 201, r.text
        assert r.json()["assigned_unit"]["code"] == f"CAX-{BA_DINH}"
    r = await client.post(TIPS, json=payload(location={"commune_code": NGOC_HA}))
    assert r.json()["assigned_unit"]["code"] == f"CAX-{BA_DINH}"
    # A point in the retired commune's area locates to the successor.
    lat, lon = _inside(NGOC_HA)
    located = await client.get("/api/v1/admin-units/locate", params={"lat": lat, "lon": lon})
    assert located.json()["code"] == BA_DINH

    listed = (await client.get(CHANGE_SETS, headers=headers)).json()["items"]
    assert [c["id"] for c in listed] == [change_set_id]
    assert listed[0]["reroutes"] == report["reroutes"]
    feed = (await client.get("/api/v1/events", headers=headers)).json()["items"]
    assert {"kind": "admin_units", "code": change_set_id} in [
        e["data"] for e in feed if e["type"] == "reference.changed"
    ]
    assert sum(e["type"] == "tip.rerouted" for e in feed) == 3
    after = await client.get("/api/v1/admin-units/communes", params={"province_code": "01"})
    assert len(after.json()) == len(before.json())  # the retired commune is still listed


def _halves(code: str) -> tuple[Any, Any]:
    locator = get_locator()
    geometry = locator._geometries[locator._index[code]]
    minx, miny, maxx, maxy = geometry.bounds
    middle = (minx + maxx) / 2
    west = shapely.intersection(geometry, box(minx - 1, miny - 1, middle, maxy + 1))
    east = shapely.intersection(geometry, box(middle, miny - 1, maxx + 1, maxy + 1))
    return west, east


async def test_split_a_commune(client: httpx.AsyncClient, db: AsyncSession, app: Any) -> None:
    headers = await _admin(db, app)
    west, east = _halves(TAN_DINH)
    west_point = west.representative_point()
    east_point = east.representative_point()
    in_west = await _tip(client, TAN_DINH, (west_point.y, west_point.x))
    in_east = await _tip(client, TAN_DINH, (east_point.y, east_point.x))
    no_point = await _tip(client, TAN_DINH)
    body = {
        "effective_at": "2026-12-01T00:00:00+07:00",
        "dry_run": False,
        "changes": [
            {
                "type": "split_commune",
                "from": TAN_DINH,
                "into": [
                    {
                        "code": "90001",
                        "name": "Tân Định Tây",
                        "type": "phuong",
                        "geometry": mapping(west),
                    },
                    {
                        "code": "90002",
                        "name": "Tân Định Đông",
                        "type": "phuong",
                        "geometry": mapping(east),
                    },
                ],
            }
        ],
    }
    r = await client.post(CHANGE_SETS, json=body, headers=headers)
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["communes_created"] == ["90001", "90002"]
    assert report["units_created"] == ["CAX-90001", "CAX-90002"]
    assert report["communes_retired"] == [TAN_DINH]
    assert report["needs_manual_routing"] == [
        {"tip_id": no_point["id"], "reference": no_point["reference"], "unit_code": "CAT-79"}
    ]
    db.expire_all()
    assert (await db.get(Tip, in_west["id"])).assigned_unit_code == "CAX-90001"  # type: ignore[union-attr]
    assert (await db.get(Tip, in_east["id"])).assigned_unit_code == "CAX-90002"  # type: ignore[union-attr]
    assert (await db.get(Tip, no_point["id"])).assigned_unit_code == "CAT-79"  # type: ignore[union-attr]
    assert (await db.get(PoliceUnit, f"CAX-{TAN_DINH}")).active is False  # type: ignore[union-attr]

    # A point in either part locates to the new commune; the old code is ambiguous.
    for point, code in ((west_point, "90001"), (east_point, "90002")):
        found = await client.get(
            "/api/v1/admin-units/locate", params={"lat": point.y, "lon": point.x}
        )
        assert found.status_code == 200 and found.json()["code"] == code
    r = await client.post(TIPS, json=payload(location={"commune_code": TAN_DINH}))
    assert r.status_code == 422
    assert r.json()["code"] == "ambiguous_commune"
    assert [c["code"] for c in r.json()["candidates"]] == ["90001", "90002"]
    # ...unless a point decides.
    r = await client.post(
        TIPS,
        json=payload(location={"commune_code": TAN_DINH, "lat": east_point.y, "lon": east_point.x}),
    )
    assert r.status_code == 201 and r.json()["assigned_unit"]["code"] == "CAX-90002"
    r = await client.get(f"/api/v1/admin-units/communes/{TAN_DINH}")
    assert r.status_code == 422 and r.json()["code"] == "ambiguous_commune"


async def test_split_boundaries_survive_a_restart(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    """The applied boundaries are data: a new app (a restarted worker) locates with them."""
    from app.admin_units.service import invalidate_place_cache

    invalidate_place_cache()
    count = await db.scalar(
        select(func.count()).select_from(Commune).where(Commune.code == "90001")
    )
    if not count:  # this test may run alone: apply a split of its own
        await test_split_a_commune(client, db, app)
        invalidate_place_cache()
    west, _ = _halves(TAN_DINH)
    point = west.representative_point()
    found = await client.get("/api/v1/admin-units/locate", params={"lat": point.y, "lon": point.x})
    assert found.json()["code"] == "90001"


async def test_province_renamed_and_retyped(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    headers = await _admin(db, app)
    cao_bang = "04"
    commune = (
        await client.get("/api/v1/admin-units/communes", params={"province_code": cao_bang})
    ).json()[0]
    tip = await _tip(client, commune["code"])
    body = {
        "effective_at": "2026-12-01T00:00:00+07:00",
        "dry_run": False,
        "changes": [
            {
                "type": "rename_province",
                "code": cao_bang,
                "name": "Cao Bằng",
                "province_type": "thanh_pho",
            }
        ],
    }
    r = await client.post(CHANGE_SETS, json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["reroutes"] == [] and r.json()["units_retired"] == []
    provinces = {p["code"]: p for p in (await client.get("/api/v1/admin-units/provinces")).json()}
    assert provinces[cao_bang]["name"] == "Thành phố Cao Bằng"
    assert provinces[cao_bang]["type"] == "thanh_pho"
    unit = (await client.get(f"/api/v1/units/CAT-{cao_bang}")).json()
    assert unit["name"] == "Công an thành phố Cao Bằng"
    pc04 = (await client.get(f"/api/v1/units/CAT-{cao_bang}-PC04")).json()
    assert pc04["name"].endswith("Công an thành phố Cao Bằng")
    db.expire_all()
    row = await db.get(Tip, tip["id"])
    assert row is not None and row.assigned_unit_code == f"CAX-{commune['code']}"


async def test_change_sets_are_all_or_nothing_and_admin_only(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    headers = await _admin(db, app)
    supervisor = auth_headers(
        app, await make_user(db, role="province_supervisor", province_code="79")
    )
    officer = auth_headers(app, await make_user(db, role="officer", unit_code="CAX-26740"))
    body = {
        "effective_at": "2026-12-01T00:00:00+07:00",
        "dry_run": False,
        "changes": [
            {
                "type": "rename_commune",
                "code": "26740",
                "name": "Sài Gòn Mới",
                "commune_type": "phuong",
            },
            {
                "type": "merge_communes",
                "from": ["26740", "99999"],
                "into": {"code": "26740", "name": "Sài Gòn", "type": "phuong"},
            },
        ],
    }
    for who in (supervisor, officer):
        assert (await client.post(CHANGE_SETS, json=body, headers=who)).status_code == 403
    r = await client.post(CHANGE_SETS, json=body, headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "changes.1"
    db.expire_all()
    assert (await db.get(Commune, "26740")).name == "Sài Gòn"  # type: ignore[union-attr]


async def test_merge_two_provinces(client: httpx.AsyncClient, db: AsyncSession, app: Any) -> None:
    """Lai Châu (12) merged into Điện Biên (11): communes, people and the duty desk's open
    tips go to the successor; an unknown place in the retired province reaches its duty desk."""
    headers = await _admin(db, app)
    lai_chau, dien_bien = "12", "11"
    duty_officer = (await make_user(db, role="officer", unit_code=f"CAT-{lai_chau}")).id
    supervisor = (await make_user(db, role="province_supervisor", province_code=lai_chau)).id
    communes = (
        await client.get("/api/v1/admin-units/communes", params={"province_code": lai_chau})
    ).json()
    at_commune = await _tip(client, communes[0]["code"])
    at_desk = await client.post(
        TIPS, json=payload(category_code="other", location={"commune_code": communes[1]["code"]})
    )
    tip = await db.get(Tip, at_desk.json()["id"])
    assert tip is not None
    tip.assigned_unit_code = f"CAT-{lai_chau}"
    await db.commit()
    r = await _merge_provinces(client, headers, into=dien_bien, retired=lai_chau, name="Điện Biên")
    assert r.status_code == 201, r.text
    assert f"CAT-{lai_chau}" in r.json()["units_retired"]
    assert {"from_unit": f"CAT-{lai_chau}", "to_unit": f"CAT-{dien_bien}", "open_tips": 1} in (
        r.json()["reroutes"]
    )
    moved = (
        await client.get("/api/v1/admin-units/communes", params={"province_code": dien_bien})
    ).json()
    assert {c["code"] for c in communes} <= {c["code"] for c in moved}
    db.expire_all()
    assert (await db.get(Tip, at_desk.json()["id"])).assigned_unit_code == f"CAT-{dien_bien}"  # type: ignore[union-attr]
    assert (await db.get(Tip, at_commune["id"])).assigned_unit_code == f"CAX-{communes[0]['code']}"  # type: ignore[union-attr]
    unit = await db.get(PoliceUnit, f"CAX-{communes[0]['code']}")
    assert (
        unit is not None
        and unit.province_code == dien_bien
        and unit.parent_code == f"CAT-{dien_bien}"
    )
    from app.accounts.models import User

    assert (await db.get(User, duty_officer)).unit_code == f"CAT-{dien_bien}"  # type: ignore[union-attr]
    assert (await db.get(User, supervisor)).province_code == dien_bien  # type: ignore[union-attr]
    unknown = await client.post(
        TIPS,
        files=[("files", ("a.jpg", _jpeg(), "image/jpeg"))],
        data={
            "tip": __import__("json").dumps(
                payload(
                    location_unknown=True,
                    location={"province_code": lai_chau},
                    description="Tôi không nhớ rõ địa điểm, chỉ biết là ở gần chợ huyện; "
                    "có ảnh chụp kèm theo.",
                )
            )
        },
    )
    assert unknown.status_code == 201, unknown.text
    assert unknown.json()["assigned_unit"]["code"] == f"CAT-{dien_bien}"


def _jpeg() -> bytes:
    from tests.tips.helpers import jpeg_bytes

    return jpeg_bytes()


async def test_a_province_merger_leaves_no_created_unit_behind(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    """Units an admin created in the retired province: one with a counterpart in the
    successor hands its open tips over to it and retires; one without moves into the
    successor province with its tip, which then counts for the successor."""
    from app.tips.models import TipProvince

    headers = await _admin(db, app)
    retired, survivor = "15", "14"  # Lào Cai into Sơn La (no other test changes them)
    for code, province in (("CAT-15-PX05", retired), ("CAT-14-PX05", survivor)):
        db.add(
            PoliceUnit(
                code=code,
                name=f"Phòng PX05 {province}",
                kind="department",
                department="PX05",
                province_code=province,
                parent_code=f"CAT-{province}",
            )
        )
    db.add(
        PoliceUnit(
            code="CAT-15-PK02",
            name="Phòng PK02",
            kind="department",
            department="PK02",
            province_code=retired,
            parent_code=f"CAT-{retired}",
        )
    )
    await db.commit()
    communes = (
        await client.get("/api/v1/admin-units/communes", params={"province_code": retired})
    ).json()
    held = {}
    for code in ("CAT-15-PX05", "CAT-15-PK02"):
        made = await _tip(client, communes[0]["code"])
        tip = await db.get(Tip, made["id"])
        assert tip is not None
        tip.assigned_unit_code = code
        held[code] = made["id"]
    await db.commit()
    r = await _merge_provinces(client, headers, into=survivor, retired=retired, name="Sơn La")
    assert r.status_code == 201, r.text
    db.expire_all()
    handed = await db.get(PoliceUnit, "CAT-15-PX05")
    assert handed is not None and not handed.active
    assert (await db.get(Tip, held["CAT-15-PX05"])).assigned_unit_code == "CAT-14-PX05"  # type: ignore[union-attr]
    moved = await db.get(PoliceUnit, "CAT-15-PK02")
    assert moved is not None and moved.active
    assert moved.province_code == survivor and moved.parent_code == f"CAT-{survivor}"
    assert (await db.get(Tip, held["CAT-15-PK02"])).assigned_unit_code == "CAT-15-PK02"  # type: ignore[union-attr]
    provinces = set(
        (
            await db.scalars(
                select(TipProvince.province_code).where(TipProvince.tip_id == held["CAT-15-PK02"])
            )
        ).all()
    )
    assert survivor in provinces  # held by a unit of the survivor now
    still_active = await db.scalar(
        select(func.count())
        .select_from(PoliceUnit)
        .where(PoliceUnit.province_code == retired, PoliceUnit.active.is_(True))
    )
    assert still_active == 0
