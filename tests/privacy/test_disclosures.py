"""GET /api/v1/privacy/disclosures: every reveal and every staff intake that typed a
reporter's identity, filtered, paged, in scope; the reveal returns the organization."""

from __future__ import annotations

from tests.tips.helpers import TIPS, identified
from tests.triage.helpers import make_staff, submit_identified

URL = "/api/v1/privacy/disclosures"
REASON = "Cần liên hệ người báo tin để xác minh thêm."


async def reveal(client, staff, tip_id: str, who: str = "lead_a"):
    r = await client.post(
        f"/api/v1/tips/{tip_id}/reporter/reveal",
        json={"reason": REASON},
        headers=staff.headers[who],
    )
    assert r.status_code == 200, r.text
    return r.json()


async def test_reveals_and_staff_intakes_are_listed(app, client, db):
    staff = await make_staff(db, app)
    online = await submit_identified(client)
    hotline = await client.post(
        TIPS, json=identified(channel="hotline"), headers=staff.headers["officer_a"]
    )
    assert hotline.status_code == 201, hotline.text
    await reveal(client, staff, online["id"])
    await reveal(client, staff, online["id"], "supervisor_79")

    r = await client.get(URL, headers=staff.headers["admin"])
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    got = [(i["kind"], i["tip_id"], i["actor_id"]) for i in items]
    assert got == [
        ("reveal", online["id"], staff["supervisor_79"].id),
        ("reveal", online["id"], staff["lead_a"].id),
        ("intake", hotline.json()["id"], staff["officer_a"].id),
    ]
    assert items[0]["reason"] == REASON and items[0]["reference"] == online["reference"]
    assert "Nguyễn Văn A" not in r.text and "0912" not in r.text

    # Filters.
    by_tip = await client.get(
        URL, params={"tip_id": hotline.json()["id"]}, headers=staff.headers["admin"]
    )
    assert [i["kind"] for i in by_tip.json()["items"]] == ["intake"]
    by_actor = await client.get(
        URL, params={"actor_id": staff["lead_a"].id}, headers=staff.headers["admin"]
    )
    assert [i["actor_id"] for i in by_actor.json()["items"]] == [staff["lead_a"].id]
    future = await client.get(URL, params={"from": "2100-01-01"}, headers=staff.headers["admin"])
    assert future.json()["items"] == []
    past = await client.get(URL, params={"to": "2000-01-01"}, headers=staff.headers["admin"])
    assert past.json()["items"] == []

    # Cursor pagination walks the same list.
    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(URL, params=params, headers=staff.headers["admin"])).json()
        seen += [(i["kind"], i["tip_id"], i["actor_id"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == got


async def test_scope_supervisors_see_their_province_only(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_identified(client)
    await reveal(client, staff, tip["id"])
    mine = await client.get(URL, headers=staff.headers["supervisor_79"])
    other = await client.get(URL, headers=staff.headers["supervisor_01"])
    assert len(mine.json()["items"]) == 1
    assert other.status_code == 200 and other.json()["items"] == []
    for who in ("lead_a", "officer_a", "analyst_79", "front"):
        assert (await client.get(URL, headers=staff.headers[who])).status_code == 403, who
    assert (await client.get(URL, headers=staff.headers["analyst_key_79"])).status_code == 403
    bad = await client.get(URL, params={"cursor": "bm9wZQ"}, headers=staff.headers["admin"])
    assert bad.status_code == 422


async def test_reveal_returns_the_organization_name_and_tax_code(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_identified(
        client,
        on_behalf_of_organization=True,
        organization_name="Công ty TNHH Ánh Dương",
        organization_tax_code="0301234567",
    )
    revealed = await reveal(client, staff, tip["id"])
    assert revealed["reporter"]["organization_name"] == "Công ty TNHH Ánh Dương"
    assert revealed["reporter"]["organization_tax_code"] == "0301234567"
