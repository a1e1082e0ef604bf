"""Deadline extensions over HTTP: 2 months, then 4 months with the procuracy's decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.core.time import add_months, as_utc
from app.triage.models import DeadlineExtension
from tests.triage.helpers import (
    CSDT,
    events_of,
    load_tip,
    make_staff,
    move,
    set_tip,
    submit,
    submit_security,
)


def _until(value: datetime) -> str:
    return value.isoformat()


async def test_crime_extensions_two_months_then_four_with_decision(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    url = f"/api/v1/tips/{tip['id']}/deadline-extensions"
    h = staff.headers["lead_a"]
    received = as_utc((await load_tip(db, tip["id"])).received_at)
    old_due = as_utc((await load_tip(db, tip["id"])).due_at)

    # Past two months: refused.
    r = await client.post(
        url,
        json={"until": _until(add_months(received, 2) + timedelta(days=2)), "reason": "Phức tạp"},
        headers=h,
    )
    assert r.status_code == 409 and r.json()["code"] == "deadline_limit"

    first = add_months(received, 2) - timedelta(hours=1)
    r = await client.post(
        url, json={"until": _until(first), "reason": "Vụ việc phức tạp"}, headers=h
    )
    assert r.status_code == 201, r.text
    assert r.json()["decision_ref"] is None
    row = await load_tip(db, tip["id"])
    assert as_utc(row.due_at) == first

    # The second needs the procuracy's decision...
    second = add_months(received, 4) - timedelta(hours=1)
    r = await client.post(url, json={"until": _until(second), "reason": "Cần giám định"}, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "decision_ref"
    # ... and stays within four months in all.
    r = await client.post(
        url,
        json={
            "until": _until(add_months(received, 4) + timedelta(days=2)),
            "reason": "Cần giám định",
            "decision_ref": "QĐ 15/VKS",
        },
        headers=h,
    )
    assert r.status_code == 409 and r.json()["code"] == "deadline_limit"
    r = await client.post(
        url,
        json={"until": _until(second), "reason": "Cần giám định", "decision_ref": "QĐ 15/VKS"},
        headers=h,
    )
    assert r.status_code == 201, r.text

    # A third: refused.
    r = await client.post(
        url,
        json={
            "until": _until(second + timedelta(minutes=30)),
            "reason": "Thêm",
            "decision_ref": "QĐ 16/VKS",
        },
        headers=h,
    )
    assert r.status_code == 409 and r.json()["code"] == "deadline_limit"

    db.expire_all()
    rows = list(
        await db.scalars(
            select(DeadlineExtension)
            .where(DeadlineExtension.tip_id == tip["id"])
            .order_by(DeadlineExtension.created_at)
        )
    )
    assert [(as_utc(x.previous_due_at), as_utc(x.until)) for x in rows] == [
        (old_due, first),
        (first, second),
    ]
    assert [x.actor_id for x in rows] == [staff["lead_a"].id] * 2
    assert [x.reason for x in rows] == ["Vụ việc phức tạp", "Cần giám định"]
    assert rows[1].decision_ref == "QĐ 15/VKS"
    events = await events_of(db, tip["id"], "tip.deadline_extended")
    assert [e.data["decision_ref"] for e in events] == [None, "QĐ 15/VKS"]
    assert not any(e.public for e in events)

    detail = (await client.get(f"/api/v1/tips/{tip['id']}", headers=h)).json()
    assert len(detail["deadline_extensions"]) == 2


async def test_officers_cannot_extend(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/deadline-extensions",
        json={"until": _until(datetime.now(UTC) + timedelta(days=30)), "reason": "Phức tạp"},
        headers=staff.headers["officer_a"],
    )
    assert r.status_code == 403


async def test_extension_must_be_later_and_aware(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    url = f"/api/v1/tips/{tip['id']}/deadline-extensions"
    h = staff.headers["lead_a"]
    r = await client.post(
        url,
        json={"until": _until(datetime.now(UTC) + timedelta(days=1)), "reason": "Sớm hơn"},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "until"
    r = await client.post(
        url, json={"until": "2030-01-01T00:00:00", "reason": "Không múi giờ"}, headers=h
    )
    assert r.status_code == 422


async def test_extensions_count_from_receipt_by_the_current_unit(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)
    url = f"/api/v1/tips/{tip['id']}/deadline-extensions"
    # Received long ago at the commune: two months after that receipt have passed.
    long_ago = datetime.now(UTC) - timedelta(days=70)
    await set_tip(db, tip["id"], received_at=long_ago, due_at=long_ago + timedelta(days=20))
    r = await client.post(
        url,
        json={"until": _until(datetime.now(UTC) + timedelta(days=5)), "reason": "Phức tạp"},
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 409 and r.json()["code"] == "deadline_limit"
    # Handed to the investigation agency, the period starts again there.
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/transfer",
        json={"unit_code": CSDT, "reason": "Chuyển CQĐT"},
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 200
    r = await client.post(
        url,
        json={"until": _until(datetime.now(UTC) + timedelta(days=45)), "reason": "Phức tạp"},
        headers=staff.headers["lead_csdt"],
    )
    assert r.status_code == 201, r.text


async def test_security_report_gets_one_extension_of_at_most_30_days(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_security(client)
    url = f"/api/v1/tips/{tip['id']}/deadline-extensions"
    h = staff.headers["lead_a"]
    due = as_utc((await load_tip(db, tip["id"])).due_at)
    r = await client.post(
        url, json={"until": _until(due + timedelta(days=32)), "reason": "Chờ hòa giải"}, headers=h
    )
    assert r.status_code == 409 and r.json()["code"] == "deadline_limit"
    r = await client.post(
        url, json={"until": _until(due + timedelta(days=20)), "reason": "Chờ hòa giải"}, headers=h
    )
    assert r.status_code == 201
    r = await client.post(
        url, json={"until": _until(due + timedelta(days=25)), "reason": "Thêm"}, headers=h
    )
    assert r.status_code == 409 and r.json()["code"] == "deadline_limit"


async def test_closed_tips_cannot_be_extended(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit_security(client)
    h = staff.headers["lead_a"]
    await client.post(
        f"/api/v1/tips/{tip['id']}/transitions",
        json=move("referred", note="Chuyển UBND"),
        headers=h,
    )
    r = await client.post(
        f"/api/v1/tips/{tip['id']}/deadline-extensions",
        json={"until": _until(datetime.now(UTC) + timedelta(days=20)), "reason": "Thêm"},
        headers=h,
    )
    assert r.status_code == 409 and r.json()["code"] == "tip_closed"
