"""GET /api/v1/tips: scope, filters, sorting, keyset pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core.time import LOCAL_TZ
from tests.tips.helpers import payload
from tests.triage.helpers import PC04, UNIT_A, make_staff, move, set_tip, submit, submit_security

TIPS = "/api/v1/tips"


async def _ids(client, headers, **params) -> list[str]:
    r = await client.get(TIPS, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return [t["id"] for t in r.json()["items"]]


async def test_queue_is_scoped(app, client, db):
    staff = await make_staff(db, app)
    a = await submit(client)  # Sài Gòn, drugs: watched by PC04
    b = await submit(client, location={"commune_code": "26737"})  # Tân Định
    hanoi = await submit_security(client, location={"commune_code": "00070"})  # Hà Nội

    assert await _ids(client, staff.headers["officer_a"]) == [a["id"]]
    assert await _ids(client, staff.headers["officer_b"]) == [b["id"]]
    assert sorted(await _ids(client, staff.headers["officer_pc04"])) == sorted([a["id"], b["id"]])
    assert await _ids(client, staff.headers["supervisor_79"]) == [b["id"], a["id"]]
    assert await _ids(client, staff.headers["analyst_79"]) == [b["id"], a["id"]]
    assert await _ids(client, staff.headers["analyst_key_79"]) == [b["id"], a["id"]]
    assert await _ids(client, staff.headers["supervisor_01"]) == [hanoi["id"]]
    assert await _ids(client, staff.headers["admin"]) == [hanoi["id"], b["id"], a["id"]]
    r = await client.get(TIPS, headers=staff.headers["front"])
    assert r.status_code == 403
    assert (await client.get(TIPS)).status_code == 401
    # Out-of-scope ids are simply not found.
    r = await client.get(f"{TIPS}/{b['id']}", headers=staff.headers["officer_a"])
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert (
        await client.get(f"{TIPS}/{a['id']}", headers=staff.headers["supervisor_01"])
    ).status_code == 404


async def test_filters(app, client, db):
    staff = await make_staff(db, app)
    h = staff.headers["admin"]
    drugs = await submit(client, description="Có người bán ma túy ở quán cà phê Hồng Hà")
    urgent = await submit(client, urgent=True)
    disorder = await submit_security(client, description="Nhóm thanh niên đua xe gây mất trật tự")
    await client.post(f"{TIPS}/{drugs['id']}/claim", headers=staff.headers["officer_a"])
    await client.post(f"{TIPS}/{disorder['id']}/transitions", json=move("verifying"), headers=h)

    assert await _ids(client, h, category_code="public_disorder") == [disorder["id"]]
    assert await _ids(client, h, status="verifying") == [disorder["id"]]
    assert sorted(await _ids(client, h, status=["received", "verifying"])) == sorted(
        [drugs["id"], urgent["id"], disorder["id"]]
    )
    assert await _ids(client, h, urgent="true") == [urgent["id"]]
    assert await _ids(client, h, assignee_id=staff["officer_a"].id) == [drugs["id"]]
    assert await _ids(client, staff.headers["officer_a"], assignee_id="me") == [drugs["id"]]
    assert sorted(await _ids(client, h, assignee_id="none")) == sorted(
        [urgent["id"], disorder["id"]]
    )
    assert len(await _ids(client, h, unit_code=UNIT_A)) == 3
    assert await _ids(client, h, unit_code=PC04) == []
    # Diacritic-insensitive text search, and by reference.
    assert await _ids(client, h, q="quan ca phe hong ha") == [drugs["id"]]
    assert await _ids(client, h, q="Quán Cà Phê") == [drugs["id"]]
    assert await _ids(client, h, q=drugs["reference"].lower()) == [drugs["id"]]
    assert await _ids(client, h, q="100%_") == []

    now = datetime.now(UTC)
    assert len(await _ids(client, h, created_from=(now - timedelta(hours=1)).isoformat())) == 3
    assert await _ids(client, h, created_to=(now - timedelta(hours=1)).isoformat()) == []
    today = datetime.now(LOCAL_TZ).date()
    assert len(await _ids(client, h, created_from=today.isoformat())) == 3
    assert len(await _ids(client, h, created_to=today.isoformat())) == 3
    assert await _ids(client, h, created_to=(today - timedelta(days=1)).isoformat()) == []
    assert (
        await client.get(TIPS, params={"created_from": "yesterday"}, headers=h)
    ).status_code == 422
    assert (await client.get(TIPS, params={"status": "closed"}, headers=h)).status_code == 422
    assert (await client.get(TIPS, params={"limit": 500}, headers=h)).status_code == 422


async def test_overdue_filter_and_flag(app, client, db):
    staff = await make_staff(db, app)
    h = staff.headers["lead_a"]
    late = await submit_security(client)
    on_time = await submit_security(client)
    closed_late = await submit_security(client)
    crime_not_forwarded = await submit(client)
    past = datetime.now(UTC) - timedelta(hours=2)
    await set_tip(db, late["id"], due_at=past)
    await set_tip(db, closed_late["id"], due_at=past)
    await client.post(
        f"{TIPS}/{closed_late['id']}/transitions", json=move("rejected", note="Trùng"), headers=h
    )
    # A commune that has not forwarded a crime tip within 24 hours is late too.
    await set_tip(db, crime_not_forwarded["id"], transfer_due_at=past)

    overdue = await _ids(client, h, overdue="true")
    assert sorted(overdue) == sorted([late["id"], crime_not_forwarded["id"]])
    not_overdue = await _ids(client, h, overdue="false")
    assert sorted(not_overdue) == sorted([on_time["id"], closed_late["id"]])
    items = (await client.get(TIPS, headers=h)).json()["items"]
    assert {t["id"]: t["overdue"] for t in items} == {
        late["id"]: True,
        on_time["id"]: False,
        closed_late["id"]: False,
        crime_not_forwarded["id"]: True,
    }


async def test_sorting_and_keyset_pagination(app, client, db):
    staff = await make_staff(db, app)
    h = staff.headers["officer_a"]
    tips = [await submit_security(client) for _ in range(5)]
    ids = [t["id"] for t in tips]
    now = datetime.now(UTC)
    # due_at: two share a date, one has none.
    await set_tip(db, ids[0], due_at=now + timedelta(days=3))
    await set_tip(db, ids[1], due_at=now + timedelta(days=1))
    await set_tip(db, ids[2], due_at=None)
    await set_tip(db, ids[3], due_at=now + timedelta(days=1))
    await set_tip(db, ids[4], due_at=now + timedelta(days=2))
    await set_tip(db, ids[2], priority=5)
    await set_tip(db, ids[4], urgent=True, priority=1)

    async def walk(sort: str, limit: int) -> list[str]:
        seen: list[str] = []
        cursor = None
        while True:
            params = {"sort": sort, "limit": limit, **({"cursor": cursor} if cursor else {})}
            r = await client.get(TIPS, params=params, headers=h)
            assert r.status_code == 200, r.text
            page = r.json()
            assert len(page["items"]) <= limit
            seen += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return seen

    newest = list(reversed(ids))
    for limit in (1, 2, 5, 10):
        assert await walk("-created_at", limit) == newest
        assert await walk("due_at", limit) == [*sorted([ids[1], ids[3]]), ids[4], ids[0], ids[2]]
        assert await walk("priority", limit) == [
            ids[4],
            ids[2],
            *[i for i in newest if i not in (ids[4], ids[2])],
        ]

    assert (await client.get(TIPS, params={"cursor": "not-a-cursor"}, headers=h)).status_code == 422
    first = (await client.get(TIPS, params={"limit": 1}, headers=h)).json()["next_cursor"]
    r = await client.get(TIPS, params={"sort": "due_at", "cursor": first}, headers=h)
    assert r.status_code == 422  # a cursor of another sort order


async def test_front_member_tips_are_not_in_the_staff_queue_for_them(app, client, db):
    staff = await make_staff(db, app)
    r = await client.post(TIPS, json=payload(channel="front"), headers=staff.headers["front"])
    assert r.status_code == 201, r.text
    assert (
        await client.get(f"{TIPS}/{r.json()['id']}", headers=staff.headers["front"])
    ).status_code == 403


async def test_odd_inputs_are_422_not_500(app, client, db):
    from app.core.cursor import encode_cursor

    staff = await make_staff(db, app)
    await submit(client)
    h = staff.headers["admin"]
    for params in (
        {"created_from": "0001-01-01T00:00:00+14:00"},
        {"created_to": "9999-12-31T23:59:59-12:00"},
        {"created_to": "9999-12-31"},
        {"sort": "priority", "cursor": encode_cursor(["p", True, 0, "2026-01-01T00:00:00", "x"])},
        {"sort": "priority", "cursor": encode_cursor(["p", 0, False, "2026-01-01T00:00:00", "x"])},
        {"sort": "due_at", "cursor": encode_cursor(["d", 0, "not a time", "x"])},
        {"sort": "due_at", "cursor": encode_cursor(["d", 2, None, "x"])},
        {"cursor": encode_cursor(["c", "2026-01-01T00:00:00+00:00", 5])},
        {"cursor": encode_cursor({"c": 1})},
    ):
        r = await client.get(TIPS, params=params, headers=h)
        assert r.status_code == 422, (params, r.text)
    assert (await client.get(TIPS, params={"q": "ma\x00tuy"}, headers=h)).status_code == 422
    assert (
        await client.get(TIPS, params={"created_to": "9999-12-30"}, headers=h)
    ).status_code == 200


async def test_unit_queue_pages_handed_on_tips_by_their_creation(app, client, db):
    staff = await make_staff(db, app)
    tan_dinh = {"commune_code": "26737"}
    w0 = await submit_security(client, location=tan_dinh)
    w1 = await submit_security(client, location=tan_dinh)
    await submit_security(client)  # Phường Sài Gòn's own: not in Tân Định's queue
    kept = await submit_security(client, location=tan_dinh)
    w2 = await submit_security(client, location=tan_dinh)
    w3 = await submit_security(client, location=tan_dinh)
    # Handed on newest first: the watchers' own order is the reverse of the tips'.
    for tip in (w3, w2, w1, w0):
        r = await client.post(
            f"{TIPS}/{tip['id']}/transfer",
            json={"unit_code": UNIT_A, "reason": "Chuyển theo địa bàn"},
            headers=staff.headers["lead_b"],
        )
        assert r.status_code == 200, r.text
    h = staff.headers["officer_b"]

    for limit in (1, 2, 3, 10):
        seen: list[str] = []
        cursor = None
        while True:
            params = {
                "sort": "-created_at",
                "limit": limit,
                **({"cursor": cursor} if cursor else {}),
            }
            r = await client.get(TIPS, params=params, headers=h)
            assert r.status_code == 200, r.text
            page = r.json()
            assert len(page["items"]) <= limit
            seen += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [w3["id"], w2["id"], kept["id"], w1["id"], w0["id"]]
