"""One rule for "a province's tips" (API.md): the tip took place in the province, or a unit of
the province holds or held it. The queue, the CSV export, the statistics, the SLA report and
Open311 all answer by it."""

from __future__ import annotations

import csv
import io

import pytest

from app.core.errors import Forbidden
from app.core.principal import Principal
from app.scope.province import ensure_may_change_province, may_change_province
from tests.triage.helpers import CSDT, make_staff, submit

HANOI_COMMUNE = {"commune_code": "00070"}


async def _transfer(client, tip_id: str, unit_code: str, headers) -> None:  # type: ignore[no-untyped-def]
    r = await client.post(
        f"/api/v1/tips/{tip_id}/transfer",
        json={"unit_code": unit_code, "reason": "Chuyển Cơ quan CSĐT tỉnh"},
        headers=headers,
    )
    assert r.status_code == 200, r.text


async def test_a_tip_placed_in_hanoi_and_held_in_79_counts_for_79_everywhere(app, client, db):  # type: ignore[no-untyped-def]
    staff = await make_staff(db, app)
    tip = await submit(client, location=HANOI_COMMUNE)
    assert tip["province_code"] == "01"
    await _transfer(client, tip["id"], CSDT, staff.headers["admin"])
    h = staff.headers["supervisor_79"]

    queue = await client.get("/api/v1/tips", headers=h)
    assert [t["id"] for t in queue.json()["items"]] == [tip["id"]]

    export = await client.get("/api/v1/exports/tips.csv", headers=h)
    assert export.status_code == 200, export.text
    rows = list(csv.DictReader(io.StringIO(export.content[3:].decode("utf-8"))))
    assert [row["reference"] for row in rows] == [tip["reference"]]

    summary = await client.get("/api/v1/stats/summary", headers=h)
    assert summary.status_code == 200, summary.text
    assert summary.json()["total"] == 1

    sla = await client.get("/api/v1/stats/sla", headers=h)
    assert sla.status_code == 200, sla.text
    units = {u["unit_code"]: u for u in sla.json()["units"]}
    assert set(units) == {CSDT}
    assert units[CSDT]["received"] == 1

    # Hà Nội still counts it: it took place there.
    hanoi = await client.get("/api/v1/stats/summary", headers=staff.headers["supervisor_01"])
    assert hanoi.json()["total"] == 1


async def test_a_province_keeps_what_its_unit_held(app, client, db):  # type: ignore[no-untyped-def]
    """Placed in Hà Nội, held by CSDT (79), then handed back to Hà Nội: 79's unit held it."""
    staff = await make_staff(db, app)
    tip = await submit(client, location=HANOI_COMMUNE)
    first_unit = tip["assigned_unit"]["code"]
    await _transfer(client, tip["id"], CSDT, staff.headers["admin"])
    await _transfer(client, tip["id"], first_unit, staff.headers["admin"])
    h = staff.headers["supervisor_79"]

    queue = await client.get("/api/v1/tips", headers=h)
    assert [t["id"] for t in queue.json()["items"]] == [tip["id"]]
    summary = await client.get("/api/v1/stats/summary", headers=h)
    assert summary.json()["total"] == 1
    detail = await client.get(f"/api/v1/tips/{tip['id']}", headers=h)
    assert detail.status_code == 200


def test_who_may_change_a_provinces_reference_data() -> None:
    """One rule (app.scope.province) for categories' province rules, units and movement
    models: an admin any province and national data, a supervisor only their province."""
    admin = Principal(kind="user", id="a", role="admin", label="admin")
    supervisor = Principal(
        kind="user", id="s", role="province_supervisor", label="s", province_code="79"
    )
    analyst = Principal(kind="user", id="n", role="analyst", label="n", province_code="79")
    assert may_change_province(admin, "01") and may_change_province(admin, None)
    assert may_change_province(supervisor, "79")
    assert not may_change_province(supervisor, "01")
    assert not may_change_province(supervisor, None)  # national data: admins only
    assert not may_change_province(analyst, "79")
    with pytest.raises(Forbidden):
        ensure_may_change_province(supervisor, "01")
