"""Staff files: on the tip (internal) and on messages to the reporter, cleaned like intake;
what the reporter may download with the receipt."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.main import create_app
from app.media.models import Attachment
from tests.tips.helpers import PDF_BYTES, TIPS, TRACK, jpeg_bytes, payload, post_multipart
from tests.triage.helpers import Staff, events_of, submit

GPS_IFD = 0x8825


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "CanonSecretMake"
    exif.get_ifd(GPS_IFD)[2] = (10.0, 46.0, 47.8)
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "blue").save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def _upload(
    client: httpx.AsyncClient, tip_id: str, headers: dict[str, str], files: list[Any]
) -> httpx.Response:
    return await client.post(
        f"{TIPS}/{tip_id}/attachments",
        files=[("files", f) for f in files],
        headers=headers,
    )


async def _intake_with_file(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await post_multipart(client, payload(), [("hem12.pdf", PDF_BYTES, "application/pdf")])
    assert r.status_code == 201, r.text
    return r.json()


async def test_staff_files_are_cleaned_listed_and_internal(
    client: httpx.AsyncClient, db: AsyncSession, staff: Staff
) -> None:
    tip = await _intake_with_file(client)
    officer = staff.headers["officer_a"]
    r = await _upload(
        client, tip["id"], officer, [("xac-minh.jpg", _jpeg_with_gps(), "image/jpeg")]
    )
    assert r.status_code == 201, r.text
    (added,) = r.json()
    assert added["uploaded_by"] == "staff" and added["content_type"] == "image/jpeg"

    record = (await client.get(f"{TIPS}/{tip['id']}", headers=officer)).json()
    by = {a["filename"]: a["uploaded_by"] for a in record["attachments"]}
    assert by == {"hem12.pdf": "reporter", "xac-minh.jpg": "staff"}

    # The same cleaning as intake: the stored image carries no EXIF or GPS.
    download = await client.get(f"{TIPS}/{tip['id']}/attachments/{added['id']}", headers=officer)
    assert download.status_code == 200
    assert b"CanonSecretMake" not in download.content and b"Exif" not in download.content
    assert dict(Image.open(io.BytesIO(download.content)).getexif()) == {}

    (event,) = await events_of(db, tip["id"], "tip.attachment_added")
    assert event.public is False and event.data == {"attachment_ids": [added["id"]]}
    assert event.actor_id == staff["officer_a"].id

    # The reporter downloads their own intake file, never the unit's internal one.
    receipt = {"X-Tip-Receipt": tip["receipt"]}
    own = next(a for a in record["attachments"] if a["uploaded_by"] == "reporter")
    r = await client.get(f"{TRACK}/attachments/{own['id']}", headers=receipt)
    assert r.status_code == 200 and r.content == PDF_BYTES
    r = await client.get(f"{TRACK}/attachments/{added['id']}", headers=receipt)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    tracked = (await client.get(TRACK, headers=receipt)).json()
    assert [a["id"] for a in tracked["attachments"]] == [own["id"]]


async def test_refused_uploads_store_nothing(
    client: httpx.AsyncClient, db: AsyncSession, staff: Staff
) -> None:
    tip = await submit(client)
    officer = staff.headers["officer_a"]
    r = await _upload(client, tip["id"], officer, [("x.exe", b"MZ\x90\x00" * 100, "image/jpeg")])
    assert r.status_code == 415 and r.json()["code"] == "unsupported_media_type"
    r = await client.post(
        f"{TIPS}/{tip['id']}/attachments", files={"note": (None, "x")}, headers=officer
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "note"
    r = await client.post(  # a multipart body without a single part
        f"{TIPS}/{tip['id']}/attachments",
        content=b"--b0undary--\r\n",
        headers={**officer, "Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "files"
    r = await client.post(f"{TIPS}/{tip['id']}/attachments", json={"files": []}, headers=officer)
    assert r.status_code == 415
    assert list(await db.scalars(select(Attachment))) == []


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("officer_a", 201),
        ("supervisor_79", 201),
        ("officer_pc04", 403),  # watches the drug tip: read-only
        ("analyst_79", 403),
        ("front", 403),
        ("officer_b", 404),
        ("supervisor_01", 404),
    ],
)
async def test_who_may_attach(
    client: httpx.AsyncClient, staff: Staff, who: str, expected: int
) -> None:
    tip = await submit(client)
    r = await _upload(
        client, tip["id"], staff.headers[who], [("a.pdf", PDF_BYTES, "application/pdf")]
    )
    assert r.status_code == expected, r.text


@pytest.fixture
async def small_client(app: Any, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    small = create_app(settings.model_copy(update={"max_file_bytes": 4000, "max_files_per_tip": 2}))
    async with small.router.lifespan_context(small):
        transport = httpx.ASGITransport(app=small)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_staff_uploads_have_intake_limits(
    small_client: httpx.AsyncClient, db: AsyncSession, staff: Staff
) -> None:
    tip = await submit(small_client)
    officer = staff.headers["officer_a"]
    big = PDF_BYTES + b"%" * 4000
    r = await _upload(small_client, tip["id"], officer, [("big.pdf", big, "application/pdf")])
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    three = [(f"{i}.pdf", PDF_BYTES, "application/pdf") for i in range(3)]
    r = await _upload(small_client, tip["id"], officer, three)
    assert r.status_code == 413
    r = await post_multipart(
        small_client,
        {"body": "Gửi anh/chị ảnh hiện trường."},
        [("big.pdf", big, "application/pdf")],
        part="message",
        url=f"{TIPS}/{tip['id']}/messages",
        headers=officer,
    )
    assert r.status_code == 413
    assert list(await db.scalars(select(Attachment))) == []


async def test_files_on_a_message_reach_the_reporter(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    tip = await submit(client)
    other = await submit(client)
    officer = staff.headers["officer_a"]
    receipt = {"X-Tip-Receipt": tip["receipt"]}
    r = await post_multipart(
        client,
        {"body": "Đề nghị anh/chị xem ảnh và xác nhận địa điểm."},
        [
            ("ban-do.jpg", jpeg_bytes(), "image/jpeg"),
            ("giay-moi.pdf", PDF_BYTES, "application/pdf"),
        ],
        part="message",
        url=f"{TIPS}/{tip['id']}/messages",
        headers=officer,
    )
    assert r.status_code == 201, r.text
    message = r.json()
    assert [a["uploaded_by"] for a in message["attachments"]] == ["staff", "staff"]
    # JSON still works.
    r = await client.post(f"{TIPS}/{tip['id']}/messages", json={"body": "Cảm ơn."}, headers=officer)
    assert r.status_code == 201 and r.json()["attachments"] == []

    track = (await client.get(f"{TRACK}/messages", headers=receipt)).json()["items"]
    assert [len(m["attachments"]) for m in track] == [2, 0]
    pdf_id = message["attachments"][1]["id"]
    r = await client.get(f"{TRACK}/attachments/{pdf_id}", headers=receipt)
    assert r.status_code == 200 and r.content == PDF_BYTES
    assert r.headers["content-disposition"].startswith("attachment;")

    # The reporter's own message file too; nothing of another tip, nothing without the receipt.
    r = await post_multipart(
        client,
        {"body": "Đây là ảnh tôi chụp thêm."},
        [("them.pdf", PDF_BYTES, "application/pdf")],
        part="message",
        url=f"{TRACK}/messages",
        headers=receipt,
    )
    assert r.status_code == 201, r.text
    own_id = r.json()["attachments"][0]["id"]
    assert r.json()["attachments"][0]["uploaded_by"] == "reporter"
    assert (await client.get(f"{TRACK}/attachments/{own_id}", headers=receipt)).status_code == 200
    other_receipt = {"X-Tip-Receipt": other["receipt"]}
    for attachment_id in (pdf_id, own_id):
        r = await client.get(f"{TRACK}/attachments/{attachment_id}", headers=other_receipt)
        assert r.status_code == 404
        r = await client.get(f"{TRACK}/attachments/{attachment_id}")
        assert r.status_code == 404


async def test_a_refused_message_file_writes_no_message(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    tip = await submit(client)
    officer = staff.headers["officer_a"]
    r = await post_multipart(
        client,
        {"body": "Tệp lạ."},
        [("a.jpg", b"not an image at all" * 10, "image/jpeg")],
        part="message",
        url=f"{TIPS}/{tip['id']}/messages",
        headers=officer,
    )
    assert r.status_code == 415
    page = (await client.get(f"{TIPS}/{tip['id']}/messages", headers=officer)).json()
    assert page["items"] == []
    r = await client.post(
        f"{TIPS}/{tip['id']}/messages",
        files=[("files", ("a.pdf", PDF_BYTES, "application/pdf"))],
        headers=officer,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "message"
