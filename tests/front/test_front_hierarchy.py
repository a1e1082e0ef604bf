"""Front organizations form a tree: a committee sees the tips of the organizations and
committees below it; a member organization sees neither its parent's nor a sibling's."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts.helpers import auth_headers, make_user
from tests.tips.helpers import TIPS, payload

ORGS = "/api/v1/organizations"
FRONT_TIPS = "/api/v1/front/tips"


async def test_committees_see_the_organizations_below_them(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    admin = auth_headers(app, await make_user(db, role="admin"))
    supervisor_01 = auth_headers(
        app, await make_user(db, role="province_supervisor", province_code="01")
    )

    async def org(name: str, kind: str, parent: str | None = None, province: str = "79") -> str:
        body = {"name": name, "kind": kind, "province_code": province}
        if parent:
            body["parent_id"] = parent
        r = await client.post(ORGS, json=body, headers=admin)
        assert r.status_code == 201, r.text
        assert r.json()["parent_id"] == parent
        return r.json()["id"]

    province = await org("Ủy ban MTTQ Thành phố Hồ Chí Minh", "mttq")
    commune = await org("Ủy ban MTTQ phường Sài Gòn", "mttq", province)
    women = await org("Hội LHPN phường Sài Gòn", "member_org", commune)
    youth = await org("Đoàn Thanh niên phường Sài Gòn", "member_org", commune)
    elsewhere = await org("Ủy ban MTTQ Thành phố Hà Nội", "mttq", province="01")
    # A parent in another province is refused without saying it exists.
    r = await client.post(
        ORGS,
        json={
            "name": "Hội Nông dân",
            "kind": "member_org",
            "province_code": "01",
            "parent_id": province,
        },
        headers=supervisor_01,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "parent_id"

    members = {}
    for name, org_id in (
        ("province", province),
        ("commune", commune),
        ("women", women),
        ("youth", youth),
        ("elsewhere", elsewhere),
    ):
        members[name] = auth_headers(
            app, await make_user(db, role="front_member", organization_id=org_id)
        )
    filed = {}
    for name in ("commune", "women", "youth"):
        body = payload(channel="front")
        body.pop("anonymous")
        r = await client.post(TIPS, json=body, headers=members[name])
        assert r.status_code == 201, r.text
        filed[name] = r.json()["reference"]

    async def seen(name: str) -> set[str]:
        r = await client.get(FRONT_TIPS, headers=members[name])
        assert r.status_code == 200, r.text
        return {item["reference"] for item in r.json()["items"]}

    assert await seen("province") == set(filed.values())
    assert await seen("commune") == set(filed.values())
    assert await seen("women") == {filed["women"]}
    assert await seen("youth") == {filed["youth"]}
    assert await seen("elsewhere") == set()
