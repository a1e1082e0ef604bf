"""Printed records: the biên bản tiếp nhận and the unit's sổ tiếp nhận, A4 in Vietnamese.

Each PDF is rendered to PNG by pdftoppm and its text read back by pdftotext (poppler-utils),
diacritics included."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEntry
from app.core.time import to_local, utcnow
from app.records.service import REVEAL_REASON
from tests import needs
from tests.tips.helpers import TIPS, identified
from tests.triage.helpers import UNIT_A, UNIT_B, Staff, submit

NAME, PHONE = "Nguyễn Văn A", "0912 345 678"
YEAR = to_local(utcnow()).year


def _text_and_png(pdf: bytes, tmp_path: Path) -> str:
    """pdftotext of the PDF, after checking every page renders to an A4-shaped PNG. Debian's
    poppler-utils (.ci/run installs it): without it a test cannot read a PDF back."""
    pdftoppm = needs.program("pdftoppm", "poppler-utils")
    pdftotext = needs.program("pdftotext", "poppler-utils")
    assert pdf.startswith(b"%PDF-")
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    subprocess.run([pdftoppm, "-png", "-r", "40", str(source), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages
    for page in pages:
        width, height = Image.open(page).size
        ratio = max(width, height) / min(width, height)
        assert abs(ratio - 297 / 210) < 0.01  # A4
    out = subprocess.run(
        [pdftotext, "-layout", str(source), "-"], check=True, capture_output=True, text=True
    )
    return out.stdout


async def _walk_in(client: httpx.AsyncClient, staff: Staff) -> dict[str, Any]:
    r = await client.post(
        TIPS,
        json=identified(channel="walk_in", intake_record={"recorded": True}),
        headers=staff.headers["officer_a"],
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _reveals(db: AsyncSession, tip_id: str) -> list[AuditEntry]:
    db.expire_all()
    return list(
        await db.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "tip.reporter_revealed", AuditEntry.object_id == tip_id
            )
        )
    )


async def test_intake_record_masks_the_reporter_for_an_officer(
    client: httpx.AsyncClient, db: AsyncSession, staff: Staff, tmp_path: Path
) -> None:
    tip = await _walk_in(client, staff)
    r = await client.get(
        f"{TIPS}/{tip['id']}/intake-record.pdf", headers=staff.headers["officer_a"]
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    text = _text_and_png(r.content, tmp_path)
    for expected in (
        "BIÊN BẢN TIẾP NHẬN",
        "tố giác, tin báo về tội phạm",
        "CÔNG AN PHƯỜNG SÀI GÒN",
        "Công an phường Sài Gòn",
        "CÔNG AN THÀNH PHỐ HỒ CHÍ MINH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        tip["register_number"],
        tip["reference"],
        "Trực tiếp tại trụ sở",
        "Ma túy",
        "Nhóm thanh niên tụ tập sử dụng ma túy",
        "Người dùng officer_a",  # the receiving officer
        "NGƯỜI BÁO TIN",
        "CÁN BỘ TIẾP NHẬN",
        "(Ký, ghi rõ họ tên)",
        "được bảo mật",
    ):
        assert expected in text, expected
    assert NAME not in text and PHONE not in text
    assert await _reveals(db, tip["id"]) == []


async def test_printing_the_identity_is_an_audited_reveal(
    client: httpx.AsyncClient, db: AsyncSession, staff: Staff, tmp_path: Path
) -> None:
    tip = await _walk_in(client, staff)
    url = f"{TIPS}/{tip['id']}/intake-record.pdf"
    r = await client.get(url, headers=staff.headers["lead_a"])
    assert r.status_code == 200, r.text
    text = _text_and_png(r.content, tmp_path)
    assert f"Họ tên: {NAME}" in text and PHONE in text
    (reveal,) = await _reveals(db, tip["id"])
    assert reveal.reason == REVEAL_REASON and reveal.actor_id == staff["lead_a"].id
    disclosures = await client.get(
        "/api/v1/privacy/disclosures", params={"tip_id": tip["id"]}, headers=staff.headers["admin"]
    )
    assert "reveal" in [d["kind"] for d in disclosures.json()["items"]]

    masked = await client.get(url, params={"reporter": "false"}, headers=staff.headers["lead_a"])
    assert NAME not in _text_and_png(masked.content, tmp_path / "masked")
    assert len(await _reveals(db, tip["id"])) == 1


async def test_intake_record_access(client: httpx.AsyncClient, staff: Staff) -> None:
    tip = await submit(client)
    url = f"{TIPS}/{tip['id']}/intake-record.pdf"
    assert (await client.get(url, headers=staff.headers["analyst_79"])).status_code == 403
    assert (await client.get(url, headers=staff.headers["officer_b"])).status_code == 404
    assert (await client.get(url, headers=staff.headers["supervisor_01"])).status_code == 404
    assert (await client.get(url, headers=staff.headers["officer_pc04"])).status_code == 200
    assert (await client.get(url)).status_code == 401


async def test_the_units_register_as_json_csv_and_pdf(
    client: httpx.AsyncClient, staff: Staff, tmp_path: Path
) -> None:
    first = await _walk_in(client, staff)
    second = await submit(client)
    moved = await submit(client)
    r = await client.post(
        f"{TIPS}/{moved['id']}/transfer",
        json={"unit_code": UNIT_B, "reason": "Địa bàn phường Tân Định"},
        headers=staff.headers["lead_a"],
    )
    assert r.status_code == 200, r.text
    url = f"/api/v1/units/{UNIT_A}/register"
    officer = staff.headers["officer_a"]

    page = (await client.get(url, params={"year": YEAR, "limit": 2}, headers=officer)).json()
    assert [i["reference"] for i in page["items"]] == [first["reference"], second["reference"]]
    assert set(page["items"][0]) == {
        "register_number",
        "registered_at",
        "reference",
        "category_code",
        "channel",
        "status",
    }
    assert page["items"][0]["channel"] == "walk_in"
    rest = await client.get(url, params={"cursor": page["next_cursor"]}, headers=officer)
    (last,) = rest.json()["items"]
    assert last["reference"] == moved["reference"] and last["status"] == "transferred"
    assert rest.json()["next_cursor"] is None
    other = await client.get(f"/api/v1/units/{UNIT_B}/register", headers=staff.headers["officer_b"])
    (entry,) = other.json()["items"]
    assert entry["reference"] == moved["reference"] and entry["status"] == "received"
    assert entry["register_number"].startswith(f"{UNIT_B}/{YEAR}/")
    empty = await client.get(url, params={"year": YEAR - 1}, headers=officer)
    assert empty.json() == {"items": [], "next_cursor": None}

    as_csv = await client.get(url, headers={**officer, "Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == [
        "register_number",
        "registered_at",
        "reference",
        "category_code",
        "channel",
        "status",
    ]
    assert [row[2] for row in rows[1:]] == [
        first["reference"],
        second["reference"],
        moved["reference"],
    ]

    as_pdf = await client.get(url, headers={**officer, "Accept": "application/pdf"})
    assert as_pdf.headers["content-type"] == "application/pdf"
    text = _text_and_png(as_pdf.content, tmp_path / "pdf")
    for expected in (
        f"SỔ TIẾP NHẬN TỐ GIÁC, TIN BÁO NĂM {YEAR}",
        "CÔNG AN PHƯỜNG SÀI GÒN",
        first["register_number"],
        moved["reference"],
        "Ma túy",
        "Trực tiếp tại trụ sở",
        "Đã chuyển đơn vị khác",
        "Mới tiếp nhận",
    ):
        assert expected in text, expected
    for body in (as_csv.text, text, str(page)):  # no personal data anywhere in the register
        assert NAME not in body and PHONE not in body


async def test_who_reads_a_register(client: httpx.AsyncClient, staff: Staff) -> None:
    await submit(client)
    url = f"/api/v1/units/{UNIT_A}/register"
    for who, expected in (
        ("officer_a", 200),
        ("lead_a", 200),
        ("supervisor_79", 200),
        ("analyst_79", 200),
        ("analyst_key_79", 200),
        ("admin", 200),
        ("officer_b", 404),
        ("officer_pc04", 404),
        ("supervisor_01", 404),
        ("analyst_01", 404),
        ("front", 403),
    ):
        r = await client.get(url, headers=staff.headers[who])
        assert r.status_code == expected, (who, r.text)
    r = await client.get("/api/v1/units/CAX-99999/register", headers=staff.headers["admin"])
    assert r.status_code == 404
    r = await client.get(url, params={"year": 1999}, headers=staff.headers["admin"])
    assert r.status_code == 422
