"""What a change-set leaves behind beyond the moved rows: the receiving unit's leads are told of
the tips it now holds (``tip.new``, as after a transfer), retired codes resolve through a chain
of change-sets, and the listing keeps the file as given. Places of Quảng Ninh (22), which no
other test of this package touches."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.administration import changesets
from app.administration.schemas import ChangeSetIn
from app.notifications.models import NotificationCause
from app.tips.models import RegisterEntry, Tip, TipEvent
from tests.accounts.helpers import auth_headers, make_user
from tests.notifications.helpers import inbox_types, run_worker
from tests.tips.helpers import TIPS, payload

CHANGE_SETS = "/api/v1/admin-units/change-sets"
HA_LAM, HONG_GAI = "06676", "06685"  # Hà Lầm merged into Hồng Gai
TUAN_CHAU, HA_LONG = "06706", "06688"  # merged with notifications off
# The chain: Hà Tu into Cao Xanh, then Cao Xanh and Việt Hưng into a new 90101.
HA_TU, CAO_XANH, VIET_HUNG, NEW = "06652", "06658", "06661", "90101"
OLD_OF_HA_TU = "06664"  # a pre-2025 commune that became Hà Tu whole


def _merger(sources: list[str], into: dict[str, str], *, dry_run: bool = False) -> dict[str, Any]:
    return {
        "effective_at": "2026-12-01T00:00:00+07:00",
        "note": "Nghị quyết sáp nhập",
        "dry_run": dry_run,
        "changes": [{"type": "merge_communes", "from": sources, "into": into}],
    }


async def _tip(client: httpx.AsyncClient, commune: str) -> dict[str, Any]:
    r = await client.post(
        TIPS, json=payload(category_code="public_disorder", location={"commune_code": commune})
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _rerouted_causes(db: AsyncSession) -> int:
    db.expire_all()
    return int(
        await db.scalar(
            select(func.count())
            .select_from(NotificationCause)
            .where(NotificationCause.type == "tip.rerouted")
        )
        or 0
    )


async def test_the_receiving_units_leads_are_told_of_moved_tips(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    admin = auth_headers(app, await make_user(db, role="admin"))
    lead = (await make_user(db, role="unit_lead", unit_code=f"CAX-{HONG_GAI}")).id
    opted_in_user = await make_user(db, role="officer", unit_code=f"CAX-{HONG_GAI}")
    opted_in, opted_in_headers = opted_in_user.id, auth_headers(app, opted_in_user)
    officer = (await make_user(db, role="officer", unit_code=f"CAX-{HONG_GAI}")).id
    r = await client.patch(
        "/api/v1/auth/me", json={"notify_new_tips": True}, headers=opted_in_headers
    )
    assert r.status_code == 200, r.text
    moving = [await _tip(client, HA_LAM) for _ in range(2)]
    closed = await _tip(client, HA_LAM)
    row = await db.get(Tip, closed["id"])
    assert row is not None
    row.status = "resolved"
    await db.commit()
    await run_worker(app)  # the intake notices, out of the way
    before = await _rerouted_causes(db)

    body = _merger([HA_LAM, HONG_GAI], {"code": HONG_GAI, "name": "Hồng Gai", "type": "phuong"})
    dry = await client.post(CHANGE_SETS, json={**body, "dry_run": True}, headers=admin)
    assert dry.status_code == 200, dry.text
    assert await _rerouted_causes(db) == before  # a dry run leaves no outbox row
    applied = await client.post(CHANGE_SETS, json=body, headers=admin)
    assert applied.status_code == 201, applied.text
    # One outbox row per moved tip, written with the move (the same transaction).
    assert await _rerouted_causes(db) == before + len(moving)
    await run_worker(app)

    for tip in moving:
        assert await inbox_types(db, lead, tip["id"]) == ["tip.new"]
        assert await inbox_types(db, opted_in, tip["id"]) == ["tip.new"]
        assert await inbox_types(db, officer, tip["id"]) == []
    assert await inbox_types(db, lead, closed["id"]) == []  # closed tips stay, nobody told
    items = (
        await client.get("/api/v1/notifications", headers=auth_headers(app, await _user(db, lead)))
    ).json()["items"]
    assert sorted(i["reference"] for i in items) == sorted(t["reference"] for t in moving)
    assert all(f"CAX-{HONG_GAI}" in i["body"] for i in items)


async def _user(db: AsyncSession, user_id: str) -> Any:
    from app.accounts.models import User

    user = await db.get(User, user_id)
    assert user is not None
    return user


async def test_no_outbox_rows_when_notifications_are_off(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    """TINBAO_NOTIFICATIONS_ENABLED=false: sessions marked so write no outbox rows, the bulk
    move's included."""
    moving = await _tip(client, TUAN_CHAU)
    before = await _rerouted_causes(db)
    data = ChangeSetIn.model_validate(
        _merger([TUAN_CHAU, HA_LONG], {"code": HA_LONG, "name": "Hạ Long", "type": "phuong"})
    )
    async with app.state.sessionmaker(info={"notifications": False}) as session:
        report = await changesets.apply(session, actor=None, data=data)
        await session.commit()
    assert [r.open_tips for r in report.reroutes] == [1]
    db.expire_all()
    row = await db.get(Tip, moving["id"])
    assert row is not None and row.assigned_unit_code == f"CAX-{HA_LONG}"
    assert await _rerouted_causes(db) == before


async def test_retired_codes_resolve_through_a_chain_of_change_sets(
    client: httpx.AsyncClient, db: AsyncSession, app: Any
) -> None:
    admin = auth_headers(app, await make_user(db, role="admin"))
    tip = await _tip(client, HA_TU)
    first = _merger([HA_TU, CAO_XANH], {"code": CAO_XANH, "name": "Cao Xanh", "type": "phuong"})
    second = _merger([CAO_XANH, VIET_HUNG], {"code": NEW, "name": "Hạ Long Bắc", "type": "phuong"})
    for body in (first, second):
        r = await client.post(CHANGE_SETS, json=body, headers=admin)
        assert r.status_code == 201, r.text

    # Every retired code, and the pre-2025 code behind the first, lead to today's commune.
    for code in (HA_TU, CAO_XANH, VIET_HUNG):
        commune = (await client.get(f"/api/v1/admin-units/communes/{code}")).json()
        assert commune["merged_into"] == NEW, commune
        r = await client.post(TIPS, json=payload(location={"commune_code": code}))
        assert r.status_code == 201 and r.json()["assigned_unit"]["code"] == f"CAX-{NEW}"
    legacy = await client.get(
        f"/api/v1/admin-units/communes/{OLD_OF_HA_TU}", params={"legacy": "true"}
    )
    assert legacy.status_code == 200 and legacy.json()["merged_into"] == NEW, legacy.text
    r = await client.post(TIPS, json=payload(location={"legacy_commune_code": OLD_OF_HA_TU}))
    assert r.status_code == 201, r.text
    assert r.json()["assigned_unit"]["code"] == f"CAX-{NEW}"

    # The open tip moved twice, each time entered in the new unit's register, history kept.
    db.expire_all()
    row = await db.get(Tip, tip["id"])
    assert row is not None and row.assigned_unit_code == f"CAX-{NEW}"
    entries = (
        await db.scalars(
            select(RegisterEntry.unit_code)
            .where(RegisterEntry.tip_id == tip["id"])
            .order_by(RegisterEntry.id)
        )
    ).all()
    assert entries == [f"CAX-{HA_TU}", f"CAX-{CAO_XANH}", f"CAX-{NEW}"]
    moves = (
        await db.scalars(
            select(TipEvent.data)
            .where(TipEvent.tip_id == tip["id"], TipEvent.type == "tip.rerouted")
            .order_by(TipEvent.id)
        )
    ).all()
    assert [(m["from_unit"], m["to_unit"]) for m in moves] == [
        (f"CAX-{HA_TU}", f"CAX-{CAO_XANH}"),
        (f"CAX-{CAO_XANH}", f"CAX-{NEW}"),
    ]

    # The listing keeps who applied each change-set and the file as given.
    listed = (await client.get(CHANGE_SETS, headers=admin)).json()["items"]
    mine = [c for c in listed if c["document"]["changes"][0]["from"][0] in (HA_TU, CAO_XANH)]
    assert [c["document"] for c in mine] == [
        {k: v for k, v in body.items() if k != "dry_run"} for body in (second, first)
    ]
    assert all(c["applied_by"] and c["applied_at"] for c in mine)
