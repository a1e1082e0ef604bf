"""Exports by period, the tips workbook and the review workbook (sơ kết), opened with openpyxl
and compared with stats/summary and stats/sla."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.integration import exports, workbooks
from tests.accounts.helpers import auth_headers, make_user
from tests.integration.helpers import HANOI, HCMC
from tests.integration.test_summary import reviewed  # noqa: F401  (the fixture)

CSV = "/api/v1/exports/tips.csv"
XLSX = "/api/v1/exports/tips.xlsx"
REVIEW = "/api/v1/exports/review.xlsx"
SUMMARY = "/api/v1/stats/summary"
SLA = "/api/v1/stats/sla"


def csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def open_workbook(body: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(body), read_only=True)


async def test_csv_takes_period_and_queue_filters(client, db, app, reviewed):  # noqa: F811
    headers = auth_headers(app, await make_user(db, role="province_supervisor", province_code=HCMC))
    tips = reviewed.tips

    async def references(**params):
        r = await client.get(CSV, params=params, headers=headers)
        assert r.status_code == 200, r.text
        return {row["reference"] for row in csv_rows(r.content)}

    assert await references(period="half:2026-H1") == {tips["f"].reference}
    assert await references(period="year:2026", status="received") == {
        tips[n].reference for n in ("a", "b", "g")
    }
    assert await references(period="year:2026", category_code="public_disorder") == {
        tips[n].reference for n in ("d", "g")
    }
    assert await references(period="year:2025") == {tips[n].reference for n in ("i", "l")}
    bad = await client.get(CSV, params={"period": "year:20x6"}, headers=headers)
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "period")
    unknown = await client.get(CSV, params={"periode": "year:2026"}, headers=headers)
    assert unknown.json()["errors"][0]["code"] == "unknown_parameter"


async def test_tips_xlsx_matches_the_csv(client, db, app, reviewed):  # noqa: F811
    headers = auth_headers(app, await make_user(db, role="analyst", province_code=HCMC))
    params = {"period": "year:2026"}

    r = await client.get(XLSX, params=params, headers=headers)
    as_csv = csv_rows((await client.get(CSV, params=params, headers=headers)).content)

    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == workbooks.XLSX_MEDIA_TYPE
    assert r.headers["content-disposition"].endswith('.xlsx"')
    rows = list(open_workbook(r.content).active.iter_rows(values_only=True))
    assert list(rows[0]) == exports.HEADER
    body = [dict(zip(exports.HEADER, row, strict=True)) for row in rows[1:]]
    assert [row["reference"] for row in body] == [row["reference"] for row in as_csv]
    assert len(body) == 9
    first = body[0]
    assert isinstance(first["created_at"], datetime) and first["created_at"].tzinfo is None
    assert isinstance(first["priority"], int)
    walk_in = next(row for row in body if row["reference"] == reviewed.tips["f"].reference)
    # Vietnamese wall-clock time of the receipt
    assert walk_in["created_at"] == datetime(2026, 7, 1, 9, 0)
    entry = (await db.scalars(select(AuditEntry).where(AuditEntry.action == "tips.exported"))).all()
    assert {e.data["format"] for e in entry} == {"csv", "xlsx"}


def sheet_rows(sheet) -> tuple[list[str], list[tuple]]:
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    return [rows[0][0], rows[1][0], rows[2][0]], rows[4:]


async def test_review_workbook_equals_the_statistics(client, db, app, reviewed):  # noqa: F811
    headers = auth_headers(app, await make_user(db, role="province_supervisor", province_code=HCMC))
    params = {"period": "year:2026"}

    r = await client.get(REVIEW, params=params, headers=headers)

    assert r.status_code == 200, r.text
    book = open_workbook(r.content)
    assert book.sheetnames == [b.sheet for b in workbooks.BREAKDOWNS] + [workbooks.SLA_SHEET]
    for breakdown in workbooks.BREAKDOWNS:
        heading, rows = sheet_rows(book[breakdown.sheet])
        assert heading[1] == "Kỳ: year:2026 (01/01/2026 – 31/12/2026)"
        assert heading[2].startswith("Phạm vi: ") and heading[2].endswith(f"({HCMC})")
        assert rows[0] == (breakdown.code_header, breakdown.name_header, "Số tin báo")
        stats = (
            await client.get(
                SUMMARY, params={**params, "group_by": breakdown.dimension.value}, headers=headers
            )
        ).json()
        written = {code or "": count for code, _, count in rows[1:-1]}
        assert written == {g["key"] or "": g["count"] for g in stats["groups"]}, breakdown.sheet
        assert all(isinstance(count, int) for count in written.values())
        assert rows[-1] == ("Tổng cộng", None, stats["total"])
        assert stats["total"] == 9
    names = {code: name for code, name, _ in sheet_rows(book["Kênh"])[1][1:-1]}
    assert names["walk_in"] == "Trực tiếp tại cơ quan"
    org_names = {code or "": name for code, name, _ in sheet_rows(book["Tổ chức"])[1][1:-1]}
    assert org_names[reviewed.women.id] == reviewed.women.name
    assert org_names[""] == "(không có)"

    heading, rows = sheet_rows(book[workbooks.SLA_SHEET])
    assert heading[1].startswith("Kỳ: year:2026")
    assert rows[0] == tuple(h for _, h in workbooks.SLA_COLUMNS)
    sla = (await client.get(SLA, params=params, headers=headers)).json()["units"]
    keys = [k for k, _ in workbooks.SLA_COLUMNS]
    padded = [row + (None,) * (len(keys) - len(row)) for row in rows[1:-1]]
    assert [dict(zip(keys, row, strict=True)) for row in padded] == [
        {k: unit[k] for k in keys} for unit in sla
    ]
    assert rows[-1][2] == sum(unit["received"] for unit in sla) == 8  # merged e left out


async def test_review_workbook_scope_and_errors(client, db, app, reviewed):  # noqa: F811
    supervisor = auth_headers(
        app, await make_user(db, role="province_supervisor", province_code=HCMC)
    )
    admin = auth_headers(app, await make_user(db, role="admin"))
    officer = auth_headers(app, await make_user(db, role="officer", unit_code="CAX-26740"))

    other = await client.get(REVIEW, params={"province_code": HANOI}, headers=supervisor)
    bad = await client.get(REVIEW, params={"period": "half:2026-H3"}, headers=supervisor)
    refused = await client.get(REVIEW, headers=officer)
    national = await client.get(REVIEW, params={"period": "half:2026-H1"}, headers=admin)

    assert other.status_code == 404
    assert bad.status_code == 422
    assert refused.status_code == 403
    assert national.status_code == 200
    heading, rows = sheet_rows(open_workbook(national.content)["Loại tin"])
    assert heading[2] == "Phạm vi: toàn quốc"
    assert rows[-1] == ("Tổng cộng", None, 1)
    entries = (
        await db.scalars(select(AuditEntry).where(AuditEntry.action == "review.exported"))
    ).all()
    assert len(entries) == 1
