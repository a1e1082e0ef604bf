"""The CSV export: BOM and header, the queue's filters and scope, no personal data, audited."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.integration import exports
from tests.accounts.helpers import auth_headers, make_api_key, make_organization, make_user
from tests.integration.helpers import (
    BA_DINH_UNIT,
    HCMC,
    SAI_GON_UNIT,
    THU_DAU_MOT_UNIT,
    make_tips,
    vn,
)
from tests.tips.helpers import TIPS, payload

EXPORT = "/api/v1/exports/tips.csv"
NAME, PHONE, EMAIL, ADDRESS = "Trần Thị Bích", "0987 654 321", "bich@example.vn", "12 Lý Tự Trọng"


def parse(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body[3:].decode("utf-8"))))


async def test_bom_header_and_no_personal_data(client, db, app):
    reporter = {"full_name": NAME, "phone": PHONE, "email": EMAIL, "address": ADDRESS}
    created = await client.post(
        TIPS,
        json=payload(
            anonymous=False,
            reporter=reporter,
            description=f"{NAME} thấy nhóm người lạ mua bán ma túy trước nhà số 12.",
            persons_involved="Lê Văn Tám, khoảng 30 tuổi",
            location={"commune_code": "26740", "address": ADDRESS, "lat": 10.7799, "lon": 106.7025},
        ),
    )
    assert created.status_code == 201, created.text
    supervisor = await make_user(db, role="province_supervisor", province_code=HCMC)

    r = await client.get(EXPORT, headers=auth_headers(app, supervisor))

    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith('attachment; filename="tinbao-tips-')
    assert r.content.startswith(b"\xef\xbb\xbf")
    first_line = r.content[3:].split(b"\r\n", 1)[0].decode()
    assert first_line.split(",") == exports.HEADER
    text = r.content.decode("utf-8-sig")
    for personal in (
        NAME,
        "Trần",
        PHONE,
        "0987",
        EMAIL,
        ADDRESS,
        "Lê Văn Tám",
        "10.7799",
        "106.70",
    ):
        assert personal not in text
    (row,) = parse(r.content)
    assert row["reference"] == created.json()["reference"]
    assert row["register_number"] == created.json()["register_number"]
    assert (row["status"], row["public_status"], row["category_code"]) == (
        "received",
        "received",
        "drugs",
    )
    assert row["assigned_unit_code"] == SAI_GON_UNIT
    assert row["created_at"].endswith("+07:00")
    assert not any(
        h in exports.HEADER for h in ("description", "reporter", "anonymous", "lat", "address")
    )


async def test_same_filters_and_scope_as_the_queue(client, db, app):
    org = await make_organization(db, name="MTTQ", kind="mttq", province_code=HCMC)
    far = vn("2099-01-01 00:00")
    tips = await make_tips(
        db,
        [
            {"created_at": vn("2025-03-01 08:00"), "due_at": vn("2025-03-10 08:00")},  # overdue
            {"created_at": vn("2025-03-02 08:00"), "due_at": far, "status": "in_progress"},
            {
                "created_at": vn("2025-03-03 08:00"),
                "unit": THU_DAU_MOT_UNIT,
                "urgent": True,
                "category_code": "public_disorder",
                "organization_id": org.id,
                "movement_model": '=HYPERLINK("http://x")',
            },
            {"created_at": vn("2025-03-04 08:00"), "unit": BA_DINH_UNIT},  # Hà Nội
        ],
    )
    analyst = await make_user(db, role="analyst", province_code=HCMC)
    _, key = await make_api_key(db, app, role="analyst", province_code=HCMC)
    admin = await make_user(db, role="admin")

    async def references(headers, **params):
        r = await client.get(EXPORT, params=params, headers=headers)
        assert r.status_code == 200, r.text
        return [row["reference"] for row in parse(r.content)]

    analyst_headers = auth_headers(app, analyst)
    ref = [t.reference for t in tips]
    assert await references(analyst_headers) == ref[:3]  # oldest first, own province only
    assert await references({"X-API-Key": key}) == ref[:3]
    assert await references(auth_headers(app, admin)) == ref
    assert await references(analyst_headers, overdue="true") == [ref[0]]
    assert await references(analyst_headers, urgent="true") == [ref[2]]
    assert await references(analyst_headers, status="in_progress") == [ref[1]]
    assert await references(analyst_headers, category_code="public_disorder") == [ref[2]]
    assert await references(analyst_headers, unit_code=THU_DAU_MOT_UNIT) == [ref[2]]
    assert (
        await references(analyst_headers, created_from="2025-03-02", created_to="2025-03-03")
        == ref[1:3]
    )
    r = await client.get(EXPORT, params={"urgent": "true"}, headers=analyst_headers)
    (row,) = parse(r.content)
    assert row["movement_model"].startswith("'=")  # not evaluated by a spreadsheet
    assert row["organization_id"] == org.id and row["overdue"] == "false"
    overdue = parse(
        (await client.get(EXPORT, params={"overdue": "true"}, headers=analyst_headers)).content
    )
    assert overdue[0]["overdue"] == "true"
    for bad in ({"status": "nonsense"}, {"created_to": "9999-12-31"}, {"limit": "0"}):
        r = await client.get(EXPORT, params=bad, headers=analyst_headers)
        assert r.status_code == 422
    # No paging on the export: limit is not one of its parameters.
    assert r.json()["errors"][0]["code"] == "unknown_parameter"


async def test_exports_are_audited(client, db, app):
    supervisor = await make_user(db, role="province_supervisor", province_code=HCMC)

    r = await client.get(
        EXPORT, params={"urgent": "true", "q": NAME}, headers=auth_headers(app, supervisor)
    )

    assert r.status_code == 200
    entry = (
        await db.execute(select(AuditEntry).where(AuditEntry.action == "tips.exported"))
    ).scalar_one()
    assert entry.actor_id == supervisor.id
    assert entry.data["urgent"] is True
    assert NAME not in str(entry.data)  # the search text may name people


async def test_large_exports_stream_in_batches(client, db, app, monkeypatch):
    monkeypatch.setattr(exports, "BATCH_SIZE", 7)
    tips = await make_tips(db, [{"created_at": vn("2025-01-01 08:00")} for _ in range(23)])
    admin = await make_user(db, role="admin")

    async with client.stream("GET", EXPORT, headers=auth_headers(app, admin)) as r:
        chunks = [chunk async for chunk in r.aiter_bytes()]  # gzip decoded

    rows = parse(b"".join(chunks))
    # Same created_at for all: the keyset continues on the id.
    assert sorted(row["id"] for row in rows) == sorted(t.id for t in tips)
    assert len(rows) == 23 and len({row["id"] for row in rows}) == 23


async def test_export_readers(client, db, app):
    officer = await make_user(db, role="officer", unit_code=SAI_GON_UNIT)
    org = await make_organization(db, name="MTTQ", kind="mttq", province_code=HCMC)
    front = await make_user(db, role="front_member", organization_id=org.id)

    assert (await client.get(EXPORT)).status_code == 401
    for user in (officer, front):
        r = await client.get(EXPORT, headers=auth_headers(app, user))
        assert (r.status_code, r.json()["code"]) == (403, "forbidden")
