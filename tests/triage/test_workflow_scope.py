"""Who acts on what (API.md, Staff workflow): a supervisor only on tips its province holds;
the duty desk alerted by an urgent tip like the holding unit; watchers may add notes; where
each role may transfer; both ends of a merge."""

from __future__ import annotations

import subprocess

from sqlalchemy import select

from app.units.models import PoliceUnit, UnitKind
from tests import needs
from tests.accounts.helpers import auth_headers, make_user
from tests.tips.helpers import jpeg_bytes
from tests.triage.helpers import (
    CSDT,
    DUTY_DESK,
    UNIT_B,
    make_staff,
    move,
    submit,
    submit_identified,
)

HANOI_DESK = "CAT-01"


async def _hanoi_commune_unit(db) -> str:
    code = await db.scalar(
        select(PoliceUnit.code)
        .where(PoliceUnit.province_code == "01", PoliceUnit.kind == UnitKind.commune.value)
        .order_by(PoliceUnit.code)
        .limit(1)
    )
    assert code is not None
    return code


def _tip_url(tip: dict, path: str = "") -> str:
    return f"/api/v1/tips/{tip['id']}{path}"


async def test_supervisor_is_read_only_once_the_tip_leaves_the_province(app, client, db):
    pdftotext = needs.program("pdftotext", "poppler-utils")  # reads the printed record back
    staff = await make_staff(db, app)
    tip = await submit_identified(client)
    other = await submit(client)
    r = await client.post(
        _tip_url(tip, "/transfer"),
        json={"unit_code": HANOI_DESK, "reason": "Sự việc thuộc Hà Nội"},
        headers=staff.headers["supervisor_79"],
    )
    assert r.status_code == 200, r.text
    h79 = staff.headers["supervisor_79"]
    assert (await client.get(_tip_url(tip), headers=h79)).status_code == 200
    for path, body in (
        ("/transitions", move("verifying")),
        ("/notes", {"body": "Ghi chú"}),
        ("/acknowledge", None),
        ("/reporter/reveal", {"reason": "Cần xác minh người báo tin"}),
        ("/corrections", {"priority": 4, "reason": "Sửa mức ưu tiên"}),
        ("/assign", {"assignee_id": staff["officer_a"].id}),
        ("/transfer", {"unit_code": UNIT_B, "reason": "Trả lại"}),
        ("/merge", {"into_id": other["id"]}),
        ("/deadline-extensions", {"until": "2027-01-20T00:00:00+07:00", "reason": "Gia hạn"}),
        ("/messages", {"body": "Chào anh"}),
    ):
        r = await client.post(_tip_url(tip, path), json=body, headers=h79)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["code"] == "forbidden" and r.json()["reason"] == "out_of_province"
    files = [("files", ("a.jpg", jpeg_bytes(), "image/jpeg"))]
    r = await client.post(_tip_url(tip, "/attachments"), files=files, headers=h79)
    assert r.status_code == 403 and r.json()["reason"] == "out_of_province"
    # The printed record no longer holds the identity for them (printing it is a reveal).
    r = await client.get(_tip_url(tip, "/intake-record.pdf"), headers=h79)
    assert r.status_code == 200
    text = subprocess.run(
        [pdftotext, "-", "-"], input=r.content, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    assert "Nguyễn Văn A" not in text and "0912" not in text
    # Hà Nội's supervisor now acts on it.
    r = await client.post(
        _tip_url(tip, "/transitions"),
        json=move("verifying"),
        headers=staff.headers["supervisor_01"],
    )
    assert r.status_code == 200


async def test_alerted_duty_desk_acts_on_an_urgent_tip(app, client, db):
    await make_staff(db, app)
    desk = await make_user(db, role="officer", unit_code=DUTY_DESK, province_code="79")
    h = auth_headers(app, desk)
    urgent = await submit(client, urgent=True)
    plain = await submit(client)
    assert (await client.get(_tip_url(plain), headers=h)).status_code == 404
    assert (await client.post(_tip_url(urgent, "/claim"), headers=h)).status_code == 200
    r = await client.post(_tip_url(urgent, "/transitions"), json=move("verifying"), headers=h)
    assert r.status_code == 200, r.text
    assert (
        await client.post(_tip_url(urgent, "/notes"), json={"body": "Đã cử tổ"}, headers=h)
    ).status_code == 201
    r = await client.post(
        _tip_url(urgent, "/transfer"), json={"unit_code": CSDT, "reason": "Chuyển CQĐT"}, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json()["assigned_unit"]["code"] == CSDT


async def test_watchers_may_add_notes_former_holders_may_not(app, client, db):
    staff = await make_staff(db, app)
    tip = await submit(client)  # a drug tip: CAT-79-PC04 watches it
    r = await client.post(
        _tip_url(tip, "/notes"), json={"body": "PC04 đã nắm"}, headers=staff.headers["officer_pc04"]
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        _tip_url(tip, "/transitions"), json=move("verifying"), headers=staff.headers["officer_pc04"]
    )
    assert r.status_code == 403
    await client.post(
        _tip_url(tip, "/transfer"),
        json={"unit_code": UNIT_B, "reason": "Thuộc phường Tân Định"},
        headers=staff.headers["officer_a"],
    )
    r = await client.post(
        _tip_url(tip, "/notes"), json={"body": "Ghi chú"}, headers=staff.headers["officer_a"]
    )
    assert r.status_code == 403 and r.json()["reason"] == "read_only"


async def test_where_each_role_may_transfer(app, client, db):
    staff = await make_staff(db, app)
    hanoi_commune = await _hanoi_commune_unit(db)

    async def transfer(who: str, unit: str) -> int:
        tip = await submit(client)
        r = await client.post(
            _tip_url(tip, "/transfer"),
            json={"unit_code": unit, "reason": "Theo thẩm quyền"},
            headers=staff.headers[who],
        )
        if r.status_code == 403:
            assert r.json()["code"] == "transfer_not_allowed"
        return r.status_code

    assert await transfer("officer_a", UNIT_B) == 200
    assert await transfer("officer_a", CSDT) == 200
    assert await transfer("lead_a", HANOI_DESK) == 403
    assert await transfer("officer_a", hanoi_commune) == 403
    assert await transfer("officer_a", "CAT-01-CSDT") == 403
    assert await transfer("supervisor_79", HANOI_DESK) == 200
    assert await transfer("supervisor_79", hanoi_commune) == 403
    assert await transfer("admin", hanoi_commune) == 200

    # An officer in another province may hand a tip back to the investigation agency of the
    # province where it took place (and to units of their own province), nothing else.
    hanoi = await make_user(db, role="officer", unit_code=hanoi_commune, province_code="01")
    hh = auth_headers(app, hanoi)
    for unit, want in ((DUTY_DESK, 403), (UNIT_B, 403), (CSDT, 200)):
        tip = await submit(client)
        await client.post(
            _tip_url(tip, "/transfer"),
            json={"unit_code": hanoi_commune, "reason": "Sang Hà Nội"},
            headers=staff.headers["admin"],
        )
        r = await client.post(
            _tip_url(tip, "/transfer"), json={"unit_code": unit, "reason": "Trả lại"}, headers=hh
        )
        assert r.status_code == want, (unit, r.text)


async def test_both_ends_of_a_merge_must_be_actionable(app, client, db):
    staff = await make_staff(db, app)
    h = staff.headers["officer_a"]
    handed_on = await submit(client)
    await client.post(
        _tip_url(handed_on, "/transfer"),
        json={"unit_code": UNIT_B, "reason": "Thuộc phường Tân Định"},
        headers=h,
    )
    dup = await submit(client)
    # Visible to officer_a (it held it) but read-only: 403, and nothing is written.
    r = await client.post(_tip_url(dup, "/merge"), json={"into_id": handed_on["id"]}, headers=h)
    assert r.status_code == 403
    assert (await client.get(_tip_url(dup), headers=h)).json()["status"] == "received"
    # A supervisor may not merge into a tip another province now holds.
    away = await submit(client)
    await client.post(
        _tip_url(away, "/transfer"),
        json={"unit_code": HANOI_DESK, "reason": "Sang Hà Nội"},
        headers=staff.headers["admin"],
    )
    r = await client.post(
        _tip_url(dup, "/merge"),
        json={"into_id": away["id"]},
        headers=staff.headers["supervisor_79"],
    )
    assert r.status_code == 403
    # Another province's supervisor never learns the tip exists.
    r = await client.post(
        _tip_url(away, "/merge"),
        json={"into_id": dup["id"]},
        headers=staff.headers["supervisor_01"],
    )
    assert r.status_code == 404 and dup["reference"] not in r.text
