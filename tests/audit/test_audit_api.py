from __future__ import annotations

from app.audit import service as audit
from tests.accounts.helpers import auth_headers, make_user

AUDIT = "/api/v1/audit"


async def test_admin_browses_the_log_newest_first_with_filters(client, db, app):
    admin = await make_user(db, role="admin")
    for i in range(3):
        await audit.record(
            db,
            actor=None,
            action="tip.reporter_revealed",
            object_id=f"tip-{i}",
            reason="verifying the report",
        )
    await audit.record(db, actor=None, action="user.created", object_id="tip-1")
    await db.commit()
    headers = auth_headers(app, admin)

    page1 = await client.get(
        AUDIT, params={"action": "tip.reporter_revealed", "limit": 2}, headers=headers
    )
    assert page1.status_code == 200
    assert [e["object_id"] for e in page1.json()["items"]] == ["tip-2", "tip-1"]
    page2 = await client.get(
        AUDIT,
        params={
            "action": "tip.reporter_revealed",
            "limit": 2,
            "cursor": page1.json()["next_cursor"],
        },
        headers=headers,
    )
    assert [e["object_id"] for e in page2.json()["items"]] == ["tip-0"]
    assert page2.json()["next_cursor"] is None
    item = page2.json()["items"][0]
    assert item["reason"] == "verifying the report" and item["prev_hash"] == "0" * 64

    by_object = await client.get(AUDIT, params={"object_id": "tip-1"}, headers=headers)
    assert [e["action"] for e in by_object.json()["items"]] == [
        "user.created",
        "tip.reporter_revealed",
    ]


async def test_supervisor_may_not_read_the_log(client, db, app):
    supervisor = await make_user(db, role="province_supervisor", province_code="79")
    for path in (AUDIT, f"{AUDIT}/verify"):
        r = await client.get(path, headers=auth_headers(app, supervisor))
        assert r.status_code == 403


async def test_actor_is_recorded(client, db, app):
    from app.accounts.authentication import principal_for_user

    admin = await make_user(db, role="admin", username="root")
    entry = await audit.record(
        db,
        actor=principal_for_user(admin),
        action="x.done",
        data={"when": __import__("datetime").date(2026, 1, 2)},
    )
    await db.commit()

    r = await client.get(AUDIT, headers=auth_headers(app, admin))
    assert r.json()["items"][0]["actor_id"] == admin.id
    assert r.json()["items"][0]["actor_label"] == "root"
    assert r.json()["items"][0]["data"] == {"when": "2026-01-02"}
    assert r.json()["items"][0]["hash"] == entry.hash
    assert (await audit.verify(db)).ok


async def test_bad_cursor_and_filters_are_422(client, db, app):
    from app.core.cursor import encode_cursor

    admin = await make_user(db, role="admin")
    headers = auth_headers(app, admin)

    for params in (
        {"cursor": "not-a-cursor"},
        {"cursor": encode_cursor(["x"])},
        {"cursor": encode_cursor([10**30])},
        {"object_id": "a\x00b"},
    ):
        r = await client.get(AUDIT, params=params, headers=headers)
        assert r.status_code == 422, params
