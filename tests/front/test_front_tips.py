"""GET /api/v1/front/tips: a Front organization's own tips, as the reporter sees them."""

from __future__ import annotations

from tests.tips.helpers import payload
from tests.triage.helpers import make_staff, move

FRONT_TIPS = "/api/v1/front/tips"


async def _front_tip(client, headers, **kw) -> dict:
    body = payload(channel="front", movement_model="to_an_ninh_tu_quan", **kw)
    r = await client.post("/api/v1/tips", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def test_front_member_sees_their_organizations_tips(app, client, db):
    staff = await make_staff(db, app)
    mine = await _front_tip(client, staff.headers["front"])
    theirs = await _front_tip(client, staff.headers["front_other"])
    public = await client.post("/api/v1/tips", json=payload())
    assert public.status_code == 201

    # Handled and closed by the police, with an outcome the organization may see.
    h = staff.headers["officer_a"]
    base = f"/api/v1/tips/{mine['id']}"
    await client.post(f"{base}/notes", json={"body": "Ghi chú nội bộ bí mật"}, headers=h)
    await client.post(f"{base}/transitions", json=move("verifying"), headers=h)
    r = await client.post(
        f"{base}/transitions",
        json=move("resolved", outcome="prosecuted", outcome_summary="Đã khởi tố vụ án."),
        headers=h,
    )
    assert r.status_code == 200

    r = await client.get(FRONT_TIPS, headers=staff.headers["front"])
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["next_cursor"] is None
    (item,) = page["items"]
    assert item["reference"] == mine["reference"]
    assert item["public_status"] == "completed"
    assert item["outcome"] == "prosecuted"
    assert item["outcome_summary"] == "Đã khởi tố vụ án."
    assert item["movement_model"] == "to_an_ninh_tu_quan"
    assert item["category_code"] == "drugs"
    assert set(item) == {
        "reference",
        "category_code",
        "public_status",
        "outcome",
        "outcome_summary",
        "movement_model",
        "created_at",
        "updated_at",
    }
    assert "Ghi chú" not in r.text and staff["officer_a"].full_name not in r.text

    other = (await client.get(FRONT_TIPS, headers=staff.headers["front_other"])).json()
    assert [t["reference"] for t in other["items"]] == [theirs["reference"]]

    completed = await client.get(
        FRONT_TIPS, params={"public_status": "received"}, headers=staff.headers["front"]
    )
    assert completed.json()["items"] == []


async def test_pagination(app, client, db):
    staff = await make_staff(db, app)
    refs = [(await _front_tip(client, staff.headers["front"]))["reference"] for _ in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(FRONT_TIPS, params=params, headers=staff.headers["front"])).json()
        seen += [t["reference"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(refs))
    bad = await client.get(FRONT_TIPS, params={"cursor": "xyz"}, headers=staff.headers["front"])
    assert bad.status_code == 422


async def test_only_front_members(app, client, db):
    staff = await make_staff(db, app)
    for name in ("admin", "officer_a", "supervisor_79", "analyst_79", "analyst_key_79"):
        assert (await client.get(FRONT_TIPS, headers=staff.headers[name])).status_code == 403
    assert (await client.get(FRONT_TIPS)).status_code == 401
