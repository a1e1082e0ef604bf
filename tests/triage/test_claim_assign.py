"""Claiming and assigning: one holder at a time, only people of the tip's unit."""

from __future__ import annotations

import asyncio

from tests.accounts.helpers import make_user
from tests.triage.helpers import events_of, load_tip, make_staff, move, submit


async def test_claim_then_already_claimed(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    url = f"/api/v1/tips/{tip['id']}/claim"

    r = await client.post(url, headers=staff.headers["officer_a"])
    assert r.status_code == 200, r.text
    assert r.json()["assignee"] == {
        "id": staff["officer_a"].id,
        "full_name": staff["officer_a"].full_name,
    }
    assert r.json()["first_response_at"] is not None
    # Claiming again what one holds changes nothing.
    assert (await client.post(url, headers=staff.headers["officer_a"])).status_code == 200

    r = await client.post(url, headers=staff.headers["officer_a2"])
    assert r.status_code == 409
    assert r.json()["code"] == "already_claimed"
    assert (await load_tip(db, tip["id"])).assignee_id == staff["officer_a"].id
    assert len(await events_of(db, tip["id"], "tip.assigned")) == 1


async def test_concurrent_claims_exactly_one_wins(app, client, db):
    staff = await make_staff(db, app)
    officers = [staff["officer_a"], staff["officer_a2"], staff["lead_a"]]
    for _ in range(3):
        tip = await submit(client)
        url = f"/api/v1/tips/{tip['id']}/claim"
        responses = await asyncio.gather(
            *(
                client.post(url, headers=staff.headers[name])
                for name in ("officer_a", "officer_a2", "lead_a")
            )
        )
        codes = sorted(r.status_code for r in responses)
        assert codes == [200, 409, 409], [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200).json()["assignee"]["id"]
        assert all(r.json()["code"] == "already_claimed" for r in responses if r.status_code == 409)
        assert (await load_tip(db, tip["id"])).assignee_id == winner
        assert winner in {o.id for o in officers}
        assert len(await events_of(db, tip["id"], "tip.assigned")) == 1


async def test_claim_of_a_closed_tip_is_409(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    h = staff.headers["officer_a"]
    await client.post(
        f"/api/v1/tips/{tip['id']}/transitions",
        json=move("referred", note="Chuyển Viện kiểm sát"),
        headers=h,
    )
    r = await client.post(f"/api/v1/tips/{tip['id']}/claim", headers=h)
    assert r.status_code == 409
    assert r.json()["code"] == "tip_closed"
    assert r.json()["title"] == "Tin báo đã kết thúc xử lý"
    r = await client.post(f"/api/v1/tips/{tip['id']}/claim", headers={**h, "Accept-Language": "en"})
    assert r.json()["title"] == "The tip is closed"


async def test_assign_to_an_officer_of_the_unit(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    url = f"/api/v1/tips/{tip['id']}/assign"
    h = staff.headers["lead_a"]

    r = await client.post(url, json={"assignee_id": staff["officer_a2"].id}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["assignee"]["id"] == staff["officer_a2"].id
    # A lead may reassign, even a claimed tip.
    r = await client.post(url, json={"assignee_id": staff["officer_a"].id}, headers=h)
    assert r.status_code == 200
    events = await events_of(db, tip["id"], "tip.assigned")
    assert [e.data["assignee_id"] for e in events] == [
        staff["officer_a2"].id,
        staff["officer_a"].id,
    ]
    assert events[1].data["previous_assignee_id"] == staff["officer_a2"].id
    # Unassign.
    r = await client.post(url, json={"assignee_id": None}, headers=h)
    assert r.status_code == 200 and r.json()["assignee"] is None


async def test_assignee_must_be_an_active_officer_or_lead_of_the_tips_unit(app, client, db):
    staff = await make_staff(db, app)
    disabled = await make_user(db, role="officer", unit_code="CAX-26740", disabled=True)
    tip = await submit(client)
    url = f"/api/v1/tips/{tip['id']}/assign"
    h = staff.headers["supervisor_79"]
    for candidate in (
        staff["officer_b"].id,  # another unit
        staff["analyst_79"].id,  # not an officer
        staff["supervisor_79"].id,
        disabled.id,
        "no-such-user",
    ):
        r = await client.post(url, json={"assignee_id": candidate}, headers=h)
        assert r.status_code == 422, candidate
        assert r.json()["errors"][0]["field"] == "assignee_id"
    assert (await load_tip(db, tip["id"])).assignee_id is None


async def test_officers_cannot_assign(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/assign",
        json={"assignee_id": staff["officer_a"].id},
        headers=staff.headers["officer_a2"],
    )
    assert r.status_code == 403
